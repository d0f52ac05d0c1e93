package exporter

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"zkd/internal/ztest"
)

// repoRoot is the module root, found from this package's directory.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Clean(filepath.Join(dir, "..", ".."))
}

// requireTool fails the test when a program the test needs is missing.
func requireTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: install Debian's prometheus package (apt-get install -y prometheus; scripts/deps.sh should): %v", name, err)
	}
	return p
}

// requireServers fails (instead of ztest's skip) when zkd or Apache
// ZooKeeper cannot run here.
func requireServers(t testing.TB) {
	t.Helper()
	for _, kind := range []string{ztest.KindZkd, ztest.KindApache} {
		if err := ztest.Available(kind); err != nil {
			t.Fatalf("%s cannot run here: %v", kind, err)
		}
	}
}

// exporterBin builds cmd/zk-exporter once per test binary.
var exporterBin struct {
	once sync.Once
	path string
	err  error
}

func buildExporter(t testing.TB) string {
	t.Helper()
	exporterBin.once.Do(func() {
		dir, err := os.MkdirTemp("", "zk-exporter-test-")
		if err != nil {
			exporterBin.err = err
			return
		}
		exporterBin.path = filepath.Join(dir, "zk-exporter")
		cmd := exec.Command("go", "build", "-o", exporterBin.path, "zkd/cmd/zk-exporter")
		cmd.Dir = repoRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			exporterBin.err = fmt.Errorf("go build zk-exporter: %w\n%s", err, out)
		}
	})
	if exporterBin.err != nil {
		t.Fatal(exporterBin.err)
	}
	return exporterBin.path
}

func TestMain(m *testing.M) {
	code := m.Run()
	if exporterBin.path != "" {
		os.RemoveAll(filepath.Dir(exporterBin.path))
	}
	os.Exit(code)
}

// process is a program a test started; only its own PID is ever signalled.
type process struct {
	cmd  *exec.Cmd
	done chan struct{}
	log  *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startProcess runs bin with args, its output kept for the failure
// message, and stops it when the test ends.
func startProcess(t testing.TB, bin string, args ...string) *process {
	t.Helper()
	p := &process{cmd: exec.Command(bin, args...), done: make(chan struct{}), log: &lockedBuffer{}}
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("output of %s:\n%s", filepath.Base(bin), tail(p.log.String(), 60))
		}
	})
	return p
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

var listeningRe = regexp.MustCompile(`msg="Listening on" address=(\S+)`)

// startExporter runs zk-exporter on a free loopback port and returns its
// address, read from its "Listening on" log line.
func startExporter(t testing.TB, args ...string) (*process, string) {
	t.Helper()
	p := startProcess(t, buildExporter(t), append([]string{"--web.listen-address=127.0.0.1:0"}, args...)...)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := listeningRe.FindStringSubmatch(p.log.String()); m != nil {
			return p, m[1]
		}
		select {
		case <-p.done:
			t.Fatalf("zk-exporter exited: %s", p.log.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("zk-exporter did not log its address within 30s: %s", p.log.String())
	return nil, ""
}

// get fetches url and returns the status and body.
func get(t testing.TB, client *http.Client, url string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, string(b)
}

// freePort asks the kernel for a free loopback port (released before use;
// on loopback in a test that race is rare).
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// metricLine finds the value of the exposition line that starts with
// prefix (name and labels) in text.
func metricLine(text, prefix string) (string, bool) {
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), prefix+" "); ok {
			return v, true
		}
	}
	return "", false
}

// goroutineTB lets ztest start servers from several goroutines at once:
// Fatal and Skip end only the calling goroutine and are reported by wait.
type goroutineTB struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (g *goroutineTB) fail(msg string) {
	g.mu.Lock()
	g.errs = append(g.errs, msg)
	g.mu.Unlock()
	runtime.Goexit()
}

func (g *goroutineTB) Fatal(args ...any)                 { g.fail(fmt.Sprint(args...)) }
func (g *goroutineTB) Fatalf(format string, args ...any) { g.fail(fmt.Sprintf(format, args...)) }
func (g *goroutineTB) FailNow()                          { g.fail("FailNow") }
func (g *goroutineTB) Skip(args ...any)                  { g.fail("skip: " + fmt.Sprint(args...)) }
func (g *goroutineTB) Skipf(format string, args ...any) {
	g.fail("skip: " + fmt.Sprintf(format, args...))
}
func (g *goroutineTB) SkipNow() { g.fail("SkipNow") }

func (g *goroutineTB) err() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.errs) == 0 {
		return nil
	}
	return errors.New(strings.Join(g.errs, "\n"))
}
