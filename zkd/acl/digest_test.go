package acl

import (
	"errors"
	"slices"
	"testing"

	"github.com/go-zookeeper/zk"

	"zkd/zkd/proto"
)

// digestGolden was printed by Debian's ZooKeeper 3.8.0:
//
//	java -cp /usr/share/java/zookeeper.jar:/usr/share/java/slf4j-api.jar:/usr/share/java/slf4j-nop.jar \
//	  org.apache.zookeeper.server.auth.DigestAuthenticationProvider 'user:password' ...
var digestGolden = []struct{ in, want string }{
	{"super:admin", "super:xQJmxLMiHGwaqBvst5y6rkB6HQs="},
	{"user:password", "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY="},
	{"alice:s3cr3t", "alice:w3bQjtoAuWUvjHko4NMJGcLu5UA="},
	{"bob:pa:ss:word", "bob:l4HFUI8lHFIusJXsgRQyAexyiG8="}, // colons stay in the password
	{"zoë:pässwörd", "zoë:1vDM7UOOFLJri3bAl57HySUKtpI="},
	{"ユーザー:パスワード", "ユーザー:cUUDXZ2ldVQ0C/4Pb3QUw7bxti8="},
	{"emoji:🔑key", "emoji:CPS/0SOFz+2z8UyCtwn+6wRKkUs="},
	{"nocolon", "nocolon:Ra+cHr2ZoHvBjtNArFGNGlVie4g="}, // all of it is the user
	{":emptyuser", ":MAvwUcTBzVy0ecJSn6QN1SHFjdA="},
	{"user:", "user:kd7q5xGKLW+18xQTfO8iqRaFvsM="},
	{"", ":2jmj7l5rSw0yVb/vlWAYkK/YBwk="},
	{"a:b:c", "a:cLzgnoJ6mP5qz3w+mwvPE2vDgu0="},
	{"u s:p w", "u s:FI37wcbKjsuXmjB/N7DKQW9JWBc="},
}

func TestDigest(t *testing.T) {
	for _, tc := range digestGolden {
		got, err := Digest(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Digest(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

// TestDigestMatchesGoClient checks against the digest go-zookeeper sends in
// its ACLs, a second implementation people use.
func TestDigestMatchesGoClient(t *testing.T) {
	for _, up := range [][2]string{{"user", "password"}, {"bob", "pa:ss:word"}, {"zoë", "pässwörd"}} {
		want := zk.DigestACL(zk.PermAll, up[0], up[1])[0].ID
		if got, _ := Digest(up[0] + ":" + up[1]); got != want {
			t.Errorf("Digest(%s:%s) = %q, go-zookeeper says %q", up[0], up[1], got, want)
		}
	}
}

func TestDigestRejectsInvalidUTF8(t *testing.T) {
	if got, err := Digest("u:p\xff"); err == nil {
		t.Fatalf("Digest of invalid UTF-8 = %q, want an error", got)
	}
}

func TestAuthenticate(t *testing.T) {
	const super = "super:xQJmxLMiHGwaqBvst5y6rkB6HQs="
	user := proto.ID{Scheme: "digest", ID: "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY="}
	for _, tc := range []struct {
		name        string
		scheme      string
		auth        string
		remote      string
		superDigest string
		want        []proto.ID
		wantErr     error
	}{
		{"digest", "digest", "user:password", "10.0.0.1", "", []proto.ID{user}, nil},
		{"digest with other superuser", "digest", "user:password", "10.0.0.1", super, []proto.ID{user}, nil},
		{"superuser", "digest", "super:admin", "10.0.0.1", super,
			[]proto.ID{{Scheme: "super", ID: ""}, {Scheme: "digest", ID: super}}, nil},
		{"superuser not configured", "digest", "super:admin", "10.0.0.1", "",
			[]proto.ID{{Scheme: "digest", ID: super}}, nil},
		{"wrong super password", "digest", "super:Admin", "10.0.0.1", super,
			[]proto.ID{{Scheme: "digest", ID: "super:6C7sNYMckFi2O1eGxOLD3RDJiyo="}}, nil},
		{"malformed UTF-8", "digest", "u:p\xff", "10.0.0.1", "",
			[]proto.ID{{Scheme: "digest", ID: "u:6CtHK7C6iAk/ZYK1Hf0L2NA4tRg="}}, nil},
		{"ip ignores its data", "ip", "1.2.3.4", "10.0.0.1", "", []proto.ID{{Scheme: "ip", ID: "10.0.0.1"}}, nil},
		{"ip over IPv6", "ip", "", "[::1]:2181", "", []proto.ID{{Scheme: "ip", ID: "0:0:0:0:0:0:0:1"}}, nil},
		{"world", "world", "anyone", "10.0.0.1", "", nil, proto.ErrAuthFailed},
		{"auth", "auth", "", "10.0.0.1", "", nil, proto.ErrAuthFailed},
		{"super", "super", "admin", "10.0.0.1", "", nil, proto.ErrAuthFailed},
		{"sasl", "sasl", "x", "10.0.0.1", "", nil, proto.ErrAuthFailed},
		{"empty scheme", "", "x", "10.0.0.1", "", nil, proto.ErrAuthFailed},
		{"scheme is case sensitive", "Digest", "user:password", "10.0.0.1", "", nil, proto.ErrAuthFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Authenticate(tc.scheme, []byte(tc.auth), tc.remote, tc.superDigest)
			if !errors.Is(err, tc.wantErr) || !slices.Equal(got, tc.want) {
				t.Errorf("Authenticate(%q, %q) = %v, %v; want %v, %v", tc.scheme, tc.auth, got, err, tc.want, tc.wantErr)
			}
			if err != nil {
				if _, ok := err.(proto.ErrCode); !ok {
					t.Errorf("error %v is a %T, want a bare proto.ErrCode", err, err)
				}
			}
		})
	}
}

func TestDigestValidAndUserName(t *testing.T) {
	for _, tc := range []struct {
		id    proto.ID
		valid bool
		user  string
	}{
		{proto.ID{Scheme: "digest", ID: "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY="}, true, "user"},
		{proto.ID{Scheme: "digest", ID: "u:h:"}, true, "u"},
		{proto.ID{Scheme: "digest", ID: ":h"}, true, ""},
		{proto.ID{Scheme: "digest", ID: "u:"}, false, "u"},
		{proto.ID{Scheme: "digest", ID: "u:h:x"}, false, "u"},
		{proto.ID{Scheme: "digest", ID: "::"}, false, ""},
		{proto.ID{Scheme: "ip", ID: "10.0.0.1"}, true, "10.0.0.1"},
		{proto.ID{Scheme: "super", ID: ""}, false, ""},
		{proto.ID{Scheme: "world", ID: "anyone"}, false, ""},
	} {
		p, ok := providerFor(tc.id.Scheme)
		if valid := ok && p.valid(tc.id.ID); valid != tc.valid {
			t.Errorf("valid(%v) = %v, want %v", tc.id, valid, tc.valid)
		}
		if got := UserName(tc.id); got != tc.user {
			t.Errorf("UserName(%v) = %q, want %q", tc.id, got, tc.user)
		}
	}
}
