package tree_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"zkd/zkd/proto"
	"zkd/zkd/tree"
)

// TestMultiAllSucceed checks a successful multi: every op applied under the
// one zxid, per-op results in order, and the events of all ops, in op order,
// emitted only once the whole multi has been applied.
func TestMultiAllSucceed(t *testing.T) {
	f := newFixture(t, tree.Options{})
	f.must(create("/p", "", proto.ModePersistent))
	m := multi(
		create("/m", "a", proto.ModePersistent),
		create("/m/s", "", proto.ModePersistentSequential),
		createOp(proto.OpCreate2, "/m/s", proto.ModeEphemeralSequential),
		setData("/m", "bb", 0),
		check("/m", 1),
		del("/m/s0000000000", 0),
		createContainer("/m/c"),
		createTTL("/m/t", proto.ModePersistentWithTTL, 100),
		create("/m/e", "", proto.ModeEphemeral),
		check("/p", 0),
	)
	var evs []event
	applied := true
	txn := m.txn(sessA)
	txn.Time = 42
	r := f.tr.Apply(1000, txn, func(p string, ev proto.EventType) {
		// Every event comes after the last op has been applied.
		applied = applied && f.tr.Get("/m/e") != nil
		evs = append(evs, event{p, ev})
	})
	if r.Err != proto.ErrOK {
		t.Fatalf("multi: %v (%+v)", r.Err, r.Multi)
	}
	if !applied {
		t.Errorf("events emitted before the multi was applied")
	}
	wantPaths := []string{"/m", "/m/s0000000000", "/m/s0000000001", "", "", "", "/m/c", "/m/t", "/m/e", ""}
	wantTypes := []proto.OpCode{proto.OpCreate, proto.OpCreate, proto.OpCreate2, proto.OpSetData, proto.OpCheck,
		proto.OpDelete, proto.OpCreateContainer, proto.OpCreateTTL, proto.OpCreate, proto.OpCheck}
	if len(r.Multi) != len(wantPaths) {
		t.Fatalf("%d results, want %d", len(r.Multi), len(wantPaths))
	}
	for i, res := range r.Multi {
		// A create2 inside a multi is answered as a create by 3.8.0 and as
		// a create2 by 3.8.6; either type will do.
		if i == 2 && res.Type == proto.OpCreate {
			res.Type = proto.OpCreate2
		}
		if res.Err != proto.ErrOK || res.Path != wantPaths[i] || res.Type != wantTypes[i] {
			t.Errorf("result %d: %+v, want %v ok %q", i, res, wantTypes[i], wantPaths[i])
		}
	}
	for _, p := range []string{"/m", "/m/s0000000001", "/m/c", "/m/t", "/m/e"} {
		st := f.stat(p)
		if st.Czxid != 1000 || st.Ctime != 42 {
			t.Errorf("%s: czxid %d ctime %d, want 1000 and 42", p, st.Czxid, st.Ctime)
		}
	}
	if st := f.stat("/m"); st.Mzxid != 1000 || st.Pzxid != 1000 || st.Version != 1 || st.NumChildren != 4 ||
		st.Cversion != 2*5-4 || string(f.tr.Get("/m").Data()) != "bb" {
		t.Errorf("/m stat %+v data %q", st, f.tr.Get("/m").Data())
	}
	if st := r.Multi[3].Stat; st.Version != 1 || st.Mzxid != 1000 || st.DataLength != 2 {
		t.Errorf("setData result stat %+v", r.Multi[3].Stat)
	}
	if f.tr.Get("/m/s0000000000") != nil {
		t.Errorf("/m/s0000000000 survived its delete")
	}
	want := []event{
		{"/m", proto.EventNodeCreated}, {"/", proto.EventNodeChildrenChanged},
		{"/m/s0000000000", proto.EventNodeCreated}, {"/m", proto.EventNodeChildrenChanged},
		{"/m/s0000000001", proto.EventNodeCreated}, {"/m", proto.EventNodeChildrenChanged},
		{"/m", proto.EventNodeDataChanged},
		{"/m/s0000000000", proto.EventNodeDeleted}, {"/m", proto.EventNodeChildrenChanged},
		{"/m/c", proto.EventNodeCreated}, {"/m", proto.EventNodeChildrenChanged},
		{"/m/t", proto.EventNodeCreated}, {"/m", proto.EventNodeChildrenChanged},
		{"/m/e", proto.EventNodeCreated}, {"/m", proto.EventNodeChildrenChanged},
	}
	if !reflect.DeepEqual(evs, want) {
		t.Errorf("events\n %v\nwant\n %v", evs, want)
	}
	if got := f.tr.Session(sessA).Ephemerals(); !reflect.DeepEqual(got, []string{"/m/e", "/m/s0000000001"}) {
		t.Errorf("ephemerals %v", got)
	}
	if f.tr.LastZxid() != 1000 {
		t.Errorf("LastZxid %d", f.tr.LastZxid())
	}
	checkInvariants(t, f.tr)
}

// TestMultiRollback checks that a multi failing anywhere leaves the tree
// exactly as it was (every node's stat, data and ACL, the counters, the
// sessions' ephemerals), emits nothing, still consumes its zxid, and reports
// OK for the ops before the failing one, its error for it and
// RuntimeInconsistency after it (PrepRequestProcessor's multi loop and
// DataTree.processTxn's error sub-txns).
func TestMultiRollback(t *testing.T) {
	tests := []struct {
		name   string
		ops    []op
		failed int
		err    proto.ErrCode
	}{
		{"first op fails", []op{create("/p", "", 0), setData("/p/leaf", "x", -1)}, 0, proto.ErrNodeExists},
		{"only op fails", []op{check("/p", 0)}, 0, proto.ErrBadVersion},
		{"middle op fails", []op{
			create("/x", "xd", 0), create("/x/y", "", proto.ModePersistentSequential), setData("/p", "new", -1),
			del("/p/leaf", -1), del("/p/e", -1), check("/p", 0), create("/z", "", 0),
		}, 5, proto.ErrBadVersion},
		{"last op fails", []op{
			setData("/p", "1", -1), setData("/p", "22", -1), setData("/p", "333", -1), check("/p", 5), del("/full", -1),
		}, 4, proto.ErrNotEmpty},
		{"ephemeral parent", []op{
			create("/q", "", proto.ModeEphemeral), del("/p/e", -1), create("/p/e", "", proto.ModeEphemeral), create("/p/e/x", "", 0),
		}, 3, proto.ErrNoChildrenForEphemerals},
		{"permission", []op{create("/q", "", 0), del("/nodel/x", -1), create("/r", "", 0)}, 1, proto.ErrNoAuth},
		{"invalid acl", []op{create("/q", "", 0), createACL("/r", 0)}, 1, proto.ErrInvalidACL},
		{"bad path", []op{create("/q", "", 0), create("/q/", "", 0)}, 1, proto.ErrBadArguments},
		{"bad mode", []op{create("/q", "", 0), createOp(proto.OpCreate, "/r", proto.ModePersistentWithTTL)}, 1, proto.ErrBadArguments},
		{"deleted earlier in the multi", []op{del("/p/leaf", -1), del("/p/leaf", -1)}, 1, proto.ErrNoNode},
		{"created earlier in the multi", []op{create("/q", "", 0), create("/q/r", "", 0), create("/q", "", 0)}, 2, proto.ErrNodeExists},
		{"version moved earlier in the multi", []op{setData("/p", "x", 2), setData("/p", "y", 2)}, 1, proto.ErrBadVersion},
		{"delete, re-create, change, fail", []op{
			del("/p/leaf", -1), create("/p/leaf", "new", proto.ModeEphemeral), setData("/p/leaf", "newer", 0), create("/p", "", 0),
		}, 3, proto.ErrNodeExists},
		{"delete a subtree, re-create, fail", []op{
			del("/full/child", -1), del("/full", -1), createContainer("/full"), create("/full/c", "", proto.ModeEphemeral), check("/full", 9),
		}, 4, proto.ErrBadVersion},
		{"sequential creates, fail", []op{
			create("/p/s", "", proto.ModePersistentSequential), create("/p/s", "", proto.ModeEphemeralSequential), check("/none", -1),
		}, 2, proto.ErrNoNode},
		{"containers and ttls, fail", []op{
			createContainer("/c"), createTTL("/c/t", proto.ModePersistentSequentialWithTTL, 5), setData("/c", "x", 0),
			createTTL("/c/u", proto.ModePersistentWithTTL, 0),
		}, 3, proto.ErrBadArguments},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := opsFixture(t)
			before := dump(f.tr)
			r := f.do(multi(tc.ops...))
			if r.Err != tc.err {
				t.Fatalf("err %v, want %v (%+v)", r.Err, tc.err, r.Multi)
			}
			if len(r.Multi) != len(tc.ops) {
				t.Fatalf("%d results for %d ops", len(r.Multi), len(tc.ops))
			}
			for i, res := range r.Multi {
				want := proto.ErrOK
				switch {
				case i == tc.failed:
					want = tc.err
				case i > tc.failed:
					want = proto.ErrRuntimeInconsistency
				}
				if res.Err != want {
					t.Errorf("result %d: %v, want %v", i, res.Err, want)
				}
			}
			if got := dump(f.tr); got != before {
				t.Errorf("failed multi changed the tree:\n%s\nwant\n%s", got, before)
			}
			if evs := f.take(); len(evs) != 0 {
				t.Errorf("failed multi emitted %v", evs)
			}
			if f.tr.LastZxid() != f.zxid {
				t.Errorf("LastZxid %d, want %d", f.tr.LastZxid(), f.zxid)
			}
			checkInvariants(t, f.tr)
			// The tree works on as if the multi had never been: the same
			// writes succeed, sequence numbers included.
			g := opsFixture(t)
			for _, o := range []op{
				create("/p/s", "", proto.ModePersistentSequential),
				create("/q", "", proto.ModeEphemeral),
				setData("/p", "after", 2),
				del("/p/leaf", 0),
			} {
				rf, rg := f.do(o), g.do(o)
				if rf.Err != rg.Err || rf.Path != rg.Path {
					t.Errorf("%v after the failed multi: %v %q, on a fresh tree %v %q", o, rf.Err, rf.Path, rg.Err, rg.Path)
				}
			}
			if df, dg := dumpNoZxids(f.tr), dumpNoZxids(g.tr); df != dg {
				t.Errorf("trees differ after the same writes:\n%s\nvs\n%s", df, dg)
			}
		})
	}
}

// dumpNoZxids is dump without the zxid and time fields, for comparing trees
// that went through different numbers of txns.
func dumpNoZxids(tr *tree.Tree) string {
	var b strings.Builder
	tr.Walk(func(p string, n *tree.Node) {
		var st proto.Stat
		n.Stat(&st)
		st.Czxid, st.Mzxid, st.Pzxid, st.Ctime, st.Mtime = 0, 0, 0, 0, 0
		fmt.Fprintf(&b, "%s owner=%#x stat=%+v data=%q acl=%v\n", p, uint64(n.EphemeralOwner()), st, n.Data(), tr.ACL(n))
	})
	return b.String()
}

// TestMultiCreateThenDelete checks a node created and deleted in one multi.
func TestMultiCreateThenDelete(t *testing.T) {
	f := newFixture(t, tree.Options{})
	root0 := f.stat("/")
	r := f.must(multi(
		create("/x", "", proto.ModePersistent),
		create("/x/y", "", proto.ModeEphemeral),
		del("/x/y", 0),
		del("/x", 0),
	))
	if len(r.Multi) != 4 {
		t.Fatalf("results %+v", r.Multi)
	}
	if f.tr.Get("/x") != nil || f.tr.Get("/x/y") != nil {
		t.Fatalf("nodes survived")
	}
	want := root0
	want.Pzxid = f.zxid
	want.Cversion += 2 // one create, one delete
	if got := f.stat("/"); got != want {
		t.Errorf("root stat\n %+v\nwant\n %+v", got, want)
	}
	if f.tr.EphemeralCount() != 0 || len(f.tr.Session(sessA).Ephemerals()) != 0 {
		t.Errorf("ephemeral left behind")
	}
	wantEv := []event{
		{"/x", proto.EventNodeCreated}, {"/", proto.EventNodeChildrenChanged},
		{"/x/y", proto.EventNodeCreated}, {"/x", proto.EventNodeChildrenChanged},
		{"/x/y", proto.EventNodeDeleted}, {"/x", proto.EventNodeChildrenChanged},
		{"/x", proto.EventNodeDeleted}, {"/", proto.EventNodeChildrenChanged},
	}
	if evs := f.take(); !reflect.DeepEqual(evs, wantEv) {
		t.Errorf("events\n %v\nwant\n %v", evs, wantEv)
	}
	// The create counted: the root's next sequence number moved on.
	if r := f.must(create("/", "", proto.ModePersistentSequential)); r.Path != "/0000000001" {
		t.Errorf("next sequential child of the root %q, want /0000000001", r.Path)
	}
	checkInvariants(t, f.tr)
}

// TestMultiSequential checks sequence numbers inside a multi, and that a
// failed multi does not use any up.
func TestMultiSequential(t *testing.T) {
	f := newFixture(t, tree.Options{})
	f.must(create("/p", "", proto.ModePersistent))
	r := f.must(multi(
		create("/p/s", "", proto.ModePersistentSequential),
		create("/p/s", "", proto.ModeEphemeralSequential),
		createTTL("/p/s", proto.ModePersistentSequentialWithTTL, 9),
	))
	for i, want := range []string{"/p/s0000000000", "/p/s0000000001", "/p/s0000000002"} {
		if r.Multi[i].Path != want {
			t.Errorf("op %d path %q, want %q", i, r.Multi[i].Path, want)
		}
	}
	cv := f.stat("/p").Cversion
	if r := f.do(multi(
		create("/p/s", "", proto.ModePersistentSequential),
		create("/p/s", "", proto.ModePersistentSequential),
		check("/p", 7),
	)); r.Err != proto.ErrBadVersion {
		t.Fatalf("failing multi: %v", r.Err)
	}
	if got := f.stat("/p").Cversion; got != cv {
		t.Errorf("failed multi moved cversion %d -> %d", cv, got)
	}
	if r := f.must(create("/p/s", "", proto.ModePersistentSequential)); r.Path != "/p/s0000000003" {
		t.Errorf("after the failed multi: %q, want /p/s0000000003", r.Path)
	}
}

// TestMultiCreateOpcodes checks how a create inside a multi becomes a node.
// The server rebuilds each op from its header and flags
// (MultiOperationRecord.deserialize, Op.create): a container mode makes a
// createContainer whatever the header said, and a createTTL header with a
// non-TTL mode makes a plain create that ignores the ttl. Checked against
// Apache ZooKeeper 3.8.0: multi{create /m1 flags=4} is swept as a container;
// multi{createTTL /m2 flags=0 ttl=100} makes a persistent node.
func TestMultiCreateOpcodes(t *testing.T) {
	tests := []struct {
		name  string
		op    op
		owner int64
	}{
		{"create persistent", createOp(proto.OpCreate, "/m", proto.ModePersistent), 0},
		{"create2 ephemeral", createOp(proto.OpCreate2, "/m", proto.ModeEphemeral), sessA},
		{"createContainer", createContainer("/m"), tree.ContainerOwner},
		{"createTTL", createTTL("/m", proto.ModePersistentWithTTL, 100), ttlOwner(100)},
		{"create with container mode", createOp(proto.OpCreate, "/m", proto.ModeContainer), tree.ContainerOwner},
		{"create2 with container mode", createOp(proto.OpCreate2, "/m", proto.ModeContainer), tree.ContainerOwner},
		{"createTTL with persistent mode", createTTL("/m", proto.ModePersistent, 100), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tree.Options{})
			r := f.do(multi(tc.op))
			if r.Err != proto.ErrOK {
				t.Fatalf("multi: %v %+v", r.Err, r.Multi)
			}
			n := f.tr.Get("/m")
			if n == nil {
				t.Fatalf("/m not created")
			}
			if got := n.EphemeralOwner(); got != tc.owner {
				t.Errorf("owner %#x, want %#x", uint64(got), uint64(tc.owner))
			}
		})
	}
}

// TestMultiMalformed checks multis that cannot be applied at all.
func TestMultiMalformed(t *testing.T) {
	f := opsFixture(t)
	before := dump(f.tr)
	for name, txn := range map[string]*tree.Txn{
		"garbage body":    {Type: proto.OpMulti, Session: sessA, Body: []byte{0, 0, 0, 1, 0}},
		"empty body":      {Type: proto.OpMulti, Session: sessA},
		"setACL op":       multi(create("/q", "", 0), setACL("/p", -1, world(proto.PermAll))).txn(sessA),
		"read op":         multi(op{proto.OpGetData, &proto.GetDataRequest{Path: "/p"}}).txn(sessA),
		"read then write": multi(op{proto.OpGetData, &proto.GetDataRequest{Path: "/p"}}, create("/q", "", 0)).txn(sessA),
	} {
		r := f.apply(txn)
		if r.Err == proto.ErrOK {
			t.Errorf("%s: ok", name)
		}
		if got := dump(f.tr); got != before {
			t.Errorf("%s changed the tree", name)
		}
		if evs := f.take(); len(evs) != 0 {
			t.Errorf("%s emitted %v", name, evs)
		}
	}
	r := f.do(multi())
	if r.Err != proto.ErrOK || len(r.Multi) != 0 {
		t.Errorf("empty multi: %v %+v", r.Err, r.Multi)
	}
	if got := dump(f.tr); got != before {
		t.Errorf("empty multi changed the tree")
	}
}
