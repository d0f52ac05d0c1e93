package wal

import (
	"errors"
)

// scanResult is what scanSegment learned about one segment file.
type scanResult struct {
	hdr segmentHeader
	// end is where the next record goes: just past the last valid record.
	end int64
	// damage is nil when the data ends cleanly (end of file, or a zero
	// length word followed only by zeros).
	damage *damage
}

// damage describes bytes at the end of the valid data that are not a valid
// record.
type damage struct {
	off    int64  // where the first invalid record starts (== scanResult.end)
	reason string // why it is invalid
	// validAfter is set when a valid record was found after off. Then the
	// damage cannot be a torn tail: it is corruption in the middle of the log.
	validAfter bool
}

// scanSegment checks the header of the segment image b and calls visit for
// each valid record in order, up to the first invalid one. A bad header
// returns a CorruptionError (or ErrVersion); damage after it is reported in
// the result for the caller to judge, since only the caller knows whether
// this is the last segment. An error from visit stops the scan and is
// returned as is.
func scanSegment(b []byte, name string, visit func(record) error) (scanResult, error) {
	hdr, err := decodeHeader(b)
	if err != nil {
		var bad badRecord
		if errors.As(err, &bad) {
			return scanResult{}, &CorruptionError{File: name, Offset: 0, What: "segment header", Reason: bad.Error()}
		}
		return scanResult{}, err
	}
	off := int64(headerSize)
	for {
		r, err := decodeRecord(b, off)
		if err == nil {
			if err := visit(r); err != nil {
				return scanResult{}, err
			}
			off = r.next
			continue
		}
		res := scanResult{hdr: hdr, end: off}
		if err == errEnd {
			if off >= int64(len(b)) || isZero(b[off:]) {
				return res, nil
			}
			err = badRecord("non-zero bytes after the end-of-data marker")
		}
		res.damage = &damage{off: off, reason: err.Error(), validAfter: validRecordAfter(b, off+recordAlign)}
		return res, nil
	}
}
