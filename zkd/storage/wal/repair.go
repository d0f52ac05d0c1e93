package wal

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"path/filepath"
)

// maxResyncWork bounds the bytes validRecordAfter may checksum. A torn tail
// is a few sectors of one batch followed by preallocated zeros, which costs
// almost nothing to scan; only adversarial garbage gets near this bound, and
// then the scan answers "maybe valid data follows", which makes Open refuse
// to start instead of truncating: never drop data on a guess.
const maxResyncWork = 1 << 30

// validRecordAfter reports whether any aligned offset at or after from holds
// a record that verifies. This is what tells a torn tail (only zeros or
// garbage follow the damage) from corruption in the middle of the log (valid
// records follow it). Candidates are filtered by length, type and body size
// before the CRC is computed.
func validRecordAfter(b []byte, from int64) bool {
	work := int64(0)
	for off := from; off+recordHeaderSize < int64(len(b)); off += recordAlign {
		length := int64(binary.LittleEndian.Uint32(b[off:]))
		if length == 0 || length > maxRecordLen || length > int64(len(b))-off-recordHeaderSize {
			continue
		}
		payload := b[off+recordHeaderSize : off+recordHeaderSize+length]
		if checkBody(payload[0], len(payload)-1) != nil {
			continue
		}
		if work += length; work > maxResyncWork {
			return true
		}
		crc := crc32.Update(0, castagnoli, b[off:off+4])
		if crc32.Update(crc, castagnoli, payload) == binary.LittleEndian.Uint32(b[off+4:]) {
			return true
		}
	}
	return false
}

// TornTail describes a torn write that Open removed from the end of the log:
// the last record of the last segment was incomplete or did not verify, and
// nothing valid followed it. It was never acknowledged (Save returns only
// after its fsync), so no acknowledged data is lost.
type TornTail struct {
	File   string // segment file name, without the directory
	Offset int64  // where the torn record started; the file is zero from here on
	Reason string // what was wrong with it, e.g. "crc mismatch"
}

// repairTail removes a torn tail from the active segment: everything from
// off to the end of the file is discarded, the segment is preallocated again
// to size, and the result is made durable before any new record is written
// after it. Truncating (rather than overwriting) frees whatever garbage the
// torn write left beyond the preallocated size.
func repairTail(f File, name string, off, size int64) error {
	if err := f.Truncate(off); err != nil {
		return fmt.Errorf("wal: truncate torn tail of %s at offset %d: %w", name, off, err)
	}
	if err := preallocate(f, off, size); err != nil {
		return fmt.Errorf("wal: preallocate %s after truncating its torn tail: %w", name, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("wal: sync %s after truncating its torn tail: %w", name, err)
	}
	return nil
}

// preallocate makes sure [from, size) of f is allocated and zero.
func preallocate(f File, from, size int64) error {
	if from >= size {
		return nil
	}
	return f.Allocate(from, size-from)
}

// Repair is the operator's way out when Open refuses a log because of
// damage in its last segment that is followed by valid records (which Open
// will not guess about). It saves a copy of that segment as <name>.broken,
// then cuts the segment at its first damaged record, dropping every record
// after it, valid or not, and reports what it cut (nil if there was no
// damage). Damage in an earlier segment is not repaired: deciding to drop
// whole segments is left to a person. The WAL must not be open.
func Repair(dir string, o Options) (*TornTail, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, err
	}
	lock, err := o.FS.Lock(filepath.Join(dir, lockName))
	if err != nil {
		return nil, err
	}
	defer lock.Close()
	names, err := o.FS.List(dir)
	if err != nil {
		return nil, fmt.Errorf("wal: list %s: %w", dir, err)
	}
	var last string
	for _, name := range names {
		if _, ok := parseSegmentName(name); ok {
			last = name
		}
	}
	if last == "" {
		return nil, nil
	}
	f, err := o.FS.Open(filepath.Join(dir, last))
	if err != nil {
		return nil, fmt.Errorf("wal: open %s: %w", last, err)
	}
	defer f.Close()
	b, err := readAll(f)
	if err != nil {
		return nil, fmt.Errorf("wal: read %s: %w", last, err)
	}
	res, err := scanSegment(b, last, func(record) error { return nil })
	if err != nil || res.damage == nil {
		return nil, err
	}
	if err := writeCopy(o.FS, filepath.Join(dir, last+".broken"), b); err != nil {
		return nil, err
	}
	if err := repairTail(f, last, res.damage.off, o.SegmentSize); err != nil {
		return nil, err
	}
	o.Logger.Warn("wal: repaired the last segment; the damaged part is kept in a .broken copy",
		"file", last, "offset", res.damage.off, "reason", res.damage.reason, "discarded_bytes", int64(len(b))-res.damage.off)
	return &TornTail{File: last, Offset: res.damage.off, Reason: res.damage.reason}, nil
}

// readAll reads the whole of f.
func readAll(f File) ([]byte, error) {
	size, err := f.Size()
	if err != nil {
		return nil, err
	}
	b := make([]byte, size)
	n, err := f.ReadAt(b, 0)
	if n == len(b) {
		err = nil
	}
	return b[:n], err
}

// writeCopy writes b to a new file at path and fsyncs it.
func writeCopy(fs FS, path string, b []byte) error {
	f, err := fs.Create(path)
	if err != nil {
		return fmt.Errorf("wal: create %s: %w", path, err)
	}
	if _, err = f.WriteAt(b, 0); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("wal: write %s: %w", path, err)
	}
	return nil
}
