package tree

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"zkd/zkd/proto"
)

// TestCompareKeys checks the order of a directory's keys against the
// strings they stand for: a name, or the name and "/" before the rest of
// a path below it.
func TestCompareKeys(t *testing.T) {
	names := []string{"a", "a-", "a-b", "a.b", "a b", "a!", "a0", "ab", "b", "ü", "a\u007e", "-", "."}
	str := func(name string, sub bool) string {
		if sub {
			return name + "/x"
		}
		return name
	}
	for _, a := range names {
		for _, b := range names {
			for _, as := range []bool{false, true} {
				for _, bs := range []bool{false, true} {
					want := strings.Compare(str(a, as), str(b, bs))
					if a == b && as != bs {
						want = -1
						if as {
							want = 1
						}
					}
					if got := compareKeys(a, as, b, bs); got != want {
						t.Errorf("compareKeys(%q, %v, %q, %v) = %d, want %d", a, as, b, bs, got, want)
					}
				}
			}
		}
	}
}

// orderTree builds a tree whose names sort around "/": siblings that are
// prefixes of each other followed by bytes below and above '/', each with
// children of its own.
func orderTree(tb testing.TB, seed uint64) *snapGen {
	g := newSnapGen(tb, seed)
	const sess = 0x42
	g.apply(proto.OpCreateSession, sess, &CreateSessionBody{Timeout: 5000})
	names := []string{"a", "a-", "a-b", "a.b", "a b", "a!", "a0", "ab", "-", ".x", "ü", "z"}
	var create func(parent string, depth int)
	create = func(parent string, depth int) {
		for _, name := range names {
			if g.rng.IntN(3) == 0 {
				continue
			}
			p := joinPath(parent, name)
			if r := g.apply(proto.OpCreate, sess, &proto.CreateRequest{Path: p, Data: []byte(p), ACL: proto.OpenACLUnsafe()}); r.Err != proto.ErrOK {
				tb.Fatalf("create %s: %v", p, r.Err)
			}
			g.paths = append(g.paths, p)
			if depth > 0 {
				create(p, depth-1)
			}
		}
	}
	create(RootPath, 3)
	return g
}

// TestCaptureOrder checks that snapshots write such a tree in path order,
// whole, and that a stepwise capture with changes between its steps still
// writes the tree as it was.
func TestCaptureOrder(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		g := orderTree(t, seed)
		var paths []string
		g.t.Walk(func(p string, _ *Node) { paths = append(paths, p) })
		if !slices.IsSorted(paths) || len(paths) != g.t.count {
			t.Fatalf("seed %d: Walk gave %d paths (tree has %d), sorted %v", seed, len(paths), g.t.count, slices.IsSorted(paths))
		}
		want := snapBytes(t, g.t)
		got, err := ReadSnapshot(bytes.NewReader(want), Options{})
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if a, b := snapDump(g.t), snapDump(got); a != b {
			t.Fatalf("seed %d: loaded tree differs:\n%s", seed, snapDiff(a, b))
		}
		c := g.t.BeginCapture(nil)
		rng := rand.New(rand.NewPCG(seed, 99))
		for !c.Step(1 + rng.IntN(5)) {
			// Delete a leaf, recreate it, change a node, make new ones.
			p := g.pick(g.paths)
			if n := g.t.Get(p); n != nil && n.NumChildren() == 0 {
				g.apply(proto.OpDelete, 0x42, &proto.DeleteRequest{Path: p, Version: -1})
				if rng.IntN(2) == 0 {
					g.apply(proto.OpCreate, 0x42, &proto.CreateRequest{Path: p, Data: []byte("again"), ACL: proto.OpenACLUnsafe()})
				}
			}
			g.apply(proto.OpSetData, 0x42, &proto.SetDataRequest{Path: g.pick(g.paths), Data: []byte("later"), Version: -1})
			g.apply(proto.OpCreate, 0x42, &proto.CreateRequest{Path: joinPath(g.pick(g.paths), "a-new"), ACL: proto.OpenACLUnsafe()})
		}
		var buf bytes.Buffer
		if _, err := c.Finish(g.t).WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Fatalf("seed %d: stepwise capture differs from the tree at its start", seed)
		}
	}
}
