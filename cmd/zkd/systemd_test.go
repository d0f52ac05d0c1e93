package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"zkd/internal/ztest"
)

// notifySocket listens where $NOTIFY_SOCKET points, as systemd does, and
// delivers each datagram on the returned channel.
func notifySocket(t *testing.T) (string, <-chan string) {
	t.Helper()
	// A short path: unix socket names are limited to about 108 bytes.
	dir, err := os.MkdirTemp("", "sdn")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	path := filepath.Join(dir, "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ch := make(chan string, 1024)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				close(ch)
				return
			}
			ch <- string(buf[:n])
		}
	}()
	return path, ch
}

// next returns the next message within d, or fails the test.
func next(t *testing.T, ch <-chan string, d time.Duration, what string) string {
	t.Helper()
	select {
	case m, ok := <-ch:
		if !ok {
			t.Fatalf("notify socket closed waiting for %s", what)
		}
		return m
	case <-time.After(d):
		t.Fatalf("no sd_notify message within %v waiting for %s", d, what)
	}
	return ""
}

// buildZkd builds this command into a temporary directory.
func buildZkd(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "zkd")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("cannot build zkd: %v\n%s", err, out)
	}
	return bin
}

// TestSystemdNotify runs the real binary under a fake systemd: loading,
// then READY=1 only once the client port answers, watchdog pings while it
// serves, STOPPING=1 on SIGTERM and a clean exit soon after.
func TestSystemdNotify(t *testing.T) {
	bin := buildZkd(t)
	sock, msgs := notifySocket(t)
	port := freeLoopbackPort(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "zoo.cfg")
	text := fmt.Sprintf("tickTime=200\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\n4lw.commands.whitelist=ruok,srvr\nadmin.enableServer=false\n", dir, port)
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, cfg)
	cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+sock, "WATCHDOG_USEC=400000")
	logf, err := os.Create(filepath.Join(dir, "zkd.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill() //nolint:errcheck
			<-exited
		}
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("zkd log:\n%s", b)
		}
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)

	if m := next(t, msgs, 30*time.Second, "loading"); !strings.HasPrefix(m, "STATUS=loading") {
		t.Fatalf("first message %q, want STATUS=loading…", m)
	}
	m := next(t, msgs, 30*time.Second, "READY=1")
	if !strings.Contains(m, "READY=1") {
		t.Fatalf("second message %q, want READY=1", m)
	}
	// READY means clients can be served now, not eventually.
	if got, err := ztest.FourLetter(addr, "ruok"); err != nil || got != "imok" {
		t.Fatalf("ruok right after READY: %q, %v", got, err)
	}
	if want := "STATUS=standalone; clients on " + addr + "; zxid 0x"; !strings.Contains(m, want) {
		t.Errorf("READY message %q lacks %q", m, want)
	}
	// Watchdog pings at half of WATCHDOG_USEC (200ms): several in 2 s.
	pings := 0
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) && pings < 4 {
		if m := next(t, msgs, 2*time.Second, "WATCHDOG=1"); strings.Contains(m, "WATCHDOG=1") {
			pings++
		}
	}
	if pings < 4 {
		t.Fatalf("%d watchdog pings in 2s, want at least 4", pings)
	}

	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for {
		m := next(t, msgs, 10*time.Second, "STOPPING=1")
		if strings.Contains(m, "STOPPING=1") {
			break
		}
		if !strings.Contains(m, "WATCHDOG=1") {
			t.Fatalf("unexpected message %q before STOPPING=1", m)
		}
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("zkd exited with %v after SIGTERM, want 0", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("zkd did not stop within 15s of SIGTERM")
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("graceful stop took %v", d)
	}
}

// fakeServer is a server whose request path can be wedged.
type fakeServer struct{ wedged atomic.Bool }

func (f *fakeServer) Healthy(ctx context.Context) error {
	if f.wedged.Load() {
		<-ctx.Done() // a wedged loop never answers the sync
		return fmt.Errorf("sync: %w", ctx.Err())
	}
	return nil
}
func (f *fakeServer) Addr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 2181}
}
func (f *fakeServer) Mode() string    { return "standalone" }
func (f *fakeServer) LastZxid() int64 { return 0x10 }
func (f *fakeServer) Status() string {
	return fmt.Sprintf("standalone; clients on %s; zxid 0x%x", f.Addr(), f.LastZxid())
}

// TestWatchdogStopsWhenWedged: pings while healthy, none while the request
// path is wedged, pings again once it recovers.
func TestWatchdogStopsWhenWedged(t *testing.T) {
	sock, msgs := notifySocket(t)
	t.Setenv("NOTIFY_SOCKET", sock)
	t.Setenv("WATCHDOG_USEC", "100000") // ping every 50ms
	f := &fakeServer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		systemd{log: slog.New(slog.NewTextHandler(io.Discard, nil))}.watchdog(ctx, f)
	}()
	defer func() { cancel(); <-done }()

	count := func(d time.Duration) (pings int, other []string) {
		end := time.After(d)
		for {
			select {
			case m := <-msgs:
				if strings.Contains(m, "WATCHDOG=1") {
					pings++
				} else {
					other = append(other, m)
				}
			case <-end:
				return pings, other
			}
		}
	}
	if p, _ := count(500 * time.Millisecond); p < 4 {
		t.Fatalf("%d pings in 500ms while healthy, want ≥4", p)
	}
	f.wedged.Store(true)
	count(150 * time.Millisecond) // let a ping already under way land
	p, other := count(600 * time.Millisecond)
	if p != 0 {
		t.Errorf("%d pings while wedged, want 0", p)
	}
	if len(other) == 0 || !strings.HasPrefix(other[0], "STATUS=unhealthy") {
		t.Errorf("no unhealthy STATUS while wedged: %q", other)
	}
	f.wedged.Store(false)
	if p, _ := count(500 * time.Millisecond); p < 2 {
		t.Errorf("%d pings after recovery, want ≥2", p)
	}
}

// TestSystemdProgress checks the message sent while a long load runs: a
// readable STATUS with the percentage, and more start time for systemd.
func TestSystemdProgress(t *testing.T) {
	sock, msgs := notifySocket(t)
	t.Setenv("NOTIFY_SOCKET", sock)
	systemd{log: slog.New(slog.NewTextHandler(io.Discard, nil))}.progress("loading snapshot", 50, 200)
	m := next(t, msgs, 5*time.Second, "progress")
	want := "STATUS=loading snapshot 25% (50 of 200)\nEXTEND_TIMEOUT_USEC=30000000"
	if m != want {
		t.Fatalf("progress message %q, want %q", m, want)
	}
}
