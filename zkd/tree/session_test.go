package tree_test

import (
	"fmt"
	"reflect"
	"testing"

	"zkd/zkd/proto"
	"zkd/zkd/tree"
)

func TestCreateSession(t *testing.T) {
	f := newFixture(t, tree.Options{})
	txn := sessionTxn(0x300, 4000, "first")
	if r := f.apply(txn); r.Err != proto.ErrOK {
		t.Fatalf("createSession: %v", r.Err)
	}
	for i := range txn.Body {
		txn.Body[i] = 0
	}
	s := f.tr.Session(0x300)
	if s == nil || s.ID != 0x300 || s.Timeout != 4000 || string(s.Passwd) != "first" {
		t.Fatalf("session %+v", s)
	}
	// A duplicate (a replay) keeps the first timeout and password.
	if r := f.apply(sessionTxn(0x300, 9000, "second")); r.Err != proto.ErrOK {
		t.Fatalf("duplicate createSession: %v", r.Err)
	}
	if s := f.tr.Session(0x300); s.Timeout != 4000 || string(s.Passwd) != "first" {
		t.Errorf("duplicate replaced the session: %+v", s)
	}
	if got := f.tr.Sessions(); !reflect.DeepEqual(got, []int64{sessA, sessB, 0x300}) {
		t.Errorf("Sessions %v", got)
	}
	if f.tr.SessionCount() != 3 {
		t.Errorf("SessionCount %d", f.tr.SessionCount())
	}
	before := dump(f.tr)
	if r := f.apply(&tree.Txn{Type: proto.OpCreateSession, Session: 0x400, Body: []byte{0, 0}}); r.Err != proto.ErrMarshallingError {
		t.Errorf("malformed createSession: %v", r.Err)
	}
	if dump(f.tr) != before {
		t.Errorf("malformed createSession changed the tree")
	}
	if evs := f.take(); len(evs) != 0 {
		t.Errorf("createSession emitted %v", evs)
	}
}

// TestCloseSession checks that closing a session deletes its ephemerals in
// path order, each with NodeDeleted and its parent's NodeChildrenChanged,
// and nothing of any other session's.
func TestCloseSession(t *testing.T) {
	f := newFixture(t, tree.Options{})
	f.must(create("/a", "", proto.ModePersistent))
	f.must(create("/b", "", proto.ModePersistent))
	for _, p := range []string{"/b/e2", "/a/e1", "/z", "/a/e0"} {
		f.must(create(p, "dd", proto.ModeEphemeral))
	}
	f.must(create("/a/s", "", proto.ModeEphemeralSequential))
	f.must(create("/a/eB", "", proto.ModeEphemeral), as(sessB))
	f.must(create("/a/keep", "", proto.ModePersistent))
	a0, b0, root0 := f.stat("/a"), f.stat("/b"), f.stat("/")
	size0, count0 := f.tr.DataSize(), f.tr.NodeCount()
	f.take()

	r := f.apply(closeTxn(sessA))
	if r.Err != proto.ErrOK {
		t.Fatalf("closeSession: %v", r.Err)
	}
	closed := []string{"/a/e0", "/a/e1", "/a/s0000000002", "/b/e2", "/z"}
	if !reflect.DeepEqual(r.Closed, closed) {
		t.Errorf("Closed %v, want %v", r.Closed, closed)
	}
	var want []event
	for _, p := range closed {
		want = append(want, event{p, proto.EventNodeDeleted}, event{tree.ParentPath(p), proto.EventNodeChildrenChanged})
	}
	if evs := f.take(); !reflect.DeepEqual(evs, want) {
		t.Errorf("events\n %v\nwant\n %v", evs, want)
	}
	for _, p := range closed {
		if f.tr.Get(p) != nil {
			t.Errorf("%s survived", p)
		}
	}
	for _, p := range []string{"/a/eB", "/a/keep", "/a", "/b"} {
		if f.tr.Get(p) == nil {
			t.Errorf("%s was removed", p)
		}
	}
	if f.tr.Session(sessA) != nil {
		t.Errorf("session still there")
	}
	if got := f.tr.Session(sessB).Ephemerals(); !reflect.DeepEqual(got, []string{"/a/eB"}) {
		t.Errorf("sessB ephemerals %v", got)
	}
	if f.tr.EphemeralCount() != 1 || f.tr.NodeCount() != count0-5 {
		t.Errorf("EphemeralCount %d NodeCount %d", f.tr.EphemeralCount(), f.tr.NodeCount())
	}
	if got, want := f.tr.DataSize(), size0-int64(len("/a/e0/a/e1/a/s0000000002/b/e2/z")+4*2); got != want {
		t.Errorf("DataSize %d, want %d", got, want)
	}
	for _, c := range []struct {
		path    string
		st      proto.Stat
		deleted int32
	}{{"/a", a0, 3}, {"/b", b0, 1}, {"/", root0, 1}} {
		want := c.st
		want.Pzxid = f.zxid
		want.Cversion += c.deleted
		want.NumChildren -= c.deleted
		if got := f.stat(c.path); got != want {
			t.Errorf("%s stat\n %+v\nwant\n %+v", c.path, got, want)
		}
	}
	checkInvariants(t, f.tr)

	// Closing it again, or a session that never was, changes nothing.
	before := dump(f.tr)
	for _, id := range []int64{sessA, sessNone} {
		if r := f.apply(closeTxn(id)); r.Err != proto.ErrSessionExpired {
			t.Errorf("close %#x: %v, want SessionExpired", id, r.Err)
		}
	}
	if dump(f.tr) != before {
		t.Errorf("closing a closed session changed the tree")
	}
	if evs := f.take(); len(evs) != 0 {
		t.Errorf("closing a closed session emitted %v", evs)
	}
	// The id can be used again, as a new session.
	f.apply(sessionTxn(sessA, 100, "new"))
	if s := f.tr.Session(sessA); s == nil || s.Timeout != 100 || len(s.Ephemerals()) != 0 {
		t.Errorf("re-created session %+v", s)
	}
}

// TestCloseSessionEmptiesContainer checks that ephemerals going with their
// session leave a container that is now a cleanup candidate.
func TestCloseSessionEmptiesContainer(t *testing.T) {
	f := newFixture(t, tree.Options{})
	f.must(createContainer("/lock"))
	f.must(create("/lock/n", "", proto.ModeEphemeralSequential), as(sessB))
	if got := f.tr.ContainerCandidates(f.now+1, 0); len(got) != 0 {
		t.Errorf("candidates with a child: %v", got)
	}
	f.apply(closeTxn(sessB))
	if got := f.tr.ContainerCandidates(f.now+1, 0); !reflect.DeepEqual(got, []string{"/lock"}) {
		t.Errorf("candidates %v, want [/lock]", got)
	}
}

// TestWritesFromDeadSession checks that a write from a session the tree does
// not know (closed, or never created) is refused with SessionExpired and
// changes nothing. In ZooKeeper every write passes
// sessionTracker.checkSession in PrepRequestProcessor.pRequest2Txn (create:
// validateCreateRequest, after the mode and TTL checks); a closing session is
// SessionExpiredException (SessionTrackerImpl.checkSession) and an unknown
// one is too on a quorum leader without local sessions
// (LeaderSessionTracker.checkSession / checkGlobalSession). In zkd a txn
// that follows its session's closeSession in the log is exactly the
// "closing" case.
func TestWritesFromDeadSession(t *testing.T) {
	tests := []struct {
		name string
		op   op
		err  proto.ErrCode
	}{
		{"create", create("/p/x", "", proto.ModePersistent), proto.ErrSessionExpired},
		{"create2", createOp(proto.OpCreate2, "/p/x", proto.ModePersistentSequential), proto.ErrSessionExpired},
		{"createContainer", createContainer("/p/x"), proto.ErrSessionExpired},
		{"createTTL", createTTL("/p/x", proto.ModePersistentWithTTL, 100), proto.ErrSessionExpired},
		{"create under a missing parent", create("/none/x", "", proto.ModePersistent), proto.ErrSessionExpired},
		{"create that exists", create("/p", "", proto.ModePersistent), proto.ErrSessionExpired},
		{"order: mode before session", createOp(proto.OpCreate, "/p/x", 9), proto.ErrBadArguments},
		{"order: ttl before session", createTTL("/p/x", proto.ModePersistentWithTTL, 0), proto.ErrBadArguments},
		{"delete", del("/p", -1), proto.ErrSessionExpired},
		{"delete missing", del("/none", -1), proto.ErrSessionExpired},
		{"setData", setData("/p", "x", -1), proto.ErrSessionExpired},
		{"setACL", setACL("/p", -1, world(proto.PermRead)), proto.ErrSessionExpired},
		{"check", check("/p", -1), proto.ErrSessionExpired},
		{"multi", multi(create("/q", "", 0), setData("/p", "x", -1)), proto.ErrSessionExpired},
	}
	for _, tc := range tests {
		for _, dead := range []int64{sessB, sessNone} {
			how := map[int64]string{sessB: "closed", sessNone: "never created"}[dead]
			t.Run(tc.name+"/"+how, func(t *testing.T) {
				f := newFixture(t, tree.Options{})
				f.must(create("/p", "", proto.ModePersistent))
				f.apply(closeTxn(sessB))
				f.take()
				before := dump(f.tr)
				r := f.do(tc.op, as(dead))
				if r.Err != tc.err {
					t.Fatalf("session %#x: %v, want %v", dead, r.Err, tc.err)
				}
				if tc.op.code == proto.OpMulti {
					want := []proto.ErrCode{proto.ErrSessionExpired, proto.ErrRuntimeInconsistency}
					for i, res := range r.Multi {
						if i >= len(want) || res.Err != want[i] {
							t.Errorf("multi result %d: %v", i, res.Err)
						}
					}
				}
				if dump(f.tr) != before {
					t.Errorf("refused write changed the tree")
				}
				if evs := f.take(); len(evs) != 0 {
					t.Errorf("refused write emitted %v", evs)
				}
			})
		}
	}
	// deleteContainer is the server's own request (session 0 in
	// ContainerManager) and needs no session.
	f := newFixture(t, tree.Options{})
	f.must(createContainer("/c"))
	f.must(create("/c/x", "", 0))
	f.must(del("/c/x", -1))
	if r := f.apply(deleteContainerTxn("/c")); r.Err != proto.ErrOK {
		t.Errorf("deleteContainer without a session: %v", r.Err)
	}
}

// TestEphemeralsWithPrefix follows getEphemerals in FinalRequestProcessor:
// a plain string prefix, and all of them for an empty or "/" prefix
// (after trimming).
func TestEphemeralsWithPrefix(t *testing.T) {
	f := newFixture(t, tree.Options{})
	f.must(create("/a", "", 0))
	f.must(create("/ab", "", 0))
	for _, p := range []string{"/ab/x", "/a/y", "/a/x", "/e"} {
		f.must(create(p, "", proto.ModeEphemeral))
	}
	f.must(create("/a/other", "", proto.ModeEphemeral), as(sessB))
	all := []string{"/a/x", "/a/y", "/ab/x", "/e"}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"/", all},
		{"", all},
		{" / ", all},
		{"  ", all},
		{"/a", []string{"/a/x", "/a/y", "/ab/x"}},
		{"/a/", []string{"/a/x", "/a/y"}},
		{"/a/x", []string{"/a/x"}},
		{"/none", []string{}},
	}
	for _, tc := range tests {
		if got := f.tr.EphemeralsWithPrefix(sessA, tc.prefix); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("EphemeralsWithPrefix(%q) = %v, want %v", tc.prefix, got, tc.want)
		}
	}
	if got := f.tr.EphemeralsWithPrefix(sessNone, "/"); got == nil || len(got) != 0 {
		t.Errorf("unknown session: %#v, want empty", got)
	}
}

// TestSessionOwner: a session's writes apply only when proposed by the
// server that owns it (the one that created it, then the last one it moved
// to); others get SESSIONMOVED and change nothing. Closing is not checked:
// the leader expires sessions it does not own.
func TestSessionOwner(t *testing.T) {
	const sess = 0x500
	from := func(server uint64) txnOpt { return func(t *tree.Txn) { t.Origin = server } }
	moveWith := func(server uint64, passwd string) *tree.Txn {
		return moveTxn(sess, server, passwd)
	}
	move := func(server uint64) *tree.Txn { return moveWith(server, "pw") }
	f := newFixture(t, tree.Options{})
	created := sessionTxn(sess, 6000, "pw")
	created.Origin = 1
	f.must(create("/x", "0", proto.ModePersistent))
	if r := f.apply(created); r.Err != proto.ErrOK {
		t.Fatal(r.Err)
	}
	f.take()
	steps := []struct {
		name  string
		txn   *tree.Txn // a session txn, or
		op    op        // a write of sess
		from  uint64
		want  proto.ErrCode
		owner uint64
	}{
		{name: "creator writes", op: setData("/x", "1", -1), from: 1, owner: 1},
		{name: "other server", op: setData("/x", "2", -1), from: 2, want: proto.ErrSessionMoved, owner: 1},
		{name: "other server's create", op: create("/y", "", proto.ModeEphemeral), from: 3, want: proto.ErrSessionMoved, owner: 1},
		{name: "moved to 2", txn: move(2), owner: 2},
		{name: "new owner writes", op: setData("/x", "3", -1), from: 2, owner: 2},
		{name: "left-behind write", op: setData("/x", "4", -1), from: 1, want: proto.ErrSessionMoved, owner: 2},
		{name: "left-behind multi", op: multi(create("/m", "", proto.ModePersistent), setData("/x", "5", -1)), from: 1, want: proto.ErrSessionMoved, owner: 2},
		{name: "moved again to the same", txn: move(2), owner: 2},
		{name: "wrong password", txn: moveWith(3, "guess"), want: proto.ErrAuthFailed, owner: 2},
		{name: "no password", txn: moveWith(3, ""), want: proto.ErrAuthFailed, owner: 2},
		{name: "moved back to 1", txn: move(1), owner: 1},
		{name: "2 is refused now", op: del("/x", -1), from: 2, want: proto.ErrSessionMoved, owner: 1},
	}
	for _, st := range steps {
		before := dump(f.tr)
		var r tree.Result
		if st.txn != nil {
			r = f.apply(st.txn)
		} else {
			r = f.do(st.op, as(sess), from(st.from))
		}
		if r.Err != st.want {
			t.Errorf("%s: %v, want %v", st.name, r.Err, st.want)
		}
		if got := f.tr.Session(sess).Owner; got != st.owner {
			t.Errorf("%s: owner %d, want %d", st.name, got, st.owner)
		}
		if st.want != proto.ErrOK && dump(f.tr) != before {
			t.Errorf("%s: a refused write changed the tree", st.name)
		}
	}
	if n := f.tr.Get("/x"); n == nil || string(n.Data()) != "3" {
		t.Errorf("/x holds %v, want the new owner's write only", n)
	}
	if evs := f.take(); len(evs) != 2 {
		t.Errorf("events %v, want the two accepted setData", evs)
	}
	// The leader's expiry comes from whichever server leads.
	if r := f.apply(&tree.Txn{Type: proto.OpCloseSession, Session: sess, Origin: 3}); r.Err != proto.ErrOK {
		t.Errorf("closeSession proposed by a server other than the owner: %v", r.Err)
	}
	if r := f.apply(move(2)); r.Err != proto.ErrSessionExpired {
		t.Errorf("moving a closed session: %v, want SESSIONEXPIRED", r.Err)
	}
}

func moveTxn(session int64, server uint64, passwd string) *tree.Txn {
	return &tree.Txn{Type: tree.OpMoveSession, Session: session, Origin: server,
		Body: proto.Encode(nil, &tree.MoveSessionBody{Passwd: []byte(passwd)})}
}

// TestSessionWithoutOwner: a session with owner 0 (loaded from a snapshot
// older than owners, or imported from ZooKeeper) takes writes from any
// server until it moves.
func TestSessionWithoutOwner(t *testing.T) {
	f := newFixture(t, tree.Options{})
	f.tr.RestoreSession(0x600, 6000, []byte("pw"))
	for _, server := range []uint64{1, 2, 7} {
		if r := f.do(create(fmt.Sprintf("/s%d", server), "", proto.ModePersistent), as(0x600),
			func(t *tree.Txn) { t.Origin = server }); r.Err != proto.ErrOK {
			t.Errorf("write from server %d: %v", server, r.Err)
		}
	}
	if r := f.apply(moveTxn(0x600, 2, "pw")); r.Err != proto.ErrOK {
		t.Fatalf("move: %v", r.Err)
	}
	if r := f.do(create("/after", "", proto.ModePersistent), as(0x600),
		func(t *tree.Txn) { t.Origin = 1 }); r.Err != proto.ErrSessionMoved {
		t.Errorf("write from server 1 after the move to 2: %v, want SESSIONMOVED", r.Err)
	}
}
