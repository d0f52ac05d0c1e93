package zkimport

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/adler32"
	"io"
	"slices"
)

// juteReader reads jute primitives (big-endian int and long, length-prefixed
// buffers and strings) from a snapshot stream. It keeps the Adler-32 of
// every byte read, as ZooKeeper's CheckedInputStream does, and the offset,
// for errors. The first error sticks: later reads return zero values.
type juteReader struct {
	r      *bufio.Reader
	file   string
	stream string // "" or the compression, for errors
	off    int64
	left   int64 // bytes known to remain; -1 when unknown (compressed)
	sum    hash.Hash32
	err    error
	scr    [8]byte
}

func newJuteReader(r io.Reader, file, stream string, size int64) *juteReader {
	left := int64(-1)
	if stream == "" && size >= 0 {
		left = size
	}
	return &juteReader{r: bufio.NewReaderSize(r, 1<<16), file: file, stream: stream, left: left, sum: adler32.New()}
}

// failf records a format error at offset at.
func (j *juteReader) failf(at int64, format string, args ...any) {
	if j.err == nil {
		j.err = &FormatError{File: j.file, Offset: at, Stream: j.stream, Reason: fmt.Sprintf(format, args...)}
	}
}

// readErr turns a read failure into the sticky error: running out of input
// is a file cut short, anything else (a gzip checksum, an I/O error) is
// reported as it is, with the offset.
func (j *juteReader) readErr(err error, what string) {
	if j.err != nil {
		return
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		j.failf(j.off, "file cut short while reading %s", what)
		return
	}
	var fe *FormatError
	if errors.As(err, &fe) {
		j.err = err
		return
	}
	j.err = &FormatError{File: j.file, Offset: j.off, Stream: j.stream, Reason: fmt.Sprintf("reading %s: %v", what, err)}
}

// full reads len(b) bytes into b and adds them to the checksum.
func (j *juteReader) full(b []byte, what string) bool {
	if j.err != nil {
		return false
	}
	n, err := io.ReadFull(j.r, b)
	j.sum.Write(b[:n])
	j.off += int64(n)
	if j.left >= 0 {
		j.left -= int64(n)
	}
	if err != nil {
		j.readErr(err, what)
		return false
	}
	return true
}

func (j *juteReader) int32(what string) int32 {
	if !j.full(j.scr[:4], what) {
		return 0
	}
	return int32(binary.BigEndian.Uint32(j.scr[:4]))
}

func (j *juteReader) int64(what string) int64 {
	if !j.full(j.scr[:8], what) {
		return 0
	}
	return int64(binary.BigEndian.Uint64(j.scr[:8]))
}

// count reads a vector or map count whose elements take at least minSize
// bytes each; a count the rest of the input cannot hold is an error.
func (j *juteReader) count(what string, minSize int64) int {
	at := j.off
	n := j.int32(what)
	switch {
	case j.err != nil:
		return 0
	case n < 0:
		j.failf(at, "%s count %d", what, n)
		return 0
	case j.left >= 0 && int64(n)*minSize > j.left:
		j.failf(at, "%s count %d cannot fit in the %d bytes left", what, n, j.left)
		return 0
	}
	return int(n)
}

// buffer reads a jute buffer; null (-1) is nil. A length longer than what
// remains is an error before anything is allocated; when the remaining
// length is unknown the buffer grows as bytes arrive, so a bad length costs
// no more memory than the input holds.
func (j *juteReader) buffer(what string) (b []byte, null bool) {
	at := j.off
	n := j.int32(what + " length")
	switch {
	case j.err != nil:
		return nil, false
	case n == -1:
		return nil, true
	case n < 0:
		j.failf(at, "%s length %d", what, n)
		return nil, false
	case j.left >= 0 && int64(n) > j.left:
		j.failf(at, "%s length %d but only %d bytes left", what, n, j.left)
		return nil, false
	}
	const step = 1 << 20
	b = make([]byte, 0, min(int(n), step))
	for len(b) < int(n) && j.err == nil {
		k := min(int(n)-len(b), step)
		b = slices.Grow(b, k)
		if j.full(b[len(b):len(b)+k], what) {
			b = b[:len(b)+k]
		}
	}
	if j.err != nil {
		return nil, false
	}
	return b, false
}

// str reads a jute ustring; null reads as "" with null set.
func (j *juteReader) str(what string) (s string, null bool) {
	b, null := j.buffer(what)
	return string(b), null
}

// checksum is the Adler-32 of everything read so far, as Java's
// Adler32.getValue returns it (an unsigned 32-bit value in a long).
func (j *juteReader) checksum() int64 { return int64(j.sum.Sum32()) }

// seal reads a seal (FileSnap's sealStream: the checksum of everything
// before it, then the string "/") and checks it.
func (j *juteReader) seal(what string) {
	want := j.checksum()
	at := j.off
	got := j.int64(what + " checksum")
	slashAt := j.off
	slash, _ := j.str(what + " end marker")
	switch {
	case j.err != nil:
	case got != want:
		j.failf(at, "%s checksum %#x, computed Adler-32 %#x over bytes 0..%d: the snapshot is damaged", what, got, want, at)
	case slash != "/":
		j.failf(slashAt, "%s end marker %q, want \"/\"", what, slash)
	}
}

// atEOF reports whether the input has ended (reading nothing).
func (j *juteReader) atEOF() bool {
	if j.err != nil {
		return false
	}
	if j.left == 0 {
		return true
	}
	_, err := j.r.Peek(1)
	if errors.Is(err, io.EOF) {
		return true
	}
	if err != nil {
		j.readErr(err, "the end of the snapshot")
	}
	return false
}
