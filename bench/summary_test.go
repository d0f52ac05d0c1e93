package bench

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSummarize(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	report := func(name string, r *Report) {
		t.Helper()
		var b strings.Builder
		if err := r.WriteJSON(&b); err != nil {
			t.Fatal(err)
		}
		write(name, b.String())
	}
	load := func(ops, p99 float64) *Report {
		return &Report{Mode: "load", Total: OpReport{OpsPerSec: ops, Latency: Latency{P99: p99}},
			Ops:     []OpReport{{Op: "set", OpsPerSec: ops}},
			Machine: &MachineReport{StealPct: 12, ServerCPUPerOpUs: 1e4 / ops}}
	}
	write("cells.tsv", "# id kind title note\nset\tload\twrite throughput (set)\n"+
		"mem\tmemory\tmemory per znode\n"+
		"kill\tfailover\tfailover after SIGKILL\n"+
		"restart\tna\trestart time\tn/a (needs storage / ensemble)\n")
	write("notes.md", "in-memory storage only\n")
	// Rounds deliberately out of order and with an outlier: medians, not means.
	report("set/zkd.2.json", load(300, 2))
	report("set/zkd.1.json", load(100, 1))
	report("set/zkd.3.json", load(9000, 1.5))
	report("set/apache.1.json", load(100, 4))
	report("set/apache.2.json", load(150, 3))
	stolen := load(50, 5)
	stolen.Machine.StealPct = 40
	report("set/apache.3.json", stolen)
	report("set/apache.x.json", load(1, 1)) // not a round: ignored
	mem := func(perZnode float64) *Report {
		return &Report{Mode: "populate", Populate: &PopulateReport{Znodes: 1000, RSSPid: 7,
			RSSBefore: 1 << 20, RSSAfter: 1<<20 + int64(perZnode*1000), BytesPerZnode: perZnode}}
	}
	report("mem/zkd.1.json", mem(100))
	report("mem/apache.1.json", mem(400))
	fo := func(fresh, existing float64) *Report {
		return &Report{Mode: "failover", Failover: &FailoverReport{Fault: "kill", Members: 3, Leader: 1, NewLeader: 2,
			ElectedSec: fresh, FreshSec: fresh, FreshTries: 3, ExistingSec: existing, ExistingTries: 2, ExistingReconnects: 1}}
	}
	report("kill/zkd.1.json", fo(0.1, 0.2))
	report("kill/zkd.2.json", fo(0.3, 0.1))
	report("kill/zkd.3.json", fo(0.2, 0.3))
	report("kill/apache.1.json", fo(0.8, 1.0))

	s, err := Summarize(dir, "zkd", "apache")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Cells) != 4 {
		t.Fatalf("%d cells, want 4", len(s.Cells))
	}
	if f := s.Cells[2]; f.FreshA != 0.2 || f.ExistingA != 0.2 || f.FreshB != 0.8 || f.ExistingB != 1 || f.RoundsA != 3 {
		t.Errorf("failover cell %+v; want medians 0.2 and 0.2 vs 0.8 and 1", f)
	}
	c := s.Cells[0]
	if c.RoundsA != 3 || c.RoundsB != 3 || c.OpsA != 300 || c.OpsB != 100 || c.P99A != 1.5 || c.P99B != 4 ||
		c.CPUA != 1e4/300 || c.CPUB != 1e4/100 {
		t.Errorf("set cell %+v; want 3 rounds each, medians 300 vs 100 ops/s, p99 1.5 vs 4, CPU 33.3 vs 100 µs/op", c)
	}
	if m := s.Cells[1]; m.BytesA != 100 || m.BytesB != 400 || m.Znodes != 1000 {
		t.Errorf("memory cell %+v; want 100 vs 400 bytes per znode over 1000 znodes", m)
	}
	var md strings.Builder
	if err := s.WriteMarkdown(&md, "title", "zkd", "ZooKeeper"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"# title", "in-memory storage only",
		"| write throughput (set), ops/s (higher is better) | 300 | 100 | 3.00x |",
		"| write throughput (set), p99 latency ms (lower is better) | 1.50 | 4.00 | 0.38x |",
		"| memory per znode, bytes per znode after 1,000 znodes (lower is better) | 100 | 400 | 0.25x |",
		"| restart time | n/a (needs storage / ensemble) | | |",
		"| failover after SIGKILL: fresh session per try, s (lower is better) | 0.20 | 0.80 | 0.25x |",
		"| failover after SIGKILL: session opened before the fault, s (lower is better) | 0.20 | 1.00 | 0.20x |",
		"| kill | zkd | 2 | 1 → 2 | 0.300 | 0.300 (3) | 0.100 (2, 1) | 0.00 |",
		"| write throughput (set), server CPU per op µs (lower is better) | 33.3 | 100.0 | 0.33x |",
		"| set | zkd | 3 | 9,000 | 0.000 | 1.500 | 0.000 | 0 | 1.1 | 12 |  |  |",
		"**1 of the load rounds below lost more than 15% of the cores to the hypervisor (steal, up to 40%)**",
	} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}
}

func TestSummarizeBadDirectory(t *testing.T) {
	dir := t.TempDir()
	if _, err := Summarize(dir, "zkd", "apache"); !errors.Is(err, ErrBadResults) {
		t.Errorf("no cells.tsv: %v, want ErrBadResults", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cells.tsv"), []byte("x\tweird\ttitle\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Summarize(dir, "zkd", "apache"); !errors.Is(err, ErrBadResults) {
		t.Errorf("unknown kind: %v, want ErrBadResults", err)
	}
}

func TestThousands(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 1234567.4: "1,234,567", -4200: "-4,200"} {
		if got := thousands(in); got != want {
			t.Errorf("thousands(%v) = %q, want %q", in, got, want)
		}
	}
}
