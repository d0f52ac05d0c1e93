package zkimport

import (
	"encoding/binary"
	"fmt"
	"hash/adler32"
	"os"
	"path/filepath"
)

// Log record framing (FileTxnLog): a long checksum, an int length, the
// bytes, and the end-of-record byte.
const (
	logHeaderLen    = 16
	recordFrameLen  = 8 + 4
	endOfRecord     = 'B'
	maxRecordLength = 1 << 30
)

// LogEntry is one txn of a log file.
type LogEntry struct {
	Offset int64 // of the record's checksum in the file
	Header TxnHeader
	Txn    Txn
	Digest *TxnDigest // nil before 3.6
}

// LogInfo describes a log file as read.
type LogInfo struct {
	Path string
	// StartZxid is the zxid in the name: the first txn written to the file.
	StartZxid int64
	Version   int32
	DBID      int64
	Entries   int
	End       int64 // offset just past the last whole record
	// Torn is set when the file ends in a record cut short by a crash
	// (nothing but zeros after it), which ends the file as it ends
	// ZooKeeper's replay. The txn in it was never acknowledged.
	Torn *TornRecord
}

// TornRecord is an incomplete record at the end of a log.
type TornRecord struct {
	Offset int64
	Reason string
}

// ReadLogFile reads the log at path and calls visit for each txn in file
// order. Damage anywhere but a torn last record is a *FormatError; an
// error from visit stops the read and is returned as is.
func ReadLogFile(path string, visit func(*LogEntry) error) (*LogInfo, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("zkimport: %w", err)
	}
	info, err := ReadLog(b, path, visit)
	if err != nil {
		return nil, err
	}
	if zxid, ok := zxidFromName(filepath.Base(path), logPrefix); ok {
		info.StartZxid = zxid
	} else {
		info.StartZxid = -1
	}
	return info, nil
}

// ReadLog is ReadLogFile on the bytes of a log file; file names it in
// errors.
func ReadLog(b []byte, file string, visit func(*LogEntry) error) (*LogInfo, error) {
	bad := func(off int64, format string, args ...any) error {
		return &FormatError{File: file, Offset: off, Reason: fmt.Sprintf(format, args...)}
	}
	info := &LogInfo{Path: file}
	if len(b) < logHeaderLen {
		return nil, bad(int64(len(b)), "file cut short in the file header (%d of %d bytes)", len(b), logHeaderLen)
	}
	if magic := binary.BigEndian.Uint32(b); magic != logMagic {
		return nil, bad(0, "magic %#x, want %#x (\"ZKLG\"): not a ZooKeeper transaction log", magic, logMagic)
	}
	info.Version = int32(binary.BigEndian.Uint32(b[4:]))
	info.DBID = int64(binary.BigEndian.Uint64(b[8:]))
	off := int64(logHeaderLen)
	size := int64(len(b))
	// torn ends the file at a damaged record if nothing but zeros follows
	// the space it claims (a write cut short by a crash leaves the
	// preallocated zeros after it); otherwise the damage is corruption.
	torn := func(extent int64, reason string) error {
		if zeroFrom(b, min(off+extent, size)) {
			info.Torn = &TornRecord{Offset: off, Reason: reason}
			return nil
		}
		return bad(off, "damaged record (%s) with data after it", reason)
	}
	for {
		info.End = off
		if off == size {
			return info, nil
		}
		if size-off < recordFrameLen {
			if zeroFrom(b, off) {
				return info, nil
			}
			return info, torn(recordFrameLen, "record header cut short")
		}
		sum := int64(binary.BigEndian.Uint64(b[off:]))
		n := int64(int32(binary.BigEndian.Uint32(b[off+8:])))
		switch {
		case n == 0 && sum == 0 && zeroFrom(b, off):
			return info, nil // the preallocated zeros: the end of the log
		case n <= 0:
			return info, torn(recordFrameLen, fmt.Sprintf("record length %d", n))
		case n > maxRecordLength:
			return info, torn(recordFrameLen+n+1, fmt.Sprintf("record length %d", n))
		case off+recordFrameLen+n+1 > size:
			return info, torn(recordFrameLen+n+1, fmt.Sprintf("record of %d bytes cut short by the end of the file", n))
		}
		payload := b[off+recordFrameLen : off+recordFrameLen+n]
		if eor := b[off+recordFrameLen+n]; eor != endOfRecord {
			return info, torn(recordFrameLen+n+1, fmt.Sprintf("end-of-record byte %#x, want 'B' (the record was only partly written)", eor))
		}
		if got := int64(adler32.Checksum(payload)); got != sum {
			return nil, bad(off, "record checksum %#x, computed Adler-32 %#x over the %d bytes at offset %d", sum, got, n, off+recordFrameLen)
		}
		h, txn, dg, err := decodeTxnEntry(payload)
		if err != nil {
			return nil, bad(off+recordFrameLen, "undecodable txn (zxid %#x): %v", h.Zxid, err)
		}
		if err := visit(&LogEntry{Offset: off, Header: h, Txn: txn, Digest: dg}); err != nil {
			return nil, err
		}
		info.Entries++
		off += recordFrameLen + n + 1
	}
}

// zeroFrom reports whether b holds only zeros from off on.
func zeroFrom(b []byte, off int64) bool {
	for _, c := range b[off:] {
		if c != 0 {
			return false
		}
	}
	return true
}
