package ensemble

import (
	"testing"
	"time"

	"zkd/internal/ztest"
	"zkd/internal/zwire"
	"zkd/zkd/proto"
)

// wireWait bounds each step of a frame-by-frame client.
const wireWait = 10 * time.Second

// TestWriteLeftInFrozenMember: a client's setData sits unread in the
// socket of a follower that froze (SIGSTOP); the client gives up on it,
// resumes its session on another follower and writes there. When the
// frozen member wakes up and reads the old request, that write must not
// apply: it would land after the client's newer write and undo it, and
// ZooKeeper keeps a session's writes in order. Apache's leader refuses it
// (the session's owner moved, SessionMovedException) and the frozen member
// closes the connection; zkd refuses it on every replica for the same
// reason (tree.OpMoveSession). Both kinds must end with the newer value
// everywhere and the old request unacknowledged.
func TestWriteLeftInFrozenMember(t *testing.T) {
	forKinds(t, coreKinds(), func(t *testing.T, kind string) {
		e := startEnsemble(t, ztest.EnsembleOptions{Kind: kind, Members: 3})
		leader := waitLeader(t, e)
		fs := participants(e.Others(leader))
		frozen, other := fs[0], fs[1]
		setup := connectMember(t, "setup", leader)
		setup.mustCreate(t, "/frozen", []byte("initial"), 0)

		old, err := zwire.Dial(frozen.ClientAddr, 6000, 0, nil, wireWait)
		if err != nil {
			t.Fatal(err)
		}
		defer old.Close()
		if err := frozen.Pause(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { frozen.Resume() }) //nolint:errcheck // a no-op once resumed
		left := []byte("left in the frozen member's socket")
		if _, err := old.Send(proto.OpSetData, &proto.SetDataRequest{Path: "/frozen", Data: left, Version: -1}, wireWait); err != nil {
			t.Fatal(err)
		}

		moved, err := zwire.Dial(other.ClientAddr, 6000, old.SessionID, old.Passwd, wireWait)
		if err != nil {
			t.Fatalf("resuming session %#x on member %d while member %d is frozen: %v", old.SessionID, other.ID, frozen.ID, err)
		}
		defer moved.Close()
		newer := []byte("written after the move")
		xid, err := moved.Send(proto.OpSetData, &proto.SetDataRequest{Path: "/frozen", Data: newer, Version: -1}, wireWait)
		if err != nil {
			t.Fatal(err)
		}
		newerHdr, _, err := moved.Recv(wireWait)
		if err != nil || newerHdr.Xid != xid || newerHdr.Err != proto.ErrOK {
			t.Fatalf("setData on member %d after the move: %+v, %v", other.ID, newerHdr, err)
		}

		if err := frozen.Resume(); err != nil {
			t.Fatal(err)
		}
		hdr, _, err := old.Recv(wireWait)
		switch {
		case err == nil && hdr.Err == proto.ErrOK && hdr.Zxid > newerHdr.Zxid:
			t.Errorf("member %d, woken up, applied the left-behind setData of session %#x at zxid %#x, after its newer write (zxid %#x)",
				frozen.ID, old.SessionID, hdr.Zxid, newerHdr.Zxid)
		case err == nil && hdr.Err == proto.ErrOK:
			// Pause waits for the threads to stop, so this should not
			// happen; if it does, the order is still right.
			t.Logf("%s: the left-behind setData applied before the freeze (zxid %#x < %#x)", kind, hdr.Zxid, newerHdr.Zxid)
		case err == nil:
			t.Logf("%s: the left-behind setData was answered %v", kind, hdr.Err)
		default:
			t.Logf("%s: the connection left behind was closed (%v)", kind, err)
		}
		for _, m := range e.Members {
			c := connectMember(t, "reader", m)
			got, _, err := c.syncGet("/frozen")
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != string(newer) {
				t.Errorf("member %d: /frozen holds %q, want the moved client's newer write %q", m.ID, got, newer)
			}
			c.Close()
		}
	})
}
