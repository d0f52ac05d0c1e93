package proto

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ErrFrameTooLarge is returned by ReadFrame for a length prefix that is
// negative or above the limit (3.8 logs "Len error" and closes the
// connection). The four bytes of a four-letter word ("ruok" = 0x72756f6b)
// read as a length also land here.
var ErrFrameTooLarge = errors.New("proto: frame length out of range")

// frameGrowStep is the first allocation ReadFrame makes for a frame larger
// than the buffer it was given; it doubles from there as bytes arrive, so a
// peer that announces a large frame and sends little costs little memory.
const frameGrowStep = 64 << 10

// defaultFrameBuf is the buffer ReadFrame allocates when given none.
const defaultFrameBuf = 512

// ReadFrame reads one length-prefixed packet from r and returns its payload.
// The payload reuses buf when it fits (pass the previous result back in to
// keep reusing it); the result is only valid until buf is reused.
//
// Errors: io.EOF if r ends cleanly before a frame starts; an error wrapping
// io.ErrUnexpectedEOF if it ends inside one; an error wrapping
// ErrFrameTooLarge if the length is negative or above maxLen; otherwise r's
// own error, wrapped.
func ReadFrame(r io.Reader, buf []byte, maxLen int) ([]byte, error) {
	if cap(buf) < 4 {
		buf = make([]byte, 0, defaultFrameBuf)
	}
	hdr := buf[:4]
	if _, err := io.ReadFull(r, hdr); err != nil {
		if err == io.EOF {
			return nil, io.EOF
		}
		return nil, fmt.Errorf("proto: reading frame length: %w", err)
	}
	n := int64(int32(binary.BigEndian.Uint32(hdr)))
	if n < 0 || n > int64(maxLen) {
		return nil, fmt.Errorf("%w: %d bytes (max %d)", ErrFrameTooLarge, n, maxLen)
	}
	size := int(n)
	p := buf[:0]
	for len(p) < size {
		if len(p) == cap(p) {
			p = growFrame(p, size)
		}
		k, err := io.ReadFull(r, p[len(p):min(cap(p), size)])
		p = p[:len(p)+k]
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("proto: reading frame (%d of %d bytes): %w", len(p), size, err)
		}
	}
	return p, nil
}

// growFrame returns p copied into a larger buffer: double its capacity, at
// least frameGrowStep, at most size. Only called when len(p) == cap(p) < size.
func growFrame(p []byte, size int) []byte {
	c := max(2*cap(p), frameGrowStep)
	c = min(c, size)
	np := make([]byte, len(p), c)
	copy(np, p)
	return np
}

// AppendFrame appends a frame holding r alone, as the handshake records
// (ConnectRequest, ConnectResponse) are sent.
func AppendFrame(buf []byte, r Record) []byte {
	off := len(buf)
	return Frame(Encode(append(buf, 0, 0, 0, 0), r), off)
}

// AppendRequest appends a request frame: length, h, then r (nil for ops
// without a body).
func AppendRequest(buf []byte, h RequestHeader, r Record) []byte {
	off := len(buf)
	buf = append(buf, 0, 0, 0, 0)
	buf = binary.BigEndian.AppendUint32(buf, uint32(h.Xid))
	buf = binary.BigEndian.AppendUint32(buf, uint32(h.Type))
	return appendBody(buf, off, r)
}

// AppendReply appends a reply frame: length, h, then r (nil for a header
// alone, e.g. after an error).
func AppendReply(buf []byte, h ReplyHeader, r Record) []byte {
	off := len(buf)
	buf = append(buf, 0, 0, 0, 0)
	buf = binary.BigEndian.AppendUint32(buf, uint32(h.Xid))
	buf = binary.BigEndian.AppendUint64(buf, uint64(h.Zxid))
	buf = binary.BigEndian.AppendUint32(buf, uint32(h.Err))
	return appendBody(buf, off, r)
}

// notificationZxid is the zxid 3.8 puts in the header of a watch
// notification (ServerCnxn.process: -1, not the zxid of the change).
const notificationZxid = -1

// AppendNotification appends a watch notification frame: a reply header
// with xid XidNotification, zxid -1 and err 0, then ev.
func AppendNotification(buf []byte, ev *WatcherEvent) []byte {
	return AppendReply(buf, ReplyHeader{Xid: XidNotification, Zxid: notificationZxid}, ev)
}

func appendBody(buf []byte, off int, r Record) []byte {
	if r != nil {
		buf = Encode(buf, r)
	}
	return Frame(buf, off)
}
