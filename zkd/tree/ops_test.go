package tree_test

import (
	"reflect"
	"testing"

	"zkd/zkd/proto"
	"zkd/zkd/tree"
)

// opsFixture builds the tree the delete/setData/setACL/check tables run on:
//
//	/p            persistent, data "pd", version 2 (two setData)
//	/p/leaf       persistent
//	/p/e          ephemeral of sessA
//	/full/child   /full is not empty
//	/nodel        its ACL lacks DELETE
//	/nodel/x
func opsFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t, tree.Options{})
	f.must(create("/p", "pd", proto.ModePersistent))
	f.must(setData("/p", "pd", -1))
	f.must(setData("/p", "pd", -1))
	f.must(create("/p/leaf", "leaf", proto.ModePersistent))
	f.must(create("/p/e", "", proto.ModeEphemeral))
	f.must(create("/full", "", proto.ModePersistent))
	f.must(create("/full/child", "", proto.ModePersistent))
	f.must(create("/nodel", "", proto.ModePersistent))
	f.must(create("/nodel/x", "", proto.ModePersistent))
	f.must(setACL("/nodel", -1, world(proto.PermAll&^proto.PermDelete)))
	f.take()
	return f
}

// TestDelete covers delete's checks in PrepRequestProcessor order: a path
// with a '/' and no NUL that is not special (getParentPathAndValidate; no
// full validatePath, so a malformed path just names no node), the parent,
// DELETE on the parent, the node, the version, then NotEmpty. Checked against
// Apache ZooKeeper 3.8.0 for "/." and "/p/" (NoNode) and "p" (BadArguments).
func TestDelete(t *testing.T) {
	tests := []struct {
		name string
		op   op
		err  proto.ErrCode
	}{
		{"any version", del("/p/leaf", -1), proto.ErrOK},
		{"exact version", del("/p/leaf", 0), proto.ErrOK},
		{"ephemeral", del("/p/e", -1), proto.ErrOK},
		{"bad version", del("/p/leaf", 1), proto.ErrBadVersion},
		{"bad version of a fresh node", del("/full/child", 2), proto.ErrBadVersion},
		{"not empty", del("/full", -1), proto.ErrNotEmpty},
		{"not empty, exact version", del("/full", 0), proto.ErrNotEmpty},
		{"order: version before not empty", del("/full", 5), proto.ErrBadVersion},
		{"no node", del("/p/none", -1), proto.ErrNoNode},
		{"no parent", del("/none/x", -1), proto.ErrNoNode},
		{"no DELETE on parent", del("/nodel/x", -1), proto.ErrNoAuth},
		{"order: permission before NoNode", del("/nodel/none", -1), proto.ErrNoAuth},
		{"root", del("/", -1), proto.ErrBadArguments},
		{"/zookeeper", del("/zookeeper", -1), proto.ErrBadArguments},
		{"/zookeeper/quota", del("/zookeeper/quota", -1), proto.ErrBadArguments},
		{"/zookeeper/config", del("/zookeeper/config", 0), proto.ErrBadArguments},
		{"no slash", del("p", -1), proto.ErrBadArguments},
		{"empty path", del("", -1), proto.ErrBadArguments},
		{"NUL", del("/p/leaf\x00", -1), proto.ErrBadArguments},
		{"dot names no node", del("/.", -1), proto.ErrNoNode},
		{"trailing slash names no node", del("/p/", -1), proto.ErrNoNode},
		{"empty segment names no node", del("/p//leaf", -1), proto.ErrNoNode},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := opsFixture(t)
			before := dump(f.tr)
			path := tc.op.req.(*proto.DeleteRequest).Path
			var parentBefore proto.Stat
			if tc.err == proto.ErrOK {
				parentBefore = f.stat(tree.ParentPath(path))
			}
			r := f.do(tc.op)
			if r.Err != tc.err {
				t.Fatalf("err %v, want %v", r.Err, tc.err)
			}
			checkInvariants(t, f.tr)
			if tc.err != proto.ErrOK {
				if got := dump(f.tr); got != before {
					t.Errorf("failed delete changed the tree:\n%s\nwant\n%s", got, before)
				}
				if evs := f.take(); len(evs) != 0 {
					t.Errorf("failed delete emitted %v", evs)
				}
				return
			}
			if f.tr.Get(path) != nil {
				t.Fatalf("%s still exists", path)
			}
			parent := tree.ParentPath(path)
			want := parentBefore
			want.Pzxid = f.zxid
			want.Cversion++
			want.NumChildren--
			if got := f.stat(parent); got != want {
				t.Errorf("parent stat\n %+v\nwant\n %+v", got, want)
			}
			wantEv := []event{{path, proto.EventNodeDeleted}, {parent, proto.EventNodeChildrenChanged}}
			if evs := f.take(); !reflect.DeepEqual(evs, wantEv) {
				t.Errorf("events %v, want %v", evs, wantEv)
			}
		})
	}
}

// TestDeleteEphemeralLeavesSession checks the session forgets a deleted
// ephemeral and the counters follow.
func TestDeleteEphemeralLeavesSession(t *testing.T) {
	f := opsFixture(t)
	if got := f.tr.Session(sessA).Ephemerals(); !reflect.DeepEqual(got, []string{"/p/e"}) {
		t.Fatalf("ephemerals %v", got)
	}
	f.must(del("/p/e", -1), as(sessB)) // any session may delete it
	if got := f.tr.Session(sessA).Ephemerals(); len(got) != 0 {
		t.Errorf("ephemerals after delete %v", got)
	}
	if f.tr.EphemeralCount() != 0 {
		t.Errorf("EphemeralCount %d", f.tr.EphemeralCount())
	}
	// The name is free again, for another session's ephemeral.
	f.must(create("/p/e", "", proto.ModeEphemeral), as(sessB))
	if got := f.stat("/p/e").EphemeralOwner; got != sessB {
		t.Errorf("owner %#x, want sessB", got)
	}
	checkInvariants(t, f.tr)
}

// TestSetData covers setData: validatePath, the node, WRITE, the version.
func TestSetData(t *testing.T) {
	tests := []struct {
		name    string
		op      op
		err     proto.ErrCode
		version int32 // version after
	}{
		{"any version", setData("/p", "new", -1), proto.ErrOK, 3},
		{"exact version", setData("/p", "new", 2), proto.ErrOK, 3},
		{"empty data", setData("/p", "", 2), proto.ErrOK, 3},
		{"ephemeral", setData("/p/e", "x", 0), proto.ErrOK, 1},
		{"special node", setData("/zookeeper", "x", -1), proto.ErrOK, 1},
		{"bad version", setData("/p", "new", 1), proto.ErrBadVersion, 0},
		{"bad version 0", setData("/p", "new", 0), proto.ErrBadVersion, 0},
		{"no node", setData("/p/none", "x", -1), proto.ErrNoNode, 0},
		{"no WRITE", setData("/zookeeper/config", "x", -1), proto.ErrNoAuth, 0},
		{"order: permission before version", setData("/zookeeper/config", "x", 7), proto.ErrNoAuth, 0},
		{"invalid path", setData("/p/", "x", -1), proto.ErrBadArguments, 0},
		{"dot", setData("/p/.", "x", -1), proto.ErrBadArguments, 0},
		{"empty path", setData("", "x", -1), proto.ErrBadArguments, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := opsFixture(t)
			path := tc.op.req.(*proto.SetDataRequest).Path
			data := tc.op.req.(*proto.SetDataRequest).Data
			before := dump(f.tr)
			var st0 proto.Stat
			size0 := f.tr.DataSize()
			if tc.err == proto.ErrOK {
				st0 = f.stat(path)
			}
			r := f.do(tc.op)
			if r.Err != tc.err {
				t.Fatalf("err %v, want %v", r.Err, tc.err)
			}
			if tc.err != proto.ErrOK {
				if got := dump(f.tr); got != before {
					t.Errorf("failed setData changed the tree:\n%s\nwant\n%s", got, before)
				}
				if evs := f.take(); len(evs) != 0 {
					t.Errorf("failed setData emitted %v", evs)
				}
				return
			}
			want := st0
			want.Version = tc.version
			want.Mzxid = f.zxid
			want.Mtime = f.now
			want.DataLength = int32(len(data))
			if got := f.stat(path); got != want {
				t.Errorf("stat\n %+v\nwant\n %+v", got, want)
			}
			if r.Stat != want {
				t.Errorf("result stat\n %+v\nwant\n %+v", r.Stat, want)
			}
			if got := f.tr.Get(path).Data(); string(got) != string(data) {
				t.Errorf("data %q, want %q", got, data)
			}
			if got, want := f.tr.DataSize(), size0+int64(len(data))-int64(st0.DataLength); got != want {
				t.Errorf("DataSize %d, want %d", got, want)
			}
			wantEv := []event{{path, proto.EventNodeDataChanged}}
			if evs := f.take(); !reflect.DeepEqual(evs, wantEv) {
				t.Errorf("events %v, want %v", evs, wantEv)
			}
		})
	}
}

// TestSetDataCopiesData checks the tree keeps its own copy of the data.
func TestSetDataCopiesData(t *testing.T) {
	f := newFixture(t, tree.Options{})
	buf := []byte("abc")
	txn := &tree.Txn{Type: proto.OpCreate, Session: sessA,
		Body: proto.Encode(nil, &proto.CreateRequest{Path: "/a", Data: buf, ACL: open()})}
	if r := f.apply(txn); r.Err != proto.ErrOK {
		t.Fatal(r.Err)
	}
	for i := range txn.Body {
		txn.Body[i] = 'X'
	}
	if got := string(f.tr.Get("/a").Data()); got != "abc" {
		t.Errorf("data %q changed with the txn body", got)
	}
}

// TestSetACL covers setACL in PrepRequestProcessor order: validatePath,
// fixupACL (InvalidACL), the node, ADMIN, then the version, which is
// compared with aversion. Checked against Apache ZooKeeper 3.8.0: an invalid
// ACL on a missing node, or on a node the caller may not administer, is
// InvalidACL.
func TestSetACL(t *testing.T) {
	readOnly := []proto.ACL{world(proto.PermRead)}
	badDigest := perm(proto.PermAll, proto.ID{Scheme: "digest", ID: "nocolon"})
	tests := []struct {
		name string
		op   op
		err  proto.ErrCode
	}{
		{"any version", setACL("/p", -1, readOnly...), proto.ErrOK},
		{"aversion", setACL("/p", 0, readOnly...), proto.ErrOK},
		{"data version is not the ACL version", setACL("/p", 2, readOnly...), proto.ErrBadVersion},
		{"no node", setACL("/p/none", -1, readOnly...), proto.ErrNoNode},
		{"no ADMIN", setACL("/zookeeper/config", -1, readOnly...), proto.ErrNoAuth},
		{"empty acl", setACL("/p", -1), proto.ErrInvalidACL},
		{"invalid digest", setACL("/p", -1, badDigest), proto.ErrInvalidACL},
		{"auth without identities", setACL("/p", -1, perm(proto.PermAll, proto.AuthIDs)), proto.ErrInvalidACL},
		{"order: acl before node", setACL("/p/none", -1, badDigest), proto.ErrInvalidACL},
		{"order: acl before permission", setACL("/zookeeper/config", -1, badDigest), proto.ErrInvalidACL},
		{"order: acl before version", setACL("/p", 9), proto.ErrInvalidACL},
		{"invalid path", setACL("/p/", -1, readOnly...), proto.ErrBadArguments},
		{"order: path before acl", setACL("/p/", -1), proto.ErrBadArguments},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := opsFixture(t)
			path := tc.op.req.(*proto.SetACLRequest).Path
			before := dump(f.tr)
			var st0 proto.Stat
			if tc.err == proto.ErrOK {
				st0 = f.stat(path)
			}
			r := f.do(tc.op)
			if r.Err != tc.err {
				t.Fatalf("err %v, want %v", r.Err, tc.err)
			}
			if evs := f.take(); len(evs) != 0 {
				t.Errorf("setACL emitted %v", evs)
			}
			if tc.err != proto.ErrOK {
				if got := dump(f.tr); got != before {
					t.Errorf("failed setACL changed the tree:\n%s\nwant\n%s", got, before)
				}
				return
			}
			want := st0
			want.Aversion++
			if got := f.stat(path); got != want {
				t.Errorf("stat\n %+v\nwant\n %+v", got, want)
			}
			if r.Stat != want {
				t.Errorf("result stat\n %+v\nwant\n %+v", r.Stat, want)
			}
			if got := f.tr.ACL(f.tr.Get(path)); !reflect.DeepEqual(got, readOnly) {
				t.Errorf("acl %v, want %v", got, readOnly)
			}
		})
	}
}

// TestSetACLVersions checks aversion moves on each setACL and only then.
func TestSetACLVersions(t *testing.T) {
	f := newFixture(t, tree.Options{})
	f.must(create("/a", "", proto.ModePersistent))
	for i := int32(0); i < 3; i++ {
		r := f.must(setACL("/a", i, world(proto.PermAll)))
		if r.Stat.Aversion != i+1 {
			t.Errorf("aversion %d, want %d", r.Stat.Aversion, i+1)
		}
	}
	f.must(setData("/a", "x", -1))
	if st := f.stat("/a"); st.Aversion != 3 || st.Version != 1 {
		t.Errorf("stat %+v", st)
	}
	if r := f.do(setACL("/a", 1, world(proto.PermAll))); r.Err != proto.ErrBadVersion {
		t.Errorf("stale aversion: %v", r.Err)
	}
	// The config node starts at aversion -1: DataTree.addConfigNode sets its
	// ACL with version -1 (checked on Apache ZooKeeper 3.8.0).
	if st := f.stat("/zookeeper/config"); st.Aversion != -1 {
		t.Errorf("/zookeeper/config aversion %d, want -1", st.Aversion)
	}
	f.must(setACL("/zookeeper/config", -1, world(proto.PermAll)), withAuth(superID))
	if st := f.stat("/zookeeper/config"); st.Aversion != 0 {
		t.Errorf("/zookeeper/config aversion after setACL %d, want 0", st.Aversion)
	}
}

// TestCheck covers check: validatePath, the node, READ, the version. It
// changes nothing but still consumes its zxid.
func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		op   op
		err  proto.ErrCode
	}{
		{"any version", check("/p", -1), proto.ErrOK},
		{"exact version", check("/p", 2), proto.ErrOK},
		{"bad version", check("/p", 1), proto.ErrBadVersion},
		{"aversion is not the version", check("/nodel", 1), proto.ErrBadVersion},
		{"no node", check("/p/none", -1), proto.ErrNoNode},
		{"no node, any version", check("/none", 3), proto.ErrNoNode},
		{"invalid path", check("/p/", -1), proto.ErrBadArguments},
		{"root", check("/", 0), proto.ErrOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := opsFixture(t)
			before := dump(f.tr)
			r := f.do(tc.op)
			if r.Err != tc.err {
				t.Fatalf("err %v, want %v", r.Err, tc.err)
			}
			if got := dump(f.tr); got != before {
				t.Errorf("check changed the tree:\n%s\nwant\n%s", got, before)
			}
			if evs := f.take(); len(evs) != 0 {
				t.Errorf("check emitted %v", evs)
			}
			if f.tr.LastZxid() != f.zxid {
				t.Errorf("LastZxid %d, want %d", f.tr.LastZxid(), f.zxid)
			}
		})
	}
}
