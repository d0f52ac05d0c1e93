package compat

import (
	"fmt"
	"testing"

	"github.com/go-zookeeper/zk"

	"zkd/internal/ztest"
)

// errRuntimeInconsistency is how go-zookeeper v1.0.4 shows code -2, which
// it has no sentinel for: what Apache reports for the ops after the one
// that failed.
const errRuntimeInconsistency = "unknown error: -2"

func TestMulti(t *testing.T) {
	srv := startServer(t, ztest.Options{})
	c := connect(t, srv.Addr)
	mustCreate(t, c, "/m", "", 0)

	t.Run("all succeed", func(t *testing.T) {
		res, err := c.Multi(
			&zk.CreateRequest{Path: "/m/a", Data: []byte("a"), Acl: openACL},
			&zk.CreateRequest{Path: "/m/a/b", Acl: openACL},                        // sees the create before it
			&zk.CreateRequest{Path: "/m/s-", Acl: openACL, Flags: zk.FlagSequence}, // counts /m/a
			&zk.SetDataRequest{Path: "/m", Data: []byte("x"), Version: 0},
			&zk.CheckVersionRequest{Path: "/m", Version: 1}, // sees the set before it
			&zk.DeleteRequest{Path: "/m/a/b", Version: 0},
		)
		if err != nil || len(res) != 6 {
			t.Fatalf("multi = %v, %v", res, err)
		}
		for i, r := range res {
			if r.Error != nil {
				t.Errorf("op %d error %v", i, r.Error)
			}
		}
		if res[0].String != "/m/a" || res[1].String != "/m/a/b" || res[2].String != "/m/s-0000000001" {
			t.Errorf("created paths %q %q %q", res[0].String, res[1].String, res[2].String)
		}
		if res[3].Stat == nil || res[3].Stat.Version != 1 || res[3].Stat.DataLength != 1 {
			t.Errorf("setData result stat %+v", res[3].Stat)
		}
		for _, i := range []int{0, 1, 2, 4, 5} {
			if res[i].Stat != nil {
				t.Errorf("op %d has a stat", i)
			}
		}
		// One transaction: every change carries the same zxid.
		a, m := mustStat(t, c, "/m/a"), mustStat(t, c, "/m")
		if a.Czxid != m.Mzxid || res[3].Stat.Mzxid != m.Mzxid || m.Pzxid != m.Mzxid {
			t.Errorf("zxids differ: /m/a czxid %d, /m mzxid %d pzxid %d", a.Czxid, m.Mzxid, m.Pzxid)
		}
		if ok, _, _ := c.Exists("/m/a/b"); ok {
			t.Error("/m/a/b exists")
		}
	})

	t.Run("one fails, none applied", func(t *testing.T) {
		before := mustStat(t, c, "/m")
		res, err := c.Multi(
			&zk.CreateRequest{Path: "/m/new", Acl: openACL},
			&zk.SetDataRequest{Path: "/m", Data: []byte("y"), Version: 0}, // version is 1
			&zk.CheckVersionRequest{Path: "/m", Version: 1},
			&zk.DeleteRequest{Path: "/m/a", Version: 0},
		)
		wantErr(t, "multi", err, zk.ErrBadVersion) // the first error
		if len(res) != 4 {
			t.Fatalf("%d results, want 4", len(res))
		}
		if res[0].Error != nil || res[0].String != "" {
			t.Errorf("op 0 before the failure: %+v, want OK and no path", res[0])
		}
		wantErr(t, "op 1", res[1].Error, zk.ErrBadVersion)
		for _, i := range []int{2, 3} {
			if res[i].Error == nil || res[i].Error.Error() != errRuntimeInconsistency {
				t.Errorf("op %d after the failure: %v, want %s", i, res[i].Error, errRuntimeInconsistency)
			}
		}
		if ok, _, _ := c.Exists("/m/new"); ok {
			t.Error("/m/new created by a failed multi")
		}
		if after := mustStat(t, c, "/m"); *after != *before {
			t.Errorf("/m changed by a failed multi: %+v, was %+v", *after, *before)
		}
	})

	t.Run("failure codes per op", func(t *testing.T) {
		tests := []struct {
			name string
			op   interface{}
			want error
		}{
			{"check missing", &zk.CheckVersionRequest{Path: "/m/nope", Version: 0}, zk.ErrNoNode},
			{"check version", &zk.CheckVersionRequest{Path: "/m", Version: 7}, zk.ErrBadVersion},
			{"create exists", &zk.CreateRequest{Path: "/m/a", Acl: openACL}, zk.ErrNodeExists},
			{"create no parent", &zk.CreateRequest{Path: "/m/x/y", Acl: openACL}, zk.ErrNoNode},
			{"create empty acl", &zk.CreateRequest{Path: "/m/z", Acl: []zk.ACL{}}, zk.ErrInvalidACL},
			{"delete not empty", &zk.DeleteRequest{Path: "/m", Version: -1}, zk.ErrNotEmpty},
			{"delete missing", &zk.DeleteRequest{Path: "/m/nope", Version: -1}, zk.ErrNoNode},
			{"set missing", &zk.SetDataRequest{Path: "/m/nope", Version: -1}, zk.ErrNoNode},
			// go-zookeeper does not check paths inside a multi, so these
			// reach the server.
			{"trailing slash", &zk.CreateRequest{Path: "/m/a/", Acl: openACL}, zk.ErrBadArguments},
			// The parent is looked up before the path is validated.
			{"dot component", &zk.CreateRequest{Path: "/m/./q", Acl: openACL}, zk.ErrNoNode},
			{"dot last", &zk.CreateRequest{Path: "/m/.", Acl: openACL}, zk.ErrBadArguments},
			{"relative path", &zk.CreateRequest{Path: "m/q", Acl: openACL}, zk.ErrNoNode},
			{"no slash", &zk.CreateRequest{Path: "q", Acl: openACL}, zk.ErrBadArguments},
			{"private use char", &zk.CreateRequest{Path: "/m/\ue000", Acl: openACL}, zk.ErrBadArguments},
		}
		for _, tc := range tests {
			res, err := c.Multi(tc.op, &zk.CheckVersionRequest{Path: "/m", Version: -1})
			wantErr(t, tc.name, err, tc.want)
			if len(res) != 2 {
				t.Errorf("%s: %d results", tc.name, len(res))
				continue
			}
			wantErr(t, tc.name+" op 0", res[0].Error, tc.want)
			if res[1].Error == nil || res[1].Error.Error() != errRuntimeInconsistency {
				t.Errorf("%s op 1: %v", tc.name, res[1].Error)
			}
		}
	})

	t.Run("empty", func(t *testing.T) {
		res, err := c.Multi()
		if err != nil || len(res) != 0 {
			t.Errorf("empty multi = %v, %v", res, err)
		}
	})

	t.Run("check alone", func(t *testing.T) {
		res, err := c.Multi(&zk.CheckVersionRequest{Path: "/m", Version: 1})
		if err != nil || len(res) != 1 || res[0].Error != nil {
			t.Errorf("check = %v, %v", res, err)
		}
	})

	t.Run("ephemeral in multi", func(t *testing.T) {
		res, err := c.Multi(&zk.CreateRequest{Path: "/m/e", Acl: openACL, Flags: zk.FlagEphemeral})
		if err != nil || len(res) != 1 {
			t.Fatalf("multi = %v, %v", res, err)
		}
		if st := mustStat(t, c, "/m/e"); st.EphemeralOwner != c.SessionID() {
			t.Errorf("ephemeralOwner %#x", st.EphemeralOwner)
		}
		_, err = c.Multi(&zk.CreateRequest{Path: "/m/e/kid", Acl: openACL})
		wantErr(t, "child of ephemeral", err, zk.ErrNoChildrenForEphemerals)
	})

	t.Run("watches fire once per committed multi", func(t *testing.T) {
		w := connect(t, srv.Addr)
		_, _, dch, err := w.GetW("/m")
		if err != nil {
			t.Fatal(err)
		}
		_, _, cch, err := w.ChildrenW("/m")
		if err != nil {
			t.Fatal(err)
		}
		// A failed multi fires nothing.
		_, err = c.Multi(&zk.SetDataRequest{Path: "/m", Version: -1}, &zk.CreateRequest{Path: "/m/a", Acl: openACL})
		wantErr(t, "failing multi", err, zk.ErrNodeExists)
		noEvent(t, dch)
		_, err = c.Multi(&zk.SetDataRequest{Path: "/m", Version: -1}, &zk.CreateRequest{Path: "/m/w", Acl: openACL})
		if err != nil {
			t.Fatal(err)
		}
		expectEvent(t, dch, zk.EventNodeDataChanged, "/m")
		expectEvent(t, cch, zk.EventNodeChildrenChanged, "/m")
		got := fmt.Sprint(w.drainNotes(2))
		if want := fmt.Sprint([]zk.Event{{Type: zk.EventNodeDataChanged, State: zk.StateSyncConnected, Path: "/m"},
			{Type: zk.EventNodeChildrenChanged, State: zk.StateSyncConnected, Path: "/m"}}); got != want {
			t.Errorf("notifications %s, want %s", got, want)
		}
	})
}
