package acl

import (
	"bufio"
	"encoding/hex"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"zkd/zkd/proto"
)

// TestOracle replays transcripts whose results were computed by Apache
// ZooKeeper's own classes (testdata/Oracle.java explains how to regenerate
// them) and requires this package to decide every case the same way:
// oracle.txt from the 3.8.0 jar, oracle-ipv6.txt from the master branch's
// IPv6-capable ip provider.
func TestOracle(t *testing.T) {
	for _, tc := range []struct {
		file string
		min  int // guards against a truncated transcript
	}{
		{"testdata/oracle.txt", 200},
		{"testdata/oracle-ipv6.txt", 50},
	} {
		t.Run(tc.file, func(t *testing.T) { replayOracle(t, tc.file, tc.min) })
	}
}

func replayOracle(t *testing.T, file string, minCases int) {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	lineNo, cases := 0, 0
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		head, want, ok := strings.Cut(line, "\t=>\t")
		if !ok {
			t.Fatalf("%s:%d: no result: %q", file, lineNo, line)
		}
		args := strings.Split(head, "\t")
		got := oracleEval(t, args)
		if got != want {
			t.Errorf("%s:%d: %s = %q, ZooKeeper says %q", file, lineNo, head, got, want)
		}
		cases++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cases < minCases {
		t.Fatalf("%s: only %d cases read", file, cases)
	}
}

// oracleEval computes one oracle line's result in Oracle.java's notation.
func oracleEval(t *testing.T, args []string) string {
	t.Helper()
	switch args[0] {
	case "digest":
		b, err := hex.DecodeString(args[1])
		if err != nil {
			t.Fatalf("bad hex %q: %v", args[1], err)
		}
		ids, err := Authenticate(SchemeDigest, b, "127.0.0.1", "")
		if err != nil || len(ids) != 1 {
			t.Fatalf("Authenticate(digest, %q) = %v, %v", b, ids, err)
		}
		return ids[0].ID
	case "digestvalid":
		return strconv.FormatBool(digestValid(args[1]))
	case "ipvalid":
		return strconv.FormatBool(ipValid(args[1]))
	case "ipmatch":
		return strconv.FormatBool(ipMatches(args[1], args[2]))
	case "check":
		perm, err := strconv.ParseInt(args[2], 10, 32)
		if err != nil {
			t.Fatal(err)
		}
		if Check(oracleACLs(t, args[1]), int32(perm), oracleIDs(args[3]), false) {
			return "allow"
		}
		return "deny"
	case "fixup":
		in := oracleACLs(t, args[1])
		saved := slices.Clone(in)
		out, err := Fixup(in, oracleIDs(args[2]))
		if !slices.Equal(in, saved) {
			t.Errorf("Fixup modified its input: %v", in)
		}
		if err != nil {
			if err != proto.ErrInvalidACL {
				t.Errorf("Fixup error %v, want proto.ErrInvalidACL itself", err)
			}
			return "INVALIDACL"
		}
		return oracleFormat(out)
	case "parse":
		acl, _ := ParseACL(args[1])
		return oracleFormat(acl)
	case "perm":
		n, err := strconv.ParseInt(args[1], 10, 32)
		if err != nil {
			t.Fatal(err)
		}
		return PermString(int32(n))
	case "idset":
		ids := oracleIDs(args[1])
		all := AddIDs(nil, ids...)
		var one []proto.ID // the same ids added one addauth at a time
		for _, id := range ids {
			one = AddIDs(one, id)
		}
		if !slices.Equal(all, one) {
			t.Errorf("AddIDs at once %v, one by one %v", all, one)
		}
		if len(all) == 0 {
			return "-"
		}
		s := make([]string, len(all))
		for i, id := range all {
			s[i] = id.Scheme + ":" + id.ID
		}
		return strings.Join(s, " ")
	}
	t.Fatalf("unknown oracle kind %q", args[0])
	return ""
}

func oracleIDs(s string) []proto.ID {
	if s == "-" {
		return nil
	}
	var ids []proto.ID
	for _, e := range strings.Split(s, " ") {
		scheme, id, _ := strings.Cut(e, ":")
		ids = append(ids, proto.ID{Scheme: scheme, ID: id})
	}
	return ids
}

func oracleACLs(t *testing.T, s string) []proto.ACL {
	t.Helper()
	if s == "-" {
		return nil
	}
	var acl []proto.ACL
	for _, e := range strings.Split(s, " ") {
		perms, id, _ := strings.Cut(e, "@")
		n, err := strconv.ParseInt(perms, 10, 32)
		if err != nil {
			t.Fatalf("bad perms in %q", e)
		}
		scheme, name, _ := strings.Cut(id, ":")
		acl = append(acl, proto.ACL{Perms: int32(n), ID: proto.ID{Scheme: scheme, ID: name}})
	}
	return acl
}

func oracleFormat(acl []proto.ACL) string {
	if len(acl) == 0 {
		return "-"
	}
	s := make([]string, len(acl))
	for i, a := range acl {
		s[i] = strconv.Itoa(int(a.Perms)) + "@" + a.ID.Scheme + ":" + a.ID.ID
	}
	return strings.Join(s, " ")
}
