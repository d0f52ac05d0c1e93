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
//	                        per znode from populate runs with an RSS pid), or
//	                        na (printed as the note: not measured yet)
//	notes.md                optional; copied under the title
//	<id>/<server>.<n>.json  the zkbench -json report of round n of cell id
//	                        against server (e.g. zkd.1.json, apache.1.json)

// Cell kinds in cells.tsv.
const (
	CellLoad   = "load"
	CellMemory = "memory"
	CellNA     = "na"
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
	// Load cells: median throughput (ops/s) and median p99 (ms).
	OpsA, OpsB float64
	P99A, P99B float64
	// Memory cells: median bytes per znode, and the znodes populated.
	BytesA, BytesB float64
	Znodes         int64
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
		case CellLoad, CellMemory, CellNA:
		default:
			return nil, fmt.Errorf("%w: %s:%d: kind %q (want load, memory or na)", ErrBadResults, path, line, c.Kind)
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
		case CellMemory:
			fmt.Fprintf(&b, "| %s, bytes per znode after %s znodes (lower is better) | %s | %s | %s |\n",
				c.Title, thousands(float64(c.Znodes)), thousands(c.BytesA), thousands(c.BytesB), ratio(c.BytesA, c.BytesB))
		}
	}
	b.WriteString("\nMedians over the rounds below; the ratio is of the medians.\n")

	b.WriteString("\n## Every round\n\n")
	b.WriteString("| cell | server | round | ops/s | p50 ms | p99 ms | p99.9 ms | errors | RSS before → after MiB | bytes/znode |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range s.Rounds {
		rep := r.Report
		var errs int64
		for _, o := range rep.Ops {
			errs += o.ErrorTotal()
		}
		mem, per := "", ""
		if p := rep.Populate; p != nil && p.RSSPid != 0 {
			mem = fmt.Sprintf("%.1f → %.1f", float64(p.RSSBefore)/(1<<20), float64(p.RSSAfter)/(1<<20))
			per = thousands(p.BytesPerZnode)
		}
		l := rep.Total.Latency
		fmt.Fprintf(&b, "| %s | %s | %d | %s | %.3f | %.3f | %.3f | %d | %s | %s |\n",
			r.Cell, r.Server, r.Round, thousands(rep.Total.OpsPerSec), l.P50, l.P99, l.P999, errs, mem, per)
	}
	_, err := io.WriteString(w, b.String())
	if err != nil {
		return fmt.Errorf("bench: write summary: %w", err)
	}
	return nil
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
