package tree_test

import (
	"reflect"
	"testing"

	"zkd/zkd/proto"
	"zkd/zkd/tree"
)

// containerFixture builds, all at time tc (the txn time of the TTL nodes):
//
//	/used        container whose only child came and went (cversion > 0)
//	/new         container never used
//	/full/x      container with a child
//	/ttl         TTL node, ttl 1000
//	/ttlfull/x   TTL node with a child
//	/plain       persistent, empty
//	/eph         ephemeral
func containerFixture(t *testing.T) (f *fixture, tc int64) {
	t.Helper()
	f = newFixture(t, tree.Options{})
	f.must(createContainer("/used"))
	f.must(create("/used/x", "", proto.ModeEphemeral))
	f.must(del("/used/x", -1))
	f.must(createContainer("/new"))
	f.must(createContainer("/full"))
	f.must(create("/full/x", "", 0))
	tc = f.now + 1
	f.must(createTTL("/ttl", proto.ModePersistentWithTTL, 1000), at(tc))
	f.must(createTTL("/ttlfull", proto.ModePersistentWithTTL, 1000), at(tc))
	f.must(create("/ttlfull/x", "", 0), at(tc))
	f.must(create("/plain", "", 0))
	f.must(create("/eph", "", proto.ModeEphemeral))
	f.take()
	return f, tc
}

// TestDeleteContainer checks what a deleteContainer txn removes, judged at
// apply time against the txn's clock: an empty container that has had a
// child (ContainerManager's cversion > 0), an empty TTL node idle for more
// than its TTL (getElapsed(node) > ttl, from mtime). Anything else stays.
func TestDeleteContainer(t *testing.T) {
	tests := []struct {
		name    string
		path    string
		dt      int64 // txn time minus the TTL nodes' ctime
		err     proto.ErrCode
		removed bool
	}{
		{"used container", "/used", 0, proto.ErrOK, true},
		{"used container, much later", "/used", 1 << 40, proto.ErrOK, true},
		{"never-used container", "/new", 1 << 40, 0, false},
		{"container with a child", "/full", 1 << 40, proto.ErrNotEmpty, false},
		{"ttl expired", "/ttl", 1001, proto.ErrOK, true},
		{"ttl expired long ago", "/ttl", 1 << 40, proto.ErrOK, true},
		{"ttl exactly reached", "/ttl", 1000, 0, false},
		{"ttl not reached", "/ttl", 10, 0, false},
		{"ttl, clock behind", "/ttl", -5000, 0, false},
		{"ttl with a child", "/ttlfull", 1 << 40, proto.ErrNotEmpty, false},
		{"persistent", "/plain", 1 << 40, 0, false},
		{"ephemeral", "/eph", 1 << 40, 0, false},
		{"no node", "/none", 0, proto.ErrNoNode, false},
		{"root", "/", 0, proto.ErrBadArguments, false},
		{"/zookeeper", "/zookeeper", 0, proto.ErrBadArguments, false},
		{"/zookeeper/quota", "/zookeeper/quota", 0, proto.ErrBadArguments, false},
		{"/zookeeper/config", "/zookeeper/config", 0, proto.ErrBadArguments, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, t0 := containerFixture(t)
			before := dump(f.tr)
			root := f.stat("/")
			txn := deleteContainerTxn(tc.path)
			txn.Time = t0 + tc.dt
			r := f.apply(txn)
			checkInvariants(t, f.tr)
			if !tc.removed {
				if r.Err == proto.ErrOK {
					t.Fatalf("deleteContainer %s: ok, want it kept", tc.path)
				}
				if tc.err != 0 && r.Err != tc.err {
					t.Errorf("err %v, want %v", r.Err, tc.err)
				}
				if dump(f.tr) != before {
					t.Errorf("kept node, changed tree")
				}
				if evs := f.take(); len(evs) != 0 {
					t.Errorf("emitted %v", evs)
				}
				return
			}
			if r.Err != proto.ErrOK {
				t.Fatalf("err %v, want ok", r.Err)
			}
			if f.tr.Get(tc.path) != nil {
				t.Fatalf("%s still there", tc.path)
			}
			want := root
			want.Pzxid = f.zxid
			want.Cversion++
			want.NumChildren--
			if got := f.stat("/"); got != want {
				t.Errorf("root stat\n %+v\nwant\n %+v", got, want)
			}
			wantEv := []event{{tc.path, proto.EventNodeDeleted}, {"/", proto.EventNodeChildrenChanged}}
			if evs := f.take(); !reflect.DeepEqual(evs, wantEv) {
				t.Errorf("events %v, want %v", evs, wantEv)
			}
		})
	}
}

// TestDeleteContainerTTLFromMtime checks the TTL runs from the last change.
func TestDeleteContainerTTLFromMtime(t *testing.T) {
	f, tc := containerFixture(t)
	f.must(setData("/ttl", "touch", -1), at(tc+900))
	txn := deleteContainerTxn("/ttl")
	txn.Time = tc + 1500
	if r := f.apply(txn); r.Err == proto.ErrOK {
		t.Fatalf("removed 600ms after its last change, ttl 1000")
	}
	txn = deleteContainerTxn("/ttl")
	txn.Time = tc + 1901
	if r := f.apply(txn); r.Err != proto.ErrOK {
		t.Fatalf("not removed 1001ms after its last change: %v", r.Err)
	}
}

// TestDeleteContainerMalformed checks bodies that are not a path.
func TestDeleteContainerMalformed(t *testing.T) {
	f, _ := containerFixture(t)
	before := dump(f.tr)
	for _, txn := range []*tree.Txn{
		{Type: proto.OpDeleteContainer, Body: []byte{0, 0}},
		{Type: proto.OpDeleteContainer, Body: []byte{0, 0, 0, 9, '/'}},
		{Type: proto.OpDeleteContainer},
		deleteContainerTxn("used"),
		deleteContainerTxn(""),
	} {
		if r := f.apply(txn); r.Err == proto.ErrOK {
			t.Errorf("%x: ok", txn.Body)
		}
	}
	if dump(f.tr) != before {
		t.Errorf("malformed deleteContainer changed the tree")
	}
}

// TestContainerCandidates checks the leader's list of what is worth
// proposing: sorted, limited, and agreeing with what apply would do.
func TestContainerCandidates(t *testing.T) {
	f, tc := containerFixture(t)
	f.must(createContainer("/a"))
	f.must(create("/a/x", "", 0))
	f.must(del("/a/x", 0))
	tests := []struct {
		now   int64
		limit int
		want  []string
	}{
		{tc, 0, []string{"/a", "/used"}},
		{tc + 1000, 0, []string{"/a", "/used"}},
		{tc + 1001, 0, []string{"/a", "/ttl", "/used"}},
		{tc + 1001, 2, []string{"/a", "/ttl"}},
		{tc + 1001, 1, []string{"/a"}},
	}
	for _, c := range tests {
		got := f.tr.ContainerCandidates(c.now, c.limit)
		if len(got) == 0 {
			got = nil
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("ContainerCandidates(+%d, %d) = %v, want %v", c.now-tc, c.limit, got, c.want)
		}
	}
	for _, p := range f.tr.ContainerCandidates(tc+1001, 0) {
		txn := deleteContainerTxn(p)
		txn.Time = tc + 1001
		if r := f.apply(txn); r.Err != proto.ErrOK {
			t.Errorf("candidate %s: %v", p, r.Err)
		}
	}
	if got := f.tr.ContainerCandidates(tc+1001, 0); len(got) != 0 {
		t.Errorf("candidates after cleanup %v", got)
	}
}
