package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// errEnd means decodeRecord found the end of written data: end of file, or a
// zero length word where a record should start (the rest of a preallocated
// segment is zeros).
var errEnd = errors.New("end of data")

// badRecord is why the bytes at an offset are not a valid record. Whether
// that is a torn tail or corruption depends on what follows (see scanSegment).
type badRecord string

func (r badRecord) Error() string { return string(r) }

// record is one decoded record. body aliases the segment buffer.
type record struct {
	typ  byte
	body []byte
	off  int64 // offset of the record header in the segment
	next int64 // offset where the next record starts (may be past EOF when the padding was cut)
}

// decodeRecord decodes the record at b[off:]. It returns errEnd at the end of
// written data and a badRecord when the bytes there do not verify. It never
// allocates from a length it read: lengths are bounded by maxRecordLen and by
// the bytes left in b.
func decodeRecord(b []byte, off int64) (record, error) {
	left := int64(len(b)) - off
	if left <= 0 {
		return record{}, errEnd
	}
	if left < recordHeaderSize {
		if isZero(b[off:]) {
			return record{}, errEnd
		}
		return record{}, badRecord(fmt.Sprintf("truncated record header (%d bytes left)", left))
	}
	length := int64(binary.LittleEndian.Uint32(b[off:]))
	if length == 0 {
		return record{}, errEnd
	}
	if length > maxRecordLen {
		return record{}, badRecord(fmt.Sprintf("record length %d exceeds the maximum %d", length, maxRecordLen))
	}
	if length > left-recordHeaderSize {
		return record{}, badRecord(fmt.Sprintf("record length %d runs past the end of the file (%d bytes left)", length, left-recordHeaderSize))
	}
	payload := b[off+recordHeaderSize : off+recordHeaderSize+length]
	crc := crc32.Update(0, castagnoli, b[off:off+4])
	if crc32.Update(crc, castagnoli, payload) != binary.LittleEndian.Uint32(b[off+4:]) {
		return record{}, badRecord("crc mismatch")
	}
	r := record{typ: payload[0], body: payload[1:], off: off, next: off + align(recordHeaderSize+length)}
	if err := checkBody(r.typ, len(r.body)); err != nil {
		return record{}, err
	}
	return r, nil
}

// checkBody checks that a record of type typ may have a body of n bytes.
func checkBody(typ byte, n int) error {
	switch {
	case typ == recEntry && n >= entryFixedSize,
		typ == recState && n == stateSize,
		typ == recSnapshot && n == snapshotSize:
		return nil
	case typ == recEntry || typ == recState || typ == recSnapshot:
		return badRecord(fmt.Sprintf("record type %d with a %d-byte body", typ, n))
	}
	return badRecord(fmt.Sprintf("unknown record type %d", typ))
}

// entry decodes a recEntry body. Data is copied out of the segment buffer.
func (r record) entry() Entry {
	e := Entry{
		Index: binary.LittleEndian.Uint64(r.body),
		Term:  binary.LittleEndian.Uint64(r.body[8:]),
		Kind:  r.body[16],
	}
	if d := r.body[entryFixedSize:]; len(d) > 0 {
		e.Data = append([]byte(nil), d...)
	}
	return e
}

// entryIndex decodes only the index of a recEntry body.
func (r record) entryIndex() uint64 { return binary.LittleEndian.Uint64(r.body) }

func (r record) state() State {
	return State{
		Term:   binary.LittleEndian.Uint64(r.body),
		Vote:   binary.LittleEndian.Uint64(r.body[8:]),
		Commit: binary.LittleEndian.Uint64(r.body[16:]),
	}
}

func (r record) snapshot() SnapshotMark {
	return SnapshotMark{
		Index: binary.LittleEndian.Uint64(r.body),
		Term:  binary.LittleEndian.Uint64(r.body[8:]),
	}
}

// isZero reports whether b holds only zero bytes.
func isZero(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b) != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
