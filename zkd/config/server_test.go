package config

import (
	"reflect"
	"strings"
	"testing"
)

// Every server.N form of servers.md §2.10. String() is what Apache
// ZooKeeper 3.8.0 prints for the same line (checked against
// QuorumServer.toString on the Debian jar), except that Java writes IPv6
// literals expanded ([2001:db8:0:0:0:0:0:1]) where zkd keeps them as given.
func TestParseServer(t *testing.T) {
	tests := []struct {
		spec   string
		want   Server
		String string
	}{
		{"10.1.1.101:2888:3888",
			Server{ID: 1, Host: "10.1.1.101", QuorumPort: 2888, ElectionPort: 3888},
			"10.1.1.101:2888:3888:participant"},
		{"125.23.63.23:1234:1235;1236",
			Server{ID: 1, Host: "125.23.63.23", QuorumPort: 1234, ElectionPort: 1235, ClientAddr: "0.0.0.0", ClientPort: 1236},
			"125.23.63.23:1234:1235:participant;0.0.0.0:1236"},
		{"125.23.63.23:1234:1235:observer;1236",
			Server{ID: 1, Host: "125.23.63.23", QuorumPort: 1234, ElectionPort: 1235, Role: Observer, ClientAddr: "0.0.0.0", ClientPort: 1236},
			"125.23.63.23:1234:1235:observer;0.0.0.0:1236"},
		{"125.23.63.23:1234:1235:participant;125.23.63.24:1236",
			Server{ID: 1, Host: "125.23.63.23", QuorumPort: 1234, ElectionPort: 1235, ClientAddr: "125.23.63.24", ClientPort: 1236},
			"125.23.63.23:1234:1235:participant;125.23.63.24:1236"},
		{"zoo2-net1:2888:3888|zoo2-net2:2889:3889;2188",
			Server{ID: 1, Host: "zoo2-net1", QuorumPort: 2888, ElectionPort: 3888, ClientAddr: "0.0.0.0", ClientPort: 2188,
				MoreAddrs: []Addr{{"zoo2-net2", 2889, 3889}}},
			"zoo2-net1:2888:3888|zoo2-net2:2889:3889:participant;0.0.0.0:2188"},
		{"zb:2:3:observer|za:4:5:observer",
			Server{ID: 1, Host: "zb", QuorumPort: 2, ElectionPort: 3, Role: Observer, MoreAddrs: []Addr{{"za", 4, 5}}},
			"za:4:5|zb:2:3:observer"}, // ZooKeeper sorts the addresses by host
		{"[2001:db8::1]:2888:3888;[::1]:2181",
			Server{ID: 1, Host: "2001:db8::1", QuorumPort: 2888, ElectionPort: 3888, ClientAddr: "::1", ClientPort: 2181},
			"[2001:db8::1]:2888:3888:participant;[::1]:2181"},
		{" zk1:2888:3888:OBSERVER ",
			Server{ID: 1, Host: "zk1", QuorumPort: 2888, ElectionPort: 3888, Role: Observer},
			"zk1:2888:3888:observer"},
		{"zk1:2888:3888;",
			Server{ID: 1, Host: "zk1", QuorumPort: 2888, ElectionPort: 3888},
			"zk1:2888:3888:participant"},
	}
	for _, tt := range tests {
		got, err := ParseServer(1, tt.spec)
		if err != nil {
			t.Errorf("%q: %v", tt.spec, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q:\n got %+v\nwant %+v", tt.spec, got, tt.want)
		}
		if s := got.String(); s != tt.String {
			t.Errorf("%q: String() = %q, want %q", tt.spec, s, tt.String)
		}
		// What String() prints parses back to the same server, addresses
		// aside (String sorts them).
		again, err := ParseServer(1, got.String())
		if err != nil || again.String() != got.String() {
			t.Errorf("%q: round trip: %+v %v", tt.spec, again, err)
		}
	}
}

func TestParseServerErrors(t *testing.T) {
	for _, spec := range []string{
		"", "zk1", "zk1:2888", "zk1:2888:3888:observer:x", "zk1:0:3888", "zk1:2888:3888;0",
		"zk1:2888:3888;a:b:c", ":2888:3888", "[::1]", "[::1]2888:3888", "zk1:2888:3888|zk2:1:1",
	} {
		if s, err := ParseServer(1, spec); err == nil {
			t.Errorf("%q: no error, got %+v", spec, s)
		}
	}
}

func TestMultiAddressWarning(t *testing.T) {
	text := minimal + "server.1=zk1a:2888:3888|zk1b:2888:3888\n"
	_, ws := mustParse(t, text, nil)
	if !hasWarning(ws, 3, "server.1", "multiAddress.enabled=true") {
		t.Errorf("no multi-address warning: %v", ws)
	}
	_, ws = mustParse(t, text+"multiAddress.enabled=true\n", nil)
	if hasWarning(ws, 0, "", "multiAddress") {
		t.Errorf("warning despite multiAddress.enabled: %v", ws)
	}
}

func TestMyID(t *testing.T) {
	const quorum = "dataDir=/var/lib/zk\nclientPort=2181\ninitLimit=10\nsyncLimit=5\n" +
		"server.1=zk1:2888:3888\nserver.2=zk2:2888:3888\nserver.3=zk3:2888:3888\n"
	tests := []struct {
		name  string
		text  string
		myid  *string // nil: no file
		want  int
		error string
	}{
		{"plain", quorum, ptr("2\n"), 2, ""},
		{"blanks forgiven", quorum, ptr("  3  \n\n"), 3, ""},
		{"missing", quorum, nil, 0, "zoo.cfg: myid: /var/lib/zk/myid does not exist; write this server's id into it (one of 1, 2, 3)"},
		{"not a number", quorum, ptr("one\n"), 0, `zoo.cfg: myid: /var/lib/zk/myid holds "one", not a number`},
		{"debian placeholder", quorum, ptr("replace this text with the cluster-unique zookeeper's instance id (1-255)\n"), 0, "not a number"},
		{"empty", quorum, ptr(""), 0, `holds "", not a number`},
		{"zero", quorum, ptr("0"), 0, "holds 0; a server id must be between 1 and 255"},
		{"too big", quorum, ptr("256"), 0, "holds 256; a server id must be between 1 and 255"},
		{"not a server", quorum, ptr("4"), 0, "zoo.cfg: myid: 4 (from /var/lib/zk/myid) is not one of the server lines (1, 2, 3)"},
		{"standalone ignores missing", minimal + "server.1=zk1:2888:3888\n", nil, 0, ""},
		{"standalone reads it", minimal + "server.1=zk1:2888:3888\n", ptr("1"), 1, ""},
		{"standalone still checks it", minimal + "server.1=zk1:2888:3888\n", ptr("x"), 0, "not a number"},
		{"no server lines: not read", minimal, ptr("garbage"), 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{}
			if tt.myid != nil {
				files["/var/lib/zk/myid"] = *tt.myid
			}
			c, _, err := parseText(tt.text, files)
			if tt.error != "" {
				if err == nil || !strings.Contains(err.Error(), tt.error) {
					t.Fatalf("error %v, want %q", err, tt.error)
				}
				if e := findError(err, "myid"); e == nil || e.Err != ErrMyID {
					t.Errorf("not an ErrMyID error for key myid: %#v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.MyID != tt.want {
				t.Errorf("MyID = %d, want %d", c.MyID, tt.want)
			}
		})
	}
}

func ptr(s string) *string { return &s }
