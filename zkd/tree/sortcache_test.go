package tree

import (
	"bytes"
	"fmt"
	"testing"

	"zkd/zkd/proto"
)

// snapBytesUncached writes a snapshot of t sorting every directory.
func snapBytesUncached(tb testing.TB, t *Tree) []byte {
	tb.Helper()
	c := t.Capture()
	c.sorts = nil
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// TestSortCacheRandom: snapshots taken between random txns (every kind of
// change, multis that roll back, sessions closing) with every directory
// of 2 or more children in the cache are byte for byte those that sort
// every directory, and the cache is used.
func TestSortCacheRandom(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		g := snapRandomTree(t, seed, 1500)
		g.t.sorts.minKeys = 2
		for round := range 40 {
			for range 1 + round%7*10 {
				g.step()
			}
			if got, want := snapBytes(t, g.t), snapBytesUncached(t, g.t); !bytes.Equal(got, want) {
				t.Fatalf("seed %d round %d: the snapshot with the sort cache differs from the one without", seed, round)
			}
		}
		if g.t.sorts.hits == 0 || g.t.sorts.misses == 0 {
			t.Errorf("seed %d: %d hits, %d misses: the test no longer exercises both", seed, g.t.sorts.hits, g.t.sorts.misses)
		}
	}
}

// TestSortCacheInvalidation walks one big directory through each change
// that must or must not make it sort again.
func TestSortCacheInvalidation(t *testing.T) {
	g := newSnapGen(t, 9)
	const sess = 0x77
	g.apply(proto.OpCreateSession, sess, &CreateSessionBody{Timeout: 5000})
	create := func(path string) Result {
		return g.apply(proto.OpCreate, sess, &proto.CreateRequest{Path: path, ACL: proto.OpenACLUnsafe()})
	}
	fill := func(prefix string) {
		create("/big")
		for i := range 300 {
			if r := create(fmt.Sprintf("/big/%s%03d", prefix, (i*7)%300)); r.Err != proto.ErrOK {
				t.Fatal(r.Err)
			}
		}
	}
	fill("a")
	check := func(what string, wantHit bool) {
		t.Helper()
		hits := g.t.sorts.hits
		got := snapBytes(t, g.t)
		if want := snapBytesUncached(t, g.t); !bytes.Equal(got, want) {
			t.Fatalf("%s: the snapshot with the sort cache differs from the one without", what)
		}
		if hit := g.t.sorts.hits > hits; hit != wantHit {
			t.Errorf("%s: cache hit %v, want %v", what, hit, wantHit)
		}
	}
	set := func(path string) {
		if r := g.apply(proto.OpSetData, sess, &proto.SetDataRequest{Path: path, Data: []byte("x"), Version: -1}); r.Err != proto.ErrOK {
			t.Fatal(r.Err)
		}
	}
	del := func(path string) {
		if r := g.apply(proto.OpDelete, sess, &proto.DeleteRequest{Path: path, Version: -1}); r.Err != proto.ErrOK {
			t.Fatalf("delete %s: %v", path, r.Err)
		}
	}
	check("first snapshot", false)
	check("nothing changed", true)
	set("/big/a007")
	set("/big")
	check("setData of a child and of the directory", true)
	create("/big/a500")
	check("a child added", false)
	check("after it", true)
	del("/big/a500")
	check("a child removed", false)
	create("/big/a010/sub")
	check("a child got a child (the key list's shape)", false)
	del("/big/a010/sub")
	create("/big/a011/sub")
	check("another child has the subtree now", false)
	// A multi that adds a child and fails: the table changed and changed back.
	g.apply(proto.OpMulti, sess, &proto.MultiRequest{Ops: []proto.MultiOp{
		{Type: proto.OpCreate, Request: &proto.CreateRequest{Path: "/big/a999", ACL: proto.OpenACLUnsafe()}},
		{Type: proto.OpDelete, Request: &proto.DeleteRequest{Path: "/none", Version: -1}},
	}})
	if g.t.Get("/big/a999") != nil {
		t.Fatal("the failed multi left its create")
	}
	check("a rolled-back create", false)
	// The directory deleted and made again with as many other children.
	del("/big/a011/sub")
	for i := range 300 {
		del(fmt.Sprintf("/big/a%03d", i))
	}
	del("/big")
	fill("b")
	check("the directory made again", false)
	check("after it", true)
	if n := len(g.t.sorts.entries); n != 1 {
		t.Errorf("%d cache entries, want the one directory", n)
	}
	del("/big/b001")
	for i := 2; i < 300; i++ {
		del(fmt.Sprintf("/big/b%03d", i))
	}
	check("the directory shrunk below the threshold", false)
	if n := len(g.t.sorts.entries); n != 0 {
		t.Errorf("%d cache entries after the only big directory shrank, want 0", n)
	}
}
