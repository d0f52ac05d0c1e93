package wal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"strings"
	"testing"
)

// TestRecordRoundTrip encodes entries of every data size around the
// alignment boundaries and decodes them back.
func TestRecordRoundTrip(t *testing.T) {
	sizes := []int{0, 1, 1 << 20}
	for n := 2; n <= 40; n++ {
		sizes = append(sizes, n)
	}
	for _, n := range sizes {
		e := Entry{Index: uint64(n) + 1, Term: 7, Kind: 2, Data: bytes.Repeat([]byte{0xab}, n)}
		b := appendEntry(nil, &e)
		if len(b)%recordAlign != 0 || int64(len(b)) != recordSize(&e) {
			t.Fatalf("size %d: record is %d bytes, recordSize says %d", n, len(b), recordSize(&e))
		}
		b = appendState(b, State{Term: 1, Vote: 2, Commit: 3})
		b = appendSnapshot(b, SnapshotMark{Index: 4, Term: 5})
		r, err := decodeRecord(b, 0)
		if err != nil {
			t.Fatalf("size %d: %v", n, err)
		}
		got := r.entry()
		if got.Index != e.Index || got.Term != e.Term || got.Kind != e.Kind || !bytes.Equal(got.Data, e.Data) {
			t.Fatalf("size %d: decoded %+v", n, got)
		}
		if r, err = decodeRecord(b, r.next); err != nil || r.state() != (State{1, 2, 3}) {
			t.Fatalf("size %d: state %+v, %v", n, r.state(), err)
		}
		if r, err = decodeRecord(b, r.next); err != nil || r.snapshot() != (SnapshotMark{4, 5}) {
			t.Fatalf("size %d: snapshot %+v, %v", n, r.snapshot(), err)
		}
		if _, err = decodeRecord(b, r.next); err != errEnd {
			t.Fatalf("size %d: after the last record: %v, want errEnd", n, err)
		}
	}
}

// frame builds a record with an arbitrary length field, type and body and
// a correct CRC, to reach the checks after the CRC.
func frame(length uint32, typ byte, body []byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, length)
	crc := crc32.Update(0, castagnoli, b)
	crc = crc32.Update(crc, castagnoli, append([]byte{typ}, body...))
	b = binary.LittleEndian.AppendUint32(b, crc)
	return append(append(b, typ), body...)
}

func TestDecodeRecordRejects(t *testing.T) {
	good := appendEntry(nil, &Entry{Index: 1, Term: 1, Data: []byte("hello")})
	flipped := append([]byte(nil), good...)
	flipped[20] ^= 1
	tests := []struct {
		name string
		b    []byte
		want string // "" means errEnd
	}{
		{"empty", nil, ""},
		{"zero length word", make([]byte, 64), ""},
		{"short zero tail", make([]byte, 5), ""},
		{"short non-zero tail", []byte{1, 0, 0}, "truncated record header"},
		{"length above the maximum", append(binary.LittleEndian.AppendUint32(nil, maxRecordLen+1), make([]byte, 12)...), "exceeds the maximum"},
		{"length past the end", append(binary.LittleEndian.AppendUint32(nil, 100), make([]byte, 20)...), "runs past the end"},
		{"crc mismatch", flipped, "crc mismatch"},
		{"cut short", good[:len(good)-8], "runs past the end"},
		{"unknown type", frame(4, 9, []byte{1, 2, 3}), "unknown record type 9"},
		{"state body too short", frame(1+23, recState, make([]byte, 23)), "record type 2 with a 23-byte body"},
		{"snapshot body too long", frame(1+17, recSnapshot, make([]byte, 17)), "record type 3 with a 17-byte body"},
		{"entry body too short", frame(1+16, recEntry, make([]byte, 16)), "record type 1 with a 16-byte body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeRecord(tt.b, 0)
			switch {
			case tt.want == "" && err != errEnd:
				t.Fatalf("err = %v, want errEnd", err)
			case tt.want != "":
				var bad badRecord
				if !errors.As(err, &bad) || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("err = %v, want a badRecord containing %q", err, tt.want)
				}
			}
		})
	}
}

// TestValidRecordAfter checks the torn-or-corrupt decision on its own.
func TestValidRecordAfter(t *testing.T) {
	rec := appendEntry(nil, &Entry{Index: 1, Term: 1, Data: []byte("x")})
	tests := []struct {
		name string
		b    []byte
		want bool
	}{
		{"zeros", make([]byte, 4096), false},
		{"garbage", bytes.Repeat([]byte{0xff, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x01}, 64), false},
		{"record after zeros", append(make([]byte, 512), rec...), true},
		{"record at the start", append(append([]byte(nil), rec...), make([]byte, 64)...), true},
		{"unaligned record", append(make([]byte, 3), rec...), false},
	}
	for _, tt := range tests {
		if got := validRecordAfter(tt.b, 0); got != tt.want {
			t.Errorf("%s: validRecordAfter = %v, want %v", tt.name, got, tt.want)
		}
	}
}
