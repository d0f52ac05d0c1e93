package bench

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ErrBadResults is returned by Summarize for a results directory it cannot
// read.
var ErrBadResults = errors.New("bench: bad results directory")

// A results directory, as scripts/bench.sh writes it and Summarize reads
// it:
//
//	cells.tsv               one line per cell: id TAB kind TAB title [TAB note]
//	                        kind: load (throughput and p99), memory (bytes
//	                        per znode from populate runs with an RSS pid),
//	                        failover (seconds to the first write, from
//	                        zkbench ensemble's failover rounds), or na
//	                        (printed as the note: not measured yet)
//	notes.md                optional; copied under the title
//	<id>/<server>.<n>.json  the zkbench -json report of round n of cell id
//	                        against server (e.g. zkd.1.json, apache.1.json)

// Cell kinds in cells.tsv.
const (
	CellLoad     = "load"
	CellMemory   = "memory"
	CellFailover = "failover"
	CellNA       = "na"
)

// Summary compares two servers, A and B, cell by cell over the rounds of
// a results directory.
type Summary struct {
	A, B   string // server names as in the file names
	Notes  string
	Cells  []SummaryCell
	Rounds []RoundRow
}

// SummaryCell is one cell with the medians over its rounds.
type SummaryCell struct {
	ID, Kind, Title, Note string
	// Rounds is the number of reports found per server.
	RoundsA, RoundsB int
	// Load cells: median throughput (ops/s) and median p99 (ms); the
	// median CPU time the servers used per op (µs; 0 when not measured).
	OpsA, OpsB float64
	P99A, P99B float64
	CPUA, CPUB float64
	// Memory cells: median bytes per znode, and the znodes populated.
	BytesA, BytesB float64
	Znodes         int64
	// Failover cells: median seconds from the fault to the first write by
	// a fresh session and by a session opened before, and to a leader in
	// srvr.
	FreshA, FreshB       float64
	ExistingA, ExistingB float64
	ElectedA, ElectedB   float64
	// Errors is every failed reply in every round of either server.
	Errors int64
}

// RoundRow is one report, for the table of absolute numbers.
type RoundRow struct {
	Cell, Server string
	Round        int
	Report       *Report
}

// Summarize reads the results directory dir and compares server a with
// server b.
func Summarize(dir, a, b string) (*Summary, error) {
	cells, err := readCells(filepath.Join(dir, "cells.tsv"))
	if err != nil {
		return nil, err
	}
	s := &Summary{A: a, B: b}
	if notes, err := os.ReadFile(filepath.Join(dir, "notes.md")); err == nil {
		s.Notes = strings.TrimSpace(string(notes))
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %w", ErrBadResults, err)
	}
	for _, c := range cells {
		if c.Kind == CellNA {
			s.Cells = append(s.Cells, c)
			continue
		}
		ra, err := s.readRounds(dir, c.ID, a)
		if err != nil {
			return nil, err
		}
		rb, err := s.readRounds(dir, c.ID, b)
		if err != nil {
			return nil, err
		}
		c.RoundsA, c.RoundsB = len(ra), len(rb)
		for _, r := range append(slices.Clip(ra), rb...) {
			for _, o := range r.Ops {
				c.Errors += o.ErrorTotal()
			}
		}
		switch c.Kind {
		case CellLoad:
			c.OpsA, c.OpsB = median(ra, opsPerSec), median(rb, opsPerSec)
			c.P99A, c.P99B = median(ra, p99), median(rb, p99)
			c.CPUA, c.CPUB = median(ra, cpuPerOp), median(rb, cpuPerOp)
		case CellFailover:
			c.FreshA, c.FreshB = median(ra, freshSec), median(rb, freshSec)
			c.ExistingA, c.ExistingB = median(ra, existingSec), median(rb, existingSec)
			c.ElectedA, c.ElectedB = median(ra, electedSec), median(rb, electedSec)
		case CellMemory:
			c.BytesA, c.BytesB = median(ra, bytesPerZnode), median(rb, bytesPerZnode)
			for _, r := range append(slices.Clip(ra), rb...) {
				if r.Populate != nil {
					c.Znodes = max(c.Znodes, r.Populate.Znodes)
				}
			}
		}
		s.Cells = append(s.Cells, c)
	}
	return s, nil
}

func opsPerSec(r *Report) float64 { return r.Total.OpsPerSec }
func p99(r *Report) float64       { return r.Total.Latency.P99 }

func cpuPerOp(r *Report) float64 {
	if r.Machine == nil {
		return 0
	}
	return r.Machine.ServerCPUPerOpUs
}

func freshSec(r *Report) float64 {
	return failoverField(r, func(f *FailoverReport) float64 { return f.FreshSec })
}
func existingSec(r *Report) float64 {
	return failoverField(r, func(f *FailoverReport) float64 { return f.ExistingSec })
}
func electedSec(r *Report) float64 {
	return failoverField(r, func(f *FailoverReport) float64 { return f.ElectedSec })
}

func failoverField(r *Report, f func(*FailoverReport) float64) float64 {
	if r.Failover == nil {
		return 0
	}
	return f(r.Failover)
}

func bytesPerZnode(r *Report) float64 {
	if r.Populate == nil {
		return 0
	}
	return r.Populate.BytesPerZnode
}

// median of f over rs; the mean of the middle two for an even count, 0
// for none.
func median(rs []*Report, f func(*Report) float64) float64 {
	if len(rs) == 0 {
		return 0
	}
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	m := len(v) / 2
	if len(v)%2 == 1 {
		return v[m]
	}
	return (v[m-1] + v[m]) / 2
}

func readCells(path string) ([]SummaryCell, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadResults, err)
	}
	defer f.Close()
	var cells []SummaryCell
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if strings.TrimSpace(text) == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Split(text, "\t")
		if len(fields) < 3 {
			return nil, fmt.Errorf("%w: %s:%d: want id, kind, title and an optional note, tab-separated", ErrBadResults, path, line)
		}
		c := SummaryCell{ID: fields[0], Kind: fields[1], Title: fields[2]}
		if len(fields) > 3 {
			c.Note = fields[3]
		}
		switch c.Kind {
		case CellLoad, CellMemory, CellFailover, CellNA:
		default:
			return nil, fmt.Errorf("%w: %s:%d: kind %q (want load, memory, failover or na)", ErrBadResults, path, line, c.Kind)
		}
		cells = append(cells, c)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadResults, err)
	}
	return cells, nil
}

// readRounds reads <dir>/<id>/<server>.<n>.json in round order, and notes
// each in s.Rounds.
func (s *Summary) readRounds(dir, id, server string) ([]*Report, error) {
	paths, err := filepath.Glob(filepath.Join(dir, id, server+".*.json"))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadResults, err)
	}
	type round struct {
		n int
		r *Report
	}
	var rounds []round
	for _, p := range paths {
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(p), server+"."), ".json"))
		if err != nil {
			continue // another server whose name starts with this one's
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadResults, err)
		}
		var r Report
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrBadResults, p, err)
		}
		rounds = append(rounds, round{n, &r})
	}
	slices.SortFunc(rounds, func(a, b round) int { return a.n - b.n })
	out := make([]*Report, len(rounds))
	for i, r := range rounds {
		out[i] = r.r
		s.Rounds = append(s.Rounds, RoundRow{Cell: id, Server: server, Round: r.n, Report: r.r})
	}
	return out, nil
}

// WriteMarkdown writes the comparison: the ratios with the medians they
// come from, then every round's absolute numbers. nameA and nameB are how
// the servers are called in the table.
func (s *Summary) WriteMarkdown(w io.Writer, title, nameA, nameB string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", title)
	if s.Notes != "" {
		b.WriteString(s.Notes + "\n\n")
	}
	fmt.Fprintf(&b, "| measure | %s | %s | %s/%s |\n|---|---:|---:|---:|\n", nameA, nameB, nameA, nameB)
	for _, c := range s.Cells {
		switch c.Kind {
		case CellNA:
			fmt.Fprintf(&b, "| %s | %s | | |\n", c.Title, c.Note)
		case CellLoad:
			errs := ""
			if c.Errors > 0 {
				errs = fmt.Sprintf(" (%d errors!)", c.Errors)
			}
			fmt.Fprintf(&b, "| %s, ops/s (higher is better)%s | %s | %s | %s |\n",
				c.Title, errs, thousands(c.OpsA), thousands(c.OpsB), ratio(c.OpsA, c.OpsB))
			fmt.Fprintf(&b, "| %s, p99 latency ms (lower is better) | %.2f | %.2f | %s |\n",
				c.Title, c.P99A, c.P99B, ratio(c.P99A, c.P99B))
			if c.CPUA > 0 && c.CPUB > 0 {
				fmt.Fprintf(&b, "| %s, server CPU per op µs (lower is better) | %.1f | %.1f | %s |\n",
					c.Title, c.CPUA, c.CPUB, ratio(c.CPUA, c.CPUB))
			}
		case CellMemory:
			fmt.Fprintf(&b, "| %s, bytes per znode after %s znodes (lower is better) | %s | %s | %s |\n",
				c.Title, thousands(float64(c.Znodes)), thousands(c.BytesA), thousands(c.BytesB), ratio(c.BytesA, c.BytesB))
		case CellFailover:
			fmt.Fprintf(&b, "| %s: fresh session per try, s (lower is better) | %s | %s | %s |\n",
				c.Title, seconds(c.FreshA, c.RoundsA), seconds(c.FreshB, c.RoundsB), ratio(c.FreshA, c.FreshB))
			fmt.Fprintf(&b, "| %s: session opened before the fault, s (lower is better) | %s | %s | %s |\n",
				c.Title, seconds(c.ExistingA, c.RoundsA), seconds(c.ExistingB, c.RoundsB), ratio(c.ExistingA, c.ExistingB))
		}
	}
	b.WriteString("\nMedians over the rounds below; the ratio is of the medians.\n")
	if n, worst := s.stolenRounds(); n > 0 {
		fmt.Fprintf(&b, "\n**%d of the load rounds below lost more than %.0f%% of the cores to the hypervisor (steal, up to %.0f%%)**: "+
			"their throughput and latency say as much about the VM's neighbours as about the servers; compare CPU per op, or run again.\n",
			n, stealWarnPct, worst)
	}

	b.WriteString("\n## Every round\n\n")
	b.WriteString("| cell | server | round | ops/s | p50 ms | p99 ms | p99.9 ms | errors | server CPU µs/op | steal % | RSS before → after MiB | bytes/znode |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	var failovers []RoundRow
	for _, r := range s.Rounds {
		rep := r.Report
		if rep.Failover != nil {
			failovers = append(failovers, r)
			continue
		}
		var errs int64
		for _, o := range rep.Ops {
			errs += o.ErrorTotal()
		}
		mem, per := "", ""
		if p := rep.Populate; p != nil && p.RSSPid != 0 {
			mem = fmt.Sprintf("%.1f → %.1f", float64(p.RSSBefore)/(1<<20), float64(p.RSSAfter)/(1<<20))
			per = thousands(p.BytesPerZnode)
		}
		cpu, steal := "", ""
		if m := rep.Machine; m != nil {
			steal = fmt.Sprintf("%.0f", m.StealPct)
			if m.ServerCPUPerOpUs > 0 {
				cpu = fmt.Sprintf("%.1f", m.ServerCPUPerOpUs)
			}
		}
		l := rep.Total.Latency
		fmt.Fprintf(&b, "| %s | %s | %d | %s | %.3f | %.3f | %.3f | %d | %s | %s | %s | %s |\n",
			r.Cell, r.Server, r.Round, thousands(rep.Total.OpsPerSec), l.P50, l.P99, l.P999, errs, cpu, steal, mem, per)
	}
	if len(failovers) > 0 {
		b.WriteString("\n## Every failover round\n\n")
		b.WriteString("Seconds from the fault to: srvr on the survivors showing one leader and the others following; " +
			"the first create by a fresh session (sessions tried); the first create by the session opened before the fault " +
			"(creates sent, reconnects); then, after restarting or healing the faulted member, every member serving again.\n\n")
		b.WriteString("| cell | server | round | leader → new | srvr s | fresh session s (tries) | session from before s (tries, reconnects) | all serving again s |\n")
		b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|\n")
		for _, r := range failovers {
			f := r.Report.Failover
			fmt.Fprintf(&b, "| %s | %s | %d | %d → %d | %.3f | %.3f (%d) | %.3f (%d, %d) | %.2f |\n",
				r.Cell, r.Server, r.Round, f.Leader, f.NewLeader, f.ElectedSec, f.FreshSec, f.FreshTries,
				f.ExistingSec, f.ExistingTries, f.ExistingReconnects, f.RecoverSec)
		}
	}
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("bench: write summary: %w", err)
	}
	return nil
}

// stealWarnPct is the steal above which a round's rates are called into
// question in the summary.
const stealWarnPct = 15.0

// stolenRounds counts the load rounds whose window lost more than
// stealWarnPct of the cores to steal, and the worst steal seen.
func (s *Summary) stolenRounds() (n int, worst float64) {
	for _, r := range s.Rounds {
		if m := r.Report.Machine; m != nil && m.StealPct > stealWarnPct {
			n++
			worst = max(worst, m.StealPct)
		}
	}
	return n, worst
}

// seconds formats a median in seconds, or "n/a" when no round measured it.
func seconds(v float64, rounds int) string {
	if rounds == 0 || v <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", v)
}

// ratio formats a/b, or "n/a" when either is missing.
func ratio(a, b float64) string {
	if a <= 0 || b <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2fx", a/b)
}

// thousands formats v rounded to an integer with thousands separators.
func thousands(v float64) string {
	s := strconv.FormatFloat(v, 'f', 0, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
