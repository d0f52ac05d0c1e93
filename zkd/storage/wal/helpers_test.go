package wal

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

// payload is the deterministic data of entry (index, term): tests and the
// crash child can tell a right entry from garbage without sharing state.
func payload(index, term uint64) []byte {
	n := int((index*7 + term*13) % 150)
	b := make([]byte, 0, n)
	for len(b) < n {
		b = fmt.Appendf(b, "%d/%d;", index, term)
	}
	return b[:n]
}

// entries returns entries from..to (inclusive) of term, with payload data.
func entries(from, to, term uint64) []Entry {
	var es []Entry
	for i := from; i <= to; i++ {
		es = append(es, Entry{Index: i, Term: term, Kind: uint8(i % 3), Data: payload(i, term)})
	}
	return es
}

// model is the log as the WAL's contract describes it, kept in memory the
// simplest way, to compare with what replay returns.
type model struct {
	state State
	snap  SnapshotMark
	ents  []Entry // contiguous; may start at or below snap.Index
}

func (m *model) save(st *State, es []Entry) {
	if st != nil {
		m.state = *st
	}
	for _, e := range es {
		if len(m.ents) > 0 && e.Index <= m.ents[len(m.ents)-1].Index {
			if e.Index <= m.ents[0].Index {
				m.ents = m.ents[:0]
			} else {
				m.ents = m.ents[:e.Index-m.ents[0].Index]
			}
		}
		m.ents = append(m.ents, e)
	}
}

func (m *model) mark(s SnapshotMark) {
	keep := false
	for _, e := range m.ents {
		if e.Index == s.Index && e.Term == s.Term {
			keep = true
		}
	}
	if !keep {
		m.ents = nil
	}
	m.snap = s
}

func (m *model) last() uint64 {
	if len(m.ents) == 0 {
		return m.snap.Index
	}
	return m.ents[len(m.ents)-1].Index
}

func (m *model) termAt(i uint64) uint64 {
	for _, e := range m.ents {
		if e.Index == i {
			return e.Term
		}
	}
	return m.snap.Term
}

// expect is what Open should return for the model's log.
func (m *model) expect() []Entry {
	var out []Entry
	for _, e := range m.ents {
		if e.Index > m.snap.Index {
			out = append(out, e)
		}
	}
	return out
}

// checkRecovered compares what Open returned with the model.
func checkRecovered(t *testing.T, rec *Recovered, m *model) {
	t.Helper()
	if rec.State != m.state {
		t.Errorf("state = %+v, want %+v", rec.State, m.state)
	}
	if rec.Snapshot != m.snap {
		t.Errorf("snapshot = %+v, want %+v", rec.Snapshot, m.snap)
	}
	checkEntries(t, rec.Entries, m.expect())
	if want := m.snap.Index + 1; len(rec.Entries) == 0 && m.snap.Index > 0 && rec.FirstIndex != want {
		t.Errorf("FirstIndex = %d, want %d", rec.FirstIndex, want)
	}
	if len(rec.Entries) > 0 && rec.FirstIndex != rec.Entries[0].Index {
		t.Errorf("FirstIndex = %d, Entries[0].Index = %d", rec.FirstIndex, rec.Entries[0].Index)
	}
}

func checkEntries(t *testing.T, got, want []Entry) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d entries %s, want %d %s", len(got), span(got), len(want), span(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Index != w.Index || g.Term != w.Term || g.Kind != w.Kind || !bytes.Equal(g.Data, w.Data) {
			t.Fatalf("entry %d = {%d %d %d %q}, want {%d %d %d %q}", i, g.Index, g.Term, g.Kind, g.Data, w.Index, w.Term, w.Kind, w.Data)
		}
	}
}

func span(es []Entry) string {
	if len(es) == 0 {
		return "[]"
	}
	return fmt.Sprintf("[%d..%d]", es[0].Index, es[len(es)-1].Index)
}

// quiet is a logger for tests that do not look at the log.
func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// mustOpen opens dir or fails the test.
func mustOpen(t testing.TB, dir string, o Options) (*WAL, *Recovered) {
	t.Helper()
	if o.Logger == nil {
		o.Logger = quiet()
	}
	w, rec, err := Open(dir, o)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { w.Close() }) // stops the preparer before TempDir is removed
	return w, rec
}

func mustSave(t testing.TB, w *WAL, st *State, es []Entry) {
	t.Helper()
	if err := w.Save(st, es); err != nil {
		t.Fatalf("Save(%v, %s): %v", st, span(es), err)
	}
}

func mustClose(t testing.TB, w *WAL) {
	t.Helper()
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// segmentFiles lists the segment file names in dir, oldest first.
func segmentFiles(t testing.TB, dir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.wal"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range names {
		names[i] = filepath.Base(names[i])
	}
	return names
}

// recordOffsets returns the offsets of the records in a segment file.
func recordOffsets(t testing.TB, path string) []int64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var offs []int64
	if _, err := scanSegment(b, filepath.Base(path), func(r record) error {
		offs = append(offs, r.off)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return offs
}

// copyDir copies the regular files of src into a new temp dir.
func copyDir(t testing.TB, src string) string {
	t.Helper()
	dst := t.TempDir()
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		in, err := os.Open(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.Create(filepath.Join(dst, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, in); err != nil {
			t.Fatal(err)
		}
		in.Close()
		out.Close()
	}
	return dst
}

// waitPrepared waits until the background preparation of the next segment,
// if any, is done, so that a test can measure free space without racing it.
func waitPrepared(w *WAL) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.prep.pending != nil {
		r := <-w.prep.pending
		ch := make(chan prepared, 1)
		ch <- r
		w.prep.pending = ch
	}
}
