package zkcli

import (
	"strings"
	"testing"

	"zkd/internal/ztest"
)

// oneShotScript is run step by step by zkCli.sh and zkcli against one
// server; {P} is each tool's own subtree (/cli for zkCli.sh, /go for
// zkcli), so writes by one do not change what the other sees. Steps run
// in order and each tool's step runs right after the other's, so reads of
// shared paths (ls /) see the same tree.
//
// No step creates an ephemeral node: a one-shot zkCli.sh exits without
// closing its session, so its ephemerals linger until the session times out,
// while zkcli closes the session and they go at once.
var oneShotScript = []string{
	"ls /zookeeper",
	"ls -s /zookeeper",
	"create {P} hello",
	"create {P} hello",
	"create {P}/child",
	"create -s {P}/seq- data",
	"get {P}",
	"get -s {P}",
	"get {P}/child",
	"set {P} world",
	"set -s {P} again",
	"set -v 7 {P} x",
	"stat {P}",
	"stat {P}/nope",
	"ls {P}",
	"ls -s {P}",
	"ls -R {P}",
	"getAcl {P}",
	"getAcl -s {P}",
	"create {P}/acl x world:anyone:cdr",
	"getAcl {P}/acl",
	"setAcl {P}/acl world:anyone:r",
	"getAcl {P}/acl",
	"get {P}/acl",
	"delete {P}/nope",
	"delete {P}",
	"delete -v 5 {P}/child",
	"delete {P}/child",
	"getAllChildrenNumber {P}",
	"get /nope",
	"ls /nope",
	"getAcl /nope",
	"create {P}/bad/",
	"sync {P}",
	"whoami",
	"getEphemerals {P}",
	"printwatches",
	"addWatch {P}",
	"addWatch -m PERSISTENT {P}",
	"removewatches {P}",
	"getAllChildrenNumber /nope",
	"create -c {P}/container",
	"config",
	"ls",
	"get",
	"deleteall {P}",
	"stat {P}",
}

func TestOneShotMatchesZkCliSh(t *testing.T) {
	needZkCliSh(t)
	kinds := []struct {
		name  string
		start func(testing.TB, ztest.Options) *ztest.Server
	}{
		{ztest.KindZkd, ztest.StartZkd},
		{ztest.KindApache, ztest.StartApache},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			srv := k.start(t, ztest.Options{})
			zkcliBinary(t)
			for _, step := range oneShotScript {
				ref := runZkCliSh(t, srv.Addr, strings.Fields(strings.ReplaceAll(step, "{P}", "/cli"))...)
				got := runZkcli(t, srv.Addr, strings.Fields(strings.ReplaceAll(step, "{P}", "/go"))...)
				want, have := normalize(ref.out, "/cli"), normalize(got.out, "/go")
				if want != have {
					t.Errorf("%s: output differs\nzkCli.sh:\n%s\nzkcli:\n%s", step, want, have)
				}
				if ref.code != got.code {
					t.Errorf("%s: exit status zkCli.sh %d, zkcli %d", step, ref.code, got.code)
				}
			}
		})
	}
}

// TestUnknownCommand compares the last line and exit status of an unknown
// command: zkCli.sh's usage list above it also names the quota, reconfig,
// redo and version commands zkcli does not have.
func TestUnknownCommand(t *testing.T) {
	needZkCliSh(t)
	srv := ztest.StartZkd(t, ztest.Options{})
	ref := runZkCliSh(t, srv.Addr, "nosuchcommand")
	got := runZkcli(t, srv.Addr, "nosuchcommand")
	last := func(s string) string {
		lines := strings.Split(strings.TrimRight(normalize(s, ""), "\n"), "\n")
		return lines[len(lines)-1]
	}
	if last(ref.out) != last(got.out) || ref.code != got.code {
		t.Errorf("zkCli.sh: %q (exit %d); zkcli: %q (exit %d)", last(ref.out), ref.code, last(got.out), got.code)
	}
}

// TestOneShotRaw checks a few outputs verbatim, without the masking the
// comparison needs, so a normalization bug cannot hide a formatting one.
func TestOneShotRaw(t *testing.T) {
	srv := ztest.StartZkd(t, ztest.Options{})
	tests := []struct {
		cmd  []string
		want string
		code int
	}{
		{[]string{"ls", "/"}, "[zookeeper]\n", 0},
		{[]string{"create", "/x", "v"}, "Created /x\n", 0},
		{[]string{"create", "/x"}, "Node already exists: /x\n", 1},
		{[]string{"get", "/x"}, "v\n", 0},
		{[]string{"getAcl", "/x"}, "'world,'anyone\n: cdrwa\n", 0},
		{[]string{"get", "/y"}, "Node does not exist: /y\n", 1},
		{[]string{"delete", "/x"}, "", 0},
	}
	for _, tc := range tests {
		got := runZkcli(t, srv.Addr, tc.cmd...)
		if got.out != tc.want || got.code != tc.code {
			t.Errorf("zkcli %v = %q (exit %d), want %q (exit %d)", tc.cmd, got.out, got.code, tc.want, tc.code)
		}
	}
}

func TestFourLetterWord(t *testing.T) {
	srv := ztest.StartZkd(t, ztest.Options{})
	got := runCmd(t, nil, zkcliBinary(t), "-server", srv.Addr, "4lw", "ruok")
	if got.out != "imok" || got.code != 0 {
		t.Fatalf("zkcli 4lw ruok = %q (exit %d), want \"imok\"", got.out, got.code)
	}
}
