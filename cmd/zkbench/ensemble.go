package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"zkd/bench"
	"zkd/internal/ztest"
)

// zkbench ensemble: the ensemble cells of scripts/bench.sh. It starts a
// 3-member ensemble of each kind (zkd and Apache ZooKeeper, through
// internal/ztest, the same zoo.cfg shape for both), runs the load cells
// against each in alternating rounds with the sessions spread over the
// members, then the failover rounds (leader SIGKILLed on loopback, leader
// isolated silently in network namespaces), and leaves every round's
// report in a results directory for zkbench summarize.

// ensembleLoadCells are the load cells, as scripts/bench.sh's standalone
// ones: id, title, mix.
var ensembleLoadCells = []ensembleLoadCell{
	{"ens-set", "ensemble: write throughput (setData)", "set"},
	{"ens-create", "ensemble: create throughput", "create"},
	{"ens-get", "ensemble: read throughput (getData)", "get"},
	{"ens-mixed", "ensemble: mixed 90/10 getData/setData", "read=90,write=10"},
}

type ensembleLoadCell struct{ id, title, mix string }

// The failover cells.
const (
	cellKill    = "ens-kill"
	cellIsolate = "ens-isolate"

	titleKill    = "ensemble failover: leader SIGKILLed -> first successful write"
	titleIsolate = "ensemble failover: leader isolated silently (netns) -> first successful write"
)

// prewarmMix is the warm-up load, as scripts/bench.sh's.
const prewarmMix = "read=50,write=40,create=10"

// failoverRoot is the znode under which the failover probes create.
const failoverRoot = "/zkbench-failover"

type ensembleFlags struct {
	results, kinds, zkdBin, javaFlags, tmp, cells string
	loadCells                                     string
	members, rounds, failoverRounds, warmRounds   int
	sessions, inflight, valueSize, keys           int
	duration, warmup, prewarm, timeout, logOffset time.Duration
	settle                                        time.Duration
	timeline                                      time.Duration
}

func (f *ensembleFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.results, "results", "", "results directory: cells.tsv lines are appended, <cell>/<kind>.<round>.json written (required)")
	fs.StringVar(&f.kinds, "kinds", "zkd,apache", "kinds of server, in the order of every round")
	fs.StringVar(&f.zkdBin, "zkd", "", "zkd binary (default: build ./cmd/zkd)")
	fs.StringVar(&f.javaFlags, "java-flags", "-Xmx2g -Djava.net.preferIPv4Stack=true -Dzookeeper.admin.enableServer=false",
		"Apache's JVM flags, space-separated (the log4j flags are added)")
	fs.StringVar(&f.tmp, "tmp", "", "where the members' directories go (default: a new directory under $TMPDIR)")
	fs.StringVar(&f.cells, "cells", "load,kill,isolate", "which cells: load, kill, isolate")
	fs.StringVar(&f.loadCells, "load-cells", "", "with -cells load: only these load cells, comma-separated (e.g. ens-set; default all)")
	fs.DurationVar(&f.timeline, "timeline", 0, "load: also record the worst latency per step of this length (e.g. 100ms) and log the worst steps of every run with their wall-clock times")
	fs.IntVar(&f.members, "members", 3, "participants per ensemble")
	fs.IntVar(&f.rounds, "rounds", 3, "rounds of every load cell")
	fs.IntVar(&f.failoverRounds, "failover-rounds", 3, "rounds of every failover cell")
	fs.IntVar(&f.warmRounds, "warm-rounds", 1, "unrecorded rounds of every load cell after the warm-up, before the measured ones (the JVMs of a 3-member ensemble on a few cores take long to compile their hot paths)")
	fs.IntVar(&f.sessions, "sessions", 32, "load: sessions, spread over the members round-robin")
	fs.IntVar(&f.inflight, "inflight", 8, "load: requests in flight per session")
	fs.IntVar(&f.valueSize, "value-size", bench.DefaultValueSize, "load: value bytes")
	fs.IntVar(&f.keys, "keys", bench.DefaultKeys, "load: key-space size")
	fs.DurationVar(&f.duration, "duration", 5*time.Second, "load: measurement window per run")
	fs.DurationVar(&f.warmup, "warmup", time.Second, "load: warm-up per run")
	fs.DurationVar(&f.settle, "settle", 10*time.Second, "load: before each run, sync the data filesystem and wait up to this long for every member of every kind to go idle (0: do not wait)")
	fs.DurationVar(&f.prewarm, "prewarm", 5*time.Second, "load: mixed load on each ensemble before the first round")
	fs.DurationVar(&f.timeout, "failover-timeout", time.Minute, "bound on every wait for a leader or a write")
	fs.DurationVar(&f.logOffset, "log-offset", 0, "added to the elapsed time progress lines start with (scripts/bench.sh's clock)")
}

func runEnsemble(args []string, stdout, stderr io.Writer) int {
	var f ensembleFlags
	fs := flag.NewFlagSet("zkbench ensemble", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f.register(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: zkbench ensemble -results DIR [flags]\n\n"+
			"Starts a %d-member ensemble of each kind and runs the ensemble cells of scripts/bench.sh.\n"+
			"Exit status 3: the cells ran, but some rounds failed (see DIR/ensemble-problems.md).\n\nflags:\n", 3)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || f.results == "" {
		fs.Usage()
		return 2
	}
	b := &ensembleBench{f: f, log: stderr, started: time.Now(), cells: map[string]bool{}}
	for _, k := range strings.Split(f.kinds, ",") {
		if k = strings.TrimSpace(k); k != "" {
			if k != ztest.KindZkd && k != ztest.KindApache {
				fmt.Fprintf(stderr, "zkbench ensemble: -kinds: %q is neither zkd nor apache\n", k)
				return 2
			}
			b.kinds = append(b.kinds, k)
		}
	}
	for _, c := range strings.Split(f.cells, ",") {
		switch c = strings.TrimSpace(c); c {
		case "load", "kill", "isolate":
			b.cells[c] = true
		case "":
		default:
			fmt.Fprintf(stderr, "zkbench ensemble: -cells: unknown cell %q (want load, kill, isolate)\n", c)
			return 2
		}
	}
	cells, err := pickLoadCells(f.loadCells)
	if err != nil {
		fmt.Fprintf(stderr, "zkbench ensemble: -load-cells: %v\n", err)
		return 2
	}
	b.loadCells = cells
	if len(b.kinds) == 0 || f.members < 1 || f.rounds < 1 || f.failoverRounds < 1 || f.warmRounds < 0 {
		fmt.Fprintf(stderr, "zkbench ensemble: want at least one kind, member and round\n")
		return 2
	}
	if f.tmp == "" {
		d, err := os.MkdirTemp("", "zkbench-ensemble-")
		if err != nil {
			fmt.Fprintf(stderr, "zkbench ensemble: %v\n", err)
			return 1
		}
		b.f.tmp = d
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	if err := b.run(ctx); err != nil {
		fmt.Fprintf(stderr, "zkbench ensemble: %v\n", err)
		return 1
	}
	if len(b.problems) > 0 {
		if err := b.writeProblems(); err != nil {
			fmt.Fprintf(stderr, "zkbench ensemble: %v\n", err)
			return 1
		}
		fmt.Fprintf(stderr, "zkbench ensemble: %d problem(s), listed in %s\n", len(b.problems),
			filepath.Join(f.results, "ensemble-problems.md"))
		return 3
	}
	return 0
}

// ensembleBench is one run of zkbench ensemble.
type ensembleBench struct {
	f     ensembleFlags
	kinds []string
	cells map[string]bool
	// loadCells are the load cells to run (-load-cells), in the order of
	// ensembleLoadCells.
	loadCells []ensembleLoadCell
	log       io.Writer
	started   time.Time

	problems []string
}

// live is a running ensemble of one kind.
type live struct {
	kind string
	mode string // "loopback" or "netns"
	e    *ztest.Ensemble
	h    *harness
}

func (b *ensembleBench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "[%4ds] ensemble: %s\n", int((time.Since(b.started) + b.f.logOffset).Seconds()), fmt.Sprintf(format, args...))
}

// problem records a failed round or a misbehaving member, with the tail of
// every member's log, and logs it.
func (b *ensembleBench) problem(l *live, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	b.logf("PROBLEM: %s", msg)
	var s strings.Builder
	fmt.Fprintf(&s, "- %s (%s %s ensemble, after %ds)\n", msg, l.kind, l.mode, int(time.Since(b.started).Seconds()))
	for _, m := range l.e.Members {
		fmt.Fprintf(&s, "  - member %d (%s, running %v) log %s, last lines:\n\n", m.ID, m.ClientAddr, m.Running(), m.LogPath())
		tail := m.LogTail(25)
		for _, line := range strings.Split(tail, "\n") {
			s.WriteString("        " + line + "\n")
		}
		s.WriteString("\n")
	}
	b.problems = append(b.problems, s.String())
}

func (b *ensembleBench) writeProblems() error {
	text := "## Ensemble problems\n\n" +
		"What went wrong during the ensemble cells (the member directories and logs are kept with the run's files):\n\n" +
		strings.Join(b.problems, "")
	return os.WriteFile(filepath.Join(b.f.results, "ensemble-problems.md"), []byte(text), 0o644)
}

// addCell appends a line to cells.tsv.
func (b *ensembleBench) addCell(fields ...string) error {
	f, err := os.OpenFile(filepath.Join(b.f.results, "cells.tsv"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(f, strings.Join(fields, "\t"))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeReport writes <results>/<cell>/<kind>.<round>.json.
func (b *ensembleBench) writeReport(cell, kind string, round int, r *bench.Report) error {
	dir := filepath.Join(b.f.results, cell)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%s.%d.json", kind, round)))
	if err != nil {
		return err
	}
	err = r.WriteJSON(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func (b *ensembleBench) run(ctx context.Context) error {
	if err := os.MkdirAll(b.f.results, 0o755); err != nil {
		return err
	}
	if b.cells["load"] {
		for _, c := range b.loadCells {
			if err := b.addCell(c.id, bench.CellLoad, c.title); err != nil {
				return err
			}
		}
	}
	if b.cells["kill"] {
		if err := b.addCell(cellKill, bench.CellFailover, titleKill); err != nil {
			return err
		}
	}
	if b.cells["load"] || b.cells["kill"] {
		if err := b.loopback(ctx); err != nil {
			return err
		}
	}
	if b.cells["isolate"] && ctx.Err() == nil {
		if err := b.isolated(ctx); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// options is the ensemble of kind: the seeds' limits, forceSync written
// out, no per-client connection limit (as the standalone cells have).
func (b *ensembleBench) options(kind string, netns bool) ztest.EnsembleOptions {
	return ztest.EnsembleOptions{
		Kind: kind, Members: b.f.members, NetNS: netns,
		TickTime: 2000, InitLimit: 10, SyncLimit: 5,
		Extra:     map[string]string{"forceSync": "yes", "maxClientCnxns": "0"},
		ZkdBinary: b.f.zkdBin,
		JavaFlags: strings.Fields(b.f.javaFlags),
	}
}

// start starts an ensemble of every kind, one after the other.
func (b *ensembleBench) start(mode string) ([]*live, error) {
	var ls []*live
	for _, kind := range b.kinds {
		h, err := newHarness(filepath.Join(b.f.tmp, kind+"-"+mode), b.log)
		if err != nil {
			closeAll(ls)
			return nil, err
		}
		t0 := time.Now()
		e, err := startEnsemble(h, b.options(kind, mode == "netns"))
		if err != nil {
			closeAll(ls)
			return nil, fmt.Errorf("start a %s %s ensemble: %w", kind, mode, err)
		}
		l := &live{kind: kind, mode: mode, e: e, h: h}
		ls = append(ls, l)
		leader, err := e.WaitLeader(b.f.timeout)
		if err != nil {
			closeAll(ls)
			return nil, fmt.Errorf("%s %s ensemble: %w", kind, mode, err)
		}
		b.logf("%s %s ensemble of %d serving after %.1fs, leader member %d: %s", kind, mode, len(e.Members),
			time.Since(t0).Seconds(), leader.ID, e.ConnectString())
	}
	return ls, nil
}

func closeAll(ls []*live) {
	for _, l := range ls {
		l.h.close()
	}
}

// loopback runs the load and SIGKILL cells on loopback ensembles.
func (b *ensembleBench) loopback(ctx context.Context) error {
	ls, err := b.start("loopback")
	if err != nil {
		return err
	}
	defer closeAll(ls)
	if b.cells["load"] {
		b.load(ctx, ls)
	}
	if b.cells["kill"] {
		for r := 1; r <= b.f.failoverRounds && ctx.Err() == nil; r++ {
			for _, l := range ls {
				b.failover(ctx, l, cellKill, "kill", r)
			}
		}
	}
	return nil
}

// isolated runs the silent-partition cell on ensembles in network
// namespaces; where they cannot run (not root) the cell says why.
func (b *ensembleBench) isolated(ctx context.Context) error {
	ls, err := b.start("netns")
	if errors.Is(err, errSkipped) {
		b.logf("isolate cell not measured: %v", err)
		return b.addCell(cellIsolate, bench.CellNA, titleIsolate, "n/a: "+err.Error())
	}
	if err != nil {
		return err
	}
	defer closeAll(ls)
	if err := b.addCell(cellIsolate, bench.CellFailover, titleIsolate); err != nil {
		return err
	}
	for r := 1; r <= b.f.failoverRounds && ctx.Err() == nil; r++ {
		for _, l := range ls {
			b.failover(ctx, l, cellIsolate, "isolate", r)
		}
	}
	return nil
}

// loadConfig is a load run against every member of e.
func (b *ensembleBench) loadConfig(e *ztest.Ensemble, mix string, warmup, duration time.Duration) bench.Config {
	return bench.Config{
		Servers: e.Servers(), Sessions: b.f.sessions, Inflight: b.f.inflight,
		Warmup: warmup, Duration: duration, Mix: bench.MustParseMix(mix),
		ValueSize: b.f.valueSize, Keys: b.f.keys, Timeline: b.f.timeline,
		ServerPids: memberPids(e),
	}
}

// pickLoadCells is the load cells a -load-cells list names, in the order
// of ensembleLoadCells; all of them for an empty list.
func pickLoadCells(list string) ([]ensembleLoadCell, error) {
	var ids []string
	for _, id := range strings.Split(list, ",") {
		if id = strings.TrimSpace(id); id == "" {
			continue
		}
		if !slices.ContainsFunc(ensembleLoadCells, func(c ensembleLoadCell) bool { return c.id == id }) {
			return nil, fmt.Errorf("unknown load cell %q", id)
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return ensembleLoadCells, nil
	}
	return slices.DeleteFunc(slices.Clone(ensembleLoadCells), func(c ensembleLoadCell) bool {
		return !slices.Contains(ids, c.id)
	}), nil
}

// memberPids are the processes of e's running members.
func memberPids(e *ztest.Ensemble) []int {
	var pids []int
	for _, m := range e.Members {
		if pid := m.Pid(); pid != 0 {
			pids = append(pids, pid)
		}
	}
	return pids
}

// load: a warm-up of each ensemble, then every load cell in rounds, the
// kinds alternating within each.
func (b *ensembleBench) load(ctx context.Context, ls []*live) {
	for _, l := range ls {
		if _, err := bench.Run(ctx, b.loadConfig(l.e, prewarmMix, 0, b.f.prewarm)); err != nil {
			b.problem(l, "warm-up (%s for %v): %v", prewarmMix, b.f.prewarm, err)
		}
		b.checkMembers(l, "after the warm-up")
	}
	b.logf("warmed up (%v of %s on each ensemble); %d sessions over %d members, %d in flight each",
		b.f.prewarm, prewarmMix, b.f.sessions, b.f.members, b.f.inflight)
	// Rounds up to 0 are the unrecorded warm-up rounds.
	for r := 1 - b.f.warmRounds; r <= b.f.rounds && ctx.Err() == nil; r++ {
		for _, c := range b.loadCells {
			for _, l := range ls {
				settled := b.settle(ctx, ls)
				rep, err := bench.Run(ctx, b.loadConfig(l.e, c.mix, b.f.warmup, b.f.duration))
				switch {
				case err != nil && ctx.Err() != nil:
					return
				case err != nil:
					b.problem(l, "round %d %s: the load run failed: %v", r, c.id, err)
				case r <= 0:
					b.logf("warm-up round %s %s: %s (not recorded; %s)", c.id, l.kind, loadLine(rep), settled)
				default:
					if err := b.writeReport(c.id, l.kind, r, rep); err != nil {
						b.problem(l, "round %d %s: %v", r, c.id, err)
					}
					b.logf("round %d/%d %s %s: %s; %s", r, b.f.rounds, c.id, l.kind, loadLine(rep), settled)
				}
				b.checkMembers(l, fmt.Sprintf("after round %d %s", r, c.id))
			}
		}
	}
}

// settle waits for every member of every ensemble in ls to go idle, after
// a sync of the filesystem that holds them, so that a run is not charged
// with what the previous run, of the other kind, left behind. It returns
// how the wait went, for the progress log.
func (b *ensembleBench) settle(ctx context.Context, ls []*live) string {
	if b.f.settle <= 0 {
		return "no settling"
	}
	var pids []int
	for _, l := range ls {
		pids = append(pids, memberPids(l.e)...)
	}
	res, err := bench.Settle(ctx, bench.SettleConfig{Pids: pids, SyncDir: b.f.tmp, Max: b.f.settle})
	if err != nil {
		return fmt.Sprintf("settling failed: %v", err)
	}
	return res.String()
}

// loadLine is a progress line for a load report.
func loadLine(r *bench.Report) string {
	s := fmt.Sprintf("%.0f ops/s, p50 %.2f ms, p99 %.2f ms, max %.2f ms", r.Total.OpsPerSec, r.Total.Latency.P50, r.Total.Latency.P99, r.Total.Latency.Max)
	if m := r.Machine; m != nil {
		s += fmt.Sprintf(", members' CPU %.1f µs/op, steal %.0f%%", m.ServerCPUPerOpUs, m.StealPct)
	}
	if r.Timeline != nil {
		s += "; worst steps: " + r.Timeline.Worst(3)
	}
	if n := r.Total.ErrorTotal(); n > 0 {
		s += fmt.Sprintf(", %d ERRORS", n)
		for _, e := range r.Total.Errors {
			s += fmt.Sprintf(" %s:%d", e.Name, e.Count)
		}
	}
	return s
}

// checkMembers notes a member that is no longer running, or that the
// ensemble no longer has one leader with the others following, and brings
// it back for the next round.
func (b *ensembleBench) checkMembers(l *live, when string) {
	for _, m := range l.e.Members {
		if m.Running() {
			continue
		}
		b.problem(l, "%s: member %d exited", when, m.ID)
		if err := m.Launch(); err != nil {
			b.problem(l, "relaunch member %d: %v", m.ID, err)
		} else if err := m.WaitServing(b.f.timeout); err != nil {
			b.problem(l, "relaunched member %d: %v", m.ID, err)
		}
	}
	if _, err := l.e.WaitLeader(b.f.timeout); err != nil {
		b.problem(l, "%s: %v", when, err)
	}
}

// failover is one round of a failover cell: fault the leader of l, measure
// at once how soon srvr shows a new leader among the others and how soon a
// fresh session and a session opened before can write, then restart (or
// heal) the member and wait until every member serves again.
func (b *ensembleBench) failover(ctx context.Context, l *live, cell, fault string, round int) {
	e := l.e
	leader, err := e.WaitLeader(b.f.timeout)
	if err != nil {
		b.problem(l, "%s round %d: before the fault: %v", cell, round, err)
		return
	}
	survivors := e.Others(leader)
	addrs := ztest.Addrs(survivors)
	var po bench.ProbeOptions
	sctx, cancel := context.WithTimeout(ctx, b.f.timeout)
	defer cancel()
	sess, err := bench.OpenSession(sctx, addrs, po)
	if err != nil {
		b.problem(l, "%s round %d: open the probe session before the fault: %v", cell, round, err)
		return
	}
	defer sess.Close()
	if err := sess.Create(sctx, failoverRoot); err != nil {
		b.problem(l, "%s round %d: the probe session's write before the fault: %v", cell, round, err)
		return
	}
	prefix := fmt.Sprintf("%s/%s-%d-%d", failoverRoot, fault, round, time.Now().UnixNano())

	start := time.Now()
	switch fault {
	case "kill":
		leader.Kill()
	case "isolate":
		if err := e.Isolate(leader); err != nil {
			b.problem(l, "%s round %d: isolate member %d: %v", cell, round, leader.ID, err)
			if err := e.Heal(leader); err != nil {
				b.problem(l, "%s round %d: heal member %d: %v", cell, round, leader.ID, err)
			}
			return
		}
	}
	pctx, pcancel := context.WithTimeout(ctx, b.f.timeout)
	defer pcancel()
	var (
		wg                       sync.WaitGroup
		newLeader                *ztest.Member
		elected                  time.Time
		fresh, existing          bench.ProbeResult
		errElect, errFresh, errE error
	)
	wg.Go(func() {
		newLeader, errElect = e.WaitLeaderAmong(survivors, b.f.timeout)
		elected = time.Now()
	})
	wg.Go(func() { fresh, errFresh = bench.FreshWrite(pctx, addrs, prefix+"-fresh", po) })
	wg.Go(func() { existing, errE = sess.FirstWrite(pctx, prefix+"-session") })
	wg.Wait()

	rec := time.Now()
	switch fault {
	case "kill":
		if err := leader.Launch(); err != nil {
			b.problem(l, "%s round %d: relaunch member %d: %v", cell, round, leader.ID, err)
		} else if err := leader.WaitServing(b.f.timeout); err != nil {
			b.problem(l, "%s round %d: relaunched member %d: %v", cell, round, leader.ID, err)
		}
	case "isolate":
		if err := e.Heal(leader); err != nil {
			b.problem(l, "%s round %d: heal member %d: %v", cell, round, leader.ID, err)
		}
	}
	_, errRec := e.WaitLeader(b.f.timeout)
	recovered := time.Since(rec)

	if err := errors.Join(errElect, errFresh, errE, errRec); err != nil {
		b.problem(l, "%s round %d (member %d %s): %v; fresh-session errors %q; pre-opened session errors %q",
			cell, round, leader.ID, fault, err, fresh.Errors, existing.Errors)
		return
	}
	sec := func(t time.Time) float64 { return t.Sub(start).Seconds() }
	rep := &bench.Report{
		Mode: "failover", Servers: addrs,
		Failover: &bench.FailoverReport{
			Fault: fault, Members: len(e.Members), Leader: leader.ID, NewLeader: newLeader.ID,
			ElectedSec: sec(elected),
			FreshSec:   sec(fresh.At), FreshTries: fresh.Tries,
			ExistingSec: sec(existing.At), ExistingTries: existing.Tries, ExistingReconnects: existing.Reconnects,
			RecoverSec:  recovered.Seconds(),
			FreshErrors: fresh.Errors, ExistingErrors: existing.Errors,
		},
	}
	if err := b.writeReport(cell, l.kind, round, rep); err != nil {
		b.problem(l, "%s round %d: %v", cell, round, err)
		return
	}
	f := rep.Failover
	b.logf("round %d/%d %s %s: leader %d -> %d; srvr %.3fs, fresh session %.3fs (%d tries), session from before %.3fs (%d tries, %d reconnects); all serving %.1fs after the %s",
		round, b.f.failoverRounds, cell, l.kind, f.Leader, f.NewLeader, f.ElectedSec, f.FreshSec, f.FreshTries,
		f.ExistingSec, f.ExistingTries, f.ExistingReconnects, f.RecoverSec, map[string]string{"kill": "restart", "isolate": "heal"}[fault])
}
