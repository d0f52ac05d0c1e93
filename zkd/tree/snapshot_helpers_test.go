package tree

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"zkd/zkd/acl"
	"zkd/zkd/proto"
)

// snapGen grows a random tree through Apply, as clients would: sessions
// come and go, every create mode, sequential names, TTLs, containers,
// setData/setACL/delete, multis and container cleanup.
type snapGen struct {
	tb       testing.TB
	t        *Tree
	rng      *rand.Rand
	zxid     int64
	now      int64
	sessions []int64  // ids created (some may be closed since)
	paths    []string // paths created (some may be gone since)
	nextSess int64
	aclPool  [][]proto.ACL
	small    bool // data of at most 8 bytes, for snapshots tested byte by byte
}

func newSnapGen(tb testing.TB, seed uint64) *snapGen {
	g := &snapGen{tb: tb, t: New(Options{}), rng: rand.New(rand.NewPCG(seed, 7)), now: 1_700_000_000_000, nextSess: 0x1000}
	digest := func(up string) proto.ID {
		d, err := acl.Digest(up)
		if err != nil {
			tb.Fatalf("digest %q: %v", up, err)
		}
		return proto.ID{Scheme: acl.SchemeDigest, ID: d}
	}
	ids := []proto.ID{proto.WorldAnyone, digest("alice:pw"), digest("bob:pw"),
		{Scheme: acl.SchemeIP, ID: "10.0.0.0/8"}, {Scheme: acl.SchemeIP, ID: "127.0.0.1"},
		{Scheme: acl.SchemeAuth, ID: ""}}
	for i := 0; i < 24; i++ {
		var list []proto.ACL
		for _, id := range ids {
			if g.rng.IntN(3) == 0 {
				list = append(list, proto.ACL{Perms: int32(1 + g.rng.IntN(31)), ID: id})
			}
		}
		if list == nil {
			list = proto.OpenACLUnsafe()
		}
		g.aclPool = append(g.aclPool, list)
	}
	return g
}

// auth lets every txn pass ACL checks (super) and gives "auth" entries a
// digest identity to expand to.
var snapAuth = []proto.ID{{Scheme: acl.SchemeSuper, ID: "super"}, {Scheme: acl.SchemeDigest, ID: "carol:x"}}

// apply applies a txn of session proposed by the server that owns it.
func (g *snapGen) apply(typ proto.OpCode, session int64, rec proto.Record) Result {
	return g.applyFrom(g.ownerOf(session), typ, session, rec)
}

func (g *snapGen) applyFrom(origin uint64, typ proto.OpCode, session int64, rec proto.Record) Result {
	g.zxid++
	g.now += int64(1 + g.rng.IntN(1000))
	txn := &Txn{Type: typ, Session: session, Time: g.now, Auth: snapAuth, Origin: origin}
	if rec != nil {
		txn.Body = proto.Encode(nil, rec)
	}
	return g.t.Apply(g.zxid, txn, nil)
}

func (g *snapGen) ownerOf(session int64) uint64 {
	if s := g.t.sessions[session]; s != nil {
		return s.Owner
	}
	return 1
}

// server returns one of three servers' ids, at random.
func (g *snapGen) server() uint64 { return uint64(1 + g.rng.IntN(3)) }

func (g *snapGen) pick(list []string) string { return list[g.rng.IntN(len(list))] }

// live returns a random path that still exists (forgetting gone ones on
// the way), the newest one if newest, or "/" if none is left.
func (g *snapGen) live(newest bool) string {
	for len(g.paths) > 0 {
		i := len(g.paths) - 1
		if !newest {
			i = g.rng.IntN(len(g.paths))
		}
		if p := g.paths[i]; g.t.Get(p) != nil {
			return p
		}
		g.paths = slices.Delete(g.paths, i, i+1)
	}
	return RootPath
}

// session returns a live session (forgetting closed ones on the way), or
// now and then one that is gone.
func (g *snapGen) session() int64 {
	for len(g.sessions) > 0 {
		i := g.rng.IntN(len(g.sessions))
		if id := g.sessions[i]; g.t.sessions[id] != nil || g.rng.IntN(50) == 0 {
			return id
		}
		g.sessions = slices.Delete(g.sessions, i, i+1)
	}
	return 0
}

func (g *snapGen) data() []byte {
	if g.small {
		return make([]byte, g.rng.IntN(9))
	}
	switch g.rng.IntN(10) {
	case 0:
		return nil
	case 1:
		return bytes.Repeat([]byte{byte(g.rng.IntN(256))}, 4096+g.rng.IntN(4096))
	}
	b := make([]byte, g.rng.IntN(64))
	for i := range b {
		b[i] = byte(g.rng.IntN(256))
	}
	return b
}

var snapNames = []string{"a", "b", "app", "lock-", "ü", "名前", "x.y", "node_", "seq-"}

// createReq returns a create of a random mode under a random parent; often
// the parent is the newest path, which makes deep chains.
func (g *snapGen) createReq() (proto.OpCode, proto.Record) {
	parent := RootPath
	if r := g.rng.IntN(10); r > 0 {
		parent = g.live(r < 5)
	}
	path := joinPath(parent, g.pick(snapNames)+fmt.Sprint(g.rng.IntN(50)))
	mode := int32(g.rng.IntN(7))
	acls := g.aclPool[g.rng.IntN(len(g.aclPool))]
	switch mode {
	case proto.ModeContainer:
		return proto.OpCreateContainer, &proto.CreateRequest{Path: path, Data: g.data(), ACL: acls, Flags: mode}
	case proto.ModePersistentWithTTL, proto.ModePersistentSequentialWithTTL:
		return proto.OpCreateTTL, &proto.CreateTTLRequest{Path: path, Data: g.data(), ACL: acls, Flags: mode, TTL: int64(1 + g.rng.IntN(100000))}
	}
	op := proto.OpCreate
	if g.rng.IntN(2) == 0 {
		op = proto.OpCreate2
	}
	return op, &proto.CreateRequest{Path: path, Data: g.data(), ACL: acls, Flags: mode}
}

func (g *snapGen) step() {
	switch r := g.rng.IntN(100); {
	case r < 8 || len(g.sessions) == 0:
		g.nextSess++
		pw := make([]byte, 16)
		for i := range pw {
			pw[i] = byte(g.rng.IntN(256))
		}
		g.applyFrom(g.server(), proto.OpCreateSession, g.nextSess, &CreateSessionBody{Timeout: int32(4000 + g.rng.IntN(30000)), Passwd: pw})
		g.sessions = append(g.sessions, g.nextSess)
	case r < 10:
		g.apply(proto.OpCloseSession, g.session(), nil)
	case r < 12:
		id := g.session()
		var pw []byte
		if s := g.t.sessions[id]; s != nil && g.rng.IntN(10) != 0 { // else a wrong one
			pw = s.Passwd
		}
		g.applyFrom(g.server(), OpMoveSession, id, &MoveSessionBody{Passwd: pw})
	case r < 60:
		op, req := g.createReq()
		if res := g.apply(op, g.session(), req); res.Err == proto.ErrOK {
			g.paths = append(g.paths, res.Path)
		}
	case r < 73:
		g.apply(proto.OpSetData, g.session(), &proto.SetDataRequest{Path: g.live(false), Data: g.data(), Version: -1})
	case r < 75: // from a server the session has left: refused
		g.applyFrom(g.server(), proto.OpSetData, g.session(), &proto.SetDataRequest{Path: g.live(false), Data: g.data(), Version: -1})
	case r < 83:
		acls := g.aclPool[g.rng.IntN(len(g.aclPool))]
		g.apply(proto.OpSetACL, g.session(), &proto.SetACLRequest{Path: g.live(false), ACL: acls, Version: -1})
	case r < 92:
		g.apply(proto.OpDelete, g.session(), &proto.DeleteRequest{Path: g.live(false), Version: -1})
	case r < 96:
		m := &proto.MultiRequest{}
		for range 1 + g.rng.IntN(3) {
			op, req := g.createReq()
			m.Ops = append(m.Ops, proto.MultiOp{Type: op, Request: req})
		}
		m.Ops = append(m.Ops, proto.MultiOp{Type: proto.OpSetData, Request: &proto.SetDataRequest{Path: g.live(false), Data: g.data(), Version: -1}})
		g.apply(proto.OpMulti, g.session(), m)
	default:
		g.now += 200000 // past every TTL
		g.apply(proto.OpDeleteContainer, g.session(), &PathBody{Path: g.live(false)})
	}
}

// snapRandomTree applies steps random txns from seed.
func snapRandomTree(tb testing.TB, seed uint64, steps int) *snapGen {
	g := newSnapGen(tb, seed)
	for range steps {
		g.step()
	}
	return g
}

// snapBytes serializes t as a snapshot taken now.
func snapBytes(tb testing.TB, t *Tree) []byte {
	tb.Helper()
	var buf bytes.Buffer
	c := t.Capture()
	n, err := c.WriteTo(&buf)
	if err != nil {
		tb.Fatalf("WriteTo: %v", err)
	}
	if n != int64(buf.Len()) || n != c.Size() {
		tb.Fatalf("WriteTo reported %d bytes, wrote %d, Size says %d", n, buf.Len(), c.Size())
	}
	return buf.Bytes()
}

// snapDump describes everything the state holds, derived parts included
// (children maps, session ephemerals, counters, ACL use counts), by value:
// ACL lists rather than refs, so trees built different ways compare.
func snapDump(t *Tree) string {
	var b strings.Builder
	fmt.Fprintf(&b, "lastZxid=%d nodes=%d ephemerals=%d dataSize=%d acls=%d\n",
		t.lastZxid, t.count, t.ephemerals, t.dataSize, t.acls.Len())
	uses := map[string]int64{}
	for ref, list := range t.acls.All {
		uses[fmt.Sprint(list)] += t.acls.Count(ref)
	}
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range uses {
			if !yield(k) {
				return
			}
		}
	}) {
		fmt.Fprintf(&b, "acl %s used %d\n", k, uses[k])
	}
	t.Walk(func(p string, n *Node) {
		fmt.Fprintf(&b, "%s czxid=%d mzxid=%d pzxid=%d ctime=%d mtime=%d v=%d cv=%d av=%d owner=%#x data=%q acl=%v children=%v\n",
			p, n.czxid, n.mzxid, n.pzxid, n.ctime, n.mtime, n.version, n.cversion, n.aversion,
			uint64(n.ephemeralOwner), n.data, t.ACL(n), n.Children())
	})
	for _, id := range t.Sessions() {
		s := t.sessions[id]
		fmt.Fprintf(&b, "session %#x timeout=%d owner=%d passwd=%x ephemerals=%v\n", id, s.Timeout, s.Owner, s.Passwd, s.Ephemerals())
	}
	return b.String()
}

// snapCheckLinks checks that children maps are exactly what the paths say.
func snapCheckLinks(tb testing.TB, t *Tree) {
	tb.Helper()
	want := map[string][]string{}
	nodes := allNodes(t)
	for p := range nodes {
		if p != RootPath {
			want[ParentPath(p)] = append(want[ParentPath(p)], childName(p))
		}
	}
	if len(nodes) != t.count {
		tb.Errorf("%d nodes found, the tree counts %d", len(nodes), t.count)
	}
	for p, n := range nodes {
		w := want[p]
		slices.Sort(w)
		if got := n.Children(); !slices.Equal(got, w) && len(got)+len(w) > 0 {
			tb.Errorf("%s children %v, paths say %v", p, got, w)
		}
	}
}

// snapDiff shows the first differing line of two dumps.
func snapDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := range min(len(w), len(g)) {
		if w[i] != g[i] {
			return fmt.Sprintf("line %d\nwant %s\ngot  %s", i, w[i], g[i])
		}
	}
	return fmt.Sprintf("%d lines vs %d", len(w), len(g))
}

// snapSmall is a small snapshot (about 1 KiB) holding every kind of item:
// sessions, several ACL lists, and persistent, sequential, ephemeral,
// container and TTL nodes.
func snapSmall(tb testing.TB) []byte {
	g := newSnapGen(tb, 21)
	g.apply(proto.OpCreateSession, 0x31, &CreateSessionBody{Timeout: 5000, Passwd: []byte("pw")})
	g.apply(proto.OpCreateSession, 0x32, &CreateSessionBody{Timeout: 9000})
	for _, r := range []struct {
		op    proto.OpCode
		path  string
		flags int32
		acl   int
	}{
		{proto.OpCreate, "/a", proto.ModePersistent, 1},
		{proto.OpCreate, "/a/s-", proto.ModePersistentSequential, 2},
		{proto.OpCreate, "/a/e", proto.ModeEphemeral, 3},
		{proto.OpCreateContainer, "/c", proto.ModeContainer, 0},
		{proto.OpCreate, "/c/x", proto.ModePersistent, 4},
		{proto.OpCreateTTL, "/t", proto.ModePersistentWithTTL, 5},
	} {
		req := proto.Record(&proto.CreateRequest{Path: r.path, Data: []byte("d" + r.path), ACL: g.aclPool[r.acl], Flags: r.flags})
		if r.op == proto.OpCreateTTL {
			req = &proto.CreateTTLRequest{Path: r.path, ACL: g.aclPool[r.acl], Flags: r.flags, TTL: 5000}
		}
		if res := g.apply(r.op, 0x31, req); res.Err != proto.ErrOK {
			tb.Fatalf("create %s: %v", r.path, res.Err)
		}
	}
	g.apply(proto.OpSetACL, 0x31, &proto.SetACLRequest{Path: "/a", ACL: g.aclPool[6], Version: -1})
	return snapBytes(tb, g.t)
}

// allNodes returns every node of t by path.
func allNodes(t *Tree) map[string]*Node {
	nodes := map[string]*Node{}
	t.Walk(func(p string, n *Node) { nodes[p] = n })
	return nodes
}

// flatten turns c into a list of copies of its nodes in path order
// (Capture.list), which WriteTo then writes as it is: tests change it to
// write bad snapshots.
func (c *Capture) flatten() {
	c.prepare()
	c.each(nil, func(path []byte, n *Node) bool {
		cn := capturedNode{path: string(path), node: *n}
		cn.node.nlen = 0 // a copy has no name after it
		c.list = append(c.list, cn)
		return true
	})
	if c.list == nil {
		c.list = []capturedNode{}
	}
}
