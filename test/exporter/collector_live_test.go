package exporter

import (
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"zkd/exporter/collector"
	"zkd/exporter/hoststats"
	"zkd/internal/ztest"
)

// gather collects c once and returns its families by name.
func gather(t *testing.T, c prometheus.Collector) map[string]*dto.MetricFamily {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		out[mf.GetName()] = mf
	}
	return out
}

// value returns the value of the series of family name whose labels
// include want, and whether there is one.
func value(mfs map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	mf, ok := mfs[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range mf.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		case m.Summary != nil:
			return float64(m.Summary.GetSampleCount()), true
		}
	}
	return 0, false
}

// hungServer accepts connections and never answers.
func hungServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Go(func() { io.Copy(io.Discard, c) })
		}
	})
	return l.Addr().String()
}

func hostFor(t *testing.T, servers ...*ztest.Server) *hoststats.Host {
	t.Helper()
	var dirs []hoststats.Dir
	for _, s := range servers {
		z, err := hoststats.LoadZooCfg(s.CfgPath)
		if err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, z.Dirs...)
	}
	return hoststats.New(dirs, "")
}

// TestCollectorLive scrapes a zkd, an Apache ZooKeeper 3.8, a zkd without
// mntr in its whitelist and a server that never answers, all at once.
func TestCollectorLive(t *testing.T) {
	requireServers(t)
	zkd := ztest.StartZkd(t, ztest.Options{Whitelist: "*"})
	apache := ztest.StartApache(t, ztest.Options{Whitelist: "*"})
	closed := ztest.StartZkd(t, ztest.Options{Whitelist: "srvr,ruok"})
	hung := hungServer(t)

	var logBuf lockedBuffer
	const timeout = 2 * time.Second
	c, err := collector.New(collector.Options{
		Targets: []string{zkd.Addr, apache.Addr, closed.Addr, hung},
		Timeout: timeout,
		Host:    hostFor(t, zkd, apache),
		Logger:  slog.New(slog.NewTextHandler(&logBuf, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	mfs := gather(t, c)
	if took := time.Since(start); took > timeout+time.Second {
		t.Errorf("scrape took %v with a %v deadline and a hung target", took, timeout)
	}

	for addr, want := range map[string]float64{zkd.Addr: 1, apache.Addr: 1, closed.Addr: 0, hung: 0} {
		if got, ok := value(mfs, "zookeeper_up", map[string]string{"server": addr}); !ok || got != want {
			t.Errorf("zookeeper_up{server=%q} = %v (present %v), want %v", addr, got, ok, want)
		}
	}
	checks := []struct {
		name   string
		labels map[string]string
	}{
		{"zookeeper_info", map[string]string{"server": zkd.Addr, "implementation": "zkd"}},
		{"zookeeper_info", map[string]string{"server": apache.Addr, "implementation": "apache", "version": "3.8.0"}},
		{"zookeeper_server_state", map[string]string{"server": zkd.Addr, "state": "standalone"}},
		{"zookeeper_server_state", map[string]string{"server": apache.Addr, "state": "standalone"}},
		{"zookeeper_znodes", map[string]string{"server": zkd.Addr}},
		{"zookeeper_znodes", map[string]string{"server": apache.Addr}},
		{"zookeeper_packets_received_total", map[string]string{"server": zkd.Addr}},
		{"zookeeper_fsynctime_seconds", map[string]string{"server": apache.Addr}},
		{"zookeeper_updatelatency_seconds", map[string]string{"server": zkd.Addr}},
		{"zookeeper_process_resident_memory_bytes", map[string]string{"server": zkd.Addr}},
		{"zookeeper_process_resident_memory_bytes", map[string]string{"server": apache.Addr}},
		{"zookeeper_process_open_fds", map[string]string{"server": apache.Addr}},
		{"zookeeper_process_heap_used_bytes", map[string]string{"server": apache.Addr}},
		{"zookeeper_process_heap_max_bytes", map[string]string{"server": apache.Addr}},
		{"zookeeper_filesystem_free_bytes", map[string]string{"dir": "dataDir", "path": zkd.DataDir}},
		{"zookeeper_filesystem_free_bytes", map[string]string{"dir": "dataLogDir", "path": apache.DataDir}},
		{"zk_exporter_mntr_failures_total", map[string]string{"server": closed.Addr, "reason": "not_whitelisted"}},
		{"zk_exporter_mntr_failures_total", map[string]string{"server": hung, "reason": "timeout"}},
	}
	for _, ch := range checks {
		if _, ok := value(mfs, ch.name, ch.labels); !ok {
			t.Errorf("no %s with %v", ch.name, ch.labels)
		}
	}
	// -Xmx256m, as ztest starts Apache.
	if v, _ := value(mfs, "zookeeper_process_heap_max_bytes", map[string]string{"server": apache.Addr}); v != 256<<20 {
		t.Errorf("Apache heap max = %v, want 256 MiB (-Xmx256m)", v)
	}
	log := logBuf.String()
	for _, want := range []string{"add mntr to 4lw.commands.whitelist", "did not answer mntr before the deadline"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	problems, err := testutil.CollectAndLint(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

// TestTargetDownMidScrape kills zkd while scrapes run back to back: no
// scrape outlives its deadline, Apache stays up in every one, and zkd
// reads 0 once it is gone.
func TestTargetDownMidScrape(t *testing.T) {
	requireServers(t)
	zkd := ztest.StartZkd(t, ztest.Options{Whitelist: "*"})
	apache := ztest.StartApache(t, ztest.Options{Whitelist: "*"})
	const timeout = 2 * time.Second
	c, err := collector.New(collector.Options{
		Targets: []string{zkd.Addr, apache.Addr},
		Timeout: timeout,
		Host:    hostFor(t, zkd, apache),
		Logger:  slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	type scrape struct {
		at        time.Time
		took      time.Duration
		zkd, apac float64
	}
	var (
		mu      sync.Mutex
		scrapes []scrape
		stop    = make(chan struct{})
		wg      sync.WaitGroup
	)
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			start := time.Now()
			mfs := gather(t, c)
			s := scrape{at: start, took: time.Since(start)}
			s.zkd, _ = value(mfs, "zookeeper_up", map[string]string{"server": zkd.Addr})
			s.apac, _ = value(mfs, "zookeeper_up", map[string]string{"server": apache.Addr})
			mu.Lock()
			scrapes = append(scrapes, s)
			mu.Unlock()
		}
	})
	time.Sleep(500 * time.Millisecond)
	zkd.Kill()
	killed := time.Now()
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()

	var before, after int
	for _, s := range scrapes {
		if s.took > timeout+time.Second {
			t.Errorf("a scrape took %v", s.took)
		}
		if s.apac != 1 {
			t.Errorf("Apache read %v in a scrape at %v: a dying target broke another", s.apac, s.at)
		}
		switch {
		case s.at.Before(killed.Add(-100*time.Millisecond)) && s.zkd == 1:
			before++
		case s.at.After(killed):
			after++
			if s.zkd != 0 {
				t.Errorf("zkd up = %v in a scrape after it was killed", s.zkd)
			}
		}
	}
	if before == 0 || after == 0 {
		t.Errorf("%d scrapes saw zkd up before the kill and %d ran after it; want some of both", before, after)
	}
}

// TestReplyCutMidScrape puts a proxy before Apache that relays the reply
// only up to the middle of a line and then closes, as a server dying while
// it writes would: the target is down, with reason truncated.
func TestReplyCutMidScrape(t *testing.T) {
	requireServers(t)
	apache := ztest.StartApache(t, ztest.Options{Whitelist: "*"})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			client, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer client.Close()
				word := make([]byte, 4)
				if _, err := io.ReadFull(client, word); err != nil {
					return
				}
				reply, err := ztest.FourLetter(apache.Addr, string(word))
				if err != nil {
					return
				}
				// Cut right after a tab past the first 500 bytes.
				cut := 500 + strings.IndexByte(reply[500:], '\t') + 1
				client.Write([]byte(reply[:cut]))
			})
		}
	})
	c, err := collector.New(collector.Options{Targets: []string{l.Addr().String(), apache.Addr}, Timeout: 3 * time.Second,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	mfs := gather(t, c)
	if v, ok := value(mfs, "zookeeper_up", map[string]string{"server": l.Addr().String()}); !ok || v != 0 {
		t.Errorf("cut reply: up = %v, want 0", v)
	}
	if _, ok := value(mfs, "zk_exporter_mntr_failures_total", map[string]string{"server": l.Addr().String(), "reason": "truncated"}); !ok {
		t.Errorf("no truncated failure counted")
	}
	if v, _ := value(mfs, "zookeeper_up", map[string]string{"server": apache.Addr}); v != 1 {
		t.Errorf("Apache itself: up = %v", v)
	}
	// Nothing of the cut reply leaked out as metrics.
	if _, ok := value(mfs, "zookeeper_znodes", map[string]string{"server": l.Addr().String()}); ok {
		t.Errorf("metrics exported from a cut reply")
	}
}
