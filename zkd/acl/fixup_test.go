package acl

import (
	"fmt"
	"slices"
	"testing"

	"zkd/zkd/proto"
)

func TestFixup(t *testing.T) {
	alice := proto.ID{Scheme: "digest", ID: "alice:w3bQjtoAuWUvjHko4NMJGcLu5UA="}
	bob := proto.ID{Scheme: "digest", ID: "bob:l4HFUI8lHFIusJXsgRQyAexyiG8="}
	ip := proto.ID{Scheme: "ip", ID: "127.0.0.1"}
	super := proto.ID{Scheme: "super", ID: ""}
	acl := func(perms int32, scheme, id string) proto.ACL {
		return proto.ACL{Perms: perms, ID: proto.ID{Scheme: scheme, ID: id}}
	}
	open := proto.OpenACLUnsafe()
	for _, tc := range []struct {
		name string
		in   []proto.ACL
		ids  []proto.ID
		want []proto.ACL // nil: proto.ErrInvalidACL
	}{
		{"nil", nil, []proto.ID{ip}, nil},
		{"empty", []proto.ACL{}, []proto.ID{ip}, nil},
		{"open", open, nil, open},
		{"duplicates removed", []proto.ACL{open[0], acl(1, "world", "anyone"), open[0]}, nil,
			[]proto.ACL{open[0], acl(1, "world", "anyone")}},
		{"creator all", []proto.ACL{acl(31, "auth", "")}, []proto.ID{ip, alice}, []proto.ACL{acl(31, "digest", alice.ID)}},
		{"auth id ignored", []proto.ACL{acl(1, "auth", "whatever")}, []proto.ID{alice}, []proto.ACL{acl(1, "digest", alice.ID)}},
		{"auth expands in ids order", []proto.ACL{acl(31, "auth", "")}, []proto.ID{bob, ip, alice},
			[]proto.ACL{acl(31, "digest", bob.ID), acl(31, "digest", alice.ID)}},
		{"auth skips super", []proto.ACL{acl(31, "auth", "")}, []proto.ID{super, alice}, []proto.ACL{acl(31, "digest", alice.ID)}},
		{"auth needs a digest", []proto.ACL{acl(31, "auth", "")}, []proto.ID{ip, super}, nil},
		{"auth without ids", []proto.ACL{acl(31, "auth", "")}, nil, nil},
		{"expansion may duplicate", []proto.ACL{acl(31, "auth", ""), acl(31, "digest", alice.ID)}, []proto.ID{alice},
			[]proto.ACL{acl(31, "digest", alice.ID), acl(31, "digest", alice.ID)}},
		{"digest", []proto.ACL{acl(1, "digest", "u:h")}, nil, []proto.ACL{acl(1, "digest", "u:h")}},
		{"digest without hash", []proto.ACL{acl(1, "digest", "u")}, nil, nil},
		{"digest with extra colon", []proto.ACL{acl(1, "digest", "u:h:x")}, nil, nil},
		{"ip", []proto.ACL{acl(1, "ip", "10.0.0.0/8")}, nil, []proto.ACL{acl(1, "ip", "10.0.0.0/8")}},
		{"ipv6", []proto.ACL{acl(1, "ip", "2001:db8::/32")}, nil, []proto.ACL{acl(1, "ip", "2001:db8::/32")}},
		{"ip bad prefix", []proto.ACL{acl(1, "ip", "10.0.0.0/33")}, nil, nil},
		{"ip name", []proto.ACL{acl(1, "ip", "localhost")}, nil, nil},
		{"world someone", []proto.ACL{acl(1, "world", "someone")}, nil, nil},
		{"super", []proto.ACL{acl(31, "super", "")}, []proto.ID{super}, nil},
		{"unknown scheme", []proto.ACL{acl(31, "sasl", "bob")}, nil, nil},
		{"one bad entry spoils all", []proto.ACL{open[0], acl(1, "digest", "bad")}, nil, nil},
		{"perms unchecked", []proto.ACL{acl(-1, "world", "anyone"), acl(0, "ip", "1.2.3.4")}, nil,
			[]proto.ACL{acl(-1, "world", "anyone"), acl(0, "ip", "1.2.3.4")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Fixup(tc.in, tc.ids)
			if tc.want == nil {
				if err != proto.ErrInvalidACL || got != nil {
					t.Fatalf("Fixup = %v, %v; want proto.ErrInvalidACL", got, err)
				}
				return
			}
			if err != nil || !slices.Equal(got, tc.want) {
				t.Fatalf("Fixup = %v, %v; want %v", got, err, tc.want)
			}
			if len(tc.in) > 0 && &got[0] == &tc.in[0] {
				t.Fatal("Fixup returned its input slice")
			}
		})
	}
}

// TestFixupLongList takes the map path of removeDuplicates and must keep the
// first occurrences in order, like the short path.
func TestFixupLongList(t *testing.T) {
	var in, want []proto.ACL
	for i := range 200 {
		a := proto.ACL{Perms: proto.PermRead, ID: proto.ID{Scheme: "ip", ID: fmt.Sprintf("10.0.%d.%d", i%50, i%7)}}
		in = append(in, a)
		if !slices.Contains(want, a) {
			want = append(want, a)
		}
	}
	got, err := Fixup(in, nil)
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("Fixup of %d entries: %d entries, %v; want %d", len(in), len(got), err, len(want))
	}
}
