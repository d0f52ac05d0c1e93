package ztest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Kinds of server.
const (
	KindZkd    = "zkd"
	KindApache = "apache"
)

const (
	// readyTimeout bounds the wait for a fresh server to answer; Apache's JVM
	// takes a few seconds on this machine, more under load.
	readyTimeout = 30 * time.Second
	// stopTimeout bounds the wait after SIGTERM before SIGKILL.
	stopTimeout = 10 * time.Second
	// killTimeout bounds the wait for a SIGKILLed process to be reaped.
	killTimeout = 5 * time.Second
	// logTailLines is how much of the server log a failed test prints.
	logTailLines = 60
)

// Server is one running (or stopped) server process.
type Server struct {
	Kind    string // "zkd" or "apache"
	Addr    string // host:port of the client port: "127.0.0.1:port", or a namespace address (ensembles)
	Port    int
	DataDir string
	CfgPath string

	logPath string
	// command builds the command line for a (re)start; it is fixed at Start.
	command func() (*exec.Cmd, error)
	// netns, when set, is the network namespace the process runs in
	// (through "ip netns exec").
	netns string
	// wantMode makes readiness require a Mode line in srvr: an ensemble
	// member only serves once it leads, follows or observes.
	wantMode bool

	mu     sync.Mutex
	cmd    *exec.Cmd     // the running process, nil when stopped
	done   chan struct{} // closed when cmd has exited and been reaped
	paused bool          // SIGSTOPped by Pause and not yet resumed
}

// Start starts a server of the kind named by ZK_TARGET ("zkd" if unset).
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	switch k := os.Getenv("ZK_TARGET"); k {
	case "", KindZkd:
		return StartZkd(t, o)
	case KindApache:
		return StartApache(t, o)
	default:
		t.Fatalf("ztest: ZK_TARGET=%q: want %q or %q", k, KindZkd, KindApache)
		return nil
	}
}

// StartZkd builds ./cmd/zkd (once per test binary) and starts it.
func StartZkd(t testing.TB, o Options) *Server {
	t.Helper()
	if err := Available(KindZkd); err != nil {
		t.Skipf("ztest: zkd cannot run here: %v", err)
	}
	bin, err := buildZkd()
	if err != nil {
		t.Fatalf("ztest: %v", err)
	}
	return start(t, KindZkd, o, func(s *Server) func() (*exec.Cmd, error) {
		return func() (*exec.Cmd, error) { return exec.Command(bin, s.CfgPath), nil }
	})
}

// StartApache starts Apache ZooKeeper from the Debian jars.
func StartApache(t testing.TB, o Options) *Server {
	t.Helper()
	if err := Available(KindApache); err != nil {
		t.Skipf("ztest: apache cannot run here: %v", err)
	}
	return start(t, KindApache, o, func(s *Server) func() (*exec.Cmd, error) {
		return func() (*exec.Cmd, error) { return apacheCommand(s, o) }
	})
}

// start lays out the data dir, writes zoo.cfg, launches the process and
// waits until it serves. mkCommand gets the Server so the command line can
// refer to its paths.
func start(t testing.TB, kind string, o Options, mkCommand func(*Server) func() (*exec.Cmd, error)) *Server {
	t.Helper()
	dir := t.TempDir()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := writeConfig(dir, o.entries(dir, port))
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{
		Kind:    kind,
		Addr:    "127.0.0.1:" + strconv.Itoa(port),
		Port:    port,
		DataDir: dir,
		CfgPath: cfg,
		logPath: dir + "/server.log",
	}
	s.command = mkCommand(s)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("ztest: last lines of %s server log %s:\n%s", s.Kind, s.logPath, s.LogTail(logTailLines))
		}
		s.Stop()
	})
	if err := s.launch(); err != nil {
		t.Fatalf("ztest: start %s: %v", kind, err)
	}
	if err := s.waitReady(readyTimeout); err != nil {
		t.Fatalf("ztest: %s server on %s: %v", kind, s.Addr, err)
	}
	return s
}

// launch starts the process with output appended to the log file and a
// goroutine that reaps it.
func (s *Server) launch() error {
	cmd, err := s.command()
	if err != nil {
		return err
	}
	if s.netns != "" {
		cmd = inNetNS(s.netns, cmd)
	}
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open log: %w", err)
	}
	fmt.Fprintf(logf, "=== ztest: %s\n", strings.Join(cmd.Args, " "))
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.Dir = s.DataDir
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("exec %s: %w", cmd.Path, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(done)
	}()
	s.mu.Lock()
	s.cmd, s.done, s.paused = cmd, done, false
	s.mu.Unlock()
	return nil
}

// inNetNS returns cmd run inside the network namespace ns by
// "ip netns exec", which execs the program in place: the PID started is the
// server's own, so signals reach it directly.
func inNetNS(ns string, cmd *exec.Cmd) *exec.Cmd {
	args := append([]string{"netns", "exec", ns, cmd.Path}, cmd.Args[1:]...)
	w := exec.Command("ip", args...)
	w.Env = cmd.Env
	return w
}

// waitReady polls the server until it answers, the process exits, or the
// timeout passes.
func (s *Server) waitReady(timeout time.Duration) error {
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("process exited before serving; log tail:\n%s", s.LogTail(logTailLines))
		default:
		}
		if last = s.ready(); last == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("not serving after %v (Apache's JVM start is slow, but not this slow): %v; log tail:\n%s",
		timeout, last, s.LogTail(logTailLines))
}

// ready asks ruok and srvr. Apache answers ruok with imok as soon as it
// listens, before it serves sessions (it closes them with "ZooKeeperServer
// not running"); srvr says "not currently serving requests" until it does.
// A word missing from the whitelist is answered with a refusal: then the
// other word decides.
func (s *Server) ready() error {
	ruok, err := s.FourLetter("ruok")
	if err != nil {
		return err
	}
	ruokOK := ruok == "imok"
	if !ruokOK && !notWhitelisted(ruok) {
		return fmt.Errorf("ruok answered %q", ruok)
	}
	srvr, err := s.FourLetter("srvr")
	if err != nil {
		return err
	}
	switch {
	case strings.Contains(srvr, "Zookeeper version:") && s.wantMode:
		if _, err := parseMode(srvr); err != nil {
			return err
		}
		return nil
	case strings.Contains(srvr, "Zookeeper version:"):
		return nil
	case notWhitelisted(srvr) && ruokOK:
		return nil
	default:
		return fmt.Errorf("srvr answered %q", srvr)
	}
}

func notWhitelisted(answer string) bool {
	return strings.Contains(answer, "is not executed because it is not in the whitelist")
}

// Stop sends SIGTERM, waits (bounded) for the process to exit, then SIGKILLs
// it. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.signalAndWait(syscall.SIGTERM, stopTimeout)
}

// Kill sends SIGKILL and waits for the process to be reaped.
func (s *Server) Kill() {
	s.signalAndWait(syscall.SIGKILL, killTimeout)
}

func (s *Server) signalAndWait(sig syscall.Signal, timeout time.Duration) {
	s.mu.Lock()
	cmd, done, paused := s.cmd, s.done, s.paused
	s.cmd, s.paused = nil, false
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	if paused {
		// A stopped process acts on SIGTERM only once it runs again
		// (SIGKILL needs no help, and SIGCONT after it is harmless).
		_ = cmd.Process.Signal(syscall.SIGCONT)
	}
	select {
	case <-done:
		return
	case <-time.After(timeout):
	}
	if sig != syscall.SIGKILL {
		_ = cmd.Process.Kill()
		select {
		case <-done:
		case <-time.After(killTimeout):
		}
	}
}

// Pause stops the process with SIGSTOP: it keeps its sockets but neither
// reads nor answers, like a machine in a long GC pause or a hung VM. It
// returns once every thread has stopped (on Linux). Stop, Kill and the
// test's cleanup resume it as needed. Pausing a stopped or paused server
// does nothing.
func (s *Server) Pause() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil || s.paused {
		return nil
	}
	if err := s.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		return fmt.Errorf("ztest: pause %s server: %w", s.Kind, err)
	}
	s.paused = true
	if err := waitStopped(s.cmd.Process.Pid, pauseWait); err != nil {
		return fmt.Errorf("ztest: pause %s server: %w", s.Kind, err)
	}
	return nil
}

// pauseWait bounds the wait for a paused process's threads to stop.
const pauseWait = 5 * time.Second

// Resume continues a paused process with SIGCONT.
func (s *Server) Resume() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil || !s.paused {
		return nil
	}
	if err := s.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		return fmt.Errorf("ztest: resume %s server: %w", s.Kind, err)
	}
	s.paused = false
	return nil
}

// Paused reports whether the server is paused.
func (s *Server) Paused() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.paused
}

// Running reports whether the process started last is still alive.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runningLocked()
}

// Pid is the process id of the process started last while it runs, else 0.
func (s *Server) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.runningLocked() {
		return 0
	}
	return s.cmd.Process.Pid
}

// runningLocked is Running with s.mu held (Stop may clear s.cmd between
// two lockings).
func (s *Server) runningLocked() bool {
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// Restart stops the server if it runs and starts it again on the same port
// with the same zoo.cfg and data dir, then waits until it serves.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	if err := s.launch(); err != nil {
		t.Fatalf("ztest: restart %s: %v", s.Kind, err)
	}
	if err := s.waitReady(readyTimeout); err != nil {
		t.Fatalf("ztest: restarted %s server on %s: %v", s.Kind, s.Addr, err)
	}
}

// LogPath is the file the server's stdout and stderr go to.
func (s *Server) LogPath() string { return s.logPath }

// LogTail returns the last n lines of the server log (or why it cannot).
func (s *Server) LogTail(n int) string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "(no log)"
		}
		return fmt.Sprintf("(read log: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
