package zkimport

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/golang/snappy"
)

// snappy-java's stream format (SnappyOutputStream, what ZooKeeper writes
// with zookeeper.snapshot.compression.method=snappy): an 8-byte magic, two
// ints (format version and minimum compatible version, both 1), then
// blocks of an int length and that many bytes of raw snappy. A stream may
// be followed by another one (concatenation), header included.
var xerialMagic = []byte{0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0}

const (
	xerialHeaderLen = 16
	// xerialMaxBlock bounds one compressed block: snappy-java writes
	// blocks of at most 32 KiB of input by default; a few MiB leaves room
	// for other writers and still stops a damaged length early.
	xerialMaxBlock = 64 << 20
)

// snappyReader decodes a snappy-java stream.
type snappyReader struct {
	r      io.Reader
	file   string
	off    int64 // offset in the compressed file, for errors
	header bool  // the stream header has been read
	buf    []byte
	out    []byte // decoded bytes not yet returned
}

func newSnappyReader(r io.Reader, file string) *snappyReader {
	return &snappyReader{r: r, file: file}
}

func (s *snappyReader) bad(at int64, format string, args ...any) error {
	return &FormatError{File: s.file, Offset: at, Reason: "snappy stream: " + fmt.Sprintf(format, args...)}
}

func (s *snappyReader) Read(p []byte) (int, error) {
	for len(s.out) == 0 {
		if err := s.next(); err != nil {
			return 0, err
		}
	}
	n := copy(p, s.out)
	s.out = s.out[n:]
	return n, nil
}

// next decodes the next block into out; io.EOF at a clean end.
func (s *snappyReader) next() error {
	var word [4]byte
	at := s.off
	n, err := io.ReadFull(s.r, word[:])
	s.off += int64(n)
	switch {
	case err == io.EOF && s.header:
		return io.EOF
	case err != nil:
		return s.bad(at, "cut short (block length)")
	}
	if !s.header || word[0] == xerialMagic[0] {
		// A header: the first one, or a concatenated stream's.
		var rest [xerialHeaderLen - 4]byte
		n, err := io.ReadFull(s.r, rest[:])
		s.off += int64(n)
		if err != nil {
			return s.bad(at, "cut short (stream header)")
		}
		hdr := append(word[:], rest[:]...)
		if !bytes.Equal(hdr[:8], xerialMagic) {
			return s.bad(at, "magic % x, want % x (not a snappy-java stream)", hdr[:8], xerialMagic)
		}
		if compat := int32(binary.BigEndian.Uint32(hdr[12:])); compat > 1 {
			return s.bad(at+12, "needs format version %d, this reader knows 1", compat)
		}
		s.header = true
		return nil
	}
	size := binary.BigEndian.Uint32(word[:])
	if size == 0 || size > xerialMaxBlock {
		return s.bad(at, "block length %d", size)
	}
	if cap(s.buf) < int(size) {
		s.buf = make([]byte, size)
	}
	s.buf = s.buf[:size]
	n, err = io.ReadFull(s.r, s.buf)
	s.off += int64(n)
	if err != nil {
		return s.bad(at, "cut short: block of %d bytes, %d present", size, n)
	}
	dlen, err := snappy.DecodedLen(s.buf)
	switch {
	case err != nil:
		return s.bad(at+4, "block header: %v", err)
	case dlen > xerialMaxBlock:
		return s.bad(at+4, "block decodes to %d bytes", dlen)
	}
	out, err := snappy.Decode(nil, s.buf)
	if err != nil {
		return s.bad(at+4, "block: %v", err)
	}
	s.out = out
	return nil
}
