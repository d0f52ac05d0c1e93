package main

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"
)

func TestGCPolicyPercent(t *testing.T) {
	p := defaultGCPolicy(slog.New(slog.NewTextHandler(io.Discard, nil)))
	for _, tc := range []struct {
		live uint64
		want int
	}{
		{0, 100},
		{32 << 20, 100},
		{64 << 20, 100},
		{128 << 20, 87}, // half way (87.5)
		{192 << 20, 75},
		{4 << 30, 75},
	} {
		if got := p.percent(tc.live); got != tc.want {
			t.Errorf("percent(%d MiB) = %d, want %d", tc.live>>20, got, tc.want)
		}
	}
	for live := uint64(0); live < 300<<20; live += 1 << 20 {
		if a, b := p.percent(live), p.percent(live+1<<20); b > a {
			t.Fatalf("GOGC rises from %d to %d at %d MiB", a, b, live>>20)
		}
	}
}

// The policy sets GOGC when the live heap calls for another value, and
// only then; it stops with its context; GOGC in the environment turns it
// off.
func TestGCPolicyRun(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, tc := range []struct {
		name string
		gogc string   // GOGC in the environment
		live []uint64 // successive live heaps (MiB), the last one repeated
		want []int    // SetGCPercent calls
	}{
		{"small heap", "", []uint64{1, 10, 20}, []int{100}},
		{"growing heap", "", []uint64{10, 128, 128, 300, 300}, []int{100, 87, 75}},
		{"operator's GOGC", "200", []uint64{10, 300}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var set []int
			reads := 0
			p, ok := gcPolicyFromEnv(func(k string) string {
				if k == "GOGC" {
					return tc.gogc
				}
				return ""
			}, log)
			if ok != (tc.gogc == "") {
				t.Fatalf("policy on = %v with GOGC=%q", ok, tc.gogc)
			}
			if !ok {
				return
			}
			p.every = time.Millisecond
			p.liveHeap = func() uint64 {
				mu.Lock()
				defer mu.Unlock()
				v := tc.live[min(reads, len(tc.live)-1)]
				reads++
				return v << 20
			}
			p.setPercent = func(v int) int {
				mu.Lock()
				defer mu.Unlock()
				set = append(set, v)
				return 0
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() {
				defer close(done)
				p.run(ctx)
			}()
			waitUntil := time.Now().Add(5 * time.Second)
			for {
				mu.Lock()
				n := reads
				mu.Unlock()
				if n > len(tc.live)+2 || time.Now().After(waitUntil) {
					break
				}
				time.Sleep(time.Millisecond)
			}
			cancel()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("the policy did not stop with its context")
			}
			mu.Lock()
			defer mu.Unlock()
			if len(set) != len(tc.want) {
				t.Fatalf("SetGCPercent calls %v, want %v", set, tc.want)
			}
			for i := range set {
				if set[i] != tc.want[i] {
					t.Fatalf("SetGCPercent calls %v, want %v", set, tc.want)
				}
			}
		})
	}
}

// startGCPolicy's stop function ends the goroutine (and returns) with the
// policy on or off.
func TestStartGCPolicyStops(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for _, gogc := range []string{"", "off"} {
		stop := startGCPolicy(context.Background(), func(string) string { return gogc }, log)
		done := make(chan struct{})
		go func() {
			stop()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("stop with GOGC=%q did not return", gogc)
		}
	}
}
