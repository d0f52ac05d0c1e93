package wal

import (
	"bytes"
	"errors"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	tests := []struct {
		name    string
		segSize int64
		batches int
		batch   int
		minSegs int
	}{
		{"one segment", 0, 20, 10, 1},
		{"many small segments", MinSegmentSize, 60, 3, 20},
		{"4KiB segments big batches", 4096, 30, 40, 10},
		{"batch larger than a segment", MinSegmentSize, 4, 50, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			o := Options{SegmentSize: tt.segSize}
			w, rec := mustOpen(t, dir, o)
			if rec.FirstIndex != 1 || len(rec.Entries) != 0 || rec.TornTail != nil {
				t.Fatalf("new log recovered %+v", rec)
			}
			var m model
			next := uint64(1)
			for b := range tt.batches {
				es := entries(next, next+uint64(tt.batch)-1, 1)
				st := &State{Term: 1, Vote: 1, Commit: next}
				if b%4 == 3 {
					st = nil
				}
				mustSave(t, w, st, es)
				m.save(st, es)
				next += uint64(tt.batch)
			}
			if got := w.Stats().Segments; got < tt.minSegs {
				t.Errorf("Stats().Segments = %d, want >= %d", got, tt.minSegs)
			}
			mustClose(t, w)
			if got := len(segmentFiles(t, dir)); got < tt.minSegs {
				t.Errorf("%d segment files, want >= %d", got, tt.minSegs)
			}
			w, rec = mustOpen(t, dir, o)
			defer mustClose(t, w)
			if rec.TornTail != nil {
				t.Errorf("clean log reported torn tail %+v", rec.TornTail)
			}
			checkRecovered(t, rec, &m)
			// The reopened log keeps going where it stopped.
			es := entries(next, next+2, 2)
			mustSave(t, w, nil, es)
			m.save(nil, es)
			mustClose(t, w)
			_, rec = mustOpen(t, dir, o)
			checkRecovered(t, rec, &m)
		})
	}
}

// step is one operation in a scripted test.
type step struct {
	save    []Entry
	state   *State
	mark    *SnapshotMark
	compact uint64
	reopen  bool
}

func TestRewriteTail(t *testing.T) {
	tests := []struct {
		name  string
		steps []step
	}{
		{"rewrite last entries", []step{
			{save: entries(1, 10, 1)},
			{save: entries(8, 9, 2)},
		}},
		{"rewrite then reopen then append", []step{
			{save: entries(1, 10, 1)},
			{save: entries(5, 6, 2), reopen: true},
			{save: entries(7, 8, 2), reopen: true},
		}},
		{"rewrite from the first entry", []step{
			{save: entries(1, 5, 1)},
			{save: entries(1, 2, 3)},
		}},
		{"rewrite across many segments", []step{
			{save: entries(1, 40, 1)},
			{save: entries(41, 80, 1)},
			{save: entries(81, 120, 1)},
			{save: entries(30, 31, 2), reopen: true},
			{save: entries(32, 60, 2)},
		}},
		{"rewrite the same entry repeatedly", []step{
			{save: entries(1, 3, 1)},
			{save: entries(3, 3, 2)},
			{save: entries(3, 3, 3)},
			{save: entries(3, 4, 4), reopen: true},
		}},
		{"state only and unchanged state", []step{
			{state: &State{Term: 1}},
			{state: &State{Term: 1}},
			{save: entries(1, 2, 1), state: &State{Term: 2, Vote: 3, Commit: 1}, reopen: true},
			{state: &State{Term: 2, Vote: 3, Commit: 2}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { runSteps(t, Options{SegmentSize: MinSegmentSize}, tt.steps) })
	}
}

func TestSnapshotAndCompact(t *testing.T) {
	tests := []struct {
		name      string
		steps     []step
		maxFiles  int // segment files left at the end, at most
		wantFirst uint64
	}{
		{"compact up to a local snapshot", []step{
			{save: entries(1, 200, 1), state: &State{Term: 1, Commit: 200}},
			{save: entries(201, 220, 1)},
			{save: entries(221, 240, 1)},
			{mark: &SnapshotMark{Index: 210, Term: 1}},
			{compact: 211, reopen: true},
		}, 3, 211},
		{"compact is clamped to the snapshot", []step{
			{save: entries(1, 100, 1)},
			{save: entries(101, 150, 1)},
			{mark: &SnapshotMark{Index: 60, Term: 1}},
			{compact: 1000, reopen: true},
		}, 0, 61},
		{"compact without a snapshot keeps every entry", []step{
			{save: entries(1, 100, 1)},
			{save: entries(101, 150, 1)},
			{compact: 1000, reopen: true},
		}, 0, 1},
		{"received snapshot replaces a diverged log", []step{
			{save: entries(1, 50, 1)},
			{mark: &SnapshotMark{Index: 40, Term: 2}},
			{save: entries(41, 45, 2), reopen: true},
		}, 0, 41},
		{"received snapshot beyond the log", []step{
			{save: entries(1, 30, 1)},
			{mark: &SnapshotMark{Index: 500, Term: 3}, reopen: true},
			{save: entries(501, 520, 3)},
			{compact: 501, reopen: true},
		}, 2, 501},
		{"state survives compaction", []step{
			{save: entries(1, 10, 1), state: &State{Term: 1, Vote: 2, Commit: 10}},
			{save: entries(11, 200, 1)},
			{save: entries(201, 210, 1)},
			{mark: &SnapshotMark{Index: 205, Term: 1}},
			{compact: 206, reopen: true},
			{save: entries(211, 212, 1), reopen: true},
		}, 3, 206},
		{"snapshots, rewrites and compaction mixed", []step{
			{save: entries(1, 80, 1)},
			{mark: &SnapshotMark{Index: 20, Term: 1}},
			{compact: 21},
			{save: entries(70, 120, 2), reopen: true},
			{mark: &SnapshotMark{Index: 100, Term: 2}},
			{compact: 101, reopen: true},
			{save: entries(121, 130, 2), reopen: true},
		}, 0, 101},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, rec := runSteps(t, Options{SegmentSize: MinSegmentSize}, tt.steps)
			if tt.maxFiles > 0 {
				if n := len(segmentFiles(t, dir)); n > tt.maxFiles {
					t.Errorf("%d segment files left, want at most %d", n, tt.maxFiles)
				}
			}
			if rec.FirstIndex != tt.wantFirst {
				t.Errorf("FirstIndex = %d, want %d", rec.FirstIndex, tt.wantFirst)
			}
		})
	}
}

// runSteps runs a script against a WAL and the model, checking after each
// reopen and at the end. It returns the directory and the last Recovered.
func runSteps(t *testing.T, o Options, steps []step) (string, *Recovered) {
	t.Helper()
	dir := t.TempDir()
	w, _ := mustOpen(t, dir, o)
	var rec *Recovered
	var m model
	for i, s := range steps {
		if s.save != nil || s.state != nil {
			mustSave(t, w, s.state, s.save)
			m.save(s.state, s.save)
		}
		if s.mark != nil {
			if err := w.MarkSnapshot(*s.mark); err != nil {
				t.Fatalf("step %d: MarkSnapshot: %v", i, err)
			}
			m.mark(*s.mark)
		}
		if s.compact > 0 {
			if err := w.Compact(s.compact); err != nil {
				t.Fatalf("step %d: Compact: %v", i, err)
			}
		}
		if s.reopen {
			mustClose(t, w)
			w, rec = mustOpen(t, dir, o)
			checkRecovered(t, rec, &m)
		}
	}
	mustClose(t, w)
	w, rec = mustOpen(t, dir, o)
	checkRecovered(t, rec, &m)
	mustClose(t, w)
	return dir, rec
}

// TestRandomOperations runs random saves, rewrites, snapshots, compactions
// and reopens against the model.
func TestRandomOperations(t *testing.T) {
	for seed := range uint64(8) {
		t.Run("", func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			dir := t.TempDir()
			o := Options{SegmentSize: MinSegmentSize * int64(1+rng.IntN(4))}
			w, _ := mustOpen(t, dir, o)
			var m model
			term := uint64(1)
			for range 300 {
				switch r := rng.IntN(100); {
				case r < 70: // append, sometimes rewriting the tail
					first := m.last() + 1
					if back := uint64(rng.IntN(4)); r < 15 && back > 0 && first > m.snap.Index+1+back {
						term++
						first -= back
					}
					es := entries(first, first+uint64(rng.IntN(12)), term)
					var st *State
					if rng.IntN(2) == 0 {
						st = &State{Term: term, Vote: uint64(rng.IntN(3)), Commit: first - 1}
					}
					mustSave(t, w, st, es)
					m.save(st, es)
				case r < 78: // local snapshot somewhere in the log
					if m.last() > m.snap.Index {
						i := m.snap.Index + 1 + uint64(rng.IntN(int(m.last()-m.snap.Index)))
						s := SnapshotMark{Index: i, Term: m.termAt(i)}
						if err := w.MarkSnapshot(s); err != nil {
							t.Fatal(err)
						}
						m.mark(s)
					}
				case r < 80: // snapshot from a leader: new term, past the log
					term++
					s := SnapshotMark{Index: m.last() + uint64(rng.IntN(5)), Term: term}
					if s.Index > m.snap.Index {
						if err := w.MarkSnapshot(s); err != nil {
							t.Fatal(err)
						}
						m.mark(s)
					}
				case r < 90:
					if err := w.Compact(m.snap.Index + 1); err != nil {
						t.Fatal(err)
					}
				default:
					mustClose(t, w)
					var rec *Recovered
					w, rec = mustOpen(t, dir, o)
					checkRecovered(t, rec, &m)
				}
			}
			mustClose(t, w)
			_, rec := mustOpen(t, dir, o)
			checkRecovered(t, rec, &m)
		})
	}
}

func TestSaveRejects(t *testing.T) {
	big := Entry{Index: 6, Term: 1, Data: make([]byte, MaxEntrySize+1)}
	tests := []struct {
		name string
		ents []Entry
		want error
	}{
		{"gap after the log", entries(7, 8, 1), ErrOutOfOrder},
		{"gap inside the batch", []Entry{{Index: 6, Term: 1}, {Index: 8, Term: 1}}, ErrOutOfOrder},
		{"index zero", []Entry{{Index: 0, Term: 1}}, ErrOutOfOrder},
		{"rewrite below the snapshot", entries(2, 3, 2), ErrOutOfOrder},
		{"too large", []Entry{big}, ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			w, _ := mustOpen(t, dir, Options{})
			mustSave(t, w, nil, entries(1, 5, 1))
			if err := w.MarkSnapshot(SnapshotMark{Index: 3, Term: 1}); err != nil {
				t.Fatal(err)
			}
			before := w.Stats().BytesWritten
			if err := w.Save(&State{Term: 9}, tt.ents); !errors.Is(err, tt.want) {
				t.Fatalf("Save = %v, want %v", err, tt.want)
			}
			if w.Stats().BytesWritten != before {
				t.Errorf("a rejected Save wrote")
			}
			if err := w.MarkSnapshot(SnapshotMark{Index: 2, Term: 1}); !errors.Is(err, ErrOutOfOrder) {
				t.Errorf("older MarkSnapshot = %v, want ErrOutOfOrder", err)
			}
			mustClose(t, w)
			_, rec := mustOpen(t, dir, Options{})
			checkEntries(t, rec.Entries, entries(4, 5, 1))
			if rec.State != (State{}) {
				t.Errorf("state %+v written by a rejected Save", rec.State)
			}
		})
	}
}

func TestClosedAndLocked(t *testing.T) {
	dir := t.TempDir()
	w, _ := mustOpen(t, dir, Options{})
	if _, _, err := Open(dir, Options{Logger: quiet()}); !errors.Is(err, ErrLocked) {
		t.Errorf("second Open = %v, want ErrLocked", err)
	}
	mustClose(t, w)
	mustClose(t, w) // twice is fine
	if err := w.Save(nil, entries(1, 1, 1)); !errors.Is(err, ErrClosed) {
		t.Errorf("Save after Close = %v, want ErrClosed", err)
	}
	if err := w.MarkSnapshot(SnapshotMark{Index: 1, Term: 1}); !errors.Is(err, ErrClosed) {
		t.Errorf("MarkSnapshot after Close = %v", err)
	}
	if err := w.Compact(1); !errors.Is(err, ErrClosed) {
		t.Errorf("Compact after Close = %v", err)
	}
	if _, _, err := Open(dir, Options{SegmentSize: 10}); err == nil {
		t.Errorf("Open with a 10-byte segment size succeeded")
	}
	w, _ = mustOpen(t, dir, Options{}) // the lock was released
	mustClose(t, w)
	// No temp file is left behind by the preparer.
	if tmps, _ := filepath.Glob(filepath.Join(dir, "*.tmp")); len(tmps) > 0 {
		t.Errorf("left behind %v", tmps)
	}
}

func TestLeftoverTempFileIsRemoved(t *testing.T) {
	dir := t.TempDir()
	w, _ := mustOpen(t, dir, Options{})
	mustSave(t, w, nil, entries(1, 3, 1))
	mustClose(t, w)
	tmp := filepath.Join(dir, tempName(2))
	if err := os.WriteFile(tmp, []byte("half-prepared"), 0o600); err != nil {
		t.Fatal(err)
	}
	w, rec := mustOpen(t, dir, Options{})
	checkEntries(t, rec.Entries, entries(1, 3, 1))
	// The preparer may already be making the next segment under the same
	// temporary name; what must be gone is the leftover's content.
	if b, err := os.ReadFile(tmp); err == nil && string(b) == "half-prepared" {
		t.Errorf("%s was not removed", tmp)
	}
	mustClose(t, w)
	if _, err := os.Stat(tmp); err == nil {
		t.Errorf("%s left behind after Close", tmp)
	}
}

func TestSlowSyncWarning(t *testing.T) {
	var logBuf bytes.Buffer
	var mu sync.Mutex
	h := slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logBuf.Write(p)
	}), nil)
	w, _ := mustOpen(t, t.TempDir(), Options{SlowSync: time.Nanosecond, Logger: slog.New(h)})
	mustSave(t, w, nil, entries(1, 1, 1))
	mustClose(t, w)
	s := w.Stats()
	if s.Fsyncs != 1 || s.SlowFsyncs != 1 || s.FsyncMax <= 0 || s.FsyncAvg <= 0 {
		t.Errorf("Stats = %+v", s)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logBuf.String(), "fsync-ing the write ahead log took") ||
		!strings.Contains(logBuf.String(), "which will adversely effect operation latency. File size is") {
		t.Errorf("no ZooKeeper-style slow fsync warning in %q", logBuf.String())
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestStatsConcurrent reads Stats while Save runs; go test -race checks it.
func TestStatsConcurrent(t *testing.T) {
	w, _ := mustOpen(t, t.TempDir(), Options{SegmentSize: MinSegmentSize, NoSync: true})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := uint64(1); i <= 200; i++ {
			if err := w.Save(&State{Term: 1, Commit: i}, entries(i, i, 1)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for reading := true; reading; {
		select {
		case <-done:
			reading = false
		default:
			_ = w.Stats()
		}
	}
	s := w.Stats()
	if s.Entries != 200 || s.Saves != 200 || s.Fsyncs != 0 || s.Rolls == 0 {
		t.Errorf("Stats = %+v", s)
	}
	mustClose(t, w)
}

// TestPreambleEnd checks the constant against what createSegment writes.
func TestPreambleEnd(t *testing.T) {
	b := appendHeader(nil, segmentHeader{seq: 1, first: 1})
	b = appendState(b, State{})
	b = appendSnapshot(b, SnapshotMark{})
	if len(b) != preambleEnd {
		t.Fatalf("preamble is %d bytes, preambleEnd = %d", len(b), preambleEnd)
	}
}

func TestSegmentNames(t *testing.T) {
	s := segment{seq: 3, first: 0xa1b2c}
	if got, want := s.name(), "0000000000000003-00000000000a1b2c.wal"; got != want {
		t.Fatalf("name = %s, want %s", got, want)
	}
	for name, ok := range map[string]bool{
		"0000000000000003-00000000000a1b2c.wal": true,
		"0000000000000000-0000000000000001.wal": false, // seq 0
		"0000000000000003-00000000000a1b2c.tmp": false,
		"000000000000003-00000000000a1b2c.wal":  false,
		"000000000000000g-0000000000000001.wal": false,
		"LOCK":                                  false,
	} {
		if got, gotOK := parseSegmentName(name); gotOK != ok || (ok && got != s) {
			t.Errorf("parseSegmentName(%q) = %+v, %v", name, got, gotOK)
		}
	}
}

// TestCompactDeletesInBackground: Compact drops the segments from the log
// at once and deletes their files off the caller's goroutine, oldest first;
// a deletion that fails leaves the files (the log still replays) and is
// retried at the next Compact.
func TestCompactDeletesInBackground(t *testing.T) {
	dir := t.TempDir()
	ffs := newFaultFS()
	o := Options{SegmentSize: MinSegmentSize, FS: ffs}
	w, _ := mustOpen(t, dir, o)
	var m model
	fill := func(segs int) {
		for len(segmentFiles(t, dir)) < segs {
			es := entries(m.last()+1, m.last()+64, 1)
			mustSave(t, w, nil, es)
			m.save(nil, es)
		}
	}
	mark := func() {
		sm := SnapshotMark{Index: m.last(), Term: 1}
		if err := w.MarkSnapshot(sm); err != nil {
			t.Fatal(err)
		}
		m.mark(sm)
	}
	fill(4)
	mark()

	before := len(segmentFiles(t, dir))
	ffs.set(func(fs *faultFS) { fs.removeErr = syscall.EIO })
	if err := w.Compact(m.last() + 1); err != nil {
		t.Fatalf("Compact: %v", err)
	}
	if err := w.WaitCompacted(); !errors.Is(err, syscall.EIO) {
		t.Fatalf("WaitCompacted = %v, want EIO", err)
	}
	if n := len(segmentFiles(t, dir)); n != before {
		t.Fatalf("%d segment files after a failed deletion, want all %d", n, before)
	}
	if got := w.Stats().Segments; got != 1 {
		t.Errorf("Stats().Segments = %d, want 1 (the rest are out of the log)", got)
	}
	// The log as left still replays.
	mustClose(t, w)
	w, rec := mustOpen(t, dir, o)
	checkRecovered(t, rec, &m)

	fill(before + 2)
	mark()
	ffs.set(func(fs *faultFS) { fs.removeErr = nil })
	if err := w.Compact(m.last() + 1); err != nil {
		t.Fatalf("Compact: %v", err)
	}
	if err := w.WaitCompacted(); err != nil {
		t.Fatalf("WaitCompacted: %v", err)
	}
	if files := segmentFiles(t, dir); len(files) != 1 {
		t.Fatalf("segment files after compaction: %v, want only the active one", files)
	}
	mustClose(t, w)
	w, rec = mustOpen(t, dir, o)
	checkRecovered(t, rec, &m)
	mustClose(t, w)
}
