package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// startAdmin runs a server with the admin server on a free loopback port
// and returns its base URL (…/commands).
func startAdmin(t *testing.T) (*Server, string) {
	t.Helper()
	s := startServer(t, Config{AdminAddr: "127.0.0.1:0", AdminCommandURL: "/commands",
		InitialConfig: func() string { return "tickTime=200\n" }})
	if s.AdminAddr() == nil {
		t.Fatal("admin server did not start")
	}
	return s, "http://" + s.AdminAddr().String() + "/commands"
}

func httpGet(t *testing.T, url string) (int, http.Header, []byte) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", url, err)
	}
	return resp.StatusCode, resp.Header, b
}

// jsonType names a decoded JSON value's type as the tests compare them.
func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case string:
		return "string"
	case json.Number:
		if strings.ContainsAny(x.String(), ".eE") {
			return "double"
		}
		return "int"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// apacheShapes are key → JSON type as Apache ZooKeeper 3.8.0's
// AdminServer answered them (Debian's zookeeper with its Jetty jars on the
// class path, captured by hand), for the commands whose shape tools rely
// on. Keys zkd must return with the same type.
var apacheShapes = map[string]map[string]string{
	"ruok": {"command": "string", "error": "null"},
	"conf": {"client_port": "int", "data_dir": "string", "data_log_dir": "string", "tick_time": "int",
		"max_client_cnxns": "int", "min_session_timeout": "int", "max_session_timeout": "int",
		"server_id": "int", "client_port_listen_backlog": "int", "command": "string", "error": "null"},
	"srvr": {"version": "string", "read_only": "bool", "server_stats": "object", "client_response": "object",
		"node_count": "int", "command": "string", "error": "null"},
	"stat": {"version": "string", "read_only": "bool", "server_stats": "object", "client_response": "object",
		"node_count": "int", "connections": "array", "secure_connections": "array", "command": "string", "error": "null"},
	"mntr": {"version": "string", "server_state": "string", "avg_latency": "double", "max_latency": "int",
		"min_latency": "int", "packets_received": "int", "packets_sent": "int", "num_alive_connections": "int",
		"outstanding_requests": "int", "znode_count": "int", "watch_count": "int", "ephemerals_count": "int",
		"approximate_data_size": "int", "open_file_descriptor_count": "int", "max_file_descriptor_count": "int",
		"uptime": "int", "global_sessions": "int", "local_sessions": "int", "connection_drop_probability": "double",
		"last_client_response_size": "int", "max_client_response_size": "int", "min_client_response_size": "int",
		"outstanding_tls_handshake": "int", "auth_failed_count": "int", "non_mtls_remote_conn_count": "int",
		"non_mtls_local_conn_count": "int", "avg_readlatency": "double", "cnt_readlatency": "int",
		"avg_updatelatency": "double", "avg_fsynctime": "double", "cnt_fsynctime": "int",
		"command": "string", "error": "null"},
	"wchs": {"num_connections": "int", "num_paths": "int", "num_total_watches": "int", "command": "string", "error": "null"},
	"dump": {"expiry_time_to_session_ids": "object", "session_id_to_ephemeral_paths": "object", "command": "string", "error": "null"},
	"wchc": {"session_id_to_watched_paths": "object", "command": "string", "error": "null"},
	"wchp": {"path_to_session_ids": "object", "command": "string", "error": "null"},
	"isro": {"read_only": "bool", "command": "string", "error": "null"},
	"dirs": {"datadir_size": "int", "logdir_size": "int", "command": "string", "error": "null"},
	"cons": {"connections": "array", "secure_connections": "array", "command": "string", "error": "null"},
	"envi": {"zookeeper.version": "string", "host.name": "string", "os.name": "string", "command": "string", "error": "null"},
	"icfg": {"initial_configuration": "string", "command": "string", "error": "null"},
}

// apacheServerStats are server_stats' keys in srvr and stat (3.8.0).
var apacheServerStats = map[string]string{
	"packets_sent": "int", "packets_received": "int", "fsync_threshold_exceed_count": "int",
	"client_response_stats": "object", "data_dir_size": "int", "log_dir_size": "int", "provider_null": "bool",
	"server_state": "string", "last_processed_zxid": "int", "outstanding_requests": "int", "avg_latency": "double",
	"max_latency": "int", "min_latency": "int", "num_alive_client_connections": "int", "auth_failed_count": "int",
	"non_mtlsremote_conn_count": "int", "non_mtlslocal_conn_count": "int", "uptime": "int",
}

func decodeObj(t *testing.T, b []byte) map[string]any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, b)
	}
	return m
}

func checkShape(t *testing.T, what string, got map[string]any, want map[string]string) {
	t.Helper()
	for k, typ := range want {
		v, ok := got[k]
		if !ok {
			t.Errorf("%s: missing key %q", what, k)
			continue
		}
		if g := jsonType(v); g != typ {
			t.Errorf("%s: %q is %s (%v), Apache returns %s", what, k, g, v, typ)
		}
	}
}

func TestAdminCommands(t *testing.T) {
	s, base := startAdmin(t)
	// A session with an ephemeral and a data watch, so cons, wchc, wchp and
	// dump have something to show.
	c, _, err := zk.Connect([]string{s.Addr().String()}, 5*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Create("/e", []byte("x"), zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.GetW("/e"); err != nil {
		t.Fatal(err)
	}
	sid := fmt.Sprint(c.SessionID())

	tests := []struct {
		path    string // after /commands/
		primary string
		check   func(t *testing.T, m map[string]any)
	}{
		{"ruok", "ruok", nil},
		{"conf", "configuration", nil},
		{"configuration", "configuration", nil},
		{"srvr", "server_stats", func(t *testing.T, m map[string]any) {
			checkShape(t, "server_stats", m["server_stats"].(map[string]any), apacheServerStats)
		}},
		{"stat", "stats", func(t *testing.T, m map[string]any) {
			if n := len(m["connections"].([]any)); n != 1 {
				t.Errorf("stat lists %d connections, want 1", n)
			}
		}},
		{"mntr", "monitor", func(t *testing.T, m map[string]any) {
			if m["znode_count"].(json.Number).String() != mntrValue(s, "znode_count") || m["ephemerals_count"].(json.Number).String() != "1" {
				t.Errorf("monitor counts: znode_count=%v ephemerals_count=%v", m["znode_count"], m["ephemerals_count"])
			}
		}},
		{"cons", "connections", func(t *testing.T, m map[string]any) {
			conns := m["connections"].([]any)
			if len(conns) != 1 || fmt.Sprint(conns[0].(map[string]any)["session_id"]) != sid {
				t.Errorf("connections = %v, want one with session_id %s", conns, sid)
			}
		}},
		{"envi", "environment", nil},
		{"env", "environment", nil},
		{"wchc", "watches", func(t *testing.T, m map[string]any) {
			w := m["session_id_to_watched_paths"].(map[string]any)
			if fmt.Sprint(w[sid]) != "[/e]" {
				t.Errorf("watches = %v, want %s: [/e]", w, sid)
			}
		}},
		{"wchp", "watches_by_path", func(t *testing.T, m map[string]any) {
			w := m["path_to_session_ids"].(map[string]any)
			if fmt.Sprint(w["/e"]) != "["+sid+"]" {
				t.Errorf("watches_by_path = %v, want /e: [%s]", w, sid)
			}
		}},
		{"wchs", "watch_summary", nil},
		{"dump", "dump", func(t *testing.T, m map[string]any) {
			e := m["session_id_to_ephemeral_paths"].(map[string]any)
			if fmt.Sprint(e[sid]) != "[/e]" {
				t.Errorf("dump ephemerals = %v", e)
			}
		}},
		{"isro", "is_read_only", nil},
		{"dirs", "dirs", nil},
		{"icfg", "initial_configuration", func(t *testing.T, m map[string]any) {
			if m["initial_configuration"] != "tickTime=200\n" {
				t.Errorf("initial_configuration = %q", m["initial_configuration"])
			}
		}},
		{"sysp", "system_properties", nil},
		{"gtmk", "get_trace_mask", nil},
		{"hash", "hash", nil},
		{"crst", "connection_stat_reset", nil},
		{"srst", "stat_reset", nil},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			code, hdr, body := httpGet(t, base+"/"+tc.path)
			if code != http.StatusOK || hdr.Get("Content-Type") != "application/json" {
				t.Fatalf("status %d, content type %q\n%s", code, hdr.Get("Content-Type"), body)
			}
			m := decodeObj(t, body)
			if m["command"] != tc.primary || m["error"] != nil {
				t.Errorf("command=%v error=%v, want %s and null", m["command"], m["error"], tc.primary)
			}
			if want, ok := apacheShapes[tc.path]; ok {
				checkShape(t, tc.path, m, want)
			}
			if tc.check != nil {
				tc.check(t, m)
			}
		})
	}
}

func TestAdminUnknownAndList(t *testing.T) {
	_, base := startAdmin(t)
	code, _, body := httpGet(t, base+"/nosuch")
	m := decodeObj(t, body)
	if code != http.StatusNotFound || m["command"] != "nosuch" || m["error"] != "Unknown command: nosuch" {
		t.Errorf("unknown command: %d %s", code, body)
	}
	code, _, body = httpGet(t, base)
	if code != http.StatusOK {
		t.Fatalf("list: status %d", code)
	}
	var names []string
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "<a href=\"/commands/") {
			names = append(names, line[len("<a href=\"/commands/"):strings.Index(line, "\">")])
		}
	}
	if !sort.StringsAreSorted(names) || len(names) != len(adminCommands()) {
		t.Errorf("list = %v", names)
	}
	for _, want := range []string{"monitor", "server_stats", "stats", "configuration", "ruok", "watches"} {
		if i := sort.SearchStrings(names, want); i >= len(names) || names[i] != want {
			t.Errorf("list lacks %s", want)
		}
	}
}

// TestAdminAgreesWithFourLetter checks the admin server and mntr read the
// same counters: after some traffic both report the same totals.
func TestAdminAgreesWithFourLetter(t *testing.T) {
	s, base := startAdmin(t)
	c, _, err := zk.Connect([]string{s.Addr().String()}, 5*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := 0; i < 5; i++ {
		if _, err := c.Create(fmt.Sprintf("/n%d", i), nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatal(err)
		}
	}
	_, _, body := httpGet(t, base+"/monitor")
	m := decodeObj(t, body)
	text := s.runFourLetter("mntr", nil)
	for _, key := range []string{"znode_count", "approximate_data_size", "global_sessions", "ephemerals_count", "cnt_updatelatency"} {
		want := ""
		for _, line := range strings.Split(text, "\n") {
			if k, v, ok := strings.Cut(line, "\t"); ok && k == "zk_"+key {
				want = v
			}
		}
		if got := fmt.Sprint(m[key]); got != want {
			t.Errorf("%s: admin %s, mntr %s", key, got, want)
		}
	}
}

func TestAdminNotServing(t *testing.T) {
	s, base := startAdmin(t)
	s.serving.Store(false)
	defer s.serving.Store(true)
	_, _, body := httpGet(t, base+"/mntr")
	if m := decodeObj(t, body); m["error"] != "This ZooKeeper instance is not currently serving requests" {
		t.Errorf("mntr while not serving: %s", body)
	}
	_, _, body = httpGet(t, base+"/ruok")
	if m := decodeObj(t, body); m["error"] != nil {
		t.Errorf("ruok while not serving: %s", body)
	}
}
