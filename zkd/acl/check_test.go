package acl

import (
	"testing"

	"zkd/zkd/proto"
)

// allPerms are the five permission bits in zkCli's order.
var allPerms = []int32{proto.PermCreate, proto.PermDelete, proto.PermRead, proto.PermWrite, proto.PermAdmin}

// TestCheckEveryPermAndScheme grants each single perm through each kind of
// entry and asks for every perm, so that exactly the granted one passes.
func TestCheckEveryPermAndScheme(t *testing.T) {
	userID := proto.ID{Scheme: "digest", ID: "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY="}
	session := []proto.ID{{Scheme: "ip", ID: "10.1.2.3"}, userID}
	entries := []struct {
		name    string
		id      proto.ID
		matches bool // whether the entry applies to session
	}{
		{"world:anyone", proto.ID{Scheme: "world", ID: "anyone"}, true},
		{"digest", userID, true},
		{"other digest", proto.ID{Scheme: "digest", ID: "user:other"}, false},
		{"ip", proto.ID{Scheme: "ip", ID: "10.1.2.3"}, true},
		{"ip cidr", proto.ID{Scheme: "ip", ID: "10.0.0.0/8"}, true},
		{"other ip", proto.ID{Scheme: "ip", ID: "10.1.2.4"}, false},
		{"auth placeholder", proto.ID{Scheme: "auth", ID: ""}, false},
		{"world:someone", proto.ID{Scheme: "world", ID: "someone"}, false},
		{"unknown scheme", proto.ID{Scheme: "sasl", ID: "user"}, false},
	}
	for _, e := range entries {
		for _, granted := range allPerms {
			acl := []proto.ACL{{Perms: granted, ID: e.id}}
			for _, asked := range allPerms {
				want := e.matches && asked == granted
				if got := Check(acl, asked, session, false); got != want {
					t.Errorf("%s granting %s, asking %s: got %v, want %v",
						e.name, PermString(granted), PermString(asked), got, want)
				}
			}
		}
	}
}

func TestCheckShortcuts(t *testing.T) {
	deny := []proto.ACL{{Perms: proto.PermAll, ID: proto.ID{Scheme: "digest", ID: "nobody:x"}}}
	ipOnly := []proto.ID{{Scheme: "ip", ID: "127.0.0.1"}}
	super := []proto.ID{{Scheme: "ip", ID: "127.0.0.1"}, {Scheme: "super", ID: ""}}
	for _, tc := range []struct {
		name    string
		acl     []proto.ACL
		perm    int32
		ids     []proto.ID
		skipACL bool
		want    bool
	}{
		{"denied", deny, proto.PermRead, ipOnly, false, false},
		{"skipACL", deny, proto.PermRead, ipOnly, true, true},
		{"nil ACL", nil, proto.PermAdmin, nil, false, true},
		{"empty ACL", []proto.ACL{}, proto.PermAdmin, nil, false, true},
		{"superuser", deny, proto.PermAdmin, super, false, true},
		{"superuser by scheme alone", deny, proto.PermAdmin, []proto.ID{{Scheme: "super", ID: "x"}}, false, true},
		{"no ids", deny, proto.PermRead, nil, false, false},
		{"any bit of a mask", []proto.ACL{{Perms: proto.PermRead, ID: proto.WorldAnyone}}, proto.PermAll, nil, false, true},
		{"no bit of a mask", []proto.ACL{{Perms: proto.PermRead, ID: proto.WorldAnyone}}, proto.PermWrite | proto.PermAdmin, nil, false, false},
		{"perm 0 never passes", proto.OpenACLUnsafe(), 0, nil, false, false},
		{"entry with no perms", []proto.ACL{{Perms: 0, ID: proto.WorldAnyone}}, proto.PermRead, nil, false, false},
		{"second entry matches", append(deny, proto.ACL{Perms: proto.PermRead, ID: proto.WorldAnyone}), proto.PermRead, nil, false, true},
		{"scheme must agree", []proto.ACL{{Perms: proto.PermAll, ID: proto.ID{Scheme: "ip", ID: "127.0.0.1"}}}, proto.PermRead,
			[]proto.ID{{Scheme: "digest", ID: "127.0.0.1"}}, false, false},
	} {
		if got := Check(tc.acl, tc.perm, tc.ids, tc.skipACL); got != tc.want {
			t.Errorf("%s: Check = %v, want %v", tc.name, got, tc.want)
		}
	}
}
