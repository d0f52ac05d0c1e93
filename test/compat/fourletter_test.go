package compat

import (
	"strconv"
	"strings"
	"testing"

	"github.com/go-zookeeper/zk"

	"zkd/internal/ztest"
)

// mntrValues parses mntr's "zk_key\tvalue" lines.
func mntrValues(t *testing.T, out string) map[string]string {
	t.Helper()
	vals := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		k, v, ok := strings.Cut(line, "\t")
		if !ok || !strings.HasPrefix(k, "zk_") {
			t.Fatalf("mntr line %q is not zk_key<TAB>value", line)
		}
		vals[k] = v
	}
	return vals
}

func TestFourLetterWords(t *testing.T) {
	srv := startServer(t, ztest.Options{})
	four := func(word string) string {
		t.Helper()
		out, err := srv.FourLetter(word)
		if err != nil {
			t.Fatalf("%s: %v", word, err)
		}
		return out
	}

	if out := four("ruok"); out != "imok" { // no newline
		t.Errorf("ruok = %q, want imok", out)
	}
	if out := four("isro"); out != "rw" {
		t.Errorf("isro = %q, want rw", out)
	}

	srvr := four("srvr")
	for _, want := range []string{"Zookeeper version: ", "\nLatency min/avg/max: ", "\nReceived: ", "\nSent: ", "\nConnections: ",
		"\nOutstanding: ", "\nZxid: 0x", "\nMode: standalone\n", "\nNode count: 5\n"} {
		if !strings.Contains(srvr, want) {
			t.Errorf("srvr lacks %q:\n%s", want, srvr)
		}
	}
	if !strings.HasPrefix(srvr, "Zookeeper version: ") || !strings.HasSuffix(srvr, "\n") {
		t.Errorf("srvr = %q", srvr)
	}

	// On a fresh server mntr counts 5 znodes: /, /zookeeper, its two
	// children, and the root once more (Apache's DataTree files it under
	// both "" and "/").
	m := mntrValues(t, four("mntr"))
	// The mntr connection itself counts as an alive connection.
	if m["zk_server_state"] != "standalone" || m["zk_znode_count"] != "5" || m["zk_ephemerals_count"] != "0" ||
		m["zk_watch_count"] != "0" || m["zk_global_sessions"] != "0" || m["zk_num_alive_connections"] != "1" {
		t.Errorf("fresh mntr: state %q znodes %q ephemerals %q watches %q sessions %q connections %q", m["zk_server_state"],
			m["zk_znode_count"], m["zk_ephemerals_count"], m["zk_watch_count"], m["zk_global_sessions"], m["zk_num_alive_connections"])
	}
	if !strings.HasPrefix(m["zk_version"], "3.") {
		t.Errorf("zk_version %q", m["zk_version"])
	}
	for _, k := range []string{"zk_avg_latency", "zk_max_latency", "zk_min_latency", "zk_packets_received", "zk_packets_sent",
		"zk_num_alive_connections", "zk_outstanding_requests", "zk_approximate_data_size", "zk_open_file_descriptor_count",
		"zk_max_file_descriptor_count", "zk_global_sessions", "zk_uptime"} {
		if _, err := strconv.ParseFloat(m[k], 64); err != nil {
			t.Errorf("mntr %s = %q, want a number", k, m[k])
		}
	}

	c := connect(t, srv.Addr)
	mustCreate(t, c, "/a", "", 0)
	mustCreate(t, c, "/a/e", "", zk.FlagEphemeral)
	c.GetW("/a")
	m = mntrValues(t, four("mntr"))
	if m["zk_znode_count"] != "7" || m["zk_ephemerals_count"] != "1" || m["zk_watch_count"] != "1" || m["zk_global_sessions"] != "1" || m["zk_num_alive_connections"] != "2" {
		t.Errorf("mntr after writes: znodes %q ephemerals %q watches %q sessions %q connections %q",
			m["zk_znode_count"], m["zk_ephemerals_count"], m["zk_watch_count"], m["zk_global_sessions"], m["zk_num_alive_connections"])
	}
	if !strings.Contains(four("srvr"), "\nNode count: 7\n") {
		t.Error("srvr node count not 7")
	}

	// Four bytes that are no command read as a huge packet length: the
	// connection is closed without a word.
	if out := four("abcd"); out != "" {
		t.Errorf("abcd = %q, want nothing", out)
	}
}

func TestFourLetterWhitelist(t *testing.T) {
	srv := startServer(t, ztest.Options{Whitelist: "srvr"})
	for _, w := range []string{"ruok", "mntr", "stat", "conf", "isro"} {
		out, err := srv.FourLetter(w)
		if want := w + " is not executed because it is not in the whitelist.\n"; err != nil || out != want {
			t.Errorf("%s = %q, %v; want %q", w, out, err, want)
		}
	}
	if out, _ := srv.FourLetter("srvr"); !strings.Contains(out, "Mode: standalone") {
		t.Errorf("srvr = %q", out)
	}
}
