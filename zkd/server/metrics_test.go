package server

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// scrapeLine finds a sample line "name value" (no labels) in a scrape.
func scrapeValue(body, name string) (string, bool) {
	for _, line := range strings.Split(body, "\n") {
		if k, v, ok := strings.Cut(line, " "); ok && k == name {
			return v, true
		}
	}
	return "", false
}

func TestMetricsEndpoint(t *testing.T) {
	s := startServer(t, Config{MetricsAddr: "127.0.0.1:0"})
	c, _, err := zk.Connect([]string{s.Addr().String()}, 5*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := 0; i < 3; i++ {
		if _, err := c.Create(fmt.Sprintf("/m%d", i), []byte("v"), 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := c.Get("/m0"); err != nil {
		t.Fatal(err)
	}
	code, hdr, raw := httpGet(t, "http://"+s.MetricsAddr().String()+"/metrics")
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") {
		t.Fatalf("status %d, content type %q", code, hdr.Get("Content-Type"))
	}
	body := string(raw)
	tests := []struct {
		name, want string // want "" = present, any value
		typ        string
	}{
		{"znode_count", mntrValue(s, "znode_count"), "gauge"},
		{"ephemerals_count", "0", "gauge"},
		{"global_sessions", "1", "gauge"},
		{"num_alive_connections", "1", "gauge"},
		{"avg_latency", "", "gauge"},
		{"outstanding_requests", "", "gauge"},
		{"watch_count", "0", "gauge"},
		{"approximate_data_size", "", "gauge"},
		{"packets_received", "", "gauge"},
		{"packets_sent", "", "gauge"},
		{"open_file_descriptor_count", "", "gauge"},
		{"uptime", "", "gauge"},
		{"updatelatency_count", "3", "summary"},
		{"readlatency_count", "", "summary"},
		{"fsynctime_count", "", "summary"},
		{"fsynctime_sum", "", "summary"},
		{"go_goroutines", "", "gauge"},
		{"process_open_fds", "", "gauge"},
	}
	for _, tc := range tests {
		v, ok := scrapeValue(body, tc.name)
		if !ok {
			t.Errorf("no sample %s", tc.name)
			continue
		}
		if tc.want != "" && v != tc.want {
			t.Errorf("%s = %s, want %s", tc.name, v, tc.want)
		}
		family := strings.TrimSuffix(strings.TrimSuffix(tc.name, "_count"), "_sum")
		if tc.typ != "summary" {
			family = tc.name
		}
		if !strings.Contains(body, "# TYPE "+family+" "+tc.typ+"\n") {
			t.Errorf("%s is not a %s", family, tc.typ)
		}
	}
	for _, bad := range []string{"zk_znode_count", "version", "server_state", "avg_readlatency"} {
		if _, ok := scrapeValue(body, bad); ok {
			t.Errorf("unexpected sample %s", bad)
		}
	}
	promtoolCheck(t, raw)
}

// mntrValue is one mntr value, as the four-letter word prints it.
func mntrValue(s *Server, key string) string {
	for _, line := range strings.Split(s.runFourLetter("mntr", nil), "\n") {
		if k, v, ok := strings.Cut(line, "\t"); ok && k == "zk_"+key {
			return v
		}
	}
	return ""
}

// promtoolCheck runs Debian's promtool over a scrape when it is installed.
func promtoolCheck(t *testing.T, scrape []byte) {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		t.Log("promtool not installed; skipping its check")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "check", "metrics")
	cmd.Stdin = bytes.NewReader(scrape)
	out, err := cmd.CombinedOutput()
	if err == nil {
		return
	}
	// Exit status 3 is lint findings only (the text parsed). Apache's names
	// end in _count for gauges (znode_count...), which promtool's lint
	// rejects; dashboards need those names, so that one finding is allowed
	// for the names Apache uses and nothing else.
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 3 {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		name, rule, _ := strings.Cut(line, " ")
		if rule != `non-histogram and non-summary metrics should not have "_count" suffix` || !apacheCountGauges[name] {
			t.Errorf("promtool check metrics: %s", line)
		}
	}
}

// apacheCountGauges are the gauges Apache's Prometheus provider names with
// a _count suffix; zkd keeps the names.
var apacheCountGauges = map[string]bool{
	"auth_failed_count": true, "ephemerals_count": true, "max_file_descriptor_count": true,
	"non_mtls_local_conn_count": true, "non_mtls_remote_conn_count": true,
	"open_file_descriptor_count": true, "watch_count": true, "znode_count": true,
}
