package main

import (
	"context"
	"log/slog"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// gcPolicy sets the garbage collector's GOGC from the size of the live
// heap: 100 (Go's default) while the tree is small, down to low for a
// large one.
//
// Why: between two collections the Go heap grows to live × (1+GOGC/100)
// before the next one starts, and the runtime keeps that memory mapped
// (it returns it to the OS only slowly), so the resident size of a server
// holding a large tree is about the heap goal, not the live heap. At
// 1,000,000 znodes the tree is nearly all of the live heap, and with
// GOGC=100 the process holds twice it; GOGC=75 holds 1.75 times it, some
// 12% less memory per znode. The price is more frequent collections,
// whose cost grows with the live heap too; with a small tree GOGC stays
// 100, so small deployments and write throughput on them are unchanged.
//
// GOGC set in the environment is the operator's choice: the policy is then
// off (gcPolicyFromEnv). A memory limit from java.env's -Xmx
// (debug.SetMemoryLimit) works alongside: the collector honours both.
type gcPolicy struct {
	high, low int    // GOGC at and below smallHeap, at and above largeHeap
	smallHeap uint64 // live heap bytes up to which GOGC is high
	largeHeap uint64 // live heap bytes from which GOGC is low
	every     time.Duration

	liveHeap   func() uint64 // the live heap after the last collection
	setPercent func(int) int // debug.SetGCPercent
	log        *slog.Logger
}

// defaultGCPolicy is the daemon's: GOGC 100 up to 64 MiB of live heap
// (some 250,000 znodes of ~100 B values), 75 from 192 MiB (some 750,000;
// 1,000,000 such znodes are about 250 MiB live), linear in between; the
// live heap is looked at every second.
func defaultGCPolicy(log *slog.Logger) gcPolicy {
	return gcPolicy{
		high: 100, low: 75,
		smallHeap: 64 << 20, largeHeap: 192 << 20,
		every:      time.Second,
		liveHeap:   readLiveHeap,
		setPercent: debug.SetGCPercent,
		log:        log,
	}
}

// gcPolicyFromEnv is the default policy, unless the operator set GOGC
// (getenv is os.Getenv): then none.
func gcPolicyFromEnv(getenv func(string) string, log *slog.Logger) (gcPolicy, bool) {
	if v := getenv("GOGC"); v != "" {
		log.Debug("GOGC set in the environment; the GC policy is off", "GOGC", v)
		return gcPolicy{}, false
	}
	return defaultGCPolicy(log), true
}

// percent is GOGC for a live heap of live bytes.
func (p gcPolicy) percent(live uint64) int {
	switch {
	case live <= p.smallHeap:
		return p.high
	case live >= p.largeHeap:
		return p.low
	}
	span := float64(p.largeHeap - p.smallHeap)
	return p.high - int(float64(p.high-p.low)*float64(live-p.smallHeap)/span+0.5)
}

// run adjusts GOGC until ctx ends.
func (p gcPolicy) run(ctx context.Context) {
	t := time.NewTicker(p.every)
	defer t.Stop()
	current := -1 // not set by the policy yet: the runtime's own (100)
	for {
		live := p.liveHeap()
		if want := p.percent(live); want != current {
			p.setPercent(want)
			p.log.Debug("GC percent set from the live heap", "GOGC", want, "live_bytes", live)
			current = want
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// startGCPolicy runs the policy, unless GOGC is set, on one goroutine
// until ctx ends or the returned function is called; that function waits
// for the goroutine to end.
func startGCPolicy(ctx context.Context, getenv func(string) string, log *slog.Logger) (stop func()) {
	p, ok := gcPolicyFromEnv(getenv, log)
	if !ok {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// readLiveHeap is the heap marked live by the last collection
// (runtime/metrics /gc/heap/live:bytes), 0 before the first one.
func readLiveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
