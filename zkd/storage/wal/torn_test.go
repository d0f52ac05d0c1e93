package wal

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestTornTailEveryOffset cuts the last batch (three entries and a State)
// at every byte offset, the two ways a crash leaves it: the file ends there
// (truncate), or the preallocated zeros were never overwritten from there
// (zero). Open must keep every record before the cut, keep the records the
// cut left intact, report a torn tail exactly when damaged bytes remain,
// and the log must take new writes afterwards.
func TestTornTailEveryOffset(t *testing.T) {
	o := Options{SegmentSize: 4096}
	base := t.TempDir()
	w, _ := mustOpen(t, base, o)
	var m model
	for i := uint64(0); i < 4; i++ {
		es := entries(1+5*i, 5+5*i, 1)
		st := &State{Term: 1, Commit: 5 * i}
		mustSave(t, w, st, es)
		m.save(st, es)
	}
	start, name := w.off, w.active().name()
	lastBatch, lastState := entries(21, 23, 2), &State{Term: 2, Vote: 1, Commit: 20}
	mustSave(t, w, lastState, lastBatch)
	end := w.off
	mustClose(t, w)

	path := filepath.Join(base, name)
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The batch's records: where each starts and where its checksummed bytes end.
	var recs []struct{ off, end int64 }
	for _, off := range recordOffsets(t, path) {
		if off >= start {
			r, err := decodeRecord(orig, off)
			if err != nil {
				t.Fatal(err)
			}
			recs = append(recs, struct{ off, end int64 }{off, off + recordHeaderSize + 1 + int64(len(r.body))})
		}
	}
	if len(recs) != 4 {
		t.Fatalf("last batch has %d records, want 4", len(recs))
	}

	for _, mode := range []string{"truncate", "zero"} {
		t.Run(mode, func(t *testing.T) {
			var torn, clean int
			defer func() {
				t.Logf("%d cuts in [%d, %d): %d torn tails, %d clean ends", end-start, start, end, torn, clean)
			}()
			for k := start; k < end; k++ {
				dir := copyDir(t, base)
				p := filepath.Join(dir, name)
				if mode == "truncate" {
					if err := os.Truncate(p, k); err != nil {
						t.Fatal(err)
					}
				} else {
					f, err := os.OpenFile(p, os.O_WRONLY, 0)
					if err != nil {
						t.Fatal(err)
					}
					if _, err := f.WriteAt(make([]byte, end-k), k); err != nil {
						t.Fatal(err)
					}
					f.Close()
				}
				cut, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				// Expected: the records the cut left whole, in order.
				intact, tornAt := 0, int64(-1)
				for _, r := range recs {
					if k >= r.end || (mode == "zero" && isZero(orig[k:r.end])) {
						intact++
						continue
					}
					if int64(len(cut)) > r.off && !isZero(cut[r.off:]) {
						tornAt = r.off
					}
					break
				}
				want := m
				want.ents = append([]Entry(nil), m.ents...)
				want.save(nil, lastBatch[:min(intact, 3)])
				if intact == 4 {
					want.save(lastState, nil)
				}

				w, rec, err := Open(dir, Options{SegmentSize: o.SegmentSize, Logger: quiet()})
				if err != nil {
					t.Fatalf("cut at %d: Open: %v", k, err)
				}
				checkRecovered(t, rec, &want)
				if rec.TornTail != nil {
					torn++
				} else {
					clean++
				}
				switch {
				case tornAt < 0 && rec.TornTail != nil:
					t.Fatalf("cut at %d: unexpected torn tail %+v", k, rec.TornTail)
				case tornAt >= 0 && (rec.TornTail == nil || rec.TornTail.Offset != tornAt || rec.TornTail.File != name):
					t.Fatalf("cut at %d: torn tail %+v, want at %d in %s", k, rec.TornTail, tornAt, name)
				}
				// The repaired log takes writes, and they read back.
				next := entries(want.last()+1, want.last()+2, 3)
				if err := w.Save(&State{Term: 3}, next); err != nil {
					t.Fatalf("cut at %d: Save after repair: %v", k, err)
				}
				want.save(&State{Term: 3}, next)
				w.Close()
				w, rec, err = Open(dir, Options{SegmentSize: o.SegmentSize, Logger: quiet()})
				if err != nil {
					t.Fatalf("cut at %d: reopen: %v", k, err)
				}
				if rec.TornTail != nil {
					t.Fatalf("cut at %d: torn tail again after repair: %+v", k, rec.TornTail)
				}
				checkRecovered(t, rec, &want)
				w.Close()
				os.RemoveAll(dir)
			}
		})
	}
}

// TestTornTailGarbage covers a torn write that left random bytes (not just
// a prefix of the batch) after the last good record.
func TestTornTailGarbage(t *testing.T) {
	dir := t.TempDir()
	w, _ := mustOpen(t, dir, Options{SegmentSize: 4096})
	mustSave(t, w, nil, entries(1, 5, 1))
	off, name := w.off, w.active().name()
	mustClose(t, w)
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	garbage := bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef, 0x01, 0x00, 0x00, 0x00}, 40)
	if _, err := f.WriteAt(garbage, off+512); err != nil { // a later sector landed, the first did not
		t.Fatal(err)
	}
	f.Close()
	w, rec := mustOpen(t, dir, Options{SegmentSize: 4096})
	checkEntries(t, rec.Entries, entries(1, 5, 1))
	if rec.TornTail == nil || rec.TornTail.Offset != off {
		t.Fatalf("TornTail = %+v, want at %d", rec.TornTail, off)
	}
	mustSave(t, w, nil, entries(6, 6, 1))
	mustClose(t, w)
	_, rec = mustOpen(t, dir, Options{SegmentSize: 4096})
	checkEntries(t, rec.Entries, entries(1, 6, 1))
}
