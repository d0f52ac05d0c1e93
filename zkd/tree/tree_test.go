package tree_test

import (
	"reflect"
	"strings"
	"testing"

	"zkd/zkd/proto"
	"zkd/zkd/tree"
)

// TestNewTree checks the special nodes a fresh ZooKeeper DataTree has.
// Observed on Apache ZooKeeper 3.8.0 (standalone, fresh dataDir): the root
// shows cversion -1 and /zookeeper -2 (their children were added without
// counting a create: 2*0 - numChildren), /zookeeper/config has aversion -1
// and ACL world:anyone READ, mntr says zk_znode_count 5 and
// zk_approximate_data_size 44: DataTree keeps the root twice in its node
// map, as "" and "/", and sums len(path)+len(data) over that map
// (0 + 1 + 10 + 16 + 17).
func TestNewTree(t *testing.T) {
	tr := tree.New(tree.Options{})
	tests := []struct {
		path     string
		acl      []proto.ACL
		children []string
		stat     proto.Stat
	}{
		{"/", proto.OpenACLUnsafe(), []string{"zookeeper"}, proto.Stat{Cversion: -1, NumChildren: 1}},
		{"/zookeeper", proto.OpenACLUnsafe(), []string{"config", "quota"}, proto.Stat{Cversion: -2, NumChildren: 2}},
		{"/zookeeper/quota", proto.OpenACLUnsafe(), []string{}, proto.Stat{}},
		{"/zookeeper/config", []proto.ACL{world(proto.PermRead)}, []string{}, proto.Stat{Aversion: -1}},
	}
	for _, tc := range tests {
		n := tr.Get(tc.path)
		if n == nil {
			t.Fatalf("%s missing", tc.path)
		}
		var st proto.Stat
		n.Stat(&st)
		if st != tc.stat {
			t.Errorf("%s stat %+v, want %+v", tc.path, st, tc.stat)
		}
		if got := tr.ACL(n); !reflect.DeepEqual(got, tc.acl) {
			t.Errorf("%s acl %v, want %v", tc.path, got, tc.acl)
		}
		if got := n.Children(); !reflect.DeepEqual(got, tc.children) {
			t.Errorf("%s children %v, want %v", tc.path, got, tc.children)
		}
		if len(n.Data()) != 0 || n.EphemeralOwner() != 0 {
			t.Errorf("%s data %q owner %d", tc.path, n.Data(), n.EphemeralOwner())
		}
	}
	if got := tr.NodeCount(); got != 5 {
		t.Errorf("NodeCount %d, want 5 (zk_znode_count of a fresh 3.8 server)", got)
	}
	if got := tr.DataSize(); got != 44 {
		t.Errorf("DataSize %d, want 44 (zk_approximate_data_size of a fresh 3.8 server)", got)
	}
	if tr.EphemeralCount() != 0 || tr.SessionCount() != 0 || tr.LastZxid() != 0 || len(tr.Sessions()) != 0 {
		t.Errorf("fresh tree has state: %s", dump(tr))
	}
	if tr.Get("/none") != nil || tr.Get("") != nil {
		t.Errorf("Get of a missing path returned a node")
	}
}

// TestCounters follows NodeCount, EphemeralCount and DataSize through
// writes: each node adds len(path)+len(data) (DataTree.getNodeSize).
func TestCounters(t *testing.T) {
	f := newFixture(t, tree.Options{})
	base, nodes := f.tr.DataSize(), f.tr.NodeCount()
	steps := []struct {
		op         op
		nodes      int
		ephemerals int
		size       int64
	}{
		{create("/a", "xyz", 0), 1, 0, 2 + 3},
		{create("/a/b", "", proto.ModeEphemeral), 2, 1, 5 + 4},
		{create("/a/s", "12", proto.ModeEphemeralSequential), 3, 2, 9 + 14 + 2},
		{setData("/a", "", -1), 3, 2, 25 - 3},
		{setData("/a/b", "0123456789", -1), 3, 2, 22 + 10},
		{del("/a/b", -1), 2, 1, 32 - 4 - 10},
		{multi(create("/m", "mm", 0), del("/a/s0000000001", -1)), 2, 0, 18 + 4 - 16},
		{multi(create("/n", "nn", 0), del("/none", -1)), 2, 0, 6},
	}
	for i, s := range steps {
		f.do(s.op)
		if got := f.tr.NodeCount() - nodes; got != s.nodes {
			t.Errorf("step %d: %d nodes added, want %d", i, got, s.nodes)
		}
		if got := f.tr.EphemeralCount(); got != s.ephemerals {
			t.Errorf("step %d: EphemeralCount %d, want %d", i, got, s.ephemerals)
		}
		if got := f.tr.DataSize() - base; got != s.size {
			t.Errorf("step %d: DataSize +%d, want +%d", i, got, s.size)
		}
	}
}

// TestDataSizeCountsJavaChars checks that a path's size is its length in
// UTF-16 chars, as Java's String.length() in DataTree.getNodeSize counts it,
// while data counts bytes.
func TestDataSizeCountsJavaChars(t *testing.T) {
	f := newFixture(t, tree.Options{})
	base := f.tr.DataSize()
	f.must(create("/é", "é", 0))        // path: 2 chars; data: 2 bytes
	f.must(create("/名前", "", 0))        // path: 3 chars
	f.do(create("/x\U0001F600", "", 0)) // path: 4 chars (a surrogate pair); rejected, as in ZooKeeper (TestValidatePath)
	got := f.tr.DataSize() - base
	want := int64(2 + 2 + 3)
	if f.tr.Get("/x\U0001F600") != nil {
		want += 4
	}
	if got != want {
		t.Errorf("DataSize +%d, want +%d", got, want)
	}
}

// TestCountDescendants follows getAllChildrenNumber.
func TestCountDescendants(t *testing.T) {
	f := newFixture(t, tree.Options{})
	for _, p := range []string{"/a", "/a/b", "/a/b/c", "/a/d", "/ab"} {
		f.must(create(p, "", 0))
	}
	for path, want := range map[string]int{"/a": 3, "/a/b": 1, "/a/b/c": 0, "/ab": 0, "/none": 0, "/": 8} {
		if got := f.tr.CountDescendants(path); got != want {
			t.Errorf("CountDescendants(%s) = %d, want %d", path, got, want)
		}
	}
}

// TestWalkOrder checks Walk visits each node once, parents first.
func TestWalkOrder(t *testing.T) {
	f := newFixture(t, tree.Options{})
	for _, p := range []string{"/a", "/a-b", "/a/b", "/a/b/c", "/a.b", "/b"} {
		f.must(create(p, "", 0))
	}
	seen := map[string]bool{}
	var order []string
	f.tr.Walk(func(p string, n *tree.Node) {
		if seen[p] {
			t.Errorf("%s visited twice", p)
		}
		if p != "/" && !seen[tree.ParentPath(p)] {
			t.Errorf("%s visited before its parent", p)
		}
		seen[p] = true
		order = append(order, p)
	})
	if len(order) != 10 {
		t.Errorf("visited %v", order)
	}
	if !strings.HasPrefix(strings.Join(order, " "), "/ ") {
		t.Errorf("root not first: %v", order)
	}
}

// TestApplyUnknownOps checks txns that are not writes.
func TestApplyUnknownOps(t *testing.T) {
	f := newFixture(t, tree.Options{})
	before := dump(f.tr)
	for _, code := range []proto.OpCode{proto.OpGetData, proto.OpExists, proto.OpSync, proto.OpPing,
		proto.OpReconfig, proto.OpError, proto.OpNotification, proto.OpMultiRead, 12345} {
		r := f.apply(&tree.Txn{Type: code, Session: sessA, Body: proto.Encode(nil, &proto.GetDataRequest{Path: "/"})})
		if r.Err == proto.ErrOK {
			t.Errorf("%v: ok", code)
		}
	}
	if dump(f.tr) != before {
		t.Errorf("unknown ops changed the tree")
	}
	for _, code := range []proto.OpCode{proto.OpCreate, proto.OpCreate2, proto.OpCreateContainer, proto.OpCreateTTL,
		proto.OpDelete, proto.OpSetData, proto.OpSetACL, proto.OpCheck, proto.OpMulti, proto.OpCreateSession,
		proto.OpCloseSession, proto.OpDeleteContainer} {
		if !tree.IsWrite(code) {
			t.Errorf("IsWrite(%v) = false", code)
		}
		// A truncated body is a marshalling error, never a change.
		if code == proto.OpCloseSession {
			continue
		}
		if r := f.apply(&tree.Txn{Type: code, Session: sessA, Body: []byte{0, 0, 0, 7, '/'}}); r.Err != proto.ErrMarshallingError {
			t.Errorf("%v with a truncated body: %v, want MarshallingError", code, r.Err)
		}
	}
	for _, code := range []proto.OpCode{proto.OpGetData, proto.OpExists, proto.OpGetChildren2, proto.OpSync,
		proto.OpMultiRead, proto.OpAddWatch, proto.OpPing} {
		if tree.IsWrite(code) {
			t.Errorf("IsWrite(%v) = true", code)
		}
	}
	if dump(f.tr) != before {
		t.Errorf("malformed txns changed the tree")
	}
}

// TestApplyNilEmit checks emit may be nil.
func TestApplyNilEmit(t *testing.T) {
	tr := tree.New(tree.Options{})
	tr.Apply(1, sessionTxn(1, 100, ""), nil)
	if r := tr.Apply(2, create("/a", "", proto.ModeEphemeral).txn(1), nil); r.Err != proto.ErrOK {
		t.Fatal(r.Err)
	}
	tr.Apply(3, multi(setData("/a", "x", -1), del("/a", -1)).txn(1), nil)
	tr.Apply(4, closeTxn(1), nil)
	if tr.LastZxid() != 4 || tr.Get("/a") != nil {
		t.Errorf("LastZxid %d", tr.LastZxid())
	}
}
