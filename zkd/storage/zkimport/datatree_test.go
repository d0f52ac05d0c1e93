package zkimport

import (
	"bytes"
	"reflect"
	"testing"

	"zkd/zkd/proto"
	"zkd/zkd/tree"
)

func sampleDataTree(t *testing.T) *dataTree {
	t.Helper()
	b := sampleSnapshot().bytes()
	s, err := ReadSnapshot(bytes.NewReader(b), "snapshot.6", StreamChecked, int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	s.Zxid = 6
	dt, err := fromSnapshot(s)
	if err != nil {
		t.Fatal(err)
	}
	return dt
}

// TestReplaySemantics replays txns onto the sample snapshot and checks the
// stats DataTree.processTxn would leave, fuzzy-snapshot cases included.
func TestReplaySemantics(t *testing.T) {
	digestACL := []proto.ACL{{Perms: proto.PermAll, ID: proto.ID{Scheme: "digest", ID: "x:y"}}}
	type rec struct {
		h   TxnHeader
		txn Txn
	}
	tests := []struct {
		name  string
		txns  []rec
		rc    proto.ErrCode // of the last txn
		check func(t *testing.T, dt *dataTree)
	}{
		{"create", []rec{{hdr(0x100, 10, proto.OpCreate), &CreateTxn{Path: "/a/x", Data: []byte("d"), ACL: digestACL, ParentCVersion: 4}}}, proto.ErrOK,
			func(t *testing.T, dt *dataTree) {
				wantStat(t, dt, "/a", func(s *tree.PersistedStat) { s.Cversion, s.Pzxid = 4, 10 })
				x := dt.nodes["/a/x"]
				want := tree.PersistedStat{Czxid: 10, Mzxid: 10, Pzxid: 10, Ctime: 1010, Mtime: 1010}
				if x == nil || x.stat != want || string(x.data) != "d" || !reflect.DeepEqual(x.acl, digestACL) {
					t.Fatalf("/a/x %+v", x)
				}
			}},
		{"create of a node the snapshot has", []rec{{hdr(0x100, 10, proto.OpCreate), &CreateTxn{Path: "/a/e", ParentCVersion: 5}}}, proto.ErrNodeExists,
			func(t *testing.T, dt *dataTree) {
				wantStat(t, dt, "/a", func(s *tree.PersistedStat) { s.Cversion, s.Pzxid = 5, 10 })
				if !reflect.DeepEqual(dt.nodes["/a/e"].acl, openACL) {
					t.Fatalf("acl %v", dt.nodes["/a/e"].acl)
				}
			}},
		{"create2 of a node the snapshot has", []rec{{hdr(0x100, 10, proto.OpCreate2), &CreateTxn{Path: "/a/e", ParentCVersion: 5}}}, proto.ErrNodeExists,
			func(t *testing.T, dt *dataTree) { wantStat(t, dt, "/a", nil) }},
		{"create with an older counter", []rec{{hdr(0x100, 10, proto.OpCreate), &CreateTxn{Path: "/a/y", ParentCVersion: 2}}}, proto.ErrOK,
			func(t *testing.T, dt *dataTree) {
				wantStat(t, dt, "/a", nil)
				if dt.nodes["/a/y"] == nil {
					t.Fatal("/a/y missing")
				}
			}},
		{"V0 create counts itself", []rec{{hdr(0x100, 10, proto.OpCreate), &CreateTxn{Path: "/a/v", ParentCVersion: -1}}}, proto.ErrOK,
			func(t *testing.T, dt *dataTree) {
				wantStat(t, dt, "/a", func(s *tree.PersistedStat) { s.Cversion, s.Pzxid = 4, 10 })
			}},
		{"create under a missing parent", []rec{{hdr(0x100, 10, proto.OpCreate), &CreateTxn{Path: "/nope/x", ParentCVersion: 1}}}, proto.ErrNoNode, nil},
		{"ephemeral TTL container", []rec{
			{hdr(0x200, 10, proto.OpCreate), &CreateTxn{Path: "/a/e2", Ephemeral: true, ParentCVersion: 4}},
			{hdr(0x200, 11, proto.OpCreateTTL), &CreateTTLTxn{Path: "/t2", ParentCVersion: 4, TTL: 99}},
			{hdr(0x200, 12, proto.OpCreateContainer), &CreateContainerTxn{Path: "/c2", ParentCVersion: 5}},
		}, proto.ErrOK, func(t *testing.T, dt *dataTree) {
			if got := dt.nodes["/a/e2"].stat.EphemeralOwner; got != 0x200 {
				t.Errorf("ephemeral owner %#x", got)
			}
			if _, ok := dt.ephemerals[0x200]["/a/e2"]; !ok {
				t.Error("ephemeral not indexed")
			}
			if got := dt.nodes["/t2"].stat.EphemeralOwner; got != tree.TTLOwner(99) {
				t.Errorf("TTL owner %#x", got)
			}
			if got := dt.nodes["/c2"].stat.EphemeralOwner; got != tree.ContainerOwner {
				t.Errorf("container owner %#x", got)
			}
		}},
		{"delete", []rec{{hdr(0x100, 10, proto.OpDelete), &DeleteTxn{Path: "/a/seq0000000000"}}}, proto.ErrOK,
			func(t *testing.T, dt *dataTree) {
				wantStat(t, dt, "/a", func(s *tree.PersistedStat) { s.Pzxid = 10 })
				if dt.nodes["/a/seq0000000000"] != nil || len(dt.nodes["/a"].children) != 1 {
					t.Fatal("not deleted")
				}
			}},
		{"delete of a node already gone", []rec{{hdr(0x100, 10, proto.OpDelete), &DeleteTxn{Path: "/a/gone"}}}, proto.ErrNoNode,
			func(t *testing.T, dt *dataTree) { wantStat(t, dt, "/a", func(s *tree.PersistedStat) { s.Pzxid = 10 }) }},
		{"delete with an older zxid keeps pzxid", []rec{{hdr(0x100, 4, proto.OpDelete), &DeleteTxn{Path: "/a/seq0000000000"}}}, proto.ErrOK,
			func(t *testing.T, dt *dataTree) { wantStat(t, dt, "/a", nil) }},
		{"setData takes the txn's version", []rec{{hdr(0x100, 10, proto.OpSetData), &SetDataTxn{Path: "/a", Data: []byte("new"), Version: 7}}}, proto.ErrOK,
			func(t *testing.T, dt *dataTree) {
				wantStat(t, dt, "/a", func(s *tree.PersistedStat) { s.Version, s.Mzxid, s.Mtime = 7, 10, 1010 })
				if string(dt.nodes["/a"].data) != "new" {
					t.Fatal("data")
				}
			}},
		{"setACL takes the txn's aversion", []rec{{hdr(0x100, 10, proto.OpSetACL), &SetACLTxn{Path: "/a", ACL: digestACL, Version: 4}}}, proto.ErrOK,
			func(t *testing.T, dt *dataTree) {
				wantStat(t, dt, "/a", func(s *tree.PersistedStat) { s.Aversion = 4 })
				if !reflect.DeepEqual(dt.nodes["/a"].acl, digestACL) {
					t.Fatal("acl")
				}
			}},
		{"failed multi changes nothing", []rec{{hdr(0x100, 10, proto.OpMulti), &MultiTxn{Ops: []SubTxn{
			{proto.OpCreate, &CreateTxn{Path: "/q", ParentCVersion: 4}},
			{proto.OpError, &ErrorTxn{Err: proto.ErrNoNode}},
		}}}}, proto.ErrNoNode, func(t *testing.T, dt *dataTree) {
			if dt.nodes["/q"] != nil {
				t.Fatal("/q created")
			}
			wantStat(t, dt, "", nil)
		}},
		{"multi replay goes on past a failed op", []rec{{hdr(0x100, 10, proto.OpMulti), &MultiTxn{Ops: []SubTxn{
			{proto.OpCreate, &CreateTxn{Path: "/a/e", ParentCVersion: 4}},
			{proto.OpSetData, &SetDataTxn{Path: "/a", Version: 1}},
		}}}}, proto.ErrNodeExists, func(t *testing.T, dt *dataTree) {
			wantStat(t, dt, "/a", func(s *tree.PersistedStat) { s.Cversion, s.Pzxid, s.Version, s.Mzxid, s.Mtime = 4, 10, 1, 10, 1010 })
		}},
		{"closeSession with its paths", []rec{{hdr(0x100, 10, proto.OpCloseSession), &CloseSessionTxn{Paths: []string{"/a/e"}}}}, proto.ErrOK,
			func(t *testing.T, dt *dataTree) {
				if dt.nodes["/a/e"] != nil || dt.sessions[0x100] != 0 || dt.ephemerals[0x100] != nil {
					t.Fatal("session or ephemeral left")
				}
				wantStat(t, dt, "/a", func(s *tree.PersistedStat) { s.Pzxid = 10 })
			}},
		{"closeSession without paths", []rec{{hdr(0x100, 10, proto.OpCloseSession), &CloseSessionTxn{}}}, proto.ErrOK,
			func(t *testing.T, dt *dataTree) {
				if dt.nodes["/a/e"] != nil {
					t.Fatal("ephemeral left")
				}
			}},
		{"createSession", []rec{{hdr(0x500, 10, proto.OpCreateSession), &CreateSessionTxn{Timeout: 9000}}}, proto.ErrOK,
			func(t *testing.T, dt *dataTree) {
				if dt.sessions[0x500] != 9000 || dt.lastZxid != 10 {
					t.Fatalf("sessions %v, zxid %d", dt.sessions, dt.lastZxid)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dt := sampleDataTree(t)
			var rc proto.ErrCode
			for _, r := range tt.txns {
				var err error
				if rc, err = dt.processTxn(r.h, r.txn, false); err != nil {
					t.Fatal(err)
				}
			}
			if rc != tt.rc {
				t.Fatalf("rc %v, want %v", rc, tt.rc)
			}
			if tt.check != nil {
				tt.check(t, dt)
			}
		})
	}
}

// wantStat checks path's stat against the sample's, changed by edit.
func wantStat(t *testing.T, dt *dataTree, path string, edit func(*tree.PersistedStat)) {
	t.Helper()
	var want tree.PersistedStat
	for _, n := range sampleSnapshot().nodes {
		if n.Path == path {
			want = n.Stat
		}
	}
	if edit != nil {
		edit(&want)
	}
	if got := dt.nodes[path].stat; got != want {
		t.Fatalf("%q stat %+v, want %+v", path, got, want)
	}
}

func TestBadTxnPath(t *testing.T) {
	dt := sampleDataTree(t)
	if _, err := dt.processTxn(hdr(1, 10, proto.OpCreate), &CreateTxn{Path: "rel"}, false); err == nil {
		t.Fatal("a relative path replayed")
	}
}

// TestSessionPassword checks the generator against java.util.Random's
// documented values and ZooKeeper's derivation.
func TestSessionPassword(t *testing.T) {
	for seed, want := range map[int64]int32{0: -1155484576, 42: -1170105035} {
		if got := newJavaRandom(seed).next(32); got != want {
			t.Errorf("Random(%d).nextInt() = %d, want %d", seed, got, want)
		}
	}
	// nextBytes takes each int low byte first.
	r := newJavaRandom(42)
	b := make([]byte, 5)
	r.nextBytes(b)
	first := int32(-1170105035)
	v := uint32(first)
	if b[0] != byte(v) || b[1] != byte(v>>8) || b[3] != byte(v>>24) {
		t.Errorf("nextBytes % x", b)
	}
	p := SessionPassword(0x100004a34890000)
	if len(p) != 16 || bytes.Equal(p, SessionPassword(0x100004a34890001)) || !bytes.Equal(p, SessionPassword(0x100004a34890000)) {
		t.Errorf("password % x", p)
	}
}
