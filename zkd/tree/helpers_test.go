package tree_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"zkd/zkd/acl"
	"zkd/zkd/proto"
	"zkd/zkd/tree"
)

// Sessions every fixture starts with, and one that never exists.
const (
	sessA    int64 = 0x100
	sessB    int64 = 0x200
	sessNone int64 = 0x999
)

// t0 is the txn time of a fixture's first txn; every txn advances it by 1ms
// unless the test sets Time itself.
const t0 int64 = 1_700_000_000_000

// event is one change reported through tree.Emit.
type event struct {
	Path string
	Type proto.EventType
}

func (e event) String() string { return fmt.Sprintf("%s:%d", e.Path, e.Type) }

// fixture applies txns to a fresh tree with increasing zxids and records
// what it emits.
type fixture struct {
	t      testing.TB
	tr     *tree.Tree
	zxid   int64
	now    int64
	events []event
}

// newFixture returns a tree on which sessA and sessB exist.
func newFixture(t testing.TB, opts tree.Options) *fixture {
	t.Helper()
	f := &fixture{t: t, tr: tree.New(opts), now: t0}
	for _, s := range []int64{sessA, sessB} {
		if r := f.apply(sessionTxn(s, 30000, "pw")); r.Err != proto.ErrOK {
			t.Fatalf("createSession %#x: %v", s, r.Err)
		}
	}
	f.events = nil
	return f
}

// apply applies txn at the next zxid. A txn without a time gets the
// fixture's clock.
func (f *fixture) apply(txn *tree.Txn) tree.Result {
	f.zxid++
	f.now++
	if txn.Time == 0 {
		txn.Time = f.now
	}
	return f.tr.Apply(f.zxid, txn, func(p string, ev proto.EventType) {
		f.events = append(f.events, event{p, ev})
	})
}

// do applies op as sessA, or as changed by the options.
func (f *fixture) do(o op, opts ...txnOpt) tree.Result {
	txn := o.txn(sessA)
	for _, fn := range opts {
		fn(txn)
	}
	return f.apply(txn)
}

// must applies op and fails the test unless it succeeds.
func (f *fixture) must(o op, opts ...txnOpt) tree.Result {
	f.t.Helper()
	r := f.do(o, opts...)
	if r.Err != proto.ErrOK {
		f.t.Fatalf("%v: got %v, want ok", o, r.Err)
	}
	return r
}

// take returns the events recorded since the last take and forgets them.
func (f *fixture) take() []event {
	evs := f.events
	f.events = nil
	return evs
}

// stat returns the wire stat of path, failing the test if it is absent.
func (f *fixture) stat(path string) proto.Stat {
	f.t.Helper()
	n := f.tr.Get(path)
	if n == nil {
		f.t.Fatalf("stat %s: no node", path)
	}
	var st proto.Stat
	n.Stat(&st)
	return st
}

type txnOpt func(*tree.Txn)

func as(session int64) txnOpt { return func(t *tree.Txn) { t.Session = session } }

func withAuth(ids ...proto.ID) txnOpt { return func(t *tree.Txn) { t.Auth = ids } }

func at(ms int64) txnOpt { return func(t *tree.Txn) { t.Time = ms } }

// op is one request as a client sends it: an opcode and its record.
type op struct {
	code proto.OpCode
	req  proto.Record
}

func (o op) String() string { return fmt.Sprintf("%v %+v", o.code, o.req) }

func (o op) txn(session int64) *tree.Txn {
	return &tree.Txn{Type: o.code, Session: session, Body: proto.Encode(nil, o.req)}
}

func open() []proto.ACL { return proto.OpenACLUnsafe() }

func bytesOf(s string) []byte {
	if s == "" {
		return nil
	}
	return []byte(s)
}

func create(path, data string, flags int32) op {
	return op{proto.OpCreate, &proto.CreateRequest{Path: path, Data: bytesOf(data), ACL: open(), Flags: flags}}
}

func createACL(path string, flags int32, acls ...proto.ACL) op {
	return op{proto.OpCreate, &proto.CreateRequest{Path: path, ACL: acls, Flags: flags}}
}

func createOp(code proto.OpCode, path string, flags int32) op {
	return op{code, &proto.CreateRequest{Path: path, ACL: open(), Flags: flags}}
}

func createContainer(path string) op {
	return createOp(proto.OpCreateContainer, path, proto.ModeContainer)
}

func createTTL(path string, flags int32, ttl int64) op {
	return op{proto.OpCreateTTL, &proto.CreateTTLRequest{Path: path, ACL: open(), Flags: flags, TTL: ttl}}
}

func del(path string, version int32) op {
	return op{proto.OpDelete, &proto.DeleteRequest{Path: path, Version: version}}
}

func setData(path, data string, version int32) op {
	return op{proto.OpSetData, &proto.SetDataRequest{Path: path, Data: bytesOf(data), Version: version}}
}

func setACL(path string, version int32, acls ...proto.ACL) op {
	return op{proto.OpSetACL, &proto.SetACLRequest{Path: path, ACL: acls, Version: version}}
}

func check(path string, version int32) op {
	return op{proto.OpCheck, &proto.CheckVersionRequest{Path: path, Version: version}}
}

func multi(ops ...op) op {
	m := &proto.MultiRequest{}
	for _, o := range ops {
		m.Ops = append(m.Ops, proto.MultiOp{Type: o.code, Request: o.req})
	}
	return op{proto.OpMulti, m}
}

func sessionTxn(id int64, timeout int32, passwd string) *tree.Txn {
	return &tree.Txn{Type: proto.OpCreateSession, Session: id,
		Body: proto.Encode(nil, &tree.CreateSessionBody{Timeout: timeout, Passwd: []byte(passwd)})}
}

func closeTxn(id int64) *tree.Txn { return &tree.Txn{Type: proto.OpCloseSession, Session: id} }

func deleteContainerTxn(path string) *tree.Txn {
	return &tree.Txn{Type: proto.OpDeleteContainer, Body: proto.Encode(nil, &tree.PathBody{Path: path})}
}

// ACL helpers.

func perm(p int32, id proto.ID) proto.ACL { return proto.ACL{Perms: p, ID: id} }

func world(p int32) proto.ACL { return perm(p, proto.WorldAnyone) }

// digestID returns the identity a session gets from addauth digest up.
func digestID(t testing.TB, userPassword string) proto.ID {
	t.Helper()
	d, err := acl.Digest(userPassword)
	if err != nil {
		t.Fatalf("digest %q: %v", userPassword, err)
	}
	return proto.ID{Scheme: acl.SchemeDigest, ID: d}
}

var superID = proto.ID{Scheme: acl.SchemeSuper, ID: "super"}

// dump renders everything the replicated state holds: every node's path,
// raw owner, wire stat, data, ACL and children, the counters, and every
// session with its ephemerals. Two trees are identical iff their dumps are.
func dump(tr *tree.Tree) string {
	var b strings.Builder
	tr.Walk(func(p string, n *tree.Node) {
		var st proto.Stat
		n.Stat(&st)
		fmt.Fprintf(&b, "%s owner=%#x stat=%+v data=%q acl=%v children=%v\n",
			p, uint64(n.EphemeralOwner()), st, n.Data(), tr.ACL(n), n.Children())
	})
	fmt.Fprintf(&b, "nodes=%d ephemerals=%d size=%d sessions=%d\n",
		tr.NodeCount(), tr.EphemeralCount(), tr.DataSize(), tr.SessionCount())
	for _, id := range tr.Sessions() {
		s := tr.Session(id)
		fmt.Fprintf(&b, "session %#x timeout=%d owner=%d passwd=%x ephemerals=%v\n", id, s.Timeout, s.Owner, s.Passwd, s.Ephemerals())
	}
	return b.String()
}

// checkInvariants verifies the links and counters that every tree must keep
// consistent, whatever was applied.
func checkInvariants(t testing.TB, tr *tree.Tree) {
	t.Helper()
	count, ephemerals := 0, 0
	owners := map[int64][]string{}
	tr.Walk(func(p string, n *tree.Node) {
		count++
		for _, c := range n.Children() {
			child := p + "/" + c
			if p == "/" {
				child = "/" + c
			}
			if tr.Get(child) == nil {
				t.Errorf("%s lists child %q that does not exist", p, c)
			}
		}
		if p != "/" {
			parent := tree.ParentPath(p)
			pn := tr.Get(parent)
			if pn == nil {
				t.Errorf("%s has no parent %s", p, parent)
			} else if !contains(pn.Children(), p[strings.LastIndexByte(p, '/')+1:]) {
				t.Errorf("%s is not listed by its parent %s", p, parent)
			}
		}
		if o := n.EphemeralOwner(); o != 0 && o != tree.ContainerOwner && uint64(o)>>56 != 0xff {
			ephemerals++
			owners[o] = append(owners[o], p)
			if n.NumChildren() != 0 {
				t.Errorf("ephemeral %s has children", p)
			}
		}
	})
	// However the tree counts its special nodes (ZooKeeper counts the root
	// twice, as "" and "/"), the count must follow the walk.
	fresh := tree.New(tree.Options{})
	offset := fresh.NodeCount() - 4
	if got := tr.NodeCount(); got != count+offset {
		t.Errorf("NodeCount %d, walk saw %d nodes (+%d)", got, count, offset)
	}
	if got := tr.EphemeralCount(); got != ephemerals {
		t.Errorf("EphemeralCount %d, walk saw %d", got, ephemerals)
	}
	for _, id := range tr.Sessions() {
		want := owners[id]
		if want == nil {
			want = []string{}
		}
		if got := tr.Session(id).Ephemerals(); !reflect.DeepEqual(got, want) {
			t.Errorf("session %#x ephemerals %v, nodes owned %v", id, got, want)
		}
		delete(owners, id)
	}
	for id, paths := range owners {
		t.Errorf("ephemerals %v owned by session %#x that does not exist", paths, id)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
