package exporter

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"zkd/internal/ztest"
)

// TestDashboardsOnPrometheus starts a three-member Apache ZooKeeper
// ensemble, a zkd, and a zkd that refuses mntr; one zk-exporter watches
// them all; a real Prometheus scrapes it every second with the alert rules
// loaded. Every PromQL expression and template query of every dashboard
// must then return data, and every rule must evaluate without error.
func TestDashboardsOnPrometheus(t *testing.T) {
	requireServers(t)
	prometheusBin := requireTool(t, "prometheus")

	ensemble := startApacheEnsemble(t, 3)
	leader := waitForLeader(t, ensemble)
	t.Logf("ensemble leader: %s", leader.Addr)
	zkd := ztest.StartZkd(t, ztest.Options{Whitelist: "*"})
	closed := ztest.StartZkd(t, ztest.Options{Whitelist: "srvr,ruok"})

	var targets, configs []string
	for _, s := range append(ensemble, zkd, closed) {
		targets = append(targets, s.Addr)
		configs = append(configs, "--zk.config="+s.CfgPath)
	}
	_, exporterAddr := startExporter(t, append(configs, "--zk.hosts="+strings.Join(targets, ","))...)

	ctx, stopLoad := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { stopLoad(); wg.Wait() })
	for _, s := range append(ensemble, zkd) {
		wg.Go(func() { load(ctx, t, s.Addr) })
	}

	promURL := startPrometheus(t, prometheusBin, exporterAddr)
	// Rates need two scrapes in their window; wait until the slowest kind
	// of expression answers.
	waitQuery(t, promURL, `count(rate(zookeeper_packets_received_total[30s]) > 0) >= 4`, 90*time.Second)

	files, _ := filepath.Glob(filepath.Join(repoRoot(t), "exporter", "dashboards", "*.json"))
	if len(files) == 0 {
		t.Fatal("no dashboards")
	}
	for _, f := range files {
		exprs, templates := dashboardQueries(t, f)
		if len(exprs) < 20 {
			t.Errorf("%s: only %d expressions", f, len(exprs))
		}
		for _, e := range exprs {
			q := substitute(e)
			if n, err := queryCount(promURL, q, 30*time.Second); err != nil || n == 0 {
				t.Errorf("%s: expression returned no data (%v):\n  %s", filepath.Base(f), err, q)
			}
		}
		for _, tq := range templates {
			if vals, err := labelValues(promURL, substitute(tq)); err != nil || len(vals) == 0 {
				t.Errorf("%s: template query %s: %v %v", filepath.Base(f), tq, vals, err)
			}
		}
	}
	// The leader shows in the leader panel's query and synced followers.
	if n, _ := queryCount(promURL, fmt.Sprintf(`zookeeper_synced_followers{server=%q} == 2`, leader.Addr), 30*time.Second); n != 1 {
		t.Errorf("leader %s does not report 2 synced followers", leader.Addr)
	}
	checkRulesHealthy(t, promURL)
}

// load keeps a server busy: creates, sets, reads with watches, an
// ephemeral, until ctx ends.
func load(ctx context.Context, t *testing.T, addr string) {
	conn, _, err := zk.Connect([]string{addr}, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Errorf("load on %s: %v", addr, err)
		return
	}
	defer conn.Close()
	base := "/load-" + strings.ReplaceAll(addr, ":", "-")
	conn.Create(base, nil, 0, zk.WorldACL(zk.PermAll))
	conn.Create(base+"-eph", nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll))
	for i := 0; ctx.Err() == nil; i++ {
		p := fmt.Sprintf("%s/n%d", base, i%20)
		if _, err := conn.Create(p, []byte("x"), 0, zk.WorldACL(zk.PermAll)); err == zk.ErrNodeExists {
			conn.Set(p, []byte(strconv.Itoa(i)), -1)
		}
		conn.GetW(p)
		conn.Children(base)
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// startPrometheus runs Prometheus on a free loopback port, scraping the
// exporter every second and evaluating the alert rules.
func startPrometheus(t *testing.T, bin, exporterAddr string) string {
	t.Helper()
	dir := t.TempDir()
	rules, _ := filepath.Glob(filepath.Join(alertsDir(t), "*.rules.yml"))
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: [%s]
scrape_configs:
  - job_name: zookeeper
    static_configs:
      - targets: [%q]
`, quoteAll(rules), exporterAddr)
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p := startProcess(t, bin, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	promURL := "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(promURL + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return promURL
			}
		}
		select {
		case <-p.done:
			t.Fatalf("prometheus exited: %s", p.log.String())
		case <-time.After(200 * time.Millisecond):
		}
	}
	t.Fatalf("prometheus not ready within 60s: %s", p.log.String())
	return ""
}

func quoteAll(ss []string) string {
	var q []string
	for _, s := range ss {
		q = append(q, strconv.Quote(s))
	}
	return strings.Join(q, ", ")
}

// dashboardQueries returns every target expression of a Grafana dashboard
// (rows' nested panels included) and the label_values template queries.
func dashboardQueries(t *testing.T, path string) (exprs, templates []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	type panel struct {
		Title   string `json:"title"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
		Panels []json.RawMessage `json:"panels"`
	}
	var d struct {
		Panels     []json.RawMessage `json:"panels"`
		Templating struct {
			List []struct {
				Type  string `json:"type"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var walk func([]json.RawMessage)
	walk = func(ps []json.RawMessage) {
		for _, raw := range ps {
			var p panel
			if err := json.Unmarshal(raw, &p); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			for _, tg := range p.Targets {
				if tg.Expr == "" {
					t.Errorf("%s: panel %q has a target without expr", path, p.Title)
				}
				exprs = append(exprs, tg.Expr)
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		switch q := v.Query.(type) {
		case string:
			templates = append(templates, q)
		case map[string]any:
			templates = append(templates, fmt.Sprint(q["query"]))
		}
	}
	return exprs, templates
}

// substitute fills in Grafana's variables as "All" and a rate interval
// that spans several 1 s scrapes.
func substitute(e string) string {
	r := strings.NewReplacer("$__rate_interval", "30s", "$__interval", "5s", "$__range", "1m",
		`"$job"`, `".+"`, `"$instance"`, `".+"`, `"$server"`, `".+"`)
	return r.Replace(e)
}

type apiResponse struct {
	Status string          `json:"status"`
	Error  string          `json:"error"`
	Data   json.RawMessage `json:"data"`
}

func apiGet(u string) (apiResponse, error) {
	client := http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(u)
	if err != nil {
		return apiResponse{}, err
	}
	defer resp.Body.Close()
	var r apiResponse
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return apiResponse{}, fmt.Errorf("decode %s: %w", u, err)
	}
	if r.Status != "success" {
		return r, fmt.Errorf("%s: %s", u, r.Error)
	}
	return r, nil
}

// queryCount runs an instant query until it returns data or wait passes,
// and returns the number of series.
func queryCount(promURL, q string, wait time.Duration) (int, error) {
	deadline := time.Now().Add(wait)
	for {
		r, err := apiGet(promURL + "/api/v1/query?query=" + url.QueryEscape(q))
		if err != nil && strings.Contains(err.Error(), "parse error") {
			return 0, err
		}
		n := 0
		if err == nil {
			var d struct {
				Result []json.RawMessage `json:"result"`
			}
			if err := json.Unmarshal(r.Data, &d); err != nil {
				return 0, err
			}
			n = len(d.Result)
		}
		if n > 0 || time.Now().After(deadline) {
			return n, err
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func waitQuery(t *testing.T, promURL, q string, wait time.Duration) {
	t.Helper()
	if n, err := queryCount(promURL, q, wait); n == 0 {
		t.Fatalf("%s returned nothing within %v: %v", q, wait, err)
	}
}

var labelValuesRe = regexp.MustCompile(`^label_values\((.*),\s*(\w+)\)$`)

// labelValues evaluates Grafana's label_values(selector, label) through
// the series API, as Grafana does.
func labelValues(promURL, q string) ([]string, error) {
	m := labelValuesRe.FindStringSubmatch(strings.TrimSpace(q))
	if m == nil {
		return nil, fmt.Errorf("not a label_values query: %s", q)
	}
	r, err := apiGet(promURL + "/api/v1/label/" + m[2] + "/values?match[]=" + url.QueryEscape(m[1]))
	if err != nil {
		return nil, err
	}
	var vals []string
	err = json.Unmarshal(r.Data, &vals)
	return vals, err
}

// checkRulesHealthy waits until every rule has been evaluated and fails on
// any evaluation error.
func checkRulesHealthy(t *testing.T, promURL string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r, err := apiGet(promURL + "/api/v1/rules")
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			Groups []struct {
				Rules []struct {
					Name      string `json:"name"`
					Health    string `json:"health"`
					LastError string `json:"lastError"`
				} `json:"rules"`
			} `json:"groups"`
		}
		if err := json.Unmarshal(r.Data, &d); err != nil {
			t.Fatal(err)
		}
		var bad []string
		total := 0
		for _, g := range d.Groups {
			for _, rule := range g.Rules {
				total++
				if rule.Health != "ok" {
					bad = append(bad, fmt.Sprintf("%s: %s %s", rule.Name, rule.Health, rule.LastError))
				}
			}
		}
		if total > 0 && len(bad) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("rules not healthy (%d rules): %v", total, bad)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
