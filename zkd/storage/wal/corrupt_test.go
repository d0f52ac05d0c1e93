package wal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corruptFunc damages the log in dir (segment names oldest first) and
// returns the file and offset the error must name.
type corruptFunc func(t *testing.T, dir string, segs []string) (file string, off int64)

// flipBit flips one bit of the byte at off in dir/name.
func flipBit(t *testing.T, dir, name string, off int64) {
	t.Helper()
	p := filepath.Join(dir, name)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[off] ^= 0x10
	if err := os.WriteFile(p, b, 0o640); err != nil {
		t.Fatal(err)
	}
}

// middle returns the offset of a record in the middle of a segment.
func middle(t *testing.T, dir, name string) int64 {
	offs := recordOffsets(t, filepath.Join(dir, name))
	if len(offs) < 5 {
		t.Fatalf("%s has only %d records", name, len(offs))
	}
	return offs[len(offs)/2]
}

func TestCorruption(t *testing.T) {
	tests := []struct {
		name    string
		corrupt corruptFunc
		what    string
	}{
		{"flip a data bit mid last segment", func(t *testing.T, dir string, segs []string) (string, int64) {
			last := segs[len(segs)-1]
			off := middle(t, dir, last)
			flipBit(t, dir, last, off+recordHeaderSize+9)
			return last, off
		}, "record"},
		{"flip a length bit mid last segment", func(t *testing.T, dir string, segs []string) (string, int64) {
			last := segs[len(segs)-1]
			off := middle(t, dir, last)
			flipBit(t, dir, last, off+1)
			return last, off
		}, "record"},
		{"flip a crc bit mid last segment", func(t *testing.T, dir string, segs []string) (string, int64) {
			last := segs[len(segs)-1]
			off := middle(t, dir, last)
			flipBit(t, dir, last, off+5)
			return last, off
		}, "record"},
		{"zeroed record header mid last segment", func(t *testing.T, dir string, segs []string) (string, int64) {
			last := segs[len(segs)-1]
			off := middle(t, dir, last)
			f, err := os.OpenFile(filepath.Join(dir, last), os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteAt(make([]byte, 8), off); err != nil {
				t.Fatal(err)
			}
			return last, off
		}, "record"},
		{"flip a bit in the last record of a non-last segment", func(t *testing.T, dir string, segs []string) (string, int64) {
			offs := recordOffsets(t, filepath.Join(dir, segs[1]))
			off := offs[len(offs)-1]
			flipBit(t, dir, segs[1], off+recordHeaderSize+2)
			return segs[1], off
		}, "record"},
		{"garbage after the data of a non-last segment", func(t *testing.T, dir string, segs []string) (string, int64) {
			p := filepath.Join(dir, segs[0])
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			res, err := scanSegment(b, segs[0], func(record) error { return nil })
			if err != nil {
				t.Fatal(err)
			}
			flipBit(t, dir, segs[0], res.end+100)
			return segs[0], res.end
		}, "record"},
		{"flip a bit in a preamble", func(t *testing.T, dir string, segs []string) (string, int64) {
			flipBit(t, dir, segs[2], headerSize+recordHeaderSize+3)
			return segs[2], headerSize
		}, "record"},
		{"flip a bit in the first segment header", func(t *testing.T, dir string, segs []string) (string, int64) {
			flipBit(t, dir, segs[0], 9)
			return segs[0], 0
		}, "segment header"},
		{"flip a bit in the last segment header", func(t *testing.T, dir string, segs []string) (string, int64) {
			flipBit(t, dir, segs[len(segs)-1], 2)
			return segs[len(segs)-1], 0
		}, "segment header"},
		{"segment renamed out of order", func(t *testing.T, dir string, segs []string) (string, int64) {
			s, _ := parseSegmentName(segs[1])
			s.first += 1000
			if err := os.Rename(filepath.Join(dir, segs[1]), filepath.Join(dir, s.name())); err != nil {
				t.Fatal(err)
			}
			return s.name(), 0
		}, "segment header"},
		{"missing segment", func(t *testing.T, dir string, segs []string) (string, int64) {
			if err := os.Remove(filepath.Join(dir, segs[2])); err != nil {
				t.Fatal(err)
			}
			return segs[3], 0
		}, "segment header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			o := Options{SegmentSize: MinSegmentSize}
			w, _ := mustOpen(t, dir, o)
			for i := uint64(1); i <= 120; i += 3 {
				mustSave(t, w, &State{Term: 1, Commit: i}, entries(i, i+2, 1))
			}
			mustClose(t, w)
			segs := segmentFiles(t, dir)
			if len(segs) < 5 {
				t.Fatalf("only %d segments", len(segs))
			}
			file, off := tt.corrupt(t, dir, segs)
			before := snapshotDir(t, dir)

			_, _, err := Open(dir, Options{SegmentSize: MinSegmentSize, Logger: quiet()})
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open = %v, want ErrCorrupt", err)
			}
			var ce *CorruptionError
			if !errors.As(err, &ce) {
				t.Fatalf("Open = %v, not a CorruptionError", err)
			}
			if ce.File != file || ce.Offset != off || ce.What != tt.what {
				t.Errorf("error names %s %s at %d, want %s %s at %d", ce.What, ce.File, ce.Offset, tt.what, file, off)
			}
			if want := fmt.Sprintf("wal: corrupt %s in %s at offset %d: ", tt.what, file, off); !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q does not start with %q", err, want)
			}
			if after := snapshotDir(t, dir); after != before {
				t.Errorf("a failed Open changed the files")
			}
			t.Log(err)
		})
	}
}

// snapshotDir returns the names and contents of the segment files in dir as
// one string, to check that a failed Open changed nothing.
func snapshotDir(t *testing.T, dir string) string {
	var b bytes.Buffer
	for _, name := range segmentFiles(t, dir) {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s:%x\n", name, crc32.ChecksumIEEE(data))
	}
	return b.String()
}

func TestUnknownVersion(t *testing.T) {
	dir := t.TempDir()
	w, _ := mustOpen(t, dir, Options{SegmentSize: MinSegmentSize})
	mustSave(t, w, nil, entries(1, 2, 1))
	mustClose(t, w)
	p := filepath.Join(dir, segmentFiles(t, dir)[0])
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	binary.LittleEndian.PutUint32(b[4:], formatVersion+1)
	binary.LittleEndian.PutUint32(b[28:], crc32.Checksum(b[:28], castagnoli))
	if err := os.WriteFile(p, b, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Open(dir, Options{Logger: quiet()}); !errors.Is(err, ErrVersion) {
		t.Fatalf("Open = %v, want ErrVersion", err)
	}
}

// TestEntryGapIsCorruption writes, by hand, a log whose entries skip an
// index; Save never does that, so replay must refuse it.
func TestEntryGapIsCorruption(t *testing.T) {
	dir := t.TempDir()
	s := segment{seq: 1, first: 1}
	b := appendHeader(nil, segmentHeader{seq: 1, first: 1})
	b = appendState(b, State{})
	b = appendSnapshot(b, SnapshotMark{})
	b = appendEntry(b, &Entry{Index: 1, Term: 1})
	gapAt := int64(len(b))
	b = appendEntry(b, &Entry{Index: 3, Term: 1})
	if err := os.WriteFile(filepath.Join(dir, s.name()), b, 0o640); err != nil {
		t.Fatal(err)
	}
	_, _, err := Open(dir, Options{Logger: quiet()})
	var ce *CorruptionError
	if !errors.As(err, &ce) || ce.Offset != gapAt || !strings.Contains(ce.Reason, "does not follow") {
		t.Fatalf("Open = %v, want a gap at offset %d", err, gapAt)
	}
}

// TestRepair: Open refuses damage followed by valid records; Repair cuts the
// last segment there (keeping a .broken copy) and Open then succeeds with
// everything before the damage.
func TestRepair(t *testing.T) {
	dir := t.TempDir()
	o := Options{SegmentSize: 64 << 10, Logger: quiet()}
	w, _ := mustOpen(t, dir, o)
	for i := uint64(1); i <= 30; i += 3 {
		mustSave(t, w, nil, entries(i, i+2, 1))
	}
	mustClose(t, w)
	last := segmentFiles(t, dir)[0]
	offs := recordOffsets(t, filepath.Join(dir, last))
	bad := offs[len(offs)/2] // an entry record: the preamble is offs[0:2]
	flipBit(t, dir, last, bad+recordHeaderSize+3)
	if _, _, err := Open(dir, o); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open = %v, want ErrCorrupt", err)
	}
	cut, err := Repair(dir, o)
	if err != nil || cut == nil || cut.Offset != bad || cut.File != last {
		t.Fatalf("Repair = %+v, %v; want a cut at %d", cut, err, bad)
	}
	if _, err := os.Stat(filepath.Join(dir, last+".broken")); err != nil {
		t.Errorf("no .broken copy: %v", err)
	}
	w, rec := mustOpen(t, dir, o)
	kept := uint64(len(offs)/2 - 2) // entries before the damaged record
	checkEntries(t, rec.Entries, entries(1, kept, 1))
	mustSave(t, w, nil, entries(kept+1, kept+1, 2))
	mustClose(t, w)
	if cut, err := Repair(dir, o); cut != nil || err != nil {
		t.Errorf("Repair of a clean log = %+v, %v", cut, err)
	}
}
