package wal

import (
	"errors"
	"fmt"
)

// Sentinel errors. Match them with errors.Is; the errors returned wrap them
// with the file, offset or index involved.
var (
	// ErrCorrupt: a segment holds damaged data that is not a torn tail (a
	// record that fails its checksum or has an impossible length and is
	// followed by valid data, any damage in a segment other than the last,
	// a bad segment header, a missing segment or missing entries). Open
	// refuses to start rather than drop data; see CorruptionError.
	ErrCorrupt = errors.New("wal: corrupt")
	// ErrVersion: a segment header is intact but carries a format version
	// this code does not know (written by a newer zkd).
	ErrVersion = errors.New("wal: unknown format version")
	// ErrOutOfOrder: Save was given entries that do not continue the log
	// (a gap, index 0, or a rewrite at or below the snapshot mark), or
	// MarkSnapshot was given a mark older than the current one. Nothing
	// was written.
	ErrOutOfOrder = errors.New("wal: out of order")
	// ErrTooLarge: an entry's data is larger than MaxEntrySize. Nothing was
	// written.
	ErrTooLarge = errors.New("wal: entry too large")
	// ErrClosed: the WAL was used after Close.
	ErrClosed = errors.New("wal: closed")
	// ErrLocked: another process holds the directory's LOCK file.
	ErrLocked = errors.New("wal: directory locked by another process")
)

// CorruptionError says where a log is damaged. errors.Is(err, ErrCorrupt)
// is true for it.
type CorruptionError struct {
	File   string // segment file name, without the directory
	Offset int64  // byte offset of the damaged record or header
	What   string // "record" or "segment header"
	Reason string // e.g. "crc mismatch"
}

func (e *CorruptionError) Error() string {
	return fmt.Sprintf("wal: corrupt %s in %s at offset %d: %s", e.What, e.File, e.Offset, e.Reason)
}

// Is makes errors.Is(err, ErrCorrupt) work.
func (e *CorruptionError) Is(target error) bool { return target == ErrCorrupt }
