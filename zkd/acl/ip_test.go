package acl

import (
	"slices"
	"testing"

	"zkd/zkd/proto"
)

func TestConnectionIDs(t *testing.T) {
	for _, tc := range []struct{ remote, want string }{
		{"127.0.0.1", "127.0.0.1"},
		{"127.0.0.1:40000", "127.0.0.1"},
		{"::ffff:10.1.2.3", "10.1.2.3"}, // Java turns mapped addresses into IPv4
		{"[::ffff:10.1.2.3]:2181", "10.1.2.3"},
		{"::1", "0:0:0:0:0:0:0:1"},
		{"[::1]:2181", "0:0:0:0:0:0:0:1"},
		{"2001:DB8::1", "2001:db8:0:0:0:0:0:1"},
		{"fe80::1%eth0", "fe80:0:0:0:0:0:0:1%eth0"},
		{"::1.2.3.4", "0:0:0:0:0:0:102:304"},
		{"not-an-address", "not-an-address"},
	} {
		got := ConnectionIDs(tc.remote)
		want := []proto.ID{{Scheme: "ip", ID: tc.want}}
		if !slices.Equal(got, want) {
			t.Errorf("ConnectionIDs(%q) = %v, want %v", tc.remote, got, want)
		}
	}
}

// TestIPMatchesCIDR covers prefix boundaries for both families; the
// transcripts in testdata hold many more cases checked against ZooKeeper.
func TestIPMatchesCIDR(t *testing.T) {
	for _, tc := range []struct {
		remote, expr string
		want         bool
	}{
		{"10.0.0.1", "10.0.0.1", true},
		{"10.0.0.2", "10.0.0.1", false},
		{"10.255.255.255", "10.0.0.0/8", true},
		{"11.0.0.0", "10.0.0.0/8", false},
		{"9.255.255.255", "10.0.0.0/8", false},
		{"10.9.9.9", "10.1.2.3/8", true}, // host bits of the pattern are ignored
		{"192.168.1.64", "192.168.1.64/26", true},
		{"192.168.1.127", "192.168.1.64/26", true},
		{"192.168.1.128", "192.168.1.64/26", false},
		{"192.168.1.63", "192.168.1.64/26", false},
		{"172.31.0.1", "172.16.0.0/12", true},
		{"172.32.0.1", "172.16.0.0/12", false},
		{"8.8.8.8", "0.0.0.0/0", true},
		{"1.2.3.5", "1.2.3.4/31", true},
		{"1.2.3.6", "1.2.3.4/31", false},
		{"1.2.3.4", "1.2.3.4/32", true},
		{"1.2.3.4", "1.2.3.4/33", false},   // bad pattern: no match
		{"1.2.3.4", "1.2.3.4/-1", false},   // bad pattern
		{"1.2.3.4", "1.2.3.4/x", false},    // bad pattern
		{"1.2.3.4", "1.2.3.4/", false},     // bad pattern
		{"1.2.3.4", "1.2.3/24", false},     // bad pattern
		{"1.2.3.4", "host.example", false}, // names are never resolved
		{"1.2.3.4", "1.2.3.4/+32", true},   // Integer.parseInt takes a sign
		{"1.2.3.4", "001.2.3.004", true},   // and leading zeros
		{"0:0:0:0:0:0:0:1", "::1", true},
		{"0:0:0:0:0:0:0:1", "::1/128", true},
		{"0:0:0:0:0:0:0:1", "::/0", true},
		{"0:0:0:0:0:0:0:2", "::1", false},
		{"2001:db8:0:0:0:0:0:1", "2001:db8::/32", true},
		{"2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8::/32", true},
		{"2001:db9:0:0:0:0:0:1", "2001:db8::/32", false},
		{"2001:db9:0:0:0:0:0:1", "2001:db8::/31", true},
		{"fe80:0:0:0:0:0:0:1", "fe80::/10", true},
		{"fec0:0:0:0:0:0:0:1", "fe80::/10", false},
		{"fe80:0:0:0:0:0:0:1%eth0", "fe80::/10", false}, // ZooKeeper cannot parse a zone
		{"127.0.0.1", "::/0", false},                    // families never mix
		{"0:0:0:0:0:0:0:1", "0.0.0.0/0", false},
		{"1.2.3.4", "::ffff:1.2.3.4", false}, // embedded IPv4 does not parse
		{"0:0:0:0:0:0:0:1", "::1/129", false},
		{"0:0:0:0:0:0:0:1", "1::2::3", false},
		{"0:0:0:0:0:0:0:1", "\U0001D7CF::", false}, // not a digit to Java
	} {
		if got := ipMatches(tc.remote, tc.expr); got != tc.want {
			t.Errorf("ipMatches(%q, %q) = %v, want %v", tc.remote, tc.expr, got, tc.want)
		}
	}
}

func TestJavaParseInt(t *testing.T) {
	for _, tc := range []struct {
		s     string
		radix int
		want  int32
		ok    bool
	}{
		{"0", 10, 0, true},
		{"+8", 10, 8, true},
		{"-0", 10, 0, true},
		{"007", 10, 7, true},
		{"2147483647", 10, 2147483647, true},
		{"-2147483648", 10, -2147483648, true},
		{"2147483648", 10, 0, false},
		{"-2147483649", 10, 0, false},
		{"", 10, 0, false},
		{"+", 10, 0, false},
		{"-", 10, 0, false},
		{" 1", 10, 0, false},
		{"1_0", 10, 0, false},
		{"a", 10, 0, false},
		{"\u0661\u0662", 10, 12, true}, // Arabic-Indic digits are digits to Java
		{"\uff11", 10, 1, true},        // so are fullwidth ones
		{"\U0001D7CF", 10, 0, false},   // but not digits outside the BMP
		{"ffff", 16, 0xffff, true},
		{"FfFf", 16, 0xffff, true},
		{"\uff21", 16, 10, true}, // fullwidth A
		{"\uff46", 16, 15, true}, // fullwidth f
		{"g", 16, 0, false},
		{"-1", 16, -1, true},
	} {
		got, ok := javaParseInt(tc.s, tc.radix)
		if got != tc.want || ok != tc.ok {
			t.Errorf("javaParseInt(%q, %d) = %d, %v; want %d, %v", tc.s, tc.radix, got, ok, tc.want, tc.ok)
		}
	}
}

func TestJavaSplit(t *testing.T) {
	for _, tc := range []struct {
		s, sep string
		limit  int
		want   []string
	}{
		{"", ":", 0, []string{""}},
		{":", ":", 0, []string{}},
		{"a:b::", ":", 0, []string{"a", "b"}},
		{":b", ":", 0, []string{"", "b"}},
		{"a:b::", ":", -1, []string{"a", "b", "", ""}},
		{"a/b/c", "/", 2, []string{"a", "b/c"}},
		{":::", "::", -1, []string{"", ":"}},
	} {
		if got := javaSplit(tc.s, tc.sep, tc.limit); !slices.Equal(got, tc.want) {
			t.Errorf("javaSplit(%q, %q, %d) = %q, want %q", tc.s, tc.sep, tc.limit, got, tc.want)
		}
	}
}
