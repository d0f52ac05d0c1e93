package tree_test

import (
	"reflect"
	"testing"

	"zkd/zkd/proto"
	"zkd/zkd/tree"
)

// ttlOwner is EphemeralType.TTL.toEphemeralOwner(ttl): 0xFF in the high
// byte, the TTL below.
func ttlOwner(ttl int64) int64 { return -1<<56 | ttl }

// maxTTL is EphemeralType.TTL.maxValue(): EXTENDED_FEATURE_VALUE_MASK,
// ~(0xff00000000000000 | 0x00ffff0000000000), 40 bits (about 34 years).
const maxTTL int64 = 1<<40 - 1

// TestCreateModes covers every create opcode with every create mode. The
// mapping is PrepRequestProcessor.pRequest2TxnCreate's: the txn (and so the
// node's kind) follows the opcode, the name follows the mode:
//   - create/create2 write a CreateTxn whose only flag is "ephemeral", so a
//     container mode sent with them makes a plain persistent node;
//   - createContainer writes a CreateContainerTxn whatever the mode, so
//     its node is always a container (a sequential mode still names it);
//   - a TTL mode needs createTTL and 0 < ttl <= maxTTL; createTTL with any
//     other mode and ttl >= 0 is BadArguments (EphemeralType.validateTTL).
//
// Checked against Apache ZooKeeper 3.8.0 (zookeeper.extendedTypesEnabled=true):
// create(flags=4) survives the container sweep, createContainer(flags=0) is
// swept; createTTL ttl=1<<40 is BadArguments, ttl=1<<40-1 is created.
//
// The wire stat never shows a container's or TTL node's owner: DataNode.copyStat
// reports ephemeralOwner 0 for every type but NORMAL (getClientEphemeralOwner).
func TestCreateModes(t *testing.T) {
	const seq = "/p/n0000000000"
	tests := []struct {
		name      string
		op        op
		err       proto.ErrCode
		path      string // created path
		owner     int64  // raw owner (Node.EphemeralOwner)
		statOwner int64  // owner in the wire stat
	}{
		{"create persistent", create("/p/n", "d", proto.ModePersistent), 0, "/p/n", 0, 0},
		{"create ephemeral", create("/p/n", "d", proto.ModeEphemeral), 0, "/p/n", sessA, sessA},
		{"create persistent sequential", create("/p/n", "d", proto.ModePersistentSequential), 0, seq, 0, 0},
		{"create ephemeral sequential", create("/p/n", "d", proto.ModeEphemeralSequential), 0, seq, sessA, sessA},
		{"create2 persistent", createOp(proto.OpCreate2, "/p/n", proto.ModePersistent), 0, "/p/n", 0, 0},
		{"create2 ephemeral sequential", createOp(proto.OpCreate2, "/p/n", proto.ModeEphemeralSequential), 0, seq, sessA, sessA},
		{"createContainer", createContainer("/p/n"), 0, "/p/n", tree.ContainerOwner, 0},
		{"createTTL", createTTL("/p/n", proto.ModePersistentWithTTL, 5000), 0, "/p/n", ttlOwner(5000), 0},
		{"createTTL sequential", createTTL("/p/n", proto.ModePersistentSequentialWithTTL, 5000), 0, seq, ttlOwner(5000), 0},
		{"createTTL ttl 1", createTTL("/p/n", proto.ModePersistentWithTTL, 1), 0, "/p/n", ttlOwner(1), 0},
		{"createTTL largest ttl", createTTL("/p/n", proto.ModePersistentWithTTL, maxTTL), 0, "/p/n", ttlOwner(maxTTL), 0},

		{"createTTL ttl above max", createTTL("/p/n", proto.ModePersistentWithTTL, maxTTL+1), proto.ErrBadArguments, "", 0, 0},
		{"createTTL ttl 56 bits", createTTL("/p/n", proto.ModePersistentWithTTL, 1<<56-1), proto.ErrBadArguments, "", 0, 0},
		{"createTTL ttl 0", createTTL("/p/n", proto.ModePersistentWithTTL, 0), proto.ErrBadArguments, "", 0, 0},
		{"createTTL negative ttl", createTTL("/p/n", proto.ModePersistentSequentialWithTTL, -1), proto.ErrBadArguments, "", 0, 0},
		{"createTTL persistent mode", createTTL("/p/n", proto.ModePersistent, 5000), proto.ErrBadArguments, "", 0, 0},
		{"createTTL ephemeral mode", createTTL("/p/n", proto.ModeEphemeral, 5000), proto.ErrBadArguments, "", 0, 0},
		{"createTTL container mode", createTTL("/p/n", proto.ModeContainer, 0), proto.ErrBadArguments, "", 0, 0},
		{"create TTL mode", createOp(proto.OpCreate, "/p/n", proto.ModePersistentWithTTL), proto.ErrBadArguments, "", 0, 0},
		{"create2 sequential TTL mode", createOp(proto.OpCreate2, "/p/n", proto.ModePersistentSequentialWithTTL), proto.ErrBadArguments, "", 0, 0},
		{"createContainer TTL mode", createOp(proto.OpCreateContainer, "/p/n", proto.ModePersistentWithTTL), proto.ErrBadArguments, "", 0, 0},
		{"create flags 7", createOp(proto.OpCreate, "/p/n", 7), proto.ErrBadArguments, "", 0, 0},
		{"create flags -1", createOp(proto.OpCreate, "/p/n", -1), proto.ErrBadArguments, "", 0, 0},
		{"createTTL flags 7", op{proto.OpCreateTTL, &proto.CreateTTLRequest{Path: "/p/n", ACL: open(), Flags: 7, TTL: 5}}, proto.ErrBadArguments, "", 0, 0},

		// The opcode decides the kind (see above).
		{"create container mode is persistent", createOp(proto.OpCreate, "/p/n", proto.ModeContainer), 0, "/p/n", 0, 0},
		{"create2 container mode is persistent", createOp(proto.OpCreate2, "/p/n", proto.ModeContainer), 0, "/p/n", 0, 0},
		{"createContainer persistent mode is a container", createOp(proto.OpCreateContainer, "/p/n", proto.ModePersistent), 0, "/p/n", tree.ContainerOwner, 0},
		{"createContainer sequential mode is a sequential container", createOp(proto.OpCreateContainer, "/p/n", proto.ModePersistentSequential), 0, seq, tree.ContainerOwner, 0},
		{"createContainer ephemeral mode is a container", createOp(proto.OpCreateContainer, "/p/n", proto.ModeEphemeral), 0, "/p/n", tree.ContainerOwner, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tree.Options{})
			f.must(create("/p", "", proto.ModePersistent))
			f.take()
			before := dump(f.tr)
			r := f.do(tc.op)
			if r.Err != tc.err {
				t.Fatalf("err %v, want %v", r.Err, tc.err)
			}
			checkInvariants(t, f.tr)
			if tc.err != proto.ErrOK {
				if got := dump(f.tr); got != before {
					t.Errorf("failed create changed the tree:\n%s\nwant\n%s", got, before)
				}
				if evs := f.take(); len(evs) != 0 {
					t.Errorf("failed create emitted %v", evs)
				}
				return
			}
			if r.Path != tc.path {
				t.Errorf("path %q, want %q", r.Path, tc.path)
			}
			n := f.tr.Get(tc.path)
			if n == nil {
				t.Fatalf("%s not created", tc.path)
			}
			if got := n.EphemeralOwner(); got != tc.owner {
				t.Errorf("EphemeralOwner %#x, want %#x", uint64(got), uint64(tc.owner))
			}
			want := proto.Stat{Czxid: f.zxid, Mzxid: f.zxid, Pzxid: f.zxid, Ctime: f.now, Mtime: f.now,
				EphemeralOwner: tc.statOwner}
			if c, ok := tc.op.req.(*proto.CreateRequest); ok {
				want.DataLength = int32(len(c.Data))
			}
			if got := f.stat(tc.path); got != want {
				t.Errorf("stat %+v\nwant %+v", got, want)
			}
			if tc.op.code != proto.OpCreate && r.Stat != want {
				t.Errorf("result stat %+v\nwant %+v", r.Stat, want)
			}
			wantEv := []event{{tc.path, proto.EventNodeCreated}, {"/p", proto.EventNodeChildrenChanged}}
			if evs := f.take(); !reflect.DeepEqual(evs, wantEv) {
				t.Errorf("events %v, want %v", evs, wantEv)
			}
			ephemeral := tc.owner == sessA
			if got := f.tr.EphemeralCount(); got != map[bool]int{true: 1}[ephemeral] {
				t.Errorf("EphemeralCount %d", got)
			}
		})
	}
}

// TestMaxTTL pins the exported limit to ZooKeeper's.
func TestMaxTTL(t *testing.T) {
	if tree.MaxTTL != maxTTL {
		t.Errorf("MaxTTL %#x, want %#x (EphemeralType.TTL.maxValue)", tree.MaxTTL, maxTTL)
	}
	if got := tree.TTLOwner(5000); got != ttlOwner(5000) {
		t.Errorf("TTLOwner(5000) %#x, want %#x", uint64(got), uint64(ttlOwner(5000)))
	}
}

// TestCreateParentStats follows a parent's stat through creates and deletes
// and checks sequence numbers. ZooKeeper keeps a count of creates in the
// parent's persisted cversion; the sequence suffix is that count, while the
// wire stat shows 2*creates - numChildren (DataNode.copyStat), which is the
// number of child changes, deletes included. Delete itself only moves pzxid
// (DataTree.deleteNode; ZOOKEEPER-1046 took the cversion++ out of delete).
//
// Checked against Apache ZooKeeper 3.8.0: create /s/a, /s/b, delete /s/a,
// create sequential /s/q gives /s/q0000000002 and cversion 4.
func TestCreateParentStats(t *testing.T) {
	f := newFixture(t, tree.Options{})
	f.must(create("/p", "pd", proto.ModePersistent))
	pz := f.zxid
	steps := []struct {
		op          op
		path        string // created path, if any
		cversion    int32
		numChildren int32
	}{
		{create("/p/a", "", proto.ModePersistent), "/p/a", 1, 1},
		{create("/p/b", "", proto.ModeEphemeral), "/p/b", 2, 2},
		{del("/p/a", -1), "", 3, 1},
		{create("/p/s", "", proto.ModePersistentSequential), "/p/s0000000002", 4, 2},
		{del("/p/b", -1), "", 5, 1},
		{del("/p/s0000000002", -1), "", 6, 0},
		{create("/p/s", "", proto.ModeEphemeralSequential), "/p/s0000000003", 7, 1},
		{createContainer("/p/c"), "/p/c", 8, 2},
		{createTTL("/p/s", proto.ModePersistentSequentialWithTTL, 10), "/p/s0000000005", 9, 3},
	}
	for i, s := range steps {
		r := f.must(s.op)
		if r.Path != s.path {
			t.Errorf("step %d %v: path %q, want %q", i, s.op, r.Path, s.path)
		}
		want := proto.Stat{Czxid: pz, Mzxid: pz, Pzxid: f.zxid, Ctime: t0 + pz, Mtime: t0 + pz,
			Cversion: s.cversion, DataLength: 2, NumChildren: s.numChildren}
		if got := f.stat("/p"); got != want {
			t.Errorf("step %d %v: parent stat\n %+v\nwant\n %+v", i, s.op, got, want)
		}
	}

	// A failed create leaves the parent alone and does not use up a number.
	before := f.stat("/p")
	for _, o := range []op{
		create("/p/c", "", proto.ModePersistent),   // NodeExists
		create("/p/x/y", "", proto.ModePersistent), // NoNode
		createACL("/p/z", proto.ModePersistent),    // InvalidACL
	} {
		if r := f.do(o); r.Err == proto.ErrOK {
			t.Fatalf("%v succeeded", o)
		}
	}
	if got := f.stat("/p"); got != before {
		t.Errorf("failed creates changed the parent: %+v, was %+v", got, before)
	}
	if r := f.must(create("/p/s", "", proto.ModePersistentSequential)); r.Path != "/p/s0000000006" {
		t.Errorf("sequential after failures: %q, want /p/s0000000006", r.Path)
	}
}

// TestCreateSequentialNames covers where the counter goes and what it can
// collide with.
func TestCreateSequentialNames(t *testing.T) {
	f := newFixture(t, tree.Options{})
	// Root: ZooKeeper's root starts with a persisted cversion of 0 (the
	// /zookeeper child is added without counting).
	if r := f.must(create("/", "", proto.ModePersistentSequential)); r.Path != "/0000000000" {
		t.Errorf("sequential child of the root: %q, want /0000000000", r.Path)
	}
	f.must(create("/p", "", proto.ModePersistent))
	if r := f.must(create("/p/", "", proto.ModePersistentSequential)); r.Path != "/p/0000000000" {
		t.Errorf("sequential with trailing slash: %q, want /p/0000000000", r.Path)
	}
	// A node named like the next sequence number makes it collide.
	f.must(create("/p/x0000000002", "", proto.ModePersistent))
	if r := f.do(create("/p/x", "", proto.ModePersistentSequential)); r.Err != proto.ErrNodeExists {
		t.Errorf("colliding sequential create: %v, want NodeExists", r.Err)
	}
	// The failed create used up nothing, so the number collides again until
	// another create moves the counter on.
	if r := f.do(create("/p/x", "", proto.ModeEphemeralSequential)); r.Err != proto.ErrNodeExists {
		t.Errorf("second colliding sequential create: %v, want NodeExists", r.Err)
	}
	f.must(create("/p/y", "", proto.ModePersistent))
	if r := f.must(create("/p/x", "", proto.ModeEphemeralSequential)); r.Path != "/p/x0000000003" {
		t.Errorf("sequential after another create: %q, want /p/x0000000003", r.Path)
	}
}

// TestCreateErrors covers every error a create can end in, and which one
// wins when several apply. PrepRequestProcessor.pRequest2TxnCreate checks,
// in order: the mode (CreateMode.fromFlag), TTL and session
// (validateCreateRequest), that the path has a '/' and no NUL
// (validatePathForCreate), the ACL (fixupACL), that the parent exists, the
// CREATE permission on it, then appends the sequence number and only then
// validates the whole path (validatePath), then NodeExists, then an
// ephemeral parent. Checked against Apache ZooKeeper 3.8.0 for the rows
// marked "order".
func TestCreateErrors(t *testing.T) {
	badDigest := perm(proto.PermAll, proto.ID{Scheme: "digest", ID: "nocolon"})
	tests := []struct {
		name string
		op   op
		opts []txnOpt
		err  proto.ErrCode
	}{
		{"exists", create("/p", "", proto.ModePersistent), nil, proto.ErrNodeExists},
		{"root exists", create("/", "", proto.ModePersistent), nil, proto.ErrNodeExists},
		{"/zookeeper exists", create("/zookeeper", "", proto.ModePersistent), nil, proto.ErrNodeExists},
		{"no parent", create("/missing/x", "", proto.ModePersistent), nil, proto.ErrNoNode},
		{"no grandparent", create("/missing/x/y", "", proto.ModePersistentSequential), nil, proto.ErrNoNode},
		{"ephemeral parent", create("/p/e/x", "", proto.ModePersistent), nil, proto.ErrNoChildrenForEphemerals},
		{"ephemeral parent, ephemeral sequential child", create("/p/e/x", "", proto.ModeEphemeralSequential), nil, proto.ErrNoChildrenForEphemerals},
		{"ephemeral parent of another session", create("/p/e/x", "", proto.ModePersistent), []txnOpt{as(sessB)}, proto.ErrNoChildrenForEphemerals},
		{"container parent", create("/c/x", "", proto.ModeEphemeral), nil, proto.ErrOK},
		{"ttl parent", create("/t/x", "", proto.ModePersistent), nil, proto.ErrOK},
		{"ephemeral of an unknown session", create("/p/x", "", proto.ModeEphemeral), []txnOpt{as(sessNone)}, proto.ErrSessionExpired},
		{"ephemeral sequential of an unknown session", create("/p/x", "", proto.ModeEphemeralSequential), []txnOpt{as(sessNone)}, proto.ErrSessionExpired},
		{"order: session before parent", create("/missing/x", "", proto.ModeEphemeral), []txnOpt{as(sessNone)}, proto.ErrSessionExpired},

		{"empty acl", createACL("/p/x", proto.ModePersistent), nil, proto.ErrInvalidACL},
		{"digest id without colon", createACL("/p/x", proto.ModePersistent, badDigest), nil, proto.ErrInvalidACL},
		{"unknown scheme", createACL("/p/x", proto.ModePersistent, perm(proto.PermAll, proto.ID{Scheme: "sasl2", ID: "x"})), nil, proto.ErrInvalidACL},
		{"world with another id", createACL("/p/x", proto.ModePersistent, perm(proto.PermAll, proto.ID{Scheme: "world", ID: "someone"})), nil, proto.ErrInvalidACL},
		{"auth without identities", createACL("/p/x", proto.ModePersistent, perm(proto.PermAll, proto.AuthIDs)), nil, proto.ErrInvalidACL},
		{"auth with only an ip identity", createACL("/p/x", proto.ModePersistent, perm(proto.PermAll, proto.AuthIDs)),
			[]txnOpt{withAuth(proto.ID{Scheme: "ip", ID: "127.0.0.1"})}, proto.ErrInvalidACL},
		{"order: acl before parent", createACL("/missing/x", proto.ModePersistent), nil, proto.ErrInvalidACL},
		{"order: acl before permission", createACL("/locked/y", proto.ModePersistent, badDigest), nil, proto.ErrInvalidACL},

		{"no CREATE permission", create("/locked/y", "", proto.ModePersistent), nil, proto.ErrNoAuth},
		{"no CREATE permission, sequential", create("/locked/y", "", proto.ModePersistentSequential), nil, proto.ErrNoAuth},
		{"order: permission before NodeExists", create("/locked/x", "", proto.ModePersistent), nil, proto.ErrNoAuth},
		{"READ-only /zookeeper/config", create("/zookeeper/config/x", "", proto.ModePersistent), nil, proto.ErrNoAuth},
		{"under /zookeeper", create("/zookeeper/x", "", proto.ModePersistent), nil, proto.ErrOK},

		{"no slash", create("p", "", proto.ModePersistent), nil, proto.ErrBadArguments},
		{"empty path", create("", "", proto.ModePersistent), nil, proto.ErrBadArguments},
		{"empty path, sequential", create("", "", proto.ModePersistentSequential), nil, proto.ErrBadArguments},
		{"NUL under a missing parent", create("/missing/a\x00", "", proto.ModePersistent), nil, proto.ErrBadArguments},
		{"trailing slash", create("/p/", "", proto.ModePersistent), nil, proto.ErrBadArguments},
		{"dot", create("/p/.", "", proto.ModePersistent), nil, proto.ErrBadArguments},
		{"dot dot", create("/p/..", "", proto.ModePersistent), nil, proto.ErrBadArguments},
		{"control character", create("/p/a\x01", "", proto.ModePersistent), nil, proto.ErrBadArguments},
		{"order: parent before path (trailing slash)", create("/missing/", "", proto.ModePersistent), nil, proto.ErrNoNode},
		{"order: parent before path (empty segment)", create("/missing//x", "", proto.ModePersistent), nil, proto.ErrNoNode},
		{"order: acl before path", createACL("/p/", proto.ModePersistent), nil, proto.ErrInvalidACL},
		{"order: permission before path", create("/locked/.", "", proto.ModePersistent), nil, proto.ErrNoAuth},
		{"order: NodeExists before ephemeral parent", create("/p/e", "", proto.ModePersistent), nil, proto.ErrNodeExists},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tree.Options{})
			f.must(create("/p", "", proto.ModePersistent))
			f.must(create("/p/e", "", proto.ModeEphemeral))
			f.must(createContainer("/c"))
			f.must(createTTL("/t", proto.ModePersistentWithTTL, 1000))
			f.must(create("/locked", "", proto.ModePersistent))
			f.must(create("/locked/x", "", proto.ModePersistent))
			f.must(setACL("/locked", -1, world(proto.PermAll&^proto.PermCreate)))
			f.take()
			before := dump(f.tr)
			r := f.do(tc.op, tc.opts...)
			if r.Err != tc.err {
				t.Fatalf("err %v, want %v", r.Err, tc.err)
			}
			checkInvariants(t, f.tr)
			if tc.err == proto.ErrOK {
				return
			}
			if got := dump(f.tr); got != before {
				t.Errorf("failed create changed the tree:\n%s\nwant\n%s", got, before)
			}
			if evs := f.take(); len(evs) != 0 {
				t.Errorf("failed create emitted %v", evs)
			}
			if f.tr.LastZxid() != f.zxid {
				t.Errorf("LastZxid %d, want %d: a failed txn still uses its zxid", f.tr.LastZxid(), f.zxid)
			}
		})
	}
}

// TestCreateACL checks the ACL a node is created with: duplicates dropped,
// "auth" expanded to the creator's digest identities, others kept.
func TestCreateACL(t *testing.T) {
	alice := digestID(t, "alice:secret")
	bob := digestID(t, "bob:pw")
	f := newFixture(t, tree.Options{})
	f.must(createACL("/a", proto.ModePersistent,
		perm(proto.PermRead, proto.WorldAnyone),
		perm(proto.PermAll, proto.AuthIDs),
		perm(proto.PermRead, proto.WorldAnyone),
		perm(proto.PermWrite, proto.ID{Scheme: "ip", ID: "10.0.0.0/8"}),
	), withAuth(proto.ID{Scheme: "ip", ID: "127.0.0.1"}, alice, bob))
	want := []proto.ACL{
		perm(proto.PermRead, proto.WorldAnyone),
		perm(proto.PermAll, alice),
		perm(proto.PermAll, bob),
		perm(proto.PermWrite, proto.ID{Scheme: "ip", ID: "10.0.0.0/8"}),
	}
	if got := f.tr.ACL(f.tr.Get("/a")); !reflect.DeepEqual(got, want) {
		t.Errorf("acl %v, want %v", got, want)
	}
}
