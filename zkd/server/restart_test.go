package server

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"zkd/zkd/proto"
	"zkd/zkd/quorum"
)

// restartable runs a server whose data outlives it, for restart tests.
type restartable struct {
	t   *testing.T
	cfg Config
	s   *Server
}

func (r *restartable) start() *Server {
	r.t.Helper()
	r.s = startServer(r.t, r.cfg)
	r.cfg.ClientAddr = r.s.Addr().String() // come back on the same port
	return r.s
}

func (r *restartable) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r.s.Shutdown(ctx)
}

// TestRestartKeepsEverything writes through snapshots and log segments,
// restarts, and checks the tree, the versions, sessions and ephemerals.
func TestRestartKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	r := &restartable{t: t, cfg: Config{DataDir: filepath.Join(dir, "data"), DataLogDir: filepath.Join(dir, "log"), SnapCount: 40, PreAllocSize: 64 << 10}}
	s := r.start()
	c := connect(t, s)
	for i := 0; i < 150; i++ {
		p := fmt.Sprintf("/n%03d", i)
		if _, err := c.Create(p, []byte("v0"), 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatal(err)
		}
		if i%3 == 0 {
			if _, err := c.Set(p, []byte("v1"), 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	seq, err := c.Create("/q-", nil, zk.FlagSequence, zk.WorldACL(zk.PermAll))
	if err != nil {
		t.Fatal(err)
	}
	nc := rawHandshake(t, s)
	rawRequest(t, nc, 1, proto.OpCreate, &proto.CreateRequest{Path: "/eph", ACL: proto.OpenACLUnsafe(), Flags: proto.ModeEphemeral})
	sid, passwd := sessionOf(t, s, "/eph")
	nc.Close()
	_, before, _ := c.Get("/n003")
	c.Close()

	snaps, _ := filepath.Glob(filepath.Join(quorum.SnapDir(r.cfg.DataDir), "snapshot.*"))
	if len(snaps) == 0 {
		t.Fatal("no snapshot written after 200+ txns with snapCount 40")
	}
	r.stop()

	s = r.start()
	c = connect(t, s)
	for i := 0; i < 150; i++ {
		p := fmt.Sprintf("/n%03d", i)
		data, st, err := c.Get(p)
		want, wantVer := "v0", int32(0)
		if i%3 == 0 {
			want, wantVer = "v1", 1
		}
		if err != nil || string(data) != want || st.Version != wantVer {
			t.Fatalf("after restart %s = %q v%d (%v), want %q v%d", p, data, st.Version, err, want, wantVer)
		}
	}
	if _, after, _ := c.Get("/n003"); *after != *before {
		t.Fatalf("stat changed across restart: %+v -> %+v", *before, *after)
	}
	next, err := c.Create("/q-", nil, zk.FlagSequence, zk.WorldACL(zk.PermAll))
	if err != nil || next <= seq {
		t.Fatalf("sequence after restart %q (before %q), %v", next, seq, err)
	}
	// The session survived the restart: its ephemeral is there and the
	// client can resume it with its password.
	if ok, _, _ := c.Exists("/eph"); !ok {
		t.Fatal("ephemeral lost across restart")
	}
	if ok, err := s.resumeSession(context.Background(), sid, passwd, 4000); !ok || err != nil {
		t.Fatalf("session not resumable after restart: %v", err)
	}
}

// sessionOf finds the session owning an ephemeral, with its password.
func sessionOf(t *testing.T, s *Server, path string) (int64, []byte) {
	t.Helper()
	s.db.mu.RLock()
	defer s.db.mu.RUnlock()
	n := s.db.tree.Get(path)
	if n == nil {
		t.Fatalf("%s missing", path)
	}
	sess := s.db.tree.Session(n.EphemeralOwner())
	return sess.ID, append([]byte(nil), sess.Passwd...)
}

// TestRefusesCorruptLog flips a bit in the middle of the log and expects
// a start-up error naming the file and offset.
func TestRefusesCorruptLog(t *testing.T) {
	dir := t.TempDir()
	r := &restartable{t: t, cfg: Config{DataDir: dir, DataLogDir: dir, SnapCount: 1 << 20}}
	s := r.start()
	c := connect(t, s)
	for i := 0; i < 50; i++ {
		if _, err := c.Create(fmt.Sprintf("/c%02d", i), make([]byte, 100), 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	r.stop()
	segs, _ := filepath.Glob(filepath.Join(quorum.WALDir(dir), "*.wal"))
	if len(segs) == 0 {
		t.Fatal("no WAL segment")
	}
	b, err := os.ReadFile(segs[0])
	if err != nil {
		t.Fatal(err)
	}
	b[2000] ^= 0x10 // inside an early record, with valid records after it
	if err := os.WriteFile(segs[0], b, 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := New(r.cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = srv.Start(context.Background())
	if err == nil {
		srv.Shutdown(context.Background())
		t.Fatal("started on a corrupt log")
	}
	if want := filepath.Base(segs[0]); !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "offset") {
		t.Fatalf("error %q does not name %s and an offset", err, want)
	}
}
