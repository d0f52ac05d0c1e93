package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// startServer runs an in-process standalone server on a free loopback port.
func startServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	if cfg.ClientAddr == "" {
		cfg.ClientAddr = "127.0.0.1:0"
	}
	if cfg.TickTime == 0 {
		cfg.TickTime = 200 * time.Millisecond
	}
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
		cfg.DataLogDir = cfg.DataDir
	}
	if cfg.FourLetterWords == nil {
		cfg.FourLetterWords = map[string]bool{"*": true}
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	s, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := s.Start(ctx); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, c2 := context.WithTimeout(context.Background(), 5*time.Second)
		defer c2()
		s.Shutdown(sctx)
		cancel()
	})
	return s
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func connect(t *testing.T, s *Server) *zk.Conn {
	t.Helper()
	c, ev, err := zk.Connect([]string{s.Addr().String()}, 4*time.Second, zk.WithLogger(quiet{}))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.After(5 * time.Second)
	for {
		select {
		case e := <-ev:
			if e.State == zk.StateHasSession {
				t.Cleanup(c.Close)
				go func() {
					for range ev {
					}
				}()
				return c
			}
		case <-deadline:
			t.Fatal("no session within 5s")
		}
	}
}

type quiet struct{}

func (quiet) Printf(string, ...interface{}) {}

func TestCRUD(t *testing.T) {
	s := startServer(t, Config{})
	c := connect(t, s)
	kids, _, err := c.Children("/")
	if err != nil || len(kids) != 1 || kids[0] != "zookeeper" {
		t.Fatalf("children of / = %v, %v; want [zookeeper]", kids, err)
	}
	p, err := c.Create("/a", []byte("x"), 0, zk.WorldACL(zk.PermAll))
	if err != nil || p != "/a" {
		t.Fatalf("create = %q, %v", p, err)
	}
	if _, err := c.Create("/a", nil, 0, zk.WorldACL(zk.PermAll)); !errors.Is(err, zk.ErrNodeExists) {
		t.Fatalf("second create err = %v, want node exists", err)
	}
	data, st, err := c.Get("/a")
	if err != nil || string(data) != "x" || st.Version != 0 || st.DataLength != 1 {
		t.Fatalf("get = %q %+v %v", data, st, err)
	}
	if _, err := c.Set("/a", []byte("yy"), 5); !errors.Is(err, zk.ErrBadVersion) {
		t.Fatalf("set with bad version err = %v", err)
	}
	st2, err := c.Set("/a", []byte("yy"), 0)
	if err != nil || st2.Version != 1 || st2.Mzxid <= st.Mzxid || st2.Czxid != st.Czxid {
		t.Fatalf("set = %+v %v", st2, err)
	}
	seq, err := c.Create("/a/s-", nil, zk.FlagSequence, zk.WorldACL(zk.PermAll))
	if err != nil || seq != "/a/s-0000000000" {
		t.Fatalf("sequential create = %q %v", seq, err)
	}
	if err := c.Delete("/a", -1); !errors.Is(err, zk.ErrNotEmpty) {
		t.Fatalf("delete non-empty err = %v", err)
	}
	ok, _, err := c.Exists("/nope")
	if ok || err != nil {
		t.Fatalf("exists /nope = %v %v", ok, err)
	}
}

func TestWatchBeforeResponse(t *testing.T) {
	s := startServer(t, Config{})
	c := connect(t, s)
	_, _, ch, err := c.ExistsW("/w")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Create("/w", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-ch:
		if ev.Type != zk.EventNodeCreated || ev.Path != "/w" {
			t.Fatalf("event = %+v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no watch event")
	}
}

func TestMultiFailsAtomically(t *testing.T) {
	s := startServer(t, Config{})
	c := connect(t, s)
	_, err := c.Multi(
		&zk.CreateRequest{Path: "/m1", Acl: zk.WorldACL(zk.PermAll)},
		&zk.SetDataRequest{Path: "/missing", Version: -1},
		&zk.CreateRequest{Path: "/m2", Acl: zk.WorldACL(zk.PermAll)},
	)
	if !errors.Is(err, zk.ErrNoNode) {
		t.Fatalf("multi err = %v, want no node", err)
	}
	if ok, _, _ := c.Exists("/m1"); ok {
		t.Fatal("/m1 exists after a failed multi")
	}
}

func TestEphemeralGoesWithSession(t *testing.T) {
	s := startServer(t, Config{})
	c1 := connect(t, s)
	c2 := connect(t, s)
	if _, err := c1.Create("/e", nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	_, _, ch, err := c2.ExistsW("/e")
	if err != nil {
		t.Fatal(err)
	}
	c1.Close()
	select {
	case ev := <-ch:
		if ev.Type != zk.EventNodeDeleted {
			t.Fatalf("event = %+v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ephemeral not removed on close")
	}
}

func TestFourLetterWords(t *testing.T) {
	s := startServer(t, Config{})
	for word, want := range map[string]string{
		"ruok": "imok", "srvr": "Mode: standalone", "mntr": "zk_server_state\tstandalone", "isro": "rw",
	} {
		nc, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		nc.Write([]byte(word))
		nc.SetReadDeadline(time.Now().Add(3 * time.Second))
		out, _ := io.ReadAll(nc)
		nc.Close()
		if !strings.Contains(string(out), want) {
			t.Errorf("%s = %q, want it to contain %q", word, out, want)
		}
	}
}
