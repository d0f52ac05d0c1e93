package acl

import (
	"slices"
	"strings"
	"testing"

	"zkd/zkd/proto"
)

func TestPermString(t *testing.T) {
	for _, tc := range []struct {
		perms int32
		want  string
	}{
		{0, ""},
		{proto.PermRead, "r"},
		{proto.PermWrite, "w"},
		{proto.PermCreate, "c"},
		{proto.PermDelete, "d"},
		{proto.PermAdmin, "a"},
		{proto.PermRead | proto.PermAdmin, "ra"},
		{proto.PermAll, "cdrwa"},
		{32, ""},
		{-1, "cdrwa"},
	} {
		if got := PermString(tc.perms); got != tc.want {
			t.Errorf("PermString(%d) = %q, want %q", tc.perms, got, tc.want)
		}
	}
}

func TestValidPerms(t *testing.T) {
	for perms, want := range map[int32]bool{0: true, 1: true, 31: true, 32: false, 33: false, -1: false} {
		if got := ValidPerms(perms); got != want {
			t.Errorf("ValidPerms(%d) = %v, want %v", perms, got, want)
		}
	}
}

func TestParseACL(t *testing.T) {
	acl := func(perms int32, scheme, id string) proto.ACL {
		return proto.ACL{Perms: perms, ID: proto.ID{Scheme: scheme, ID: id}}
	}
	for _, tc := range []struct {
		in       string
		want     []proto.ACL
		problems []string // substrings of the error, one per problem
	}{
		{"world:anyone:cdrwa", []proto.ACL{acl(31, "world", "anyone")}, nil},
		{"digest:user:hash:r", []proto.ACL{acl(1, "digest", "user:hash")}, nil},
		{"ip:10.0.0.0/8:rw,world:anyone:r", []proto.ACL{acl(3, "ip", "10.0.0.0/8"), acl(1, "world", "anyone")}, nil},
		{"auth::cdrwa", []proto.ACL{acl(31, "auth", "")}, nil},
		{"world:anyone:", []proto.ACL{acl(0, "world", "anyone")}, nil},
		{"world:anyone:cdrwa,", []proto.ACL{acl(31, "world", "anyone")}, nil}, // trailing comma dropped as String.split does
		{"world:anyone:rx", []proto.ACL{acl(1, "world", "anyone")}, []string{`unknown perm type 'x'`}},
		{"bad,world:anyone:r", []proto.ACL{acl(1, "world", "anyone")}, []string{`"bad" does not have the form`}},
		{"a:b", []proto.ACL{}, []string{`"a:b" does not have the form`}},
		{"", []proto.ACL{}, []string{`"" does not have the form`}},
	} {
		got, err := ParseACL(tc.in)
		if !slices.Equal(got, tc.want) || got == nil {
			t.Errorf("ParseACL(%q) = %v, want %v", tc.in, got, tc.want)
		}
		switch {
		case tc.problems == nil && err != nil:
			t.Errorf("ParseACL(%q) error %v", tc.in, err)
		case tc.problems != nil && err == nil:
			t.Errorf("ParseACL(%q) no error, want %q", tc.in, tc.problems)
		}
		for _, p := range tc.problems {
			if err != nil && !strings.Contains(err.Error(), p) {
				t.Errorf("ParseACL(%q) error %q lacks %q", tc.in, err, p)
			}
		}
	}
}

func TestFormatACLRoundTrip(t *testing.T) {
	for _, s := range []string{
		"world:anyone:cdrwa",
		"digest:user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY=:cdrwa,ip:10.0.0.0/8:r,ip:2001:db8::/32:rw",
		"world:anyone:",
	} {
		acl, err := ParseACL(s)
		if err != nil {
			t.Fatalf("ParseACL(%q): %v", s, err)
		}
		if got := FormatACL(acl); got != s {
			t.Errorf("FormatACL(ParseACL(%q)) = %q", s, got)
		}
	}
}
