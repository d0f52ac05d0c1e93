package bench

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"zkd/internal/ztest"
)

// TestRunEveryMix drives a real server (zkd, or Apache with
// ZK_TARGET=apache) for a second per mix and checks that every op
// kind of the mix got through, with no errors.
func TestRunEveryMix(t *testing.T) {
	srv := ztest.Start(t, ztest.Options{})
	base := Config{
		Servers: []string{srv.Addr}, Sessions: 4, Inflight: 4,
		Warmup: 300 * time.Millisecond, Duration: 700 * time.Millisecond,
		ValueSize: 64, Keys: 200, Root: "/zkbench-test",
	}
	// A fresh server's first requests can be slow (and this machine is
	// shared): one short unchecked run first.
	warm := base
	warm.Mix, warm.Warmup, warm.Duration = MustParseMix("create,set"), 0, 200*time.Millisecond
	runOK(t, warm)
	mixes := []string{"create", "set", "get", "exists", "children", "multi", "read=90,write=10",
		"create,set,get,exists,children,multi"}
	for _, m := range mixes {
		t.Run(m, func(t *testing.T) {
			mix := MustParseMix(m)
			cfg := base
			cfg.Mix = mix
			rep := runOK(t, cfg)
			if rep.Total.Ops == 0 || rep.Total.OpsPerSec <= 0 {
				t.Fatalf("no throughput: %+v", rep.Total)
			}
			if len(rep.Ops) != len(mix.kinds()) {
				t.Fatalf("%d op rows, want one per kind of %s", len(rep.Ops), mix)
			}
			for _, o := range rep.Ops {
				if o.Ops == 0 || o.ErrorTotal() != 0 {
					t.Errorf("%s: %d ops, errors %+v; want some ops and no errors", o.Op, o.Ops, o.Errors)
				}
				if l := o.Latency; o.Ops > 0 && !(l.P50 > 0 && l.P50 <= l.P99 && l.P99 <= l.Max) {
					t.Errorf("%s: latencies out of order: %+v", o.Op, l)
				}
			}
			if got := rep.MeasuredSec; got < 0.69 || got > 0.71 {
				t.Errorf("measured %.3fs, want the 0.7s window", got)
			}
		})
	}
}

func TestRunMaxOpsBoundsTheRun(t *testing.T) {
	srv := ztest.Start(t, ztest.Options{})
	rep := runOK(t, Config{
		Servers: []string{srv.Addr}, Sessions: 2, Inflight: 4, Mix: MustParseMix("get"),
		Duration: 30 * time.Second, MaxOps: 500, Keys: 10, Root: "/zkbench-maxops",
	})
	if rep.Total.Ops != 500 || rep.MeasuredSec >= 30 {
		t.Fatalf("ops %d in %.1fs; want exactly 500, well before the 30s window ends", rep.Total.Ops, rep.MeasuredSec)
	}
}

func TestRunWatchFanOut(t *testing.T) {
	srv := ztest.Start(t, ztest.Options{})
	rep := runOK(t, Config{
		Servers: []string{srv.Addr}, Watch: 5,
		Warmup: 100 * time.Millisecond, Duration: 500 * time.Millisecond, Root: "/zkbench-watch",
	})
	w := rep.Watch
	if w == nil || w.Watchers != 5 || w.Writes == 0 || w.Events == 0 {
		t.Fatalf("watch report %+v; want 5 watchers, some writes and notifications", w)
	}
	if w.Events != 5*w.Writes {
		t.Errorf("%d notifications for %d writes to 5 watchers", w.Events, w.Writes)
	}
	if rep.Total.ErrorTotal() != 0 || rep.Total.Latency.P50 <= 0 {
		t.Errorf("notifications: %+v", rep.Total)
	}
}

func TestRunPopulate(t *testing.T) {
	srv := ztest.Start(t, ztest.Options{})
	cfg := Config{Servers: []string{srv.Addr}, Sessions: 3, Inflight: 16, Populate: 2500, Root: "/zkbench-pop"}
	rep := runOK(t, cfg)
	// 2500 leaves in directories of 1000: 3 directories.
	if p := rep.Populate; p == nil || p.Znodes != 2503 || p.Existed != 0 {
		t.Fatalf("populate report %+v; want 2503 znodes created", rep.Populate)
	}
	if rep.Total.Ops != 2503 || rep.Total.ErrorTotal() != 0 {
		t.Errorf("creates: %+v", rep.Total)
	}
	again := runOK(t, cfg)
	if p := again.Populate; p.Znodes != 0 || p.Existed != 2503 {
		t.Errorf("second populate: %+v; want every znode found existing", p)
	}
}

func TestRunFailsWithoutServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = Run(ctx, Config{Servers: []string{addr}, Sessions: 2, Duration: time.Second})
	if err == nil || !strings.Contains(err.Error(), addr) {
		t.Fatalf("Run against a closed port: %v; want a dial error naming %s", err, addr)
	}
}

func TestConfigValidate(t *testing.T) {
	ok := func() Config { return Config{Servers: []string{"127.0.0.1:2181"}} }
	c := ok()
	if err := c.Validate(); err != nil {
		t.Fatalf("minimal config: %v", err)
	}
	if c.Sessions != DefaultSessions || c.Duration != DefaultDuration || c.Mix.String() != MustParseMix(DefaultMix).String() || c.Root != DefaultRoot {
		t.Errorf("defaults not filled in: %+v", c)
	}
	tests := []struct {
		name   string
		change func(*Config)
	}{
		{"no servers", func(c *Config) { c.Servers = nil }},
		{"server without port", func(c *Config) { c.Servers = []string{"localhost"} }},
		{"negative sessions", func(c *Config) { c.Sessions = -1 }},
		{"huge value", func(c *Config) { c.ValueSize = 2 << 20 }},
		{"relative root", func(c *Config) { c.Root = "zkbench" }},
		{"root slash", func(c *Config) { c.Root = "/" }},
		{"populate and watch", func(c *Config) { c.Populate, c.Watch = 10, 10 }},
		{"rss pid without populate", func(c *Config) { c.RSSPid = 1 }},
		{"negative warm-up", func(c *Config) { c.Warmup = -time.Second }},
		{"negative duration", func(c *Config) { c.Duration = -time.Second }},
	}
	for _, tt := range tests {
		c := ok()
		tt.change(&c)
		if err := c.Validate(); !errors.Is(err, ErrBadConfig) {
			t.Errorf("%s: Validate = %v, want ErrBadConfig", tt.name, err)
		}
	}
}

func TestReadRSS(t *testing.T) {
	rss, err := readRSS(os.Getpid())
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	if rss < 1<<20 {
		t.Errorf("RSS of this test = %d bytes; want at least 1 MiB", rss)
	}
	if _, err := readRSS(-5); err == nil {
		t.Error("RSS of pid -5: want an error")
	}
}

// runOK runs cfg with a bound on the whole run and fails the test on error.
func runOK(t *testing.T, cfg Config) *Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rep, err := Run(ctx, cfg)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	var text strings.Builder
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", text.String())
	return rep
}
