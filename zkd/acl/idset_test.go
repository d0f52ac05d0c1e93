package acl

import (
	"slices"
	"testing"

	"zkd/zkd/proto"
)

func TestAddIDs(t *testing.T) {
	ip := proto.ID{Scheme: "ip", ID: "127.0.0.1"}
	super := proto.ID{Scheme: "super", ID: ""}
	root := proto.ID{Scheme: "digest", ID: "super:xQJmxLMiHGwaqBvst5y6rkB6HQs="}

	set := AddIDs(nil, ConnectionIDs("127.0.0.1")...)
	if want := []proto.ID{ip}; !slices.Equal(set, want) {
		t.Fatalf("new connection: %v, want %v", set, want)
	}
	ids, err := Authenticate("digest", []byte("super:admin"), "127.0.0.1", root.ID)
	if err != nil {
		t.Fatal(err)
	}
	set = AddIDs(set, ids...)
	// ZooKeeper 3.8 lists this session's ids in this order (see idset lines
	// in testdata/oracle.txt), not in the order they were added.
	if want := []proto.ID{root, super, ip}; !slices.Equal(set, want) {
		t.Fatalf("after addauth: %v, want %v", set, want)
	}
	again := AddIDs(slices.Clone(set), ids...)
	if !slices.Equal(again, set) {
		t.Fatalf("adding the same ids again: %v, want %v", again, set)
	}
	if got := AddIDs(nil); len(got) != 0 {
		t.Fatalf("AddIDs(nil) = %v", got)
	}
}
