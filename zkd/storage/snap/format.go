package snap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strconv"
	"strings"
)

// Format constants: part of the on-disk format.
const (
	magic       = "ZKDSNAP\x00"
	endMagic    = "ZEND"
	version     = 1
	headerLen   = 56
	trailerLen  = 8
	hdrCRCAt    = 48 // offset of the header checksum
	namePrefix  = "snapshot."
	tmpSuffix   = ".tmp"
	indexDigits = 16
)

// MinRetain is the fewest snapshots Purge keeps, as ZooKeeper's
// autopurge.snapRetainCount never goes below 3.
const MinRetain = 3

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// Sentinel errors. Match them with errors.Is.
var (
	// ErrCorrupt: a snapshot file fails a check (magic, checksum, length,
	// trailer, name). The error is a *CorruptError naming file and offset.
	ErrCorrupt = errors.New("snap: corrupt snapshot")
	// ErrVersion: the header is intact but its format version is one this
	// build does not know (written by a newer zkd).
	ErrVersion = errors.New("snap: unknown snapshot format version")
	// ErrNotFound: the directory holds no snapshot.
	ErrNotFound = errors.New("snap: no snapshot")
)

// CorruptError says where a snapshot file is damaged.
// errors.Is(err, ErrCorrupt) is true for it.
type CorruptError struct {
	File   string // path of the file
	Offset int64  // byte offset of the field or region that failed
	Reason string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("snap: corrupt snapshot %s at offset %d: %s", e.File, e.Offset, e.Reason)
}

// Is makes errors.Is(err, ErrCorrupt) hold.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// Meta describes a snapshot. Save takes Index, Term and LastZxid; Path
// and BodyLen are filled in when a file is read (List fills only Index and
// Path: it does not open the files).
type Meta struct {
	Index    uint64 // raft index of the last entry the snapshot includes
	Term     uint64 // raft term of that entry
	LastZxid int64  // the tree's last zxid
	Path     string // the file
	BodyLen  int64  // length of the body
}

// FileName is the name of the snapshot of index.
func FileName(index uint64) string {
	return fmt.Sprintf("%s%0*x", namePrefix, indexDigits, index)
}

// parseName returns the index of a snapshot file name; ok is false for
// any other name (.tmp files included).
func parseName(name string) (index uint64, ok bool) {
	hex, found := strings.CutPrefix(name, namePrefix)
	if !found || len(hex) != indexDigits || strings.ToLower(hex) != hex {
		return 0, false
	}
	index, err := strconv.ParseUint(hex, 16, 64)
	return index, err == nil
}

// isTemp reports whether name is a snapshot being written or left by a
// crash.
func isTemp(name string) bool {
	base, found := strings.CutSuffix(name, tmpSuffix)
	if !found {
		return false
	}
	_, ok := parseName(base)
	return ok
}

// appendHeader appends the 56-byte header.
func appendHeader(b []byte, m Meta, bodyLen int64) []byte {
	start := len(b)
	b = append(b, magic...)
	b = binary.LittleEndian.AppendUint32(b, version)
	b = binary.LittleEndian.AppendUint32(b, 0)
	b = binary.LittleEndian.AppendUint64(b, m.Index)
	b = binary.LittleEndian.AppendUint64(b, m.Term)
	b = binary.LittleEndian.AppendUint64(b, uint64(m.LastZxid))
	b = binary.LittleEndian.AppendUint64(b, uint64(bodyLen))
	b = binary.LittleEndian.AppendUint32(b, crc32.Checksum(b[start:], crcTable))
	return binary.LittleEndian.AppendUint32(b, 0)
}

// decodeHeader checks and reads a header. Failures are *CorruptError
// (with File empty, for the caller to fill) or wrap ErrVersion.
func decodeHeader(b []byte) (Meta, error) {
	bad := func(off int64, format string, args ...any) (Meta, error) {
		return Meta{}, &CorruptError{Offset: off, Reason: fmt.Sprintf(format, args...)}
	}
	if len(b) < headerLen {
		return bad(int64(len(b)), "header cut short: %d of %d bytes", len(b), headerLen)
	}
	if string(b[:8]) != magic {
		return bad(0, "not a zkd snapshot (magic %q)", b[:8])
	}
	if got, want := binary.LittleEndian.Uint32(b[hdrCRCAt:]), crc32.Checksum(b[:hdrCRCAt], crcTable); got != want {
		return bad(hdrCRCAt, "header checksum %08x, computed %08x", got, want)
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v != version {
		return Meta{}, fmt.Errorf("%w: version %d, this build reads %d", ErrVersion, v, version)
	}
	if f := binary.LittleEndian.Uint32(b[12:]); f != 0 {
		return bad(12, "flags %#x, want 0", f)
	}
	if z := binary.LittleEndian.Uint32(b[52:]); z != 0 {
		return bad(52, "padding %#x, want 0", z)
	}
	bodyLen := binary.LittleEndian.Uint64(b[40:])
	if bodyLen > 1<<62 {
		return bad(40, "body length %d", bodyLen)
	}
	return Meta{
		Index:    binary.LittleEndian.Uint64(b[16:]),
		Term:     binary.LittleEndian.Uint64(b[24:]),
		LastZxid: int64(binary.LittleEndian.Uint64(b[32:])),
		BodyLen:  int64(bodyLen),
	}, nil
}

// appendTrailer appends the 8-byte trailer.
func appendTrailer(b []byte, bodyCRC uint32) []byte {
	b = binary.LittleEndian.AppendUint32(b, bodyCRC)
	return append(b, endMagic...)
}
