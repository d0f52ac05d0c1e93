package diff

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"

	"zkd/internal/ztest"
)

// Where Debian's packages put the clients (python3-kazoo, zookeeper,
// zookeeper-bin). Debian's python has kazoo; a python3 earlier on PATH may
// not.
const (
	python = "/usr/bin/python3"
	zkCli  = "/usr/share/zookeeper/bin/zkCli.sh"
	cliMt  = "/usr/lib/zookeeper/bin/cli_mt"
)

// Client is one real ZooKeeper client and its scenario.
type Client struct {
	Name string
	// Options are the server settings the scenario relies on.
	Options ztest.Options
	// Run drives the client against the server at addr and returns all it
	// printed; an error means the client did not finish its script.
	Run  func(ctx context.Context, addr string) (string, error)
	Norm Normalizer
	// Available says why the client cannot run here, or nil.
	Available func() error
}

// Clients returns the three clients; scripts are read from dir.
func Clients(dir string) []Client {
	return []Client{kazoo(dir), zkCliClient(dir), cliMtClient(dir)}
}

func re(s string) *regexp.Regexp { return regexp.MustCompile(s) }

// fileExists is Available for a client that is one file.
func fileExists(path, pkg string) func() error {
	return func() error {
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("%s missing (make deps installs %s): %w", path, pkg, err)
		}
		return nil
	}
}

// kazoo runs scenario_kazoo.py. Its stdout is the transcript; its stderr
// (kazoo's log) only helps when the run fails.
func kazoo(dir string) Client {
	return Client{
		Name: "kazoo",
		Options: ztest.Options{Extra: map[string]string{
			"extendedTypesEnabled":            "true",
			"znode.container.checkIntervalMs": "100",
		}},
		Run: func(ctx context.Context, addr string) (string, error) {
			cmd := exec.CommandContext(ctx, python, dir+"/scenario_kazoo.py", addr)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				return stdout.String(), fmt.Errorf("kazoo scenario: %w\nstderr:\n%s", err, tail(stderr.String(), 40))
			}
			return stdout.String(), nil
		},
		Available: func() error {
			if err := exec.Command(python, "-c", "import kazoo").Run(); err != nil {
				return fmt.Errorf("%s cannot import kazoo (make deps installs python3-kazoo): %w", python, err)
			}
			return nil
		},
		Norm: Normalizer{
			Values: []Value{
				{Zxid, "zxid", re(`[cmp]zxid=(0x[0-9a-f]+)`)},
				{Mask, "time", re(`[cm]time=(\d+)`)},
				{Session, "session", re(`(?:ephemeralOwner=|^session )(0x[0-9a-f]+)`)},
			},
		},
	}
}

// slowReaping is the server setup of the zkCli.sh and cli_mt scenarios: TTL
// nodes allowed, and containers and TTL nodes reaped on ZooKeeper's default
// one-minute schedule, which these short scripts never reach, so their
// outcome does not depend on timing.
func slowReaping() ztest.Options {
	return ztest.Options{Extra: map[string]string{
		"extendedTypesEnabled":            "true",
		"znode.container.checkIntervalMs": "60000",
	}}
}

// zkCliClient feeds scenario_zkcli.txt to one zkCli.sh on stdin: one JVM
// for the whole script. {{addr}} in the script becomes the server address.
// Watch events are printed by the client's event thread, so they go aside.
func zkCliClient(dir string) Client {
	return Client{
		Name:    "zkcli",
		Options: slowReaping(),
		Run: func(ctx context.Context, addr string) (string, error) {
			script, err := os.ReadFile(dir + "/scenario_zkcli.txt")
			if err != nil {
				return "", fmt.Errorf("zkcli scenario: %w", err)
			}
			cmd := exec.CommandContext(ctx, zkCli, "-server", addr)
			// A quick JVM start, and a request timeout so that a request the
			// server never answers fails in the transcript instead of hanging.
			cmd.Env = append(os.Environ(),
				"CLIENT_JVMFLAGS=-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Dzookeeper.request.timeout=10000")
			cmd.Stdin = strings.NewReader(strings.ReplaceAll(string(script), "{{addr}}", addr))
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out // one pipe: the kernel keeps the order
			if err := cmd.Run(); err != nil {
				return out.String(), fmt.Errorf("zkCli.sh: %w\noutput:\n%s", err, tail(out.String(), 40))
			}
			return out.String(), nil
		},
		Available: fileExists(zkCli, "zookeeper"),
		Norm: Normalizer{
			Drop: []*regexp.Regexp{
				re(`^SLF4J: `),
				re(`^Connecting to `),
				re(`^Welcome to ZooKeeper!$`),
				re(`^JLine support is (en|dis)abled$`),
				re(`^WATCHER::$`),
			},
			// close then connect gives each session its own event thread:
			// the old one's Closed races the new one's SyncConnected.
			Aside: []Aside{
				{"closed events (event thread of each closed session)", re(`WatchedEvent state:Closed `)},
				{"events (client event thread)", re(`WatchedEvent state:`)},
			},
			Values: []Value{
				{Zxid, "zxid", re(`^[cmp]Zxid = (0x[0-9a-f]+)$`)},
				{Mask, "time", re(`^[cm]time = (.+)$`)},
				{Session, "session", re(`^ephemeralOwner = (0x[0-9a-f]+)$`)},
			},
			SortRuns: re(`^/`),         // ls -R: each level in server order
			SortList: re(`^\[(.*)\]$`), // getEphemerals: a server-side set
		},
	}
}

// cliMtEnd is the last line of scenario_climt.txt and the answer that shows
// every earlier request has been answered: replies come in request order.
const (
	cliMtEnd    = "delete /zkdiff-end"
	cliMtEndOut = "/zkdiff-end: rc = "
)

// cliMtClient feeds scenario_climt.txt to cli_mt. cli_mt sends each command
// asynchronously and quits at end of input, so stdin stays open until the
// answer to the last command has been printed. Results and watch events are
// printed by the client's completion thread, in order; what the input thread
// prints (Creating..., errors of synchronous calls) goes aside.
func cliMtClient(dir string) Client {
	return Client{
		Name:      "climt",
		Options:   slowReaping(),
		Run:       runCliMt(dir),
		Available: fileExists(cliMt, "zookeeper-bin"),
		Norm: Normalizer{
			Drop: []*regexp.Regexp{
				re(`^time = \d+ msec$`),
				re(`:ZOO_(ERROR|WARN|INFO|DEBUG)@`),
			},
			Aside: []Aside{{"input thread", re(
				`Creating \[.*\] node|Error -?\d+ for |ttl value must be|Path must start with|^Quitting\.\.\.$|^bye$`)}},
			Values: []Value{
				{Zxid, "zxid", re(`^\t[cm]zxid=([0-9a-f]+)$`)},
				{Mask, "time", re(`^\tctime = (.+)$`)},
				{Mask, "time", re(`^\tmtime=(.+)$`)},
				{Session, "session", re(`^\tephemeralOwner = ([0-9a-f]+)$`)},
				{Session, "session", re(`^Got a new session id: (0x[0-9a-f]+)$`)},
			},
			SortRuns: re(`^\t[^=\t]+$`), // ls children, in server hash order
		},
	}
}

func runCliMt(dir string) func(ctx context.Context, addr string) (string, error) {
	return func(ctx context.Context, addr string) (string, error) {
		script, err := os.ReadFile(dir + "/scenario_climt.txt")
		if err != nil {
			return "", fmt.Errorf("climt scenario: %w", err)
		}
		if !strings.HasSuffix(strings.TrimSpace(string(script)), cliMtEnd) {
			return "", fmt.Errorf("scenario_climt.txt must end with %q", cliMtEnd)
		}
		r, w, err := os.Pipe()
		if err != nil {
			return "", fmt.Errorf("cli_mt: %w", err)
		}
		defer r.Close()
		cmd := exec.CommandContext(ctx, cliMt, addr)
		cmd.Stdout, cmd.Stderr = w, w
		stdin, err := cmd.StdinPipe()
		if err != nil {
			w.Close()
			return "", fmt.Errorf("cli_mt: %w", err)
		}
		if err := cmd.Start(); err != nil {
			w.Close()
			return "", fmt.Errorf("cli_mt: %w", err)
		}
		w.Close()

		var (
			mu   sync.Mutex
			out  strings.Builder
			seen = make(chan struct{})
			eof  = make(chan struct{})
		)
		go func() {
			defer close(eof)
			sc := bufio.NewScanner(r)
			once := sync.Once{}
			for sc.Scan() {
				mu.Lock()
				out.WriteString(sc.Text() + "\n")
				mu.Unlock()
				if strings.HasPrefix(sc.Text(), cliMtEndOut) {
					once.Do(func() { close(seen) })
				}
			}
		}()
		output := func() string { mu.Lock(); defer mu.Unlock(); return out.String() }

		_, werr := stdin.Write(script)
		select {
		case <-seen:
		case <-ctx.Done():
		}
		stdin.Close() // cli_mt says bye and closes its session
		<-eof
		err = cmd.Wait()
		switch {
		case werr != nil:
			return output(), fmt.Errorf("cli_mt: write script: %w", werr)
		case ctx.Err() != nil:
			return output(), fmt.Errorf("cli_mt: no answer to %q: %w", cliMtEnd, ctx.Err())
		case err != nil:
			return output(), fmt.Errorf("cli_mt: %w", err)
		}
		return output(), nil
	}
}

// runTimeout bounds one client run. The kazoo scenario, the longest, takes
// about 6s against Apache (it waits for container and TTL reaping and a
// session expiry); three hung clients must still fit in the test binary's
// -timeout.
const runTimeout = 90 * time.Second

// runClient runs c against addr within runTimeout.
func runClient(c Client, addr string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	out, err := c.Run(ctx, addr)
	if errors.Is(ctx.Err(), context.DeadlineExceeded) && err == nil {
		err = fmt.Errorf("%s: timed out after %v", c.Name, runTimeout)
	}
	return out, err
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
