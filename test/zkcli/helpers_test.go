package zkcli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// zkCliSh is Debian's zkCli.sh, the reference.
const zkCliSh = "/usr/share/zookeeper/bin/zkCli.sh"

// commandWait bounds one one-shot command of either tool.
const commandWait = 30 * time.Second

// zkcliBuild builds cmd/zkcli once per test binary.
var zkcliBuild struct {
	once sync.Once
	path string
	err  error
}

// zkcliBinary returns the path of a freshly built zkcli.
func zkcliBinary(t *testing.T) string {
	t.Helper()
	zkcliBuild.once.Do(func() {
		dir, err := os.MkdirTemp("", "zkcli-test-")
		if err != nil {
			zkcliBuild.err = err
			return
		}
		bin := filepath.Join(dir, "zkcli")
		out, err := exec.Command("go", "build", "-o", bin, "zkd/cmd/zkcli").CombinedOutput()
		if err != nil {
			zkcliBuild.err = fmt.Errorf("go build zkd/cmd/zkcli: %w\n%s", err, out)
			return
		}
		zkcliBuild.path = bin
	})
	if zkcliBuild.err != nil {
		t.Fatal(zkcliBuild.err)
	}
	return zkcliBuild.path
}

// result is what one one-shot run printed (stdout and stderr interleaved as
// a terminal would show them) and its exit status.
type result struct {
	out  string
	code int
}

// runCmd runs name args with a bounded wait.
func runCmd(t *testing.T, env []string, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), commandWait)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %s: timed out after %v", name, strings.Join(args, " "), commandWait)
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return result{out: buf.String(), code: code}
}

// runZkcli runs `zkcli -server addr cmd...`.
func runZkcli(t *testing.T, addr string, cmd ...string) result {
	t.Helper()
	return runCmd(t, nil, zkcliBinary(t), append([]string{"-server", addr}, cmd...)...)
}

// runZkCliSh runs `zkCli.sh -server addr cmd...` with a JVM tuned to start
// fast.
func runZkCliSh(t *testing.T, addr string, cmd ...string) result {
	t.Helper()
	env := []string{"CLIENT_JVMFLAGS=-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"}
	return runCmd(t, env, zkCliSh, append([]string{"-server", addr}, cmd...)...)
}

// noise are the lines zkCli.sh prints that are not the command's output:
// JVM and logger chatter, the connection banner and its connect event.
var noise = []*regexp.Regexp{
	regexp.MustCompile(`^SLF4J: `),
	regexp.MustCompile(`^log4j:`),
	regexp.MustCompile(`^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d`),
	regexp.MustCompile(`^Connecting to `),
	regexp.MustCompile(`^WATCHER::$`),
	regexp.MustCompile(`^WatchedEvent state:SyncConnected type:None path:null$`),
	regexp.MustCompile(`^$`),
}

// masks replace what differs between two runs of the same command: zxids,
// times and session ids.
var masks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`(?m)^(cZxid|mZxid|pZxid|ephemeralOwner) = 0x[0-9a-f]+$`), "$1 = 0xMASK"},
	{regexp.MustCompile(`(?m)^(ctime|mtime) = .*$`), "$1 = MASK"},
}

// normalize drops noise lines and masks volatile values; prefix (the
// per-tool subtree) becomes "{P}" so both tools' outputs can be compared.
func normalize(out, prefix string) string {
	var keep []string
	for _, line := range strings.Split(out, "\n") {
		drop := false
		for _, re := range noise {
			if re.MatchString(line) {
				drop = true
				break
			}
		}
		if !drop {
			keep = append(keep, line)
		}
	}
	s := strings.Join(keep, "\n")
	for _, m := range masks {
		s = m.re.ReplaceAllString(s, m.with)
	}
	if prefix == "" {
		return s
	}
	return strings.ReplaceAll(s, prefix, "{P}")
}

// needZkCliSh skips when the reference client cannot run here.
func needZkCliSh(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(zkCliSh); err != nil {
		t.Skipf("no %s (apt-get install -y zookeeper): %v", zkCliSh, err)
	}
	if _, err := exec.LookPath("java"); err != nil {
		t.Skipf("no java: %v", err)
	}
}
