package bench

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Timeline is a load run's latency over time: the measurement window cut
// into steps, each with the replies read in it and the worst latency among
// them, overall and per server. It is what finds a stall that a
// percentile only hints at (one 150 ms pause in a 1 s window is the p99):
// when it happened, to compare with the servers' logs, and whether the
// sessions of every server saw it or only those of one.
type Timeline struct {
	// Start is the wall-clock start of the measurement window (the first
	// step), StepMs the length of a step.
	Start  time.Time `json:"start"`
	StepMs float64   `json:"step_ms"`
	Steps  []Step    `json:"steps"`
}

// Step is one step of a Timeline, by the time replies were read.
type Step struct {
	Ops   int64   `json:"ops"`
	MaxMs float64 `json:"max_ms"`
	// ServerMaxMs is MaxMs for the sessions of each server, in the order
	// of Report.Servers.
	ServerMaxMs []float64 `json:"server_max_ms"`
}

// timeline is one session's share of a Timeline while the run goes on.
type timeline struct {
	start time.Time
	step  time.Duration
	ops   []int64
	max   []time.Duration
}

func newTimeline(start time.Time, step, window time.Duration) *timeline {
	n := int((window + step - 1) / step)
	return &timeline{start: start, step: step, ops: make([]int64, n), max: make([]time.Duration, n)}
}

// record counts a reply read at now after latency d.
func (t *timeline) record(now time.Time, d time.Duration) {
	if now.Before(t.start) {
		return
	}
	i := int(now.Sub(t.start) / t.step)
	if i >= len(t.ops) {
		return
	}
	t.ops[i]++
	t.max[i] = max(t.max[i], d)
}

// buildTimeline merges the sessions' timelines; session i used server
// i mod len(servers).
func buildTimeline(tls []*timeline, servers int) *Timeline {
	if len(tls) == 0 || tls[0] == nil {
		return nil
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	t := &Timeline{Start: tls[0].start, StepMs: ms(tls[0].step), Steps: make([]Step, len(tls[0].ops))}
	for i := range t.Steps {
		t.Steps[i].ServerMaxMs = make([]float64, servers)
	}
	for s, tl := range tls {
		for i := range t.Steps {
			st := &t.Steps[i]
			st.Ops += tl.ops[i]
			m := ms(tl.max[i])
			st.MaxMs = max(st.MaxMs, m)
			st.ServerMaxMs[s%servers] = max(st.ServerMaxMs[s%servers], m)
		}
	}
	return t
}

// Worst describes the n steps with the highest MaxMs, worst first, as
// "+1.300s 12:04:05.300 148ms [145 148 140] 310 ops" (offset into the
// window, wall clock, max latency, per server, replies in the step).
func (t *Timeline) Worst(n int) string {
	if t == nil {
		return ""
	}
	idx := make([]int, len(t.Steps))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch x, y := t.Steps[a].MaxMs, t.Steps[b].MaxMs; {
		case x > y:
			return -1
		case x < y:
			return 1
		}
		return 0
	})
	var parts []string
	for _, i := range idx[:min(n, len(idx))] {
		s := t.Steps[i]
		off := time.Duration(float64(i) * t.StepMs * float64(time.Millisecond))
		per := make([]string, len(s.ServerMaxMs))
		for j, m := range s.ServerMaxMs {
			per[j] = fmt.Sprintf("%.0f", m)
		}
		parts = append(parts, fmt.Sprintf("+%.3fs %s %.0fms [%s] %d ops", off.Seconds(),
			t.Start.Add(off).Format("15:04:05.000"), s.MaxMs, strings.Join(per, " "), s.Ops))
	}
	return strings.Join(parts, "; ")
}
