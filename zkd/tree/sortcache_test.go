package tree

import (
	"bytes"
	"fmt"
	"strings"
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
// of 2 or more children in the cache (and merged into it when it grew)
// are byte for byte those that sort every directory, and the cache is
// used.
func TestSortCacheRandom(t *testing.T) {
	merges := 0
	for _, seed := range []uint64{1, 2, 3} {
		g := snapRandomTree(t, seed, 1500)
		g.t.sorts.minKeys = 2
		g.t.sorts.mergeMinKeys = 2
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
		merges += g.t.sorts.merges
	}
	if merges == 0 {
		t.Error("no merge in any seed: the test no longer exercises them")
	}
}

// TestSortCacheMerge grows one big directory between snapshots (names
// that tie on their first 8 and 16 bytes or are prefixes of each other,
// children that get children) with a few removes between, and checks
// every snapshot against one that sorts everything.
func TestSortCacheMerge(t *testing.T) {
	g := newSnapGen(t, 11)
	g.t.sorts.mergeMinKeys = 64
	const sess = 0x78
	g.apply(proto.OpCreateSession, sess, &CreateSessionBody{Timeout: 5000})
	create := func(path string) proto.ErrCode {
		return g.apply(proto.OpCreate, sess, &proto.CreateRequest{Path: path, ACL: proto.OpenACLUnsafe()}).Err
	}
	create("/q")
	var names, subs []string
	prefixes := []string{"", "lock-", "1a2b3c4d-", "1a2b3c4d-0123456", "x"}
	for round := range 40 {
		for range 20 + g.rng.IntN(80) {
			name := prefixes[g.rng.IntN(len(prefixes))] + fmt.Sprint(g.rng.IntN(5000))
			if create("/q/"+name) == proto.ErrOK {
				names = append(names, name)
			}
		}
		switch round % 5 {
		case 1: // a child gets a child: the shape changes
			sub := "/q/" + names[g.rng.IntN(len(names))] + "/sub"
			if create(sub) == proto.ErrOK {
				subs = append(subs, sub)
			}
		case 4: // one child loses its child and another gets one: as many keys
			if len(subs) > 0 {
				g.apply(proto.OpDelete, sess, &proto.DeleteRequest{Path: subs[0], Version: -1})
				subs = subs[1:]
				sub := "/q/" + names[g.rng.IntN(len(names))] + "/sub"
				if create(sub) == proto.ErrOK {
					subs = append(subs, sub)
				}
			}
		case 3: // a remove: slots may move
			i := g.rng.IntN(len(names))
			g.apply(proto.OpDelete, sess, &proto.DeleteRequest{Path: "/q/" + names[i], Version: -1})
		}
		if got, want := snapBytes(t, g.t), snapBytesUncached(t, g.t); !bytes.Equal(got, want) {
			t.Fatalf("round %d: the snapshot with the sort cache differs from the one without", round)
		}
	}
	if g.t.sorts.merges < 10 || g.t.sorts.misses == 0 {
		t.Errorf("%d merges, %d full sorts: the test no longer exercises both", g.t.sorts.merges, g.t.sorts.misses)
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
	g.t.sorts.mergeMinKeys = 256
	const (
		hit   = "hit"
		merge = "merge"
		sort  = "sort"
	)
	check := func(what, want string) {
		t.Helper()
		hits, merges, misses := g.t.sorts.hits, g.t.sorts.merges, g.t.sorts.misses
		got := snapBytes(t, g.t)
		if want := snapBytesUncached(t, g.t); !bytes.Equal(got, want) {
			t.Fatalf("%s: the snapshot with the sort cache differs from the one without", what)
		}
		var did []string
		if g.t.sorts.hits > hits {
			did = append(did, hit)
		}
		if g.t.sorts.merges > merges {
			did = append(did, merge)
		}
		if g.t.sorts.misses > misses {
			did = append(did, sort)
		}
		if got := strings.Join(did, "+"); got != want {
			t.Errorf("%s: the cache did %q, want %q", what, got, want)
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
	check("first snapshot", sort)
	check("nothing changed", hit)
	set("/big/a007")
	set("/big")
	check("setData of a child and of the directory", hit)
	create("/big/a500")
	check("a child added", merge)
	check("after it", hit)
	del("/big/a500")
	check("a child removed", sort)
	create("/big/a010/sub")
	check("a child got a child (the key list's shape)", sort)
	del("/big/a010/sub")
	create("/big/a011/sub")
	check("another child has the subtree now", sort)
	// A multi that adds a child and fails: the table changed and changed back.
	g.apply(proto.OpMulti, sess, &proto.MultiRequest{Ops: []proto.MultiOp{
		{Type: proto.OpCreate, Request: &proto.CreateRequest{Path: "/big/a999", ACL: proto.OpenACLUnsafe()}},
		{Type: proto.OpDelete, Request: &proto.DeleteRequest{Path: "/none", Version: -1}},
	}})
	if g.t.Get("/big/a999") != nil {
		t.Fatal("the failed multi left its create")
	}
	check("a rolled-back create", sort)
	// The directory deleted and made again with as many other children.
	del("/big/a011/sub")
	for i := range 300 {
		del(fmt.Sprintf("/big/a%03d", i))
	}
	del("/big")
	fill("b")
	check("the directory made again", sort)
	check("after it", hit)
	if n := len(g.t.sorts.entries); n != 1 {
		t.Errorf("%d cache entries, want the one directory", n)
	}
	del("/big/b001")
	for i := 2; i < 300; i++ {
		del(fmt.Sprintf("/big/b%03d", i))
	}
	check("the directory shrunk below the threshold (no entry)", "")
	if n := len(g.t.sorts.entries); n != 0 {
		t.Errorf("%d cache entries after the only big directory shrank, want 0", n)
	}
}
