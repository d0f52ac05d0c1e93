package wal

import (
	"bytes"
	"testing"
)

// FuzzDecodeSegment feeds arbitrary bytes to the segment decoder and to
// replay, as Open would for a segment file. Nothing may panic, allocation is
// bounded by the input (lengths are checked before use), and every record
// accepted must re-encode to exactly the bytes it was decoded from.
func FuzzDecodeSegment(f *testing.F) {
	seg := appendHeader(nil, segmentHeader{seq: 1, first: 1})
	seg = appendState(seg, State{Term: 1, Vote: 1})
	seg = appendSnapshot(seg, SnapshotMark{})
	for i := uint64(1); i <= 5; i++ {
		seg = appendEntry(seg, &Entry{Index: i, Term: 1, Kind: 1, Data: payload(i, 1)})
	}
	seg = appendEntry(seg, &Entry{Index: 4, Term: 2, Data: []byte("rewrite")})
	seg = appendSnapshot(seg, SnapshotMark{Index: 3, Term: 1})
	f.Add(seg)
	f.Add(append(append([]byte(nil), seg...), make([]byte, 256)...))
	f.Add(seg[:len(seg)-5])
	f.Add(seg[:headerSize])
	f.Add(seg[:headerSize+3])
	f.Add([]byte{})
	f.Add(append(append([]byte(nil), seg[:headerSize]...), 0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0))
	f.Fuzz(func(t *testing.T, b []byte) {
		var rp replayer
		res, err := scanSegment(b, "fuzz.wal", func(r record) error {
			var again []byte
			switch r.typ {
			case recEntry:
				e := r.entry()
				again = appendEntry(nil, &e)
			case recState:
				again = appendState(nil, r.state())
			case recSnapshot:
				again = appendSnapshot(nil, r.snapshot())
			}
			// Padding is not checksummed and not checked: compare the rest.
			end := r.off + recordHeaderSize + 1 + int64(len(r.body))
			if !bytes.Equal(again[:end-r.off], b[r.off:end]) {
				t.Fatalf("record at %d does not re-encode to its bytes", r.off)
			}
			return rp.apply(r)
		})
		if err != nil {
			return
		}
		if res.end < headerSize || (res.damage != nil && res.damage.off != res.end) {
			t.Fatalf("scan result %+v", res)
		}
		if rec, err := rp.result(); err == nil && len(rec.Entries) > 0 && rec.Entries[0].Index != rec.FirstIndex {
			t.Fatalf("FirstIndex %d, first entry %d", rec.FirstIndex, rec.Entries[0].Index)
		}
	})
}
