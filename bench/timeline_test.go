package bench

import (
	"strings"
	"testing"
	"time"
)

func TestTimeline(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	step := 100 * time.Millisecond
	// Two servers, three sessions: sessions 0 and 2 on server 0.
	tls := []*timeline{newTimeline(start, step, time.Second), newTimeline(start, step, time.Second), newTimeline(start, step, time.Second)}
	if n := len(tls[0].ops); n != 10 {
		t.Fatalf("%d steps for 1s in 100ms steps, want 10", n)
	}
	tls[0].record(start.Add(10*time.Millisecond), 5*time.Millisecond)
	tls[1].record(start.Add(350*time.Millisecond), 140*time.Millisecond)
	tls[2].record(start.Add(360*time.Millisecond), 30*time.Millisecond)
	tls[2].record(start.Add(-time.Millisecond), time.Hour) // before the window: ignored
	tls[2].record(start.Add(time.Second), time.Hour)       // after it: ignored

	tl := buildTimeline(tls, 2)
	if s := tl.Steps[3]; s.Ops != 2 || s.MaxMs != 140 || s.ServerMaxMs[0] != 30 || s.ServerMaxMs[1] != 140 {
		t.Errorf("step 3 = %+v, want 2 ops, max 140 ms, [30 140]", s)
	}
	if s := tl.Steps[0]; s.Ops != 1 || s.MaxMs != 5 {
		t.Errorf("step 0 = %+v, want 1 op, max 5 ms", s)
	}
	w := tl.Worst(2)
	if want := "+0.300s 03:04:05.300 140ms [30 140] 2 ops; +0.000s 03:04:05.000 5ms [5 0] 1 ops"; w != want {
		t.Errorf("Worst(2) = %q, want %q", w, want)
	}
	if buildTimeline([]*timeline{nil}, 1) != nil || (*Timeline)(nil).Worst(3) != "" {
		t.Error("no timeline should give nil and an empty description")
	}
	if !strings.Contains(tl.Worst(100), "+0.900s") {
		t.Error("Worst(n > steps) should list every step")
	}
}
