package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"zkd/zkd/proto"
)

// Report is the outcome of a run, printed as a table (WriteText) or as
// JSON (WriteJSON, the machine-readable form `zkbench -json` prints and
// `zkbench summarize` reads).
type Report struct {
	Mode      string   `json:"mode"` // load, populate or watch
	Mix       string   `json:"mix,omitempty"`
	Servers   []string `json:"servers"`
	Sessions  int      `json:"sessions"`
	Inflight  int      `json:"inflight"`
	ValueSize int      `json:"value_size"`
	Keys      int      `json:"keys,omitempty"`
	WarmupSec float64  `json:"warmup_s"`
	// MeasuredSec is the length of the window the rates are over: the
	// measurement window (shorter if MaxOps ended the run early), or the
	// whole of a populate run.
	MeasuredSec float64 `json:"measured_s"`
	// Total sums the headline kinds: every kind of the mix, create for
	// populate, the notifications for watch.
	Total OpReport   `json:"total"`
	Ops   []OpReport `json:"ops"`

	Populate *PopulateReport `json:"populate,omitempty"`
	Watch    *WatchReport    `json:"watch,omitempty"`
	Failover *FailoverReport `json:"failover,omitempty"`
	// Machine is what the cores did during a load run's window: steal,
	// and the servers' CPU per op (Config.ServerPids).
	Machine *MachineReport `json:"machine,omitempty"`
	// Timeline is a load run's latency over time (Config.Timeline).
	Timeline *Timeline `json:"timeline,omitempty"`
}

// FailoverReport is one failover round of an ensemble (Report.Mode
// "failover", written by zkbench ensemble): a fault to the leader, then
// the times from the fault to each sign of recovery, measured at once.
type FailoverReport struct {
	// Fault is "kill" (SIGKILL) or "isolate" (every packet to and from the
	// leader dropped silently).
	Fault   string `json:"fault"`
	Members int    `json:"members"`
	// Leader is the member faulted, NewLeader the one elected among the
	// others.
	Leader    int `json:"leader"`
	NewLeader int `json:"new_leader"`
	// ElectedSec: srvr on the survivors shows one leader, the others
	// following (polled every 100 ms).
	ElectedSec float64 `json:"elected_s"`
	// FreshSec: the first create by a fresh session (one per try, the
	// survivors in turn); FreshTries how many sessions it took.
	FreshSec   float64 `json:"fresh_write_s"`
	FreshTries int     `json:"fresh_tries"`
	// ExistingSec: the first create by a session opened with a survivor
	// before the fault; ExistingTries the creates it sent, and
	// ExistingReconnects how often it moved to a new connection.
	ExistingSec        float64 `json:"existing_write_s"`
	ExistingTries      int     `json:"existing_tries"`
	ExistingReconnects int     `json:"existing_reconnects"`
	// RecoverSec: after the probes, from the restart (or heal) of the
	// faulted member until every member serves with one leader again.
	RecoverSec float64 `json:"recover_s"`
	// Errors the probes saw before their first success (for the record).
	FreshErrors    []string `json:"fresh_errors,omitempty"`
	ExistingErrors []string `json:"existing_errors,omitempty"`
}

// OpReport is the outcome for one op kind (or all of them).
type OpReport struct {
	Op string `json:"op"`
	// Ops counts successful replies inside the window, OpsPerSec their
	// rate; Latency is over them, from send to reply.
	Ops       int64        `json:"ops"`
	OpsPerSec float64      `json:"ops_per_s"`
	Latency   Latency      `json:"latency_ms"`
	Errors    []ErrorCount `json:"errors"`
}

// ErrorCount is how many replies failed with one error code.
type ErrorCount struct {
	Code  int32  `json:"code"`
	Name  string `json:"name"`
	Count int64  `json:"count"`
}

// Latency is a summary of a latency histogram, in milliseconds.
type Latency struct {
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99.9"`
	Max  float64 `json:"max"`
}

// ErrorTotal is the number of failed replies.
func (o *OpReport) ErrorTotal() int64 {
	var n int64
	for _, e := range o.Errors {
		n += e.Count
	}
	return n
}

// newReport summarizes st: one OpReport per kind in kinds plus the total
// over them, with rates over measured.
func newReport(mode string, cfg *Config, measured time.Duration, st *stats, kinds []OpKind) *Report {
	r := &Report{
		Mode:        mode,
		Servers:     cfg.Servers,
		Sessions:    cfg.Sessions,
		Inflight:    cfg.Inflight,
		ValueSize:   cfg.ValueSize,
		WarmupSec:   cfg.Warmup.Seconds(),
		MeasuredSec: max(measured, 0).Seconds(),
	}
	if mode == "populate" {
		r.WarmupSec = 0
	}
	var total kindStats
	headline := kinds
	if mode == "watch" {
		headline = []OpKind{KindWatch}
		r.Sessions, r.Inflight = cfg.Watch+1, 1
	}
	for _, k := range kinds {
		ks := &st.kinds[k]
		r.Ops = append(r.Ops, opReport(k.String(), ks, measured))
		if slices.Contains(headline, k) {
			total.hist.Merge(&ks.hist)
			for code, n := range ks.errors {
				if total.errors == nil {
					total.errors = make(map[proto.ErrCode]int64)
				}
				total.errors[code] += n
			}
		}
	}
	r.Total = opReport("total", &total, measured)
	return r
}

func opReport(name string, ks *kindStats, measured time.Duration) OpReport {
	h := &ks.hist
	o := OpReport{Op: name, Ops: int64(h.Count()), Errors: []ErrorCount{}}
	if measured > 0 {
		o.OpsPerSec = float64(h.Count()) / measured.Seconds()
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	o.Latency = Latency{
		Mean: ms(h.Mean()), P50: ms(h.Percentile(0.50)), P90: ms(h.Percentile(0.90)),
		P99: ms(h.Percentile(0.99)), P999: ms(h.Percentile(0.999)), Max: ms(h.Max()),
	}
	for code, n := range ks.errors {
		o.Errors = append(o.Errors, ErrorCount{Code: int32(code), Name: errName(code), Count: n})
	}
	slices.SortFunc(o.Errors, func(a, b ErrorCount) int { return int(b.Code) - int(a.Code) })
	return o
}

// errName is the error's name without the "zk: " every ErrCode message
// starts with.
func errName(code proto.ErrCode) string { return strings.TrimPrefix(code.Error(), "zk: ") }

// WriteJSON writes r as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("bench: write report: %w", err)
	}
	return nil
}

// WriteText writes r as a table for people.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "zkbench %s", r.Mode)
	if r.Mix != "" {
		fmt.Fprintf(&b, ", mix %s", r.Mix)
	}
	fmt.Fprintf(&b, ", servers %s\n", strings.Join(r.Servers, ","))
	fmt.Fprintf(&b, "%d sessions x %d in flight, values of %d B", r.Sessions, r.Inflight, r.ValueSize)
	if r.Keys > 0 {
		fmt.Fprintf(&b, ", %d keys", r.Keys)
	}
	if r.Mode == "populate" {
		fmt.Fprintf(&b, ", took %.2fs\n", r.MeasuredSec)
	} else {
		fmt.Fprintf(&b, ", warm-up %.3gs, measured %.2fs\n", r.WarmupSec, r.MeasuredSec)
	}
	if p := r.Populate; p != nil {
		fmt.Fprintf(&b, "created %d znodes (%d existed already)\n", p.Znodes, p.Existed)
		if p.RSSPid != 0 {
			fmt.Fprintf(&b, "server pid %d RSS %.1f MiB -> %.1f MiB: %.0f bytes per znode\n",
				p.RSSPid, float64(p.RSSBefore)/(1<<20), float64(p.RSSAfter)/(1<<20), p.BytesPerZnode)
		}
	}
	if f := r.Failover; f != nil {
		fmt.Fprintf(&b, "fault %s of leader %d of %d members; new leader %d\n", f.Fault, f.Leader, f.Members, f.NewLeader)
		fmt.Fprintf(&b, "from the fault: srvr shows a leader after %.3fs; first write by a fresh session after %.3fs (%d tries), "+
			"by the session opened before after %.3fs (%d tries, %d reconnects); all members serving %.3fs after the restart or heal\n",
			f.ElectedSec, f.FreshSec, f.FreshTries, f.ExistingSec, f.ExistingTries, f.ExistingReconnects, f.RecoverSec)
		_, err := io.WriteString(w, b.String())
		return err
	}
	if m := r.Machine; m != nil {
		fmt.Fprintf(&b, "cores in the window: %.0f%% busy, %.0f%% stolen by the hypervisor", m.BusyPct, m.StealPct)
		if m.ServerCPUSec > 0 {
			fmt.Fprintf(&b, "; servers used %.2f CPU s, %.1f µs per op", m.ServerCPUSec, m.ServerCPUPerOpUs)
		}
		b.WriteString("\n")
	}
	if wr := r.Watch; wr != nil {
		fmt.Fprintf(&b, "%d watchers, %d writes, %d notifications (latency: from the write's send)\n",
			wr.Watchers, wr.Writes, wr.Events)
	}
	b.WriteString("\n")

	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "op\tops\tops/s\terrors\tp50 ms\tp90 ms\tp99 ms\tp99.9 ms\tmax ms\t")
	rows := r.Ops
	if len(r.Ops) > 1 && r.Mode == "load" {
		rows = append(slices.Clip(rows), r.Total)
	}
	for _, o := range rows {
		l := o.Latency
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t\n",
			o.Op, o.Ops, o.OpsPerSec, o.ErrorTotal(), l.P50, l.P90, l.P99, l.P999, l.Max)
	}
	tw.Flush()
	for _, o := range r.Ops {
		for _, e := range o.Errors {
			fmt.Fprintf(&b, "errors: %s: %s (%d): %d\n", o.Op, e.Name, e.Code, e.Count)
		}
	}
	if r.Timeline != nil {
		fmt.Fprintf(&b, "worst %.0f ms steps (offset, time, max latency, per server, replies): %s\n", r.Timeline.StepMs, r.Timeline.Worst(5))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
