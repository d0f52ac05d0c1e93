package compat

import (
	"fmt"
	"sort"
	"testing"

	"github.com/go-zookeeper/zk"

	"zkd/internal/ztest"
)

func TestDelete(t *testing.T) {
	srv := startServer(t, ztest.Options{})
	c := connect(t, srv.Addr)
	mustCreate(t, c, "/d", "", 0)
	mustCreate(t, c, "/d/any", "", 0)
	mustCreate(t, c, "/d/exact", "", 0)
	mustCreate(t, c, "/d/full", "", 0)
	mustCreate(t, c, "/d/full/kid", "", 0)
	if _, err := c.Set("/d/exact", []byte("x"), -1); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		path    string
		version int32
		want    error
	}{
		{"/d/any", -1, nil},
		{"/d/exact", 0, zk.ErrBadVersion},
		{"/d/exact", 2, zk.ErrBadVersion},
		{"/d/exact", 1, nil},
		{"/d/exact", -1, zk.ErrNoNode},
		{"/d/missing", 7, zk.ErrNoNode}, // NoNode wins over the version
		{"/d/full", -1, zk.ErrNotEmpty},
		{"/d/full", 5, zk.ErrBadVersion}, // the version is checked before NotEmpty
		{"/nowhere/x", -1, zk.ErrNoNode},
		// The root and the system nodes cannot be deleted: BadArguments,
		// even where NotEmpty would apply.
		{"/", -1, zk.ErrBadArguments},
		{"/zookeeper", -1, zk.ErrBadArguments},
		{"/zookeeper/quota", -1, zk.ErrBadArguments},
		{"/zookeeper/config", -1, zk.ErrBadArguments},
	}
	for _, tc := range tests {
		err := c.Delete(tc.path, tc.version)
		wantErr(t, fmt.Sprintf("delete %s version %d", tc.path, tc.version), err, tc.want)
	}
	if ok, _, _ := c.Exists("/d/full"); !ok {
		t.Error("/d/full was deleted")
	}
}

func TestGetSetExists(t *testing.T) {
	srv := startServer(t, ztest.Options{})
	c := connect(t, srv.Addr)
	mustCreate(t, c, "/g", "v0", 0)

	t.Run("exists", func(t *testing.T) {
		ok, st, err := c.Exists("/missing")
		if ok || err != nil || *st != (zk.Stat{}) {
			t.Errorf("exists /missing = %v, %+v, %v; want false, zero stat, nil", ok, *st, err)
		}
		ok, st, err = c.Exists("/g")
		if !ok || err != nil || st.DataLength != 2 {
			t.Errorf("exists /g = %v, %+v, %v", ok, *st, err)
		}
	})

	t.Run("get", func(t *testing.T) {
		_, _, err := c.Get("/missing")
		wantErr(t, "get /missing", err, zk.ErrNoNode)
		data, st, err := c.Get("/g")
		if err != nil || string(data) != "v0" || st.Version != 0 {
			t.Errorf("get /g = %q, version %d, %v", data, st.Version, err)
		}
	})

	t.Run("set", func(t *testing.T) {
		steps := []struct {
			data        string
			version     int32
			want        error
			wantVersion int32
		}{
			{"v1", -1, nil, 1},
			{"v2", 1, nil, 2},
			{"bad", 1, zk.ErrBadVersion, 2},
			{"bad", 3, zk.ErrBadVersion, 2},
			{"v2", 2, nil, 3}, // same bytes still count as a change
			{"", -1, nil, 4},
		}
		for _, s := range steps {
			st, err := c.Set("/g", []byte(s.data), s.version)
			wantErr(t, fmt.Sprintf("set %q version %d", s.data, s.version), err, s.want)
			if err == nil && (st.Version != s.wantVersion || st.DataLength != int32(len(s.data))) {
				t.Errorf("set %q: stat version %d dataLength %d, want %d and %d", s.data, st.Version, st.DataLength, s.wantVersion, len(s.data))
			}
			data, got, _ := c.Get("/g")
			if got.Version != s.wantVersion || (err == nil && string(data) != s.data) {
				t.Errorf("after set %q: %q version %d", s.data, data, got.Version)
			}
		}
		_, err := c.Set("/missing", nil, -1)
		wantErr(t, "set /missing", err, zk.ErrNoNode)
		_, err = c.Set("/missing", nil, 3)
		wantErr(t, "set /missing version 3", err, zk.ErrNoNode)
	})

	t.Run("system nodes", func(t *testing.T) {
		// The root takes data like any node; /zookeeper/config is read-only
		// for everyone (ACL world:anyone READ).
		if _, err := c.Set("/", []byte("root"), -1); err != nil {
			t.Errorf("set /: %v", err)
		}
		_, err := c.Set("/zookeeper/config", []byte("x"), -1)
		wantErr(t, "set /zookeeper/config", err, zk.ErrNoAuth)
		_, err = c.Create("/zookeeper/config/x", nil, 0, openACL)
		wantErr(t, "create under /zookeeper/config", err, zk.ErrNoAuth)
		// Under /zookeeper itself anything goes.
		mustCreate(t, c, "/zookeeper/mine", "", 0)
		if err := c.Delete("/zookeeper/mine", -1); err != nil {
			t.Errorf("delete /zookeeper/mine: %v", err)
		}
	})
}

func TestChildren(t *testing.T) {
	srv := startServer(t, ztest.Options{})
	c := connect(t, srv.Addr)
	mustCreate(t, c, "/c", "", 0)
	want := []string{"a", "b", "e", "s-0000000003"}
	mustCreate(t, c, "/c/b", "", 0)
	mustCreate(t, c, "/c/a", "", 0)
	mustCreate(t, c, "/c/e", "", zk.FlagEphemeral)
	mustCreate(t, c, "/c/s-", "", zk.FlagSequence)
	mustCreate(t, c, "/c/a/deep", "", 0)

	kids, st, err := c.Children("/c")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(kids) // the server's order is unspecified
	if fmt.Sprint(kids) != fmt.Sprint(want) {
		t.Errorf("children /c = %v, want %v (names only, not grandchildren)", kids, want)
	}
	if es := mustStat(t, c, "/c"); *st != *es {
		t.Errorf("children stat %+v, exists stat %+v", *st, *es)
	}
	kids, _, err = c.Children("/c/b")
	if err != nil || len(kids) != 0 {
		t.Errorf("children of a leaf = %v, %v", kids, err)
	}
	_, _, err = c.Children("/missing")
	wantErr(t, "children /missing", err, zk.ErrNoNode)
	_, _, _, err = c.ChildrenW("/missing")
	wantErr(t, "childrenW /missing", err, zk.ErrNoNode)
}

func TestSync(t *testing.T) {
	srv := startServer(t, ztest.Options{})
	c := connect(t, srv.Addr)
	mustCreate(t, c, "/s", "", 0)
	for _, p := range []string{"/s", "/", "/missing"} { // sync does not look at the node
		got, err := c.Sync(p)
		if err != nil || got != p {
			t.Errorf("sync %s = %q, %v", p, got, err)
		}
	}
}

func TestGetSetACL(t *testing.T) {
	srv := startServer(t, ztest.Options{})
	c := connect(t, srv.Addr)
	mustCreate(t, c, "/a", "", 0)
	acl, st, err := c.GetACL("/a")
	if err != nil || fmt.Sprint(acl) != fmt.Sprint(openACL) || st.Aversion != 0 {
		t.Fatalf("getACL = %v, aversion %d, %v", acl, st.Aversion, err)
	}
	readOnly := zk.WorldACL(zk.PermRead | zk.PermAdmin)
	steps := []struct {
		version  int32
		want     error
		aversion int32
	}{
		{-1, nil, 1},
		{0, zk.ErrBadVersion, 1},
		{1, nil, 2},
		{5, zk.ErrBadVersion, 2},
	}
	for _, s := range steps {
		st, err := c.SetACL("/a", readOnly, s.version)
		wantErr(t, fmt.Sprintf("setACL version %d", s.version), err, s.want)
		if err == nil && (st.Aversion != s.aversion || st.Version != 0) {
			t.Errorf("setACL version %d: aversion %d version %d", s.version, st.Aversion, st.Version)
		}
	}
	acl, st, err = c.GetACL("/a")
	if err != nil || fmt.Sprint(acl) != fmt.Sprint(readOnly) || st.Aversion != 2 {
		t.Errorf("getACL = %v, aversion %d, %v", acl, st.Aversion, err)
	}
	_, _, err = c.GetACL("/missing")
	wantErr(t, "getACL /missing", err, zk.ErrNoNode)
	_, err = c.SetACL("/missing", openACL, -1)
	wantErr(t, "setACL /missing", err, zk.ErrNoNode)
	_, err = c.Set("/a", nil, -1)
	wantErr(t, "set after setACL read-only", err, zk.ErrNoAuth)
}
