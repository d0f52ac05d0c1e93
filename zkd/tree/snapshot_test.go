package tree

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"zkd/zkd/proto"
)

func TestSnapshotRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		seed  uint64
		steps int
	}{
		{"fresh", 1, 0},
		{"small", 2, 50},
		{"medium", 3, 2000},
		{"large", 4, 20000},
		{"other seed", 5, 5000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := snapRandomTree(t, tt.seed, tt.steps)
			snap := snapBytes(t, g.t)
			depth, kinds := 0, map[nodeKind]int{}
			for p, n := range allNodes(g.t) {
				depth = max(depth, strings.Count(p, "/"))
				kinds[ownerKind(n.ephemeralOwner)]++
			}
			t.Logf("%d nodes (depth %d, by kind %v), %d sessions, %d ACL lists, %d bytes",
				g.t.NodeCount(), depth, kinds, g.t.SessionCount(), g.t.acls.Len(), len(snap))
			if tt.steps >= 2000 && (len(kinds) < 4 || depth < 10 || g.t.acls.Len() < 10) {
				t.Fatalf("the generator no longer makes every kind of node, deep paths and many ACLs")
			}
			got, err := ReadSnapshot(bytes.NewReader(snap), Options{})
			if err != nil {
				t.Fatalf("ReadSnapshot: %v", err)
			}
			if want, have := snapDump(g.t), snapDump(got); want != have {
				t.Fatalf("loaded tree differs:\n%s", snapDiff(want, have))
			}
			snapCheckLinks(t, got)
			if again := snapBytes(t, got); !bytes.Equal(again, snap) {
				t.Fatalf("second snapshot differs: %d bytes vs %d", len(again), len(snap))
			}
			// The loaded tree must go on exactly as the original does:
			// sequence counters, ACL interning, sessions.
			g2 := *g
			g2.t = got
			g2.paths, g2.sessions = slices.Clone(g.paths), slices.Clone(g.sessions)
			g2.rng = rand.New(rand.NewPCG(tt.seed+100, 7))
			g.rng = rand.New(rand.NewPCG(tt.seed+100, 7))
			for range 500 {
				g.step()
				g2.step()
			}
			if want, have := snapDump(g.t), snapDump(g2.t); want != have {
				t.Fatalf("trees diverge after more txns:\n%s", snapDiff(want, have))
			}
		})
	}
}

// TestSnapshotKinds checks each kind of node survives with its raw owner.
func TestSnapshotKinds(t *testing.T) {
	g := newSnapGen(t, 9)
	g.apply(proto.OpCreateSession, 0x77, &CreateSessionBody{Timeout: 5000, Passwd: []byte("pw")})
	g.apply(proto.OpCreateSession, 0x78, &CreateSessionBody{Timeout: 6000})
	reqs := []struct {
		op  proto.OpCode
		req proto.Record
	}{
		{proto.OpCreate, &proto.CreateRequest{Path: "/p", Data: []byte("d"), ACL: proto.OpenACLUnsafe(), Flags: proto.ModePersistent}},
		{proto.OpCreate, &proto.CreateRequest{Path: "/p/s-", ACL: proto.OpenACLUnsafe(), Flags: proto.ModePersistentSequential}},
		{proto.OpCreate, &proto.CreateRequest{Path: "/p/e", ACL: proto.OpenACLUnsafe(), Flags: proto.ModeEphemeral}},
		{proto.OpCreate, &proto.CreateRequest{Path: "/p/es-", ACL: proto.OpenACLUnsafe(), Flags: proto.ModeEphemeralSequential}},
		{proto.OpCreateContainer, &proto.CreateRequest{Path: "/c", ACL: proto.OpenACLUnsafe(), Flags: proto.ModeContainer}},
		{proto.OpCreateTTL, &proto.CreateTTLRequest{Path: "/t", ACL: proto.OpenACLUnsafe(), Flags: proto.ModePersistentWithTTL, TTL: 1000}},
		{proto.OpCreateTTL, &proto.CreateTTLRequest{Path: "/t/s-", ACL: proto.OpenACLUnsafe(), Flags: proto.ModePersistentSequentialWithTTL, TTL: MaxTTL}},
	}
	for _, r := range reqs {
		if res := g.apply(r.op, 0x77, r.req); res.Err != proto.ErrOK {
			t.Fatalf("%v: %v", r.req, res.Err)
		}
	}
	got, err := ReadSnapshot(bytes.NewReader(snapBytes(t, g.t)), Options{SkipACL: true})
	if err != nil {
		t.Fatalf("ReadSnapshot: %v", err)
	}
	if !got.opts.SkipACL {
		t.Errorf("options not kept")
	}
	for path, want := range map[string]int64{
		"/p": 0, "/p/e": 0x77, "/c": ContainerOwner, "/t": TTLOwner(1000), "/t/s-0000000000": TTLOwner(MaxTTL),
	} {
		if n := got.Get(path); n == nil || n.ephemeralOwner != want {
			t.Errorf("%s: node %+v, want owner %#x", path, n, want)
		}
	}
	if e := got.Session(0x77).Ephemerals(); !slices.Equal(e, []string{"/p/e", "/p/es-0000000002"}) {
		t.Errorf("ephemerals %v", e)
	}
	if got.EphemeralCount() != 2 || got.Session(0x78).Passwd != nil {
		t.Errorf("ephemerals %d, passwd %q", got.EphemeralCount(), got.Session(0x78).Passwd)
	}
}

// TestCaptureIsolated proves that Capture copies: txns applied after it
// (here while WriteTo runs, for the race detector) do not show in its
// output.
func TestCaptureIsolated(t *testing.T) {
	g := snapRandomTree(t, 11, 5000)
	want := snapBytes(t, g.t)
	c := g.t.Capture()
	var buf bytes.Buffer
	var wg sync.WaitGroup
	var werr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, werr = c.WriteTo(&buf)
	}()
	for range 5000 {
		g.step()
	}
	// Then change every node still there, and close every session.
	const own = 0xabcdef
	g.apply(proto.OpCreateSession, own, &CreateSessionBody{Timeout: 5000})
	changed := 0
	for p := range allNodes(g.t) {
		if r := g.apply(proto.OpSetData, own, &proto.SetDataRequest{Path: p, Data: []byte("changed"), Version: -1}); r.Err == proto.ErrOK {
			changed++
		}
		g.apply(proto.OpSetACL, own, &proto.SetACLRequest{Path: p, ACL: g.aclPool[0], Version: -1})
	}
	for id := range g.t.sessions {
		g.apply(proto.OpCloseSession, id, nil)
	}
	wg.Wait()
	if changed < 1000 {
		t.Fatalf("only %d nodes changed after the capture", changed)
	}
	if werr != nil {
		t.Fatalf("WriteTo: %v", werr)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("captured snapshot changed with later txns")
	}
	// Written again, the same capture gives the same bytes.
	var again bytes.Buffer
	if _, err := c.WriteTo(&again); err != nil || !bytes.Equal(again.Bytes(), want) {
		t.Fatalf("second WriteTo differs (err %v)", err)
	}
}

// TestCaptureIntoReuses fills one Capture from trees of different sizes:
// each output equals a fresh capture's, and nothing of a larger earlier
// capture stays referenced.
func TestCaptureIntoReuses(t *testing.T) {
	big := snapRandomTree(t, 61, 3000).t
	small := snapRandomTree(t, 62, 100).t
	c := NewCapture(10)
	for i, tr := range []*Tree{big, small, big, small} {
		c = tr.CaptureInto(c)
		var buf bytes.Buffer
		if _, err := c.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), snapBytes(t, tr)) {
			t.Fatalf("capture %d differs from a fresh one", i)
		}
		if tail := c.recs[len(c.recs):cap(c.recs)]; len(tail) > 0 && tail[0].node != nil {
			t.Fatalf("capture %d keeps stale nodes beyond its length", i)
		}
	}
}

func TestReadSnapshotTruncated(t *testing.T) {
	snap := snapSmall(t)
	for n := 0; n < len(snap); n++ {
		for _, r := range []io.Reader{
			bytes.NewReader(snap[:n]),                    // Len known: checked up front
			iotest.HalfReader(bytes.NewBuffer(snap[:n])), // a stream: found where it ends
			io.MultiReader(bytes.NewReader(snap[:n/2]), bytes.NewReader(snap[n/2:n])),
		} {
			_, err := ReadSnapshot(r, Options{})
			if !errors.Is(err, ErrBadSnapshot) || !strings.Contains(err.Error(), "offset ") {
				t.Fatalf("cut at %d of %d: err %v, want ErrBadSnapshot with offset", n, len(snap), err)
			}
		}
	}
	// Bytes after the end belong to someone else.
	if _, err := ReadSnapshot(bytes.NewReader(append(slices.Clone(snap), "more"...)), Options{}); err != nil {
		t.Fatalf("with trailing bytes: %v", err)
	}
}

func TestReadSnapshotReadError(t *testing.T) {
	snap := snapSmall(t)
	boom := errors.New("disk on fire")
	r := io.MultiReader(bytes.NewReader(snap[:100]), iotest.ErrReader(boom))
	_, err := ReadSnapshot(r, Options{})
	// The offset is where the item being read when it failed starts.
	var at int
	if !errors.Is(err, boom) || errors.Is(err, ErrBadSnapshot) ||
		func() bool {
			_, e := fmt.Sscanf(err.Error(), "tree: reading snapshot at offset %d", &at)
			return e != nil
		}() ||
		at > 100 || at < 100-snapNodeLen {
		t.Fatalf("got %v, want the read error at the item around offset 100", err)
	}
}

// TestReadSnapshotRejects writes captures corrupted by corrupt and checks
// the error names the offset of the offending item.
func TestReadSnapshotRejects(t *testing.T) {
	base := func() *Tree {
		g := newSnapGen(t, 31)
		g.apply(proto.OpCreateSession, 0x5, &CreateSessionBody{Timeout: 5000, Passwd: []byte("pw")})
		for _, p := range []string{"/a", "/a/b", "/c"} {
			g.apply(proto.OpCreate, 0x5, &proto.CreateRequest{Path: p, ACL: g.aclPool[1], Flags: proto.ModePersistent})
		}
		g.apply(proto.OpCreate, 0x5, &proto.CreateRequest{Path: "/e", ACL: proto.OpenACLUnsafe(), Flags: proto.ModeEphemeral})
		return g.t
	}
	// node returns the captured node at path.
	node := func(c *Capture, path string) *capturedNode {
		for i := range c.list {
			if c.list[i].path == path {
				return &c.list[i]
			}
		}
		t.Fatalf("no %s", path)
		return nil
	}
	tests := []struct {
		name    string
		capture func(c *Capture)           // changes the capture before WriteTo, or
		bytes   func(c *Capture, b []byte) // changes the bytes after
		want    string
	}{
		{name: "magic", bytes: func(_ *Capture, b []byte) { b[0] = 'X' }, want: "offset 0: magic"},
		{name: "version", bytes: func(_ *Capture, b []byte) { b[7] = 9 }, want: "offset 4: format version 9"},
		{name: "length short", bytes: func(_ *Capture, b []byte) { binary.BigEndian.PutUint64(b[8:], 10) }, want: "offset 8: length 10"},
		{name: "length long", bytes: func(_ *Capture, b []byte) { binary.BigEndian.PutUint64(b[8:], uint64(len(b)+1)) }, want: "truncated"},
		{name: "no nodes", bytes: func(_ *Capture, b []byte) { clear(b[32:40]) }, want: "offset 32: 0 nodes"},
		{name: "too many acls", bytes: func(_ *Capture, b []byte) { b[24] = 0x7f }, want: "offset 24:"},
		{name: "path length", bytes: func(c *Capture, b []byte) {
			last := &c.list[len(c.list)-1]
			at := len(b) - snapTrailerLen - snapNodeLen - len(last.path) - len(last.node.data)
			b[at+68] = 0x70
		}, want: "path length"},
		{name: "end marker", bytes: func(_ *Capture, b []byte) { b[len(b)-1] = 'X' }, want: "end marker"},
		{name: "acl ref order", capture: func(c *Capture) { c.acls[1].ref = c.acls[0].ref }, want: "refs must ascend"},
		{name: "acl count", capture: func(c *Capture) { c.acls[0].count++ }, want: "used by"},
		{name: "acl count zero", capture: func(c *Capture) { c.acls[0].count = 0 }, want: "offset 48: ACL ref 1 has count 0"},
		{name: "unknown ref", capture: func(c *Capture) { node(c, "/c").node.acl = 99 }, want: "unknown ACL ref 99"},
		{name: "missing session", capture: func(c *Capture) { c.sessions = c.sessions[:0] }, want: `node "/e": ephemeral of unknown session 0x5`},
		{name: "missing parent", capture: func(c *Capture) { node(c, "/a").path = "/Z"; sortList(c) }, want: `node "/a/b": parent missing`},
		{name: "ephemeral parent", capture: func(c *Capture) { node(c, "/a").node.ephemeralOwner = 0x5; c.ephemerals++ }, want: `node "/a/b": parent is ephemeral`},
		{name: "bad path", capture: func(c *Capture) { node(c, "/c").path = "/c/" }, want: `"/c/": invalid path`},
		{name: "root not first", capture: func(c *Capture) { node(c, "/").path = "/0"; sortList(c) }, want: "the first node must be the root"},
		{name: "order", capture: func(c *Capture) { c.list[2], c.list[3] = c.list[3], c.list[2] }, want: "paths must ascend"},
		{name: "ephemeral count", capture: func(c *Capture) { c.ephemerals = 7 }, want: "7 ephemerals recorded, 1 loaded"},
		{name: "session order", capture: func(c *Capture) {
			c.sessions = append(c.sessions, capturedSession{id: 1})
			slices.SortFunc(c.sessions, func(a, b capturedSession) int { return cmp.Compare(a.id, b.id) })
			c.sessions[0], c.sessions[1] = c.sessions[1], c.sessions[0]
		}, want: "ids must ascend"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base().Capture()
			c.flatten()
			if tt.capture != nil {
				tt.capture(c)
			}
			var buf bytes.Buffer
			if _, err := c.WriteTo(&buf); err != nil {
				t.Fatal(err)
			}
			b := buf.Bytes()
			if tt.bytes != nil {
				tt.bytes(c, b)
			}
			_, err := ReadSnapshot(bytes.NewReader(b), Options{})
			if !errors.Is(err, ErrBadSnapshot) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want ErrBadSnapshot with %q", err, tt.want)
			}
		})
	}
}

// TestReadSnapshotBitFlips flips every bit of a small snapshot: each load
// fails cleanly or, if the result is valid, encodes back to the input.
func TestReadSnapshotBitFlips(t *testing.T) {
	snap := snapSmall(t)
	for i := range snap {
		for bit := range 8 {
			b := slices.Clone(snap)
			b[i] ^= 1 << bit
			snapCheckDecode(t, b)
		}
	}
}

// snapCheckDecode asserts ReadSnapshot either fails with ErrBadSnapshot or
// yields a tree whose snapshot is the input again.
func snapCheckDecode(t *testing.T, b []byte) {
	t.Helper()
	tr, err := ReadSnapshot(bytes.NewReader(b), Options{})
	if err != nil {
		if !errors.Is(err, ErrBadSnapshot) {
			t.Fatalf("error %v does not wrap ErrBadSnapshot", err)
		}
		return
	}
	snapCheckLinks(t, tr)
	again := snapBytes(t, tr)
	if binary.BigEndian.Uint32(b[4:]) == snapVersionV1 {
		// An older version is written as the current one; that must load
		// as the same tree.
		tr2, err := ReadSnapshot(bytes.NewReader(again), Options{})
		if err != nil {
			t.Fatalf("version 1 input rewritten as version %d does not load: %v", snapVersion, err)
		}
		if want, have := snapDump(tr), snapDump(tr2); want != have {
			t.Fatalf("version 1 input rewritten loads differently:\n%s", snapDiff(want, have))
		}
		return
	}
	if len(again) > len(b) || !bytes.Equal(again, b[:len(again)]) {
		t.Fatalf("accepted input does not encode back to itself")
	}
}

func FuzzReadSnapshot(f *testing.F) {
	f.Add(snapBytes(f, New(Options{})))
	f.Add(snapSmall(f))
	f.Fuzz(snapCheckDecode)
}

// TestRestoreBuildsSameTree rebuilds a random tree through the Restore
// methods, as an import from ZooKeeper would, and compares.
func TestRestoreBuildsSameTree(t *testing.T) {
	g := snapRandomTree(t, 51, 3000)
	src := g.t
	dst := New(Options{})
	for _, id := range src.Sessions() {
		s := src.Session(id)
		dst.RestoreSession(id, s.Timeout, s.Passwd)
		dst.Session(id).Owner = s.Owner // ZooKeeper's snapshots have no owners
	}
	var err error
	src.Walk(func(p string, n *Node) {
		st := PersistedStat{Czxid: n.czxid, Mzxid: n.mzxid, Pzxid: n.pzxid, Ctime: n.ctime, Mtime: n.mtime,
			Version: n.version, Cversion: n.cversion, Aversion: n.aversion, EphemeralOwner: n.ephemeralOwner}
		if e := dst.RestoreNode(p, n.Data(), st, src.ACL(n)); e != nil && err == nil {
			err = e
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	dst.SetLastZxid(src.LastZxid())
	if want, got := snapDump(src), snapDump(dst); want != got {
		t.Fatalf("restored tree differs:\n%s", snapDiff(want, got))
	}
	snapCheckLinks(t, dst)
	// And a restored tree snapshots and loads like any other.
	if _, err := ReadSnapshot(bytes.NewReader(snapBytes(t, dst)), Options{}); err != nil {
		t.Fatal(err)
	}
}

func TestRestoreNodeRejects(t *testing.T) {
	tr := New(Options{})
	tr.RestoreSession(0x9, 3000, []byte("pw"))
	eph := PersistedStat{EphemeralOwner: 0x9}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(tr.RestoreNode("/p", nil, PersistedStat{}, nil))
	must(tr.RestoreNode("/e", []byte("x"), eph, nil))
	tests := []struct {
		name, path string
		st         PersistedStat
		want       string
	}{
		{"invalid path", "/p/", PersistedStat{}, "invalid path"},
		{"no parent", "/q/r", PersistedStat{}, "parent /q missing"},
		{"ephemeral parent", "/e/c", PersistedStat{}, "parent /e is ephemeral"},
		{"unknown session", "/f", PersistedStat{EphemeralOwner: 0x10}, "unknown session 0x10"},
		{"ephemeral with children", "/", eph, "cannot have children"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tr.RestoreNode(tt.path, nil, tt.st, nil)
			if !errors.Is(err, ErrBadSnapshot) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
	// Replacing an ephemeral with a persistent node moves the counters.
	must(tr.RestoreNode("/e", nil, PersistedStat{Version: 3}, nil))
	if tr.EphemeralCount() != 0 || len(tr.Session(0x9).Ephemerals()) != 0 || tr.Get("/e").version != 3 {
		t.Fatalf("ephemeral bookkeeping after replace: %d %v", tr.EphemeralCount(), tr.Session(0x9).Ephemerals())
	}
}

// sortList puts a flattened capture's list back in path order.
func sortList(c *Capture) {
	slices.SortFunc(c.list, func(a, b capturedNode) int { return strings.Compare(a.path, b.path) })
}

// TestReadSnapshotVersion1 loads a version-1 snapshot (sessions without
// owners, as zkd wrote before owners): the same tree with owner 0 on every
// session, written again as version 2.
func TestReadSnapshotVersion1(t *testing.T) {
	g := newSnapGen(t, 41)
	for i, id := range []int64{0x51, 0x52, 0x53} {
		g.applyFrom(uint64(i+1), proto.OpCreateSession, id, &CreateSessionBody{Timeout: 5000, Passwd: []byte{byte(i), 1, 2}})
		g.apply(proto.OpCreate, id, &proto.CreateRequest{Path: fmt.Sprintf("/e%d", i), ACL: proto.OpenACLUnsafe(), Flags: proto.ModeEphemeral})
	}
	if r := g.applyFrom(3, OpMoveSession, 0x51, &MoveSessionBody{Passwd: []byte{0, 1, 2}}); r.Err != proto.ErrOK {
		t.Fatalf("move: %v", r.Err)
	}
	v2 := snapBytes(t, g.t)
	// Version 1: the version, the length, and no owner in each session.
	at := snapHeaderLen
	for range binary.BigEndian.Uint32(v2[24:]) { // skip the ACL table
		n := int(binary.BigEndian.Uint32(v2[at+16:]))
		at += snapACLLen
		for range n {
			at += snapACLItemLen + int(binary.BigEndian.Uint32(v2[at+4:])) + int(binary.BigEndian.Uint32(v2[at+8:]))
		}
	}
	v1 := append([]byte(nil), v2[:at]...)
	binary.BigEndian.PutUint32(v1[4:], snapVersionV1)
	for range g.t.SessionCount() {
		plen := int(binary.BigEndian.Uint32(v2[at+20:]))
		v1 = append(v1, v2[at:at+12]...)
		v1 = append(v1, v2[at+20:at+snapSessLen+plen]...)
		at += snapSessLen + plen
	}
	v1 = append(v1, v2[at:]...)
	binary.BigEndian.PutUint64(v1[8:], uint64(len(v1)))

	got, err := ReadSnapshot(bytes.NewReader(v1), Options{})
	if err != nil {
		t.Fatalf("ReadSnapshot of version 1: %v", err)
	}
	for _, id := range g.t.Sessions() {
		if g.t.sessions[id].Owner == 0 {
			t.Fatalf("session %#x has no owner in the source tree", id)
		}
		g.t.sessions[id].Owner = 0
	}
	if want, have := snapDump(g.t), snapDump(got); want != have {
		t.Fatalf("version 1 loads differently:\n%s", snapDiff(want, have))
	}
	if again := snapBytes(t, got); binary.BigEndian.Uint32(again[4:]) != snapVersion || len(again) != len(v2) {
		t.Errorf("rewritten as version %d, %d bytes; want version %d, %d bytes",
			binary.BigEndian.Uint32(again[4:]), len(again), snapVersion, len(v2))
	}
}
