package tree_test

import (
	"testing"

	"zkd/zkd/proto"
	"zkd/zkd/tree"
)

// TestACLEnforcement checks that each write asks for its permission on the
// right node (create: CREATE on the parent, delete: DELETE on the parent,
// setData: WRITE, setACL: ADMIN, check: READ on the node), that only that
// bit matters, and who gets past: a digest identity named by the ACL, a
// super identity, anyone under skipACL.
func TestACLEnforcement(t *testing.T) {
	type target int
	const (
		parent target = iota // the ACL under test is on /guard
		node                 // the ACL under test is on /guard/n
	)
	tests := []struct {
		name string
		perm int32
		on   target
		op   op
	}{
		{"create needs CREATE on the parent", proto.PermCreate, parent, create("/guard/new", "", proto.ModePersistent)},
		{"create2 needs CREATE on the parent", proto.PermCreate, parent, createOp(proto.OpCreate2, "/guard/new", proto.ModeEphemeral)},
		{"createContainer needs CREATE on the parent", proto.PermCreate, parent, createContainer("/guard/new")},
		{"createTTL needs CREATE on the parent", proto.PermCreate, parent, createTTL("/guard/new", proto.ModePersistentWithTTL, 10)},
		{"delete needs DELETE on the parent", proto.PermDelete, parent, del("/guard/n", -1)},
		{"setData needs WRITE", proto.PermWrite, node, setData("/guard/n", "x", -1)},
		{"setACL needs ADMIN", proto.PermAdmin, node, setACL("/guard/n", -1, world(proto.PermAll))},
		{"check needs READ", proto.PermRead, node, check("/guard/n", -1)},
		{"multi op needs its permission", proto.PermWrite, node, multi(check("/guard", -1), setData("/guard/n", "x", -1))},
	}
	alice := digestID(t, "alice:secret")
	bob := digestID(t, "bob:secret")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			setup := func(opts tree.Options, acl []proto.ACL) *fixture {
				f := newFixture(t, opts)
				f.must(create("/guard", "", proto.ModePersistent))
				f.must(create("/guard/n", "", proto.ModePersistent))
				path := "/guard"
				if tc.on == node {
					path = "/guard/n"
				}
				f.must(setACL(path, -1, acl...), withAuth(superID))
				f.take()
				return f
			}
			cases := []struct {
				name string
				opts tree.Options
				acl  []proto.ACL
				auth []proto.ID
				ok   bool
			}{
				{"world has every other bit", tree.Options{}, []proto.ACL{world(proto.PermAll &^ tc.perm)}, nil, false},
				{"world has the bit", tree.Options{}, []proto.ACL{world(tc.perm)}, nil, true},
				{"digest has it, caller anonymous", tree.Options{}, []proto.ACL{perm(proto.PermAll, alice)}, nil, false},
				{"digest has it, caller is someone else", tree.Options{}, []proto.ACL{perm(proto.PermAll, alice)}, []proto.ID{bob}, false},
				{"digest has it, caller is alice", tree.Options{}, []proto.ACL{perm(tc.perm, alice)}, []proto.ID{bob, alice}, true},
				{"digest lacks it, caller is alice", tree.Options{}, []proto.ACL{perm(proto.PermAll&^tc.perm, alice)}, []proto.ID{alice}, false},
				{"ip entry, caller's address", tree.Options{}, []proto.ACL{perm(tc.perm, proto.ID{Scheme: "ip", ID: "10.1.0.0/16"})},
					[]proto.ID{{Scheme: "ip", ID: "10.1.2.3"}}, true},
				{"ip entry, other address", tree.Options{}, []proto.ACL{perm(tc.perm, proto.ID{Scheme: "ip", ID: "10.1.0.0/16"})},
					[]proto.ID{{Scheme: "ip", ID: "10.2.2.3"}}, false},
				{"super bypasses", tree.Options{}, []proto.ACL{perm(proto.PermAll, alice)}, []proto.ID{superID}, true},
				{"skipACL", tree.Options{SkipACL: true}, []proto.ACL{perm(proto.PermAll, alice)}, nil, true},
			}
			for _, c := range cases {
				f := setup(c.opts, c.acl)
				before := dump(f.tr)
				r := f.do(tc.op, withAuth(c.auth...))
				switch {
				case c.ok && r.Err != proto.ErrOK:
					t.Errorf("%s: %v, want ok", c.name, r.Err)
				case !c.ok && r.Err != proto.ErrNoAuth:
					t.Errorf("%s: %v, want NoAuth", c.name, r.Err)
				case !c.ok:
					if got := dump(f.tr); got != before {
						t.Errorf("%s: refused op changed the tree", c.name)
					}
					if evs := f.take(); len(evs) != 0 {
						t.Errorf("%s: refused op emitted %v", c.name, evs)
					}
				}
			}
		})
	}
}

// TestACLOfOtherNodesIrrelevant checks that delete does not look at the
// node's own ACL and create does not look at the grandparent's.
func TestACLOfOtherNodesIrrelevant(t *testing.T) {
	f := newFixture(t, tree.Options{})
	f.must(createACL("/a", proto.ModePersistent, world(proto.PermCreate|proto.PermDelete|proto.PermRead)))
	f.must(createACL("/a/b", proto.ModePersistent, world(proto.PermRead)))
	f.must(createACL("/a/b2", proto.ModePersistent, world(proto.PermAll)))
	f.must(del("/a/b", -1))
	f.must(setACL("/a/b2", -1, world(proto.PermCreate)))
	f.must(create("/a/b2/c", "", proto.ModePersistent))
	if r := f.do(setACL("/a", -1, world(proto.PermAll))); r.Err != proto.ErrNoAuth {
		t.Errorf("setACL without ADMIN: %v", r.Err)
	}
}

// TestSkipACLStillValidatesACLs checks that skipACL skips permission checks
// only: a malformed ACL is still InvalidACL (fixupACL runs regardless).
func TestSkipACLStillValidatesACLs(t *testing.T) {
	f := newFixture(t, tree.Options{SkipACL: true})
	if r := f.do(createACL("/a", proto.ModePersistent)); r.Err != proto.ErrInvalidACL {
		t.Errorf("create with empty ACL under skipACL: %v", r.Err)
	}
	f.must(createACL("/a", proto.ModePersistent, world(0)))
	if r := f.do(setACL("/a", -1, perm(proto.PermAll, proto.AuthIDs))); r.Err != proto.ErrInvalidACL {
		t.Errorf("setACL auth without ids under skipACL: %v", r.Err)
	}
	f.must(setData("/a", "x", -1))
	f.must(create("/a/b", "", proto.ModePersistent))
}
