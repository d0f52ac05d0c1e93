package acl

import (
	"slices"
	"testing"

	"zkd/zkd/proto"
)

func TestACLCacheInternRelease(t *testing.T) {
	var c ACLCache // the zero value works
	open := proto.OpenACLUnsafe()
	read := []proto.ACL{{Perms: proto.PermRead, ID: proto.WorldAnyone}}
	user := []proto.ACL{{Perms: proto.PermAll, ID: proto.ID{Scheme: "digest", ID: "u:h"}}, read[0]}

	steps := []struct {
		op     string // "intern" or "release"
		acl    []proto.ACL
		ref    ACLRef // expected ref (intern) or ref to release
		count  int64  // references to ref afterwards
		length int    // c.Len() afterwards
	}{
		{"intern", open, 1, 1, 1},
		{"intern", read, 2, 1, 2},
		{"intern", proto.OpenACLUnsafe(), 1, 2, 2}, // equal list, same ref
		{"intern", user, 3, 1, 3},
		{"release", nil, 1, 1, 3},
		{"release", nil, 1, 0, 2}, // last reference: gone
		{"intern", open, 4, 1, 3}, // refs are never reused
		{"release", nil, 2, 0, 2},
		{"release", nil, 3, 0, 1},
		{"release", nil, 4, 0, 0},
	}
	for i, s := range steps {
		switch s.op {
		case "intern":
			if got := c.Intern(s.acl); got != s.ref {
				t.Fatalf("step %d: Intern = %d, want %d", i, got, s.ref)
			}
			if got := c.Get(s.ref); !slices.Equal(got, s.acl) {
				t.Fatalf("step %d: Get(%d) = %v, want %v", i, s.ref, got, s.acl)
			}
		case "release":
			if !c.Release(s.ref) {
				t.Fatalf("step %d: Release(%d) = false", i, s.ref)
			}
		}
		if got := c.Count(s.ref); got != s.count {
			t.Fatalf("step %d: Count(%d) = %d, want %d", i, s.ref, got, s.count)
		}
		if got := c.Len(); got != s.length {
			t.Fatalf("step %d: Len = %d, want %d", i, got, s.length)
		}
	}
	if c.Release(4) || c.Retain(4) || c.Get(4) != nil {
		t.Fatal("a released ref is still known")
	}
}

func TestACLCacheOrderMatters(t *testing.T) {
	c := NewACLCache()
	a := proto.ACL{Perms: proto.PermRead, ID: proto.WorldAnyone}
	b := proto.ACL{Perms: proto.PermAll, ID: proto.ID{Scheme: "ip", ID: "10.0.0.0/8"}}
	if c.Intern([]proto.ACL{a, b}) == c.Intern([]proto.ACL{b, a}) {
		t.Fatal("lists in a different order share a ref")
	}
	// Keys must not collide when strings move between scheme and id.
	x := []proto.ACL{{Perms: 1, ID: proto.ID{Scheme: "ab", ID: "c"}}}
	y := []proto.ACL{{Perms: 1, ID: proto.ID{Scheme: "a", ID: "bc"}}}
	if c.Intern(x) == c.Intern(y) {
		t.Fatal("different ids share a ref")
	}
}

func TestACLCacheCopies(t *testing.T) {
	c := NewACLCache()
	in := proto.OpenACLUnsafe()
	ref := c.Intern(in)
	in[0].Perms = proto.PermRead // the caller's slice is not the stored one
	if got := c.Get(ref); got[0].Perms != proto.PermAll {
		t.Fatalf("stored list changed with the caller's: %v", got)
	}
	got := append(c.Get(ref), in[0]) // appending must not write into the cache
	if len(c.Get(ref)) != 1 || len(got) != 2 {
		t.Fatalf("append to Get's slice reached the cache: %v", c.Get(ref))
	}
}

func TestACLCacheOpenUnsafeRef(t *testing.T) {
	var c ACLCache
	if got := c.Intern(nil); got != OpenACLUnsafeRef {
		t.Fatalf("Intern(nil) = %d, want OpenACLUnsafeRef", got)
	}
	if got := c.Get(OpenACLUnsafeRef); !slices.Equal(got, proto.OpenACLUnsafe()) {
		t.Fatalf("Get(OpenACLUnsafeRef) = %v", got)
	}
	if !c.Retain(OpenACLUnsafeRef) || !c.Release(OpenACLUnsafeRef) || c.Len() != 0 {
		t.Fatal("OpenACLUnsafeRef must be known and uncounted")
	}
	if c.Intern([]proto.ACL{}) == OpenACLUnsafeRef {
		t.Fatal("an empty list is not nil")
	}
}

// TestACLCacheSnapshot restores a table as ZooKeeper loads a snapshot: lists
// first, then each znode retains its ref, then unused lists are purged.
func TestACLCacheSnapshot(t *testing.T) {
	src := NewACLCache()
	lists := [][]proto.ACL{
		proto.OpenACLUnsafe(),
		{{Perms: proto.PermRead, ID: proto.WorldAnyone}},
		{{Perms: proto.PermAll, ID: proto.ID{Scheme: "digest", ID: "u:h"}}},
	}
	for _, l := range lists {
		src.Intern(l)
	}
	src.Release(2) // ref 2 is gone; refs 1 and 3 stay

	dst := NewACLCache()
	for ref, acl := range src.All {
		if err := dst.Load(ref, acl); err != nil {
			t.Fatal(err)
		}
	}
	if err := dst.Load(1, lists[0]); err == nil {
		t.Fatal("loading ref 1 twice succeeded")
	}
	if err := dst.Load(OpenACLUnsafeRef, lists[0]); err == nil {
		t.Fatal("loading OpenACLUnsafeRef succeeded")
	}
	if !dst.Retain(3) {
		t.Fatal("Retain(3) after Load = false")
	}
	dst.PurgeUnused() // nobody retained ref 1
	if dst.Len() != 1 || dst.Get(1) != nil || !slices.Equal(dst.Get(3), lists[2]) {
		t.Fatalf("after purge: Len %d, Get(1) %v, Get(3) %v", dst.Len(), dst.Get(1), dst.Get(3))
	}
	if got := dst.Intern(lists[2]); got != 3 {
		t.Fatalf("Intern of a loaded list = %d, want 3", got)
	}
	if got := dst.Intern(lists[1]); got != 4 {
		t.Fatalf("Intern of a new list after loading up to 3 = %d, want 4", got)
	}
	var refs []ACLRef
	for ref := range dst.All {
		refs = append(refs, ref)
	}
	if !slices.Equal(refs, []ACLRef{3, 4}) {
		t.Fatalf("All refs = %v, want [3 4]", refs)
	}
}
