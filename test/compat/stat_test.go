package compat

import (
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"zkd/internal/ztest"
)

// TestFreshTree checks the tree of a fresh server: / holds only /zookeeper,
// which holds config and quota, with Apache's exact stats and ACLs. The
// negative versions are real: DataNode.copyStat reports cversion as
// 2*children-created - numChildren, and these nodes got children without a
// create; /zookeeper/config starts with aversion -1.
func TestFreshTree(t *testing.T) {
	srv := startServer(t, ztest.Options{})
	c := connect(t, srv.Addr)

	tests := []struct {
		path     string
		children []string
		acl      []zk.ACL
		stat     zk.Stat
	}{
		{"/", []string{"zookeeper"}, openACL, zk.Stat{Cversion: -1, NumChildren: 1}},
		{"/zookeeper", []string{"config", "quota"}, openACL, zk.Stat{Cversion: -2, NumChildren: 2}},
		{"/zookeeper/config", []string{}, zk.WorldACL(zk.PermRead), zk.Stat{Aversion: -1}},
		{"/zookeeper/quota", []string{}, openACL, zk.Stat{}},
	}
	for _, tc := range tests {
		data, st, err := c.Get(tc.path)
		if err != nil || len(data) != 0 {
			t.Errorf("get %s = %q, %v; want empty", tc.path, data, err)
			continue
		}
		if *st != tc.stat {
			t.Errorf("stat %s = %+v, want %+v", tc.path, *st, tc.stat)
		}
		kids, _, err := c.Children(tc.path)
		sort.Strings(kids)
		if err != nil || fmt.Sprint(kids) != fmt.Sprint(tc.children) {
			t.Errorf("children %s = %v, %v; want %v", tc.path, kids, err, tc.children)
		}
		acl, _, err := c.GetACL(tc.path)
		if err != nil || fmt.Sprint(acl) != fmt.Sprint(tc.acl) {
			t.Errorf("acl %s = %v, %v; want %v", tc.path, acl, err, tc.acl)
		}
	}

	// /zookeeper does not count as a created child: the root's sequence
	// counter starts at 0, and its cversion reads 2*1-2 = 0 after one create.
	if p := mustCreate(t, c, "/seq-", "", zk.FlagSequence); p != "/seq-0000000000" {
		t.Errorf("first sequential child of / = %q, want /seq-0000000000", p)
	}
	st := mustStat(t, c, "/")
	if st.Cversion != 0 || st.NumChildren != 2 || st.Pzxid != mustStat(t, c, "/seq-0000000000").Czxid {
		t.Errorf("root after one create: %+v", *st)
	}
}

func TestStatFields(t *testing.T) {
	srv := startServer(t, ztest.Options{})
	c := connect(t, srv.Addr)
	msNow := func() int64 { return time.Now().UnixMilli() }

	before := msNow()
	mustCreate(t, c, "/n", "hello", 0)
	after := msNow()
	st := mustStat(t, c, "/n")
	if st.Czxid <= 0 || st.Mzxid != st.Czxid || st.Pzxid != st.Czxid {
		t.Errorf("new node zxids: czxid %d mzxid %d pzxid %d, want all equal", st.Czxid, st.Mzxid, st.Pzxid)
	}
	if st.Ctime < before || st.Ctime > after || st.Mtime != st.Ctime {
		t.Errorf("ctime %d mtime %d, want equal and within [%d,%d]", st.Ctime, st.Mtime, before, after)
	}
	if st.Version != 0 || st.Cversion != 0 || st.Aversion != 0 || st.EphemeralOwner != 0 || st.DataLength != 5 || st.NumChildren != 0 {
		t.Errorf("new node stat %+v", *st)
	}
	created := *st

	// The three reads agree.
	_, gst, _ := c.Get("/n")
	_, cst, _ := c.Children("/n")
	if *gst != created || *cst != created {
		t.Errorf("get stat %+v, children stat %+v, exists stat %+v", *gst, *cst, created)
	}

	time.Sleep(5 * time.Millisecond) // so mtime moves
	set, err := c.Set("/n", []byte("hi"), -1)
	if err != nil {
		t.Fatal(err)
	}
	if set.Czxid != created.Czxid || set.Mzxid <= created.Mzxid || set.Pzxid != created.Pzxid ||
		set.Ctime != created.Ctime || set.Mtime <= created.Mtime || set.Version != 1 || set.DataLength != 2 {
		t.Errorf("after set: %+v (created %+v)", *set, created)
	}
	if got := mustStat(t, c, "/n"); *got != *set {
		t.Errorf("set returned %+v, exists says %+v", *set, *got)
	}

	mustCreate(t, c, "/n/kid", "", 0)
	kid := mustStat(t, c, "/n/kid")
	parent := mustStat(t, c, "/n")
	if kid.Czxid <= set.Mzxid || parent.Pzxid != kid.Czxid || parent.Cversion != 1 || parent.NumChildren != 1 ||
		parent.Mzxid != set.Mzxid || parent.Version != 1 || parent.Mtime != set.Mtime {
		t.Errorf("parent after child create: %+v (kid czxid %d)", *parent, kid.Czxid)
	}

	// A change to the child's data leaves the parent alone.
	if _, err := c.Set("/n/kid", []byte("x"), -1); err != nil {
		t.Fatal(err)
	}
	if got := mustStat(t, c, "/n"); *got != *parent {
		t.Errorf("parent changed by child's setData: %+v, was %+v", *got, *parent)
	}

	if err := c.Delete("/n/kid", -1); err != nil {
		t.Fatal(err)
	}
	afterDel := mustStat(t, c, "/n")
	if afterDel.Pzxid <= kid.Czxid || afterDel.Cversion != 2 || afterDel.NumChildren != 0 || afterDel.Mzxid != set.Mzxid {
		t.Errorf("parent after child delete: %+v", *afterDel)
	}

	acl, err := c.SetACL("/n", zk.WorldACL(zk.PermAll), -1)
	if err != nil {
		t.Fatal(err)
	}
	if acl.Aversion != 1 || acl.Mzxid != afterDel.Mzxid || acl.Version != 1 || acl.Mtime != afterDel.Mtime || acl.Pzxid != afterDel.Pzxid {
		t.Errorf("setACL changes only aversion: %+v, was %+v", *acl, *afterDel)
	}

	mustCreate(t, c, "/eph", "", zk.FlagEphemeral)
	if st := mustStat(t, c, "/eph"); st.EphemeralOwner != c.SessionID() || c.SessionID() == 0 {
		t.Errorf("ephemeralOwner %#x, session %#x", st.EphemeralOwner, c.SessionID())
	}

	// zxids grow with every write.
	var last int64
	for i := 0; i < 5; i++ {
		st, err := c.Set("/n", nil, -1)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mzxid <= last {
			t.Errorf("mzxid %d after %d", st.Mzxid, last)
		}
		last = st.Mzxid
	}
}
