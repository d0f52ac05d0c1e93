package wal

import (
	"encoding/binary"
	"hash/crc32"
)

// The encoder appends framed records to a byte slice, so that a whole Save
// batch becomes one buffer, one write and one fsync. The buffer must start
// at a recordAlign boundary of the file; every record keeps it aligned.

// beginRecord reserves the record header and writes the type byte. It
// returns the grown slice and the record's start within it.
func beginRecord(b []byte, typ byte) ([]byte, int) {
	start := len(b)
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0, typ)
	return b, start
}

// endRecord fills in the length and CRC of the record that starts at start
// and pads it to recordAlign with zeros.
func endRecord(b []byte, start int) []byte {
	length := len(b) - start - recordHeaderSize
	binary.LittleEndian.PutUint32(b[start:], uint32(length))
	crc := crc32.Update(0, castagnoli, b[start:start+4])
	crc = crc32.Update(crc, castagnoli, b[start+recordHeaderSize:])
	binary.LittleEndian.PutUint32(b[start+4:], crc)
	for (len(b)-start)%recordAlign != 0 {
		b = append(b, 0)
	}
	return b
}

// appendEntry appends e as a recEntry record.
func appendEntry(b []byte, e *Entry) []byte {
	b, start := beginRecord(b, recEntry)
	b = binary.LittleEndian.AppendUint64(b, e.Index)
	b = binary.LittleEndian.AppendUint64(b, e.Term)
	b = append(b, e.Kind)
	b = append(b, e.Data...)
	return endRecord(b, start)
}

// appendState appends s as a recState record.
func appendState(b []byte, s State) []byte {
	b, start := beginRecord(b, recState)
	b = binary.LittleEndian.AppendUint64(b, s.Term)
	b = binary.LittleEndian.AppendUint64(b, s.Vote)
	b = binary.LittleEndian.AppendUint64(b, s.Commit)
	return endRecord(b, start)
}

// appendSnapshot appends m as a recSnapshot record.
func appendSnapshot(b []byte, m SnapshotMark) []byte {
	b, start := beginRecord(b, recSnapshot)
	b = binary.LittleEndian.AppendUint64(b, m.Index)
	b = binary.LittleEndian.AppendUint64(b, m.Term)
	return endRecord(b, start)
}

// recordSize is the number of bytes appendEntry adds for e.
func recordSize(e *Entry) int64 {
	return align(recordHeaderSize + 1 + entryFixedSize + int64(len(e.Data)))
}
