package server

import (
	"bytes"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"zkd/internal/zwire"
	"zkd/zkd/proto"
)

// setDataWire sends a setData on w and returns the reply's error code, or
// the read error when the server closes the connection instead.
func setDataWire(t *testing.T, w *zwire.Conn, path string, data []byte) (proto.ErrCode, error) {
	t.Helper()
	xid, err := w.Send(proto.OpSetData, &proto.SetDataRequest{Path: path, Data: data, Version: -1}, 5*time.Second)
	if err != nil {
		return 0, err
	}
	hdr, _, err := w.Recv(5 * time.Second)
	if err != nil {
		return 0, err
	}
	if hdr.Xid != xid {
		t.Fatalf("setData reply for xid %d, want %d", hdr.Xid, xid)
	}
	return hdr.Err, nil
}

// dialWire opens (id 0) or resumes a session on addr, frame by frame.
func dialWire(t *testing.T, addr string, id int64, passwd []byte) *zwire.Conn {
	t.Helper()
	w, err := zwire.Dial(addr, 6000, id, passwd, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

// waitServing waits until every member knows the leader and takes clients.
func waitServing(t *testing.T, ss []*Server) {
	t.Helper()
	waitFor(t, 10*time.Second, "every member serving", func() bool {
		for _, s := range ss {
			if !s.serves() {
				return false
			}
		}
		return leaderOf(ss) != nil
	})
}

// TestEnsembleWriteFromConnectionOfMovedSession: a client whose session
// moved to another member must never have a write of its old connection
// applied after the writes it made since: ZooKeeper keeps each session's
// writes in order, and its leader refuses a moved session's requests
// that come through the member it left (SessionMovedException; the
// connection is closed). A frozen member that wakes up with the client's
// old request still in its socket buffer is the way this happens; here
// the old connection is simply used again.
func TestEnsembleWriteFromConnectionOfMovedSession(t *testing.T) {
	cfgs := ensembleConfigs(t, 3, nil, nil)
	ss := startMembers(t, cfgs)
	waitServing(t, ss)
	setup := connect(t, ss[0])
	if _, err := setup.Create("/moved", []byte("initial"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ from, to int }{{0, 1}, {1, 2}, {2, 0}} {
		left, joined := ss[tc.from], ss[tc.to]
		old := dialWire(t, left.Addr().String(), 0, nil)
		moved := dialWire(t, joined.Addr().String(), old.SessionID, old.Passwd)
		want := []byte("written after the move")
		if code, err := setDataWire(t, moved, "/moved", want); err != nil || code != proto.ErrOK {
			t.Fatalf("setData on member %d after the move: %v, %v", joined.cfg.ServerID, code, err)
		}
		code, err := setDataWire(t, old, "/moved", []byte("written through the connection left behind"))
		if err == nil && code == proto.ErrOK {
			t.Errorf("member %d applied a write of session %#x, which had moved to member %d",
				left.cfg.ServerID, old.SessionID, joined.cfg.ServerID)
		}
		// Every member, once caught up, holds the moved client's write.
		var last int64
		for _, s := range ss {
			last = max(last, s.lastZxid())
		}
		for _, s := range ss {
			waitFor(t, 5*time.Second, "catching up", func() bool { return s.lastZxid() >= last })
			s.db.mu.RLock()
			var got []byte
			if n := s.db.tree.Get("/moved"); n != nil {
				got = n.Data()
			}
			s.db.mu.RUnlock()
			if !bytes.Equal(got, want) {
				t.Errorf("member %d: /moved holds %q after the move from %d to %d, want %q",
					s.cfg.ServerID, got, left.cfg.ServerID, joined.cfg.ServerID, want)
			}
		}
	}
}

// TestEnsembleResumeOnMemberBehind: a client that opens a session on one
// member and resumes it at once on another may reach a member that has
// not applied the createSession yet (the commit reaches followers a
// little later). That member must not answer "expired", which a client
// takes as final; it asks the log, as ZooKeeper's followers ask the
// leader. A session that does not exist, or a wrong password, is still
// refused.
func TestEnsembleResumeOnMemberBehind(t *testing.T) {
	cfgs := ensembleConfigs(t, 3, nil, nil)
	ss := startMembers(t, cfgs)
	waitServing(t, ss)
	for i := range 30 {
		from, to := ss[i%3], ss[(i+1+i/3%2)%3]
		w := dialWire(t, from.Addr().String(), 0, nil)
		resumed, err := zwire.Dial(to.Addr().String(), 6000, w.SessionID, w.Passwd, 5*time.Second)
		if err != nil {
			t.Fatalf("round %d: session %#x opened on member %d, resumed on member %d: %v",
				i, w.SessionID, from.cfg.ServerID, to.cfg.ServerID, err)
		}
		resumed.Close()
		w.Close()
	}
	w := dialWire(t, ss[0].Addr().String(), 0, nil)
	wrong := append([]byte(nil), w.Passwd...)
	wrong[0] ^= 1
	for _, tc := range []struct {
		name   string
		id     int64
		passwd []byte
	}{
		{"unknown session", w.SessionID + 1000, w.Passwd},
		{"wrong password", w.SessionID, wrong},
	} {
		for _, s := range ss {
			if c, err := zwire.Dial(s.Addr().String(), 6000, tc.id, tc.passwd, 5*time.Second); err == nil {
				c.Close()
				t.Errorf("%s: member %d resumed it", tc.name, s.cfg.ServerID)
			}
		}
	}
}
