package collector

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"zkd/exporter/hoststats"
	"zkd/exporter/mntr"
)

var update = flag.Bool("update", false, "rewrite testdata/golden.prom")

// replies maps fake targets to captured mntr replies or errors.
var replies = map[string]string{
	"zk1:2181": "../mntr/testdata/zkd.txt",
	"zk2:2181": "../mntr/testdata/apache-3.6.1-leader.txt",
	"zk3:2181": "../mntr/testdata/apache-3.8-prometheus-provider.txt",
}

var fetchErrors = map[string]error{
	"down:2181": fmt.Errorf("mntr: connect to down:2181: %w",
		&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}),
	"closed:2181": fmt.Errorf("%w (from closed:2181)", mntr.ErrNotWhitelisted),
}

func fakeFetch(t *testing.T) Fetcher {
	return func(ctx context.Context, addr string) ([]byte, error) {
		if err, ok := fetchErrors[addr]; ok {
			return nil, err
		}
		path, ok := replies[addr]
		if !ok {
			return nil, fmt.Errorf("unknown fake target %s", addr)
		}
		return os.ReadFile(path)
	}
}

// fakeHost has one local server, zk1, a JVM-less process, and zk3's
// hsperfdata heap is ignored because its mntr has one.
type fakeHost struct {
	disks func(ctx context.Context) error
	calls atomic.Int32
}

func (h *fakeHost) Disks(ctx context.Context) ([]hoststats.Filesystem, []hoststats.DeviceIO, error) {
	h.calls.Add(1)
	if h.disks != nil {
		if err := h.disks(ctx); err != nil {
			return nil, nil, err
		}
	}
	return []hoststats.Filesystem{
			{Dir: hoststats.Dir{Role: "dataDir", Path: "/data1/zookeeper"}, Device: "sdb1", Size: 100 << 30, Free: 60 << 30, Used: 40 << 30, Inodes: 6553600, InodesFree: 6553000, InodesUsed: 600},
			{Dir: hoststats.Dir{Role: "dataLogDir", Path: "/data2/zookeeper-log"}, Device: "sdc1", Size: 50 << 30, Free: 45 << 30, Used: 5 << 30, Inodes: 3276800, InodesFree: 3276790, InodesUsed: 10},
		}, []hoststats.DeviceIO{
			{Device: "sdb1", Reads: 10, Writes: 20, ReadBytes: 4096, WrittenBytes: 8192, ReadTime: 5 * time.Millisecond, WriteTime: 7 * time.Millisecond, Busy: 11 * time.Millisecond},
			{Device: "sdc1", Reads: 1, Writes: 2000, ReadBytes: 512, WrittenBytes: 1 << 20, ReadTime: time.Millisecond, WriteTime: 900 * time.Millisecond, Busy: 950 * time.Millisecond},
		}, nil
}

func (h *fakeHost) Process(_ context.Context, addr string) (hoststats.Process, bool, error) {
	switch addr {
	case "zk1:2181":
		return hoststats.Process{PID: 100, RSS: 50 << 20, OpenFDs: 30, MaxFDs: 65536}, true, nil
	case "zk2:2181":
		return hoststats.Process{PID: 200, RSS: 300 << 20, OpenFDs: -1, MaxFDs: 4096,
			Heap: &hoststats.JVMHeap{Used: 100 << 20, Committed: 256 << 20, Max: 1 << 30}}, true, nil
	case "zk3:2181":
		return hoststats.Process{PID: 300, RSS: 1, Heap: &hoststats.JVMHeap{Used: 1, Committed: 1, Max: 1}}, true, nil
	case "closed:2181":
		return hoststats.Process{}, true, errors.New("no readable process holds socket:[42]")
	}
	return hoststats.Process{}, false, nil
}

func newTestCollector(t *testing.T, targets []string, host Host, log *slog.Logger) *Collector {
	t.Helper()
	c, err := New(Options{Targets: targets, Timeout: 2 * time.Second, Fetch: fakeFetch(t), Host: host, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var allTargets = []string{"zk1:2181", "zk2:2181", "zk3:2181", "down:2181", "closed:2181"}

// exposition gathers c and renders the text format without the metrics
// that change from run to run (durations).
func exposition(t *testing.T, c prometheus.Collector) string {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	var b bytes.Buffer
	for _, mf := range mfs {
		if strings.HasSuffix(mf.GetName(), "_duration_seconds") {
			continue
		}
		if _, err := expfmt.MetricFamilyToText(&b, mf); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// TestGolden compares the whole exposition for a zkd, a 3.6 leader, a
// server with the Prometheus provider, a down one and one refusing mntr
// with testdata/golden.prom. Run with -update after a deliberate change.
func TestGolden(t *testing.T) {
	c := newTestCollector(t, allTargets, &fakeHost{}, slog.New(slog.DiscardHandler))
	got := exposition(t, c)
	golden := filepath.Join("testdata", "golden.prom")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGolden -update)", err)
	}
	if got != string(want) {
		t.Errorf("exposition differs from %s; diff with -update and git diff:\n%s", golden, firstDiff(got, string(want)))
	}
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n got: %s\nwant: %s", i+1, gl, wl)
		}
	}
	return ""
}

// TestLint runs client_golang's promlint (what promtool check metrics
// runs) on the whole output.
func TestLint(t *testing.T) {
	c := newTestCollector(t, allTargets, &fakeHost{}, slog.New(slog.DiscardHandler))
	problems, err := testutil.CollectAndLint(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

// TestFacts checks the state, info and heap rules on the fake targets.
func TestFacts(t *testing.T) {
	tests := []struct {
		metric string
		want   string
	}{
		{"zookeeper_up", `
zookeeper_up{server="closed:2181"} 0
zookeeper_up{server="down:2181"} 0
zookeeper_up{server="zk1:2181"} 1
zookeeper_up{server="zk2:2181"} 1
zookeeper_up{server="zk3:2181"} 1
`},
		{"zookeeper_info", `
zookeeper_info{implementation="apache",peer_state="following - broadcast",revision="5a02a05eddb59aee6ac762f7ea82e92a68eb9c0f",server="zk3:2181",version="3.8.0"} 1
zookeeper_info{implementation="apache",peer_state="leading - broadcast",revision="-104dcb3e3fb464b30c5186d229e00af9f332524b",server="zk2:2181",version="3.6.1"} 1
zookeeper_info{implementation="zkd",peer_state="",revision="zkd-0.1.0",server="zk1:2181",version="3.8.4"} 1
`},
		// zk1: zkd prints no heap, no JVM → none. zk2: hsperfdata.
		// zk3: mntr's jvm_memory wins over hsperfdata.
		{"zookeeper_process_heap_used_bytes", `
zookeeper_process_heap_used_bytes{server="zk2:2181"} 1.048576e+08
zookeeper_process_heap_used_bytes{server="zk3:2181"} 4.194304e+07
`},
		{"zk_exporter_mntr_failures_total", `
zk_exporter_mntr_failures_total{reason="not_whitelisted",server="closed:2181"} 2
zk_exporter_mntr_failures_total{reason="refused",server="down:2181"} 2
`},
	}
	for _, tt := range tests {
		// A fresh collector: header and compare are its two scrapes.
		c := newTestCollector(t, allTargets, &fakeHost{}, slog.New(slog.DiscardHandler))
		if err := testutil.CollectAndCompare(c, strings.NewReader(header(t, c, tt.metric)+tt.want), tt.metric); err != nil {
			t.Errorf("%s: %v", tt.metric, err)
		}
	}
}

// header returns the HELP and TYPE lines of metric as c exposes them.
func header(t *testing.T, c prometheus.Collector, metric string) string {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == metric {
			return fmt.Sprintf("# HELP %s %s\n# TYPE %s %s\n", metric, mf.GetHelp(), metric, strings.ToLower(mf.GetType().String()))
		}
	}
	t.Fatalf("no %s", metric)
	return ""
}

// TestDeadline: one hung target costs the scrape its deadline and nothing
// more, and the others are reported.
func TestDeadline(t *testing.T) {
	fetch := fakeFetch(t)
	c, err := New(Options{
		Targets: []string{"zk1:2181", "hung:2181", "zk2:2181"},
		Timeout: 300 * time.Millisecond,
		Fetch: func(ctx context.Context, addr string) ([]byte, error) {
			if addr == "hung:2181" {
				<-ctx.Done()
				return nil, ctx.Err()
			}
			return fetch(ctx, addr)
		},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	want := `
zookeeper_up{server="hung:2181"} 0
zookeeper_up{server="zk1:2181"} 1
zookeeper_up{server="zk2:2181"} 1
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(header(t, c, "zookeeper_up")+want), "zookeeper_up"); err != nil {
		t.Error(err)
	}
	// header() scraped once too: two scrapes, each bounded by 300ms.
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("two scrapes took %v with a 300ms deadline", took)
	}
	if err := testutil.CollectAndCompare(c, strings.NewReader(`
# HELP zk_exporter_mntr_failures_total Scrapes in which a server did not answer mntr, by reason: refused, connect, timeout, not_whitelisted, not_serving, empty, truncated, too_large, read.
# TYPE zk_exporter_mntr_failures_total counter
zk_exporter_mntr_failures_total{reason="timeout",server="hung:2181"} 3
`), "zk_exporter_mntr_failures_total"); err != nil {
		t.Error(err)
	}
}

// TestHungDisks: statfs that never returns costs one deadline, and the next
// scrapes do not pile up more stuck reads.
func TestHungDisks(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	h := &fakeHost{disks: func(ctx context.Context) error { <-release; return nil }}
	c, err := New(Options{Targets: []string{"zk1:2181"}, Timeout: 200 * time.Millisecond, Fetch: fakeFetch(t), Host: h,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for range 3 {
		if n := testutil.CollectAndCount(c, "zookeeper_up"); n != 1 {
			t.Fatalf("zookeeper_up series = %d", n)
		}
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("3 scrapes took %v", took)
	}
	if n := h.calls.Load(); n != 1 {
		t.Errorf("Disks called %d times while the first never returned, want 1", n)
	}
}

// TestLogOnce: a down server is logged once, not at every scrape, and its
// recovery once.
func TestLogOnce(t *testing.T) {
	var buf syncBuffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	var down atomic.Bool
	down.Store(true)
	fetch := fakeFetch(t)
	c, err := New(Options{Targets: []string{"zk1:2181"}, Fetch: func(ctx context.Context, addr string) ([]byte, error) {
		if down.Load() {
			return nil, fetchErrors["closed:2181"]
		}
		return fetch(ctx, addr)
	}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		testutil.CollectAndCount(c)
	}
	down.Store(false)
	for range 2 {
		testutil.CollectAndCount(c)
	}
	out := buf.String()
	if n := strings.Count(out, "add mntr to 4lw.commands.whitelist"); n != 1 {
		t.Errorf("whitelist hint logged %d times, want 1:\n%s", n, out)
	}
	if n := strings.Count(out, "recovered"); n != 1 {
		t.Errorf("recovery logged %d times, want 1:\n%s", n, out)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestNewRejects(t *testing.T) {
	for _, targets := range [][]string{nil, {"nohost"}, {"zk1:2181", "zk2"}} {
		if _, err := New(Options{Targets: targets}); err == nil {
			t.Errorf("New(%q) accepted", targets)
		}
	}
	c, err := New(Options{Targets: []string{"a:1", " a:1", "b:2"}})
	if err != nil || strings.Join(c.Targets(), ",") != "a:1,b:2" {
		t.Errorf("dedup: %v %v", c.Targets(), err)
	}
}
