package ztest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

func TestOptionsEntries(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want []string
	}{
		{"defaults", Options{}, []string{
			"tickTime=2000", "dataDir=/d", "clientPort=7", "clientPortAddress=127.0.0.1",
			"4lw.commands.whitelist=*", "admin.enableServer=false"}},
		{"extra sorted and overriding", Options{TickTime: 200, Whitelist: "srvr", Extra: map[string]string{
			"minSessionTimeout": "100", "admin.enableServer": "true", "jute.maxbuffer": "10"}}, []string{
			"tickTime=200", "dataDir=/d", "clientPort=7", "clientPortAddress=127.0.0.1",
			"4lw.commands.whitelist=srvr", "admin.enableServer=true", "jute.maxbuffer=10", "minSessionTimeout=100"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, e := range tc.o.entries("/d", 7) {
				got = append(got, e.key+"="+e.value)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestSystemProperties(t *testing.T) {
	got := systemProperties(map[string]string{
		"zookeeper.extendedTypesEnabled": "true", "minSessionTimeout": "1", "jute.maxbuffer": "9"})
	want := "-Djute.maxbuffer=9 -Dzookeeper.extendedTypesEnabled=true"
	if strings.Join(got, " ") != want {
		t.Errorf("systemProperties = %q, want %q", got, want)
	}
}

func TestAvailableUnknownKind(t *testing.T) {
	if err := Available("etcd"); err == nil {
		t.Error("Available(etcd) = nil, want an error")
	}
}

// TestServerLifecycle runs the server of kind ZK_TARGET (or zkd) through
// start, 4lw, a write, restart (the write survives), kill and stop.
func TestServerLifecycle(t *testing.T) {
	s := Start(t, Options{})
	if !strings.HasPrefix(s.Addr, "127.0.0.1:") || s.Port == 0 {
		t.Fatalf("Addr %q Port %d", s.Addr, s.Port)
	}
	cfg, err := os.ReadFile(s.CfgPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"clientPortAddress=127.0.0.1", "dataDir=" + s.DataDir, "admin.enableServer=false"} {
		if !strings.Contains(string(cfg), line+"\n") {
			t.Errorf("zoo.cfg lacks %q:\n%s", line, cfg)
		}
	}
	if out, err := s.FourLetter("ruok"); err != nil || out != "imok" {
		t.Fatalf("ruok = %q, %v; want imok", out, err)
	}

	write := func() {
		c := connect(t, s.Addr)
		defer c.Close()
		if _, err := c.Create("/survivor", []byte("v1"), 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatalf("create: %v", err)
		}
	}
	write()

	s.Restart(t)
	c := connect(t, s.Addr)
	data, _, err := c.Get("/survivor")
	c.Close()
	if err != nil || string(data) != "v1" {
		t.Fatalf("after restart get /survivor = %q, %v; want v1", data, err)
	}

	s.Kill()
	if s.Running() {
		t.Fatal("running after Kill")
	}
	if _, err := s.FourLetter("ruok"); err == nil {
		t.Fatal("ruok answered after Kill")
	}
	if pid := s.Pid(); pid != 0 {
		t.Fatalf("Pid after Kill = %d, want 0", pid)
	}
	s.Restart(t)
	if !s.Running() {
		t.Fatal("not running after Restart")
	}
	// Pid is the server's own process: its working directory is the data
	// directory the server was started in.
	if cwd, err := os.Readlink(fmt.Sprintf("/proc/%d/cwd", s.Pid())); err != nil || cwd != s.DataDir {
		t.Errorf("Pid %d: cwd %q, %v; want the data dir %s", s.Pid(), cwd, err, s.DataDir)
	}
	s.Stop()
	if s.Running() || s.Pid() != 0 {
		t.Fatalf("after Stop: running %v, Pid %d", s.Running(), s.Pid())
	}
	s.Stop() // idempotent
}

// TestWhitelistReadiness starts a server where ruok is not whitelisted:
// readiness falls back to srvr.
func TestWhitelistReadiness(t *testing.T) {
	s := Start(t, Options{Whitelist: "srvr"})
	out, err := s.FourLetter("ruok")
	if err != nil {
		t.Fatal(err)
	}
	if want := "ruok is not executed because it is not in the whitelist."; !strings.Contains(out, want) {
		t.Errorf("ruok = %q, want %q", out, want)
	}
}

// connect opens a go-zookeeper session and waits until it has one.
func connect(t *testing.T, addr string) *zk.Conn {
	t.Helper()
	c, ev, err := zk.Connect([]string{addr}, 10*time.Second, zk.WithLogInfo(false), zk.WithLogger(discard{}))
	if err != nil {
		t.Fatal(err)
	}
	timeout := time.After(15 * time.Second)
	for {
		select {
		case e := <-ev:
			if e.State == zk.StateHasSession {
				go func() {
					for range ev {
					}
				}()
				return c
			}
		case <-timeout:
			c.Close()
			t.Fatalf("no session with %s after 15s", addr)
		}
	}
}

type discard struct{}

func (discard) Printf(string, ...interface{}) {}

func TestBuildInto(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"go.mod":          "module zkd\n\ngo 1.21\n",
		"cmd/zkd/main.go": "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Print(\"fake zkd\") }\n",
	}
	for name, body := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	for i := 0; i < 2; i++ { // a second build replaces the first
		bin, err := buildInto(root, out)
		if err != nil {
			t.Fatal(err)
		}
		got, err := exec.Command(bin).Output()
		if err != nil || string(got) != "fake zkd" {
			t.Fatalf("run %s = %q, %v", bin, got, err)
		}
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 1 {
		t.Errorf("build dir holds %d files, want only zkd", len(entries))
	}

	// A broken build reports the compiler's output.
	os.WriteFile(filepath.Join(root, "cmd/zkd/main.go"), []byte("package main\n\nfunc main() { undefinedThing() }\n"), 0o644)
	if _, err := buildInto(root, out); err == nil || !strings.Contains(err.Error(), "undefinedThing") {
		t.Errorf("broken build: %v", err)
	}
}

func TestLogTail(t *testing.T) {
	dir := t.TempDir()
	s := &Server{logPath: filepath.Join(dir, "server.log")}
	if got := s.LogTail(3); got != "(no log)" {
		t.Errorf("missing log: %q", got)
	}
	os.WriteFile(s.logPath, []byte("a\nb\nc\nd\n"), 0o644)
	if got := s.LogTail(3); got != "b\nc\nd" {
		t.Errorf("LogTail(3) = %q", got)
	}
	if got := s.LogTail(10); got != "a\nb\nc\nd" {
		t.Errorf("LogTail(10) = %q", got)
	}
}
