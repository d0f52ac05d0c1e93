package main

import (
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"zkd/zkd/proto"
)

func TestSplitLine(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"ls /", []string{"ls", "/"}},
		{"  create  /x   hi ", []string{"create", "/x", "hi"}},
		{`create /x "hello world"`, []string{"create", "/x", "hello world"}},
		{`set /x 'a b' `, []string{"set", "/x", "a b"}},
		{`set /x ""`, []string{"set", "/x", ""}},
		{"", nil},
	}
	for _, tc := range tests {
		if got := splitLine(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("splitLine(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseArgs(t *testing.T) {
	tests := []struct {
		argv    []string
		spec    []string
		flags   map[string]string
		args    []string
		wantErr bool
	}{
		{[]string{"-s", "/x"}, []string{"s", "w"}, map[string]string{"-s": ""}, []string{"/x"}, false},
		{[]string{"/x", "-v", "3", "data"}, []string{"s", "v:"}, map[string]string{"-v": "3"}, []string{"/x", "data"}, false},
		{[]string{"-q", "/x"}, []string{"s"}, nil, nil, true},
		{[]string{"/x", "-v"}, []string{"v:"}, nil, nil, true},
	}
	for _, tc := range tests {
		p, err := parseArgs(tc.argv, tc.spec...)
		if (err != nil) != tc.wantErr {
			t.Errorf("parseArgs(%q): err %v", tc.argv, err)
			continue
		}
		if tc.wantErr {
			continue
		}
		if !reflect.DeepEqual(p.flags, tc.flags) || !reflect.DeepEqual(p.args, tc.args) {
			t.Errorf("parseArgs(%q) = %v %q, want %v %q", tc.argv, p.flags, p.args, tc.flags, tc.args)
		}
	}
}

func TestParseACL(t *testing.T) {
	got, err := parseACL("world:anyone:cdr,digest:u:hash=:rwa,ip:10.0.0.1:a")
	if err != nil {
		t.Fatal(err)
	}
	want := []proto.ACL{
		{Perms: proto.PermCreate | proto.PermDelete | proto.PermRead, ID: proto.ID{Scheme: "world", ID: "anyone"}},
		{Perms: proto.PermRead | proto.PermWrite | proto.PermAdmin, ID: proto.ID{Scheme: "digest", ID: "u:hash="}},
		{Perms: proto.PermAdmin, ID: proto.ID{Scheme: "ip", ID: "10.0.0.1"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("parseACL = %+v, want %+v", got, want)
	}
	for _, bad := range []string{"world", "world:anyone:x"} {
		if _, err := parseACL(bad); err == nil {
			t.Errorf("parseACL(%q): no error", bad)
		}
	}
	if s := formatACL(want[:1]); s != "'world,'anyone\n: cdr\n" {
		t.Errorf("formatACL = %q", s)
	}
}

func TestFormatStat(t *testing.T) {
	s := formatStat(proto.Stat{Czxid: 0x1a, Mzxid: 0xff, Pzxid: 2, Cversion: -1, Version: 3, Aversion: 4,
		EphemeralOwner: 0x1000053c1380043, DataLength: 5, NumChildren: 6})
	want := regexp.MustCompile(`^cZxid = 0x1a
ctime = \w{3} \w{3} \d\d \d\d:\d\d:\d\d \S+ \d{4}
mZxid = 0xff
mtime = .*
pZxid = 0x2
cversion = -1
dataVersion = 3
aclVersion = 4
ephemeralOwner = 0x1000053c1380043
dataLength = 5
numChildren = 6
$`)
	if !want.MatchString(s) {
		t.Errorf("formatStat:\n%s", s)
	}
}

func TestErrMessage(t *testing.T) {
	tests := []struct {
		err  error
		path string
		want string
	}{
		{proto.ErrNoNode, "/x", "Node does not exist: /x"},
		{proto.ErrNodeExists, "/x", "Node already exists: /x"},
		{proto.ErrNotEmpty, "/x", "Node not empty: /x"},
		{proto.ErrBadVersion, "/x", "version No is not valid : /x"},
		{proto.ErrNoAuth, "/x", "Insufficient permission : /x"},
		{proto.ErrUnimplemented, "/t", "KeeperErrorCode = Unimplemented for /t"},
		{proto.ErrNoWatcher, "/n", "KeeperErrorCode = No such watcher for /n"},
		{proto.ErrAuthFailed, "", "KeeperErrorCode = AuthFailed"},
		{errors.New("plain"), "/x", "plain"},
	}
	for _, tc := range tests {
		if got := errMessage(tc.err, tc.path); got != tc.want {
			t.Errorf("errMessage(%v, %q) = %q, want %q", tc.err, tc.path, got, tc.want)
		}
	}
}

func TestValidatePath(t *testing.T) {
	tests := []struct {
		path string
		seq  bool
		want string
	}{
		{"/", false, ""},
		{"/a/b", false, ""},
		{"/a/", true, ""},
		{"a", false, "Path must start with / character"},
		{"/a/", false, "Path must not end with / character"},
		{"/a//b", false, "empty node name specified @3"},
		{"/a/../b", false, "relative paths not allowed @4"},
		{"", false, "Path length must be > 0"},
	}
	for _, tc := range tests {
		err := validatePath(tc.path, tc.seq)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tc.want {
			t.Errorf("validatePath(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}

func TestFormatEvent(t *testing.T) {
	got := formatEvent(proto.EventNodeDataChanged, proto.StateSyncConnected, "/x")
	want := "\nWATCHER::\n\nWatchedEvent state:SyncConnected type:NodeDataChanged path:/x\n"
	if got != want {
		t.Errorf("formatEvent = %q, want %q", got, want)
	}
	if got := formatEvent(proto.EventNone, proto.StateSyncConnected, ""); !strings.HasSuffix(got, "type:None path:null\n") {
		t.Errorf("formatEvent(None) = %q", got)
	}
}

func TestClientConfig(t *testing.T) {
	cfg := "server.1=10.0.0.1:2888:3888:participant;0.0.0.0:2181\nserver.2=10.0.0.2:2888:3888;2181\nversion=100000000"
	if got, want := clientConfig(cfg), "100000000 0.0.0.0:2181,10.0.0.2:2181"; got != want {
		t.Errorf("clientConfig = %q, want %q", got, want)
	}
}

func TestCompleteCommands(t *testing.T) {
	sh := &shell{}
	tests := []struct {
		head  string
		start int
		want  []string
	}{
		{"getA", 0, []string{"getAcl ", "getAllChildrenNumber "}},
		{"  qu", 2, []string{"quit "}},
		{"ls /zoo", 3, nil}, // no session: no path candidates
		{"ls zoo", 3, nil},
	}
	for _, tc := range tests {
		start, got := completeLine(sh, tc.head)
		if start != tc.start || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("completeLine(%q) = %d %q, want %d %q", tc.head, start, got, tc.start, tc.want)
		}
	}
}

func TestCommonPrefix(t *testing.T) {
	if got := commonPrefix([]string{"/zookeeper", "/zoo", "/zookeeper/config"}); got != "/zoo" {
		t.Errorf("commonPrefix = %q", got)
	}
}
