package wal

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// These constants are part of the on-disk format (see doc.go) and must not
// change: existing logs would become unreadable. A new layout gets a new
// formatVersion.
const (
	segmentMagic  = "ZKDW" // first four bytes of every segment file
	formatVersion = 1      // segment header version written by this code

	headerSize       = 32 // segment header, a multiple of recordAlign
	recordHeaderSize = 8  // u32 length + u32 crc
	recordAlign      = 8  // every record starts at a multiple of this

	recEntry    byte = 1 // body: index u64, term u64, kind u8, data
	recState    byte = 2 // body: term u64, vote u64, commit u64
	recSnapshot byte = 3 // body: index u64, term u64

	entryFixedSize = 17 // entry body without its data
	stateSize      = 24
	snapshotSize   = 16
)

// MaxEntrySize bounds Entry.Data. It is far above jute.maxbuffer (1 MiB by
// default), so no ZooKeeper request reaches it; it exists so that a damaged
// length field can never make recovery allocate without limit.
const MaxEntrySize = 64 << 20

// maxRecordLen bounds the length field of a record; anything larger is
// damage, not data.
const maxRecordLen = 1 + entryFixedSize + MaxEntrySize

// castagnoli is the CRC-32C table (hardware accelerated on amd64 and arm64).
// It is never written after initialisation.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// segmentHeader is the first headerSize bytes of a segment file.
type segmentHeader struct {
	seq   uint64 // position of the segment in the log, 1 for the first ever
	first uint64 // index the next entry had when the segment was created
}

// appendHeader appends h in its on-disk form.
func appendHeader(b []byte, h segmentHeader) []byte {
	start := len(b)
	b = append(b, segmentMagic...)
	b = binary.LittleEndian.AppendUint32(b, formatVersion)
	b = binary.LittleEndian.AppendUint64(b, h.seq)
	b = binary.LittleEndian.AppendUint64(b, h.first)
	b = binary.LittleEndian.AppendUint32(b, 0) // reserved
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b[start:], castagnoli))
}

// decodeHeader checks and decodes a segment header. The reason it returns
// ends up in a CorruptionError; a version it does not know is ErrVersion.
func decodeHeader(b []byte) (segmentHeader, error) {
	if len(b) < headerSize {
		return segmentHeader{}, badRecord(fmt.Sprintf("file is %d bytes, shorter than a segment header", len(b)))
	}
	if string(b[:4]) != segmentMagic {
		return segmentHeader{}, badRecord(fmt.Sprintf("bad magic %q", b[:4]))
	}
	if got, want := binary.LittleEndian.Uint32(b[28:]), crc32.Checksum(b[:28], castagnoli); got != want {
		return segmentHeader{}, badRecord("crc mismatch")
	}
	if v := binary.LittleEndian.Uint32(b[4:]); v != formatVersion {
		return segmentHeader{}, fmt.Errorf("%w %d (this build reads version %d)", ErrVersion, v, formatVersion)
	}
	if binary.LittleEndian.Uint32(b[24:]) != 0 {
		return segmentHeader{}, badRecord("reserved header field is not zero")
	}
	return segmentHeader{
		seq:   binary.LittleEndian.Uint64(b[8:]),
		first: binary.LittleEndian.Uint64(b[16:]),
	}, nil
}

// align rounds n up to the next multiple of recordAlign.
func align(n int64) int64 { return (n + recordAlign - 1) &^ (recordAlign - 1) }
