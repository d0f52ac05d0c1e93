package compat

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"zkd/internal/ztest"
)

// extendedOptions enables TTL nodes and makes container/TTL cleanup run
// every 100 ms instead of every minute.
func extendedOptions() ztest.Options {
	return ztest.Options{Extra: map[string]string{
		"zookeeper.extendedTypesEnabled":  "true",
		"znode.container.checkIntervalMs": "100",
	}}
}

func TestCreateModes(t *testing.T) {
	srv := startServer(t, ztest.Options{})
	c := connect(t, srv.Addr)

	t.Run("persistent", func(t *testing.T) {
		if p := mustCreate(t, c, "/p", "data", zk.FlagPersistent); p != "/p" {
			t.Errorf("created %q, want /p", p)
		}
		data, st, err := c.Get("/p")
		if err != nil || string(data) != "data" {
			t.Fatalf("get = %q, %v", data, err)
		}
		if st.EphemeralOwner != 0 || st.DataLength != 4 {
			t.Errorf("stat ephemeralOwner %d dataLength %d, want 0 and 4", st.EphemeralOwner, st.DataLength)
		}
	})

	t.Run("ephemeral", func(t *testing.T) {
		mustCreate(t, c, "/e", "", zk.FlagEphemeral)
		if st := mustStat(t, c, "/e"); st.EphemeralOwner != c.SessionID() {
			t.Errorf("ephemeralOwner %#x, want session %#x", st.EphemeralOwner, c.SessionID())
		}
	})

	// Apache keeps one counter per parent: the number of children ever
	// created under it, by any mode. The suffix is that counter, printed
	// %010d. The cversion clients see counts creates and deletes, so after
	// a delete the two differ (DataNode.copyStat reports 2*created -
	// numChildren).
	t.Run("sequence counter counts creates of any mode", func(t *testing.T) {
		mustCreate(t, c, "/seq", "", 0)
		steps := []struct {
			path  string
			flags int32
			want  string
		}{
			{"/seq/a-", zk.FlagSequence, "/seq/a-0000000000"},
			{"/seq/b-", zk.FlagEphemeralSequential, "/seq/b-0000000001"},
			{"/seq/plain", zk.FlagPersistent, "/seq/plain"},
			{"/seq/c-", zk.FlagSequence, "/seq/c-0000000003"},
			{"/seq/", zk.FlagSequence, "/seq/0000000004"}, // empty prefix
			{"/seq/d-", zk.FlagEphemeralSequential, "/seq/d-0000000005"},
		}
		for _, s := range steps {
			if got := mustCreate(t, c, s.path, "", s.flags); got != s.want {
				t.Errorf("create %s flags %d = %q, want %q", s.path, s.flags, got, s.want)
			}
		}
		if st := mustStat(t, c, "/seq"); st.Cversion != 6 || st.NumChildren != 6 {
			t.Errorf("/seq cversion %d numChildren %d, want 6 and 6", st.Cversion, st.NumChildren)
		}
		// A delete bumps the cversion clients see but not the counter.
		if err := c.Delete("/seq/plain", -1); err != nil {
			t.Fatal(err)
		}
		if st := mustStat(t, c, "/seq"); st.Cversion != 7 || st.NumChildren != 5 {
			t.Errorf("after delete: /seq cversion %d numChildren %d, want 7 and 5", st.Cversion, st.NumChildren)
		}
		if got := mustCreate(t, c, "/seq/e-", "", zk.FlagSequence); got != "/seq/e-0000000006" {
			t.Errorf("after delete: %q, want /seq/e-0000000006", got)
		}
		if st := mustStat(t, c, "/seq"); st.Cversion != 8 || st.NumChildren != 6 {
			t.Errorf("/seq cversion %d numChildren %d, want 8 and 6", st.Cversion, st.NumChildren)
		}
	})

	t.Run("sequence suffix is not unique across parents", func(t *testing.T) {
		mustCreate(t, c, "/seq2", "", 0)
		if got := mustCreate(t, c, "/seq2/a-", "", zk.FlagSequence); got != "/seq2/a-0000000000" {
			t.Errorf("got %q", got)
		}
	})

	t.Run("protected ephemeral sequential", func(t *testing.T) {
		mustCreate(t, c, "/prot", "", 0)
		p, err := c.CreateProtectedEphemeralSequential("/prot/lock-", []byte("x"), openACL)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(p, "/prot/")
		// _c_<32 hex>-lock-<10 digits>
		if len(name) != 3+32+1+5+10 || !strings.HasPrefix(name, "_c_") || !strings.HasSuffix(name, "-lock-0000000000") {
			t.Errorf("protected name %q", name)
		}
		if st := mustStat(t, c, p); st.EphemeralOwner != c.SessionID() {
			t.Errorf("ephemeralOwner %#x, want %#x", st.EphemeralOwner, c.SessionID())
		}
	})

	t.Run("errors", func(t *testing.T) {
		mustCreate(t, c, "/exists", "", 0)
		mustCreate(t, c, "/eph", "", zk.FlagEphemeral)
		tests := []struct {
			path  string
			flags int32
			want  error
		}{
			{"/exists", 0, zk.ErrNodeExists},
			{"/exists", zk.FlagEphemeral, zk.ErrNodeExists},
			{"/missing/child", 0, zk.ErrNoNode},
			{"/missing/child-", zk.FlagSequence, zk.ErrNoNode},
			{"/eph/child", 0, zk.ErrNoChildrenForEphemerals},
			{"/eph/child", zk.FlagEphemeral, zk.ErrNoChildrenForEphemerals},
			{"/", 0, zk.ErrNodeExists},
			{"/zookeeper", 0, zk.ErrNodeExists},
		}
		for _, tc := range tests {
			_, err := c.Create(tc.path, nil, tc.flags, openACL)
			wantErr(t, fmt.Sprintf("create %s flags %d", tc.path, tc.flags), err, tc.want)
		}
	})

	t.Run("nil and empty data", func(t *testing.T) {
		mustCreate(t, c, "/nil", "", 0)
		if _, err := c.Create("/nil2", nil, 0, openACL); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"/nil", "/nil2"} {
			data, st, err := c.Get(p)
			if err != nil || len(data) != 0 || st.DataLength != 0 {
				t.Errorf("get %s = %q (len %d), dataLength %d, %v", p, data, len(data), st.DataLength, err)
			}
		}
	})
}

func TestContainer(t *testing.T) {
	srv := startServer(t, extendedOptions())
	c := connect(t, srv.Addr)

	p, err := c.CreateContainer("/box", []byte("c"), zk.FlagContainer, openACL)
	if err != nil || p != "/box" {
		t.Fatalf("createContainer = %q, %v", p, err)
	}
	// The server stores 0x8000000000000000 as the container's owner but
	// shows clients 0 (DataNode.copyStat hides extended types).
	if st := mustStat(t, c, "/box"); st.EphemeralOwner != 0 {
		t.Errorf("container ephemeralOwner %#x, want 0", uint64(st.EphemeralOwner))
	}
	_, err = c.CreateContainer("/box", nil, zk.FlagContainer, openACL)
	wantErr(t, "createContainer again", err, zk.ErrNodeExists)

	// A container that never had a child stays.
	time.Sleep(500 * time.Millisecond)
	mustStat(t, c, "/box")

	// Children of containers are ordinary nodes; once the last one goes,
	// the container is deleted by the cleanup task.
	mustCreate(t, c, "/box/a", "", 0)
	mustCreate(t, c, "/box/b", "", zk.FlagEphemeral)
	_, _, ch, err := c.ExistsW("/box")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Delete("/box/a", -1); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	mustStat(t, c, "/box") // still has /box/b
	if err := c.Delete("/box/b", -1); err != nil {
		t.Fatal(err)
	}
	expectEvent(t, ch, zk.EventNodeDeleted, "/box")
	if ok, _, err := c.Exists("/box"); ok || err != nil {
		t.Errorf("exists /box after cleanup = %v, %v", ok, err)
	}
}

func TestTTL(t *testing.T) {
	srv := startServer(t, extendedOptions())
	c := connect(t, srv.Addr)
	const ttl = 500 * time.Millisecond

	created := time.Now()
	p, err := c.CreateTTL("/ttl", []byte("t"), zk.FlagTTL, openACL, ttl)
	if err != nil || p != "/ttl" {
		t.Fatalf("createTTL = %q, %v", p, err)
	}
	// Stored as 0xff00...|ttl (EphemeralType.TTL), shown to clients as 0.
	if st := mustStat(t, c, "/ttl"); st.EphemeralOwner != 0 {
		t.Errorf("TTL ephemeralOwner %#x, want 0", uint64(st.EphemeralOwner))
	}
	p, err = c.CreateTTL("/ttlseq-", nil, zk.FlagPersistentSequentialWithTTL, openACL, ttl)
	if err != nil || !strings.HasPrefix(p, "/ttlseq-") || len(p) != len("/ttlseq-")+10 {
		t.Fatalf("createTTL sequential = %q, %v", p, err)
	}
	mustCreate(t, c, "/ttlparent", "", 0)
	if _, err := c.CreateTTL("/ttlparent/kid", nil, zk.FlagTTL, openACL, ttl); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, c, "/ttlparent/kid/grandkid", "", 0)

	// Childless TTL nodes go once ttl has passed since their last change.
	eventually(t, 10*time.Second, "TTL nodes removed", func() bool {
		a, _, _ := c.Exists("/ttl")
		b, _, _ := c.Exists(p)
		return !a && !b
	})
	if el := time.Since(created); el < ttl {
		t.Errorf("TTL node removed after %v, before its ttl %v", el, ttl)
	}
	// One with a child stays.
	mustStat(t, c, "/ttlparent/kid")

	t.Run("invalid ttl", func(t *testing.T) {
		for _, d := range []time.Duration{0, -time.Second} {
			_, err := c.CreateTTL("/badttl", nil, zk.FlagTTL, openACL, d)
			wantErr(t, fmt.Sprintf("ttl %v", d), err, zk.ErrBadArguments)
		}
		// The client refuses non-TTL flags itself.
		_, err := c.CreateTTL("/badttl", nil, zk.FlagPersistent, openACL, time.Second)
		wantErr(t, "ttl with persistent flag", err, zk.ErrInvalidFlags)
	})
}

// TestTTLDisabled: without zookeeper.extendedTypesEnabled Apache answers
// createTTL with UNIMPLEMENTED (-6), which go-zookeeper has no sentinel for.
func TestTTLDisabled(t *testing.T) {
	srv := startServer(t, ztest.Options{})
	c := connect(t, srv.Addr)
	_, err := c.CreateTTL("/ttl", nil, zk.FlagTTL, openACL, time.Second)
	if err == nil || err.Error() != "unknown error: -6" {
		t.Errorf("createTTL without extended types: %v, want unknown error: -6", err)
	}
	if errors.Is(err, zk.ErrNoNode) {
		t.Error("mapped to NoNode")
	}
	if ok, _, _ := c.Exists("/ttl"); ok {
		t.Error("node created anyway")
	}
}
