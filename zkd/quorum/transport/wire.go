package transport

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// Part of the wire format: changing any of these breaks mixed-version
// ensembles, so a change bumps Version.
const (
	// Version is the handshake version this package speaks. 2 added the
	// membership digest.
	Version = 2

	magic           = "ZKDP"
	handshakeSize   = 32 // magic 4 | version 1 | kind 1 | reserved 2 | from 8 | to 8 | membership 8
	frameHeaderSize = 8  // length 4 | crc32c 4

	kindStream   = 0 // ordered raft messages, kept open
	kindSnapshot = 1 // one MsgSnap frame, acknowledged, then closed
)

// Handshake status bytes the acceptor answers with (part of the wire format).
const (
	statusOK          byte = 0
	statusBadVersion  byte = 1
	statusWrongTo     byte = 2
	statusUnknownFrom byte = 3
	statusBadKind     byte = 4
	statusMembership  byte = 5
)

// Snapshot acknowledgement bytes (part of the wire format).
const (
	snapAccepted byte = 0
	snapRefused  byte = 1
)

var (
	// ErrBadMagic means the connection does not speak this protocol.
	ErrBadMagic = errors.New("transport: not a zkd peer connection (bad magic)")
	// ErrFrameTooLarge means a frame's length is over the configured bound;
	// the connection is closed rather than allocating it.
	ErrFrameTooLarge = errors.New("transport: frame longer than the limit")
	// ErrChecksum means a frame's CRC-32C does not match its payload.
	ErrChecksum = errors.New("transport: frame checksum mismatch")
	// ErrRejected means the acceptor refused the handshake.
	ErrRejected = errors.New("transport: handshake rejected")
)

// errDecode means a frame passed its checksum but is not a raft message.
var errDecode = errors.New("transport: frame is not a raft message")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// handshake opens every connection; the dialer sends it, the acceptor
// answers one status byte.
type handshake struct {
	version    uint8
	kind       uint8
	from       uint64
	to         uint64
	membership uint64 // Config.Membership of the dialer
}

func appendHandshake(b []byte, h handshake) []byte {
	b = append(b, magic...)
	b = append(b, h.version, h.kind, 0, 0)
	b = binary.BigEndian.AppendUint64(b, h.from)
	b = binary.BigEndian.AppendUint64(b, h.to)
	return binary.BigEndian.AppendUint64(b, h.membership)
}

// parseHandshake decodes a handshake. Only the magic is checked here; the
// acceptor judges version, kind and ids so it can answer with a status.
func parseHandshake(b []byte) (handshake, error) {
	if len(b) != handshakeSize || !bytes.Equal(b[:4], []byte(magic)) {
		return handshake{}, ErrBadMagic
	}
	return handshake{
		version:    b[4],
		kind:       b[5],
		from:       binary.BigEndian.Uint64(b[8:16]),
		to:         binary.BigEndian.Uint64(b[16:24]),
		membership: binary.BigEndian.Uint64(b[24:32]),
	}, nil
}

// statusText names a handshake status for log lines.
func statusText(s byte) string {
	switch s {
	case statusOK:
		return "ok"
	case statusBadVersion:
		return "unsupported protocol version"
	case statusWrongTo:
		return "wrong member id (the peer has another myid than our server list says)"
	case statusUnknownFrom:
		return "we are not in the peer's server list"
	case statusBadKind:
		return "unknown connection kind"
	case statusMembership:
		return "the peer's server list differs from ours (member ids or participant/observer roles): every member must list the same server.N lines"
	default:
		return fmt.Sprintf("status %d", s)
	}
}

// appendFrame appends m as one frame. A message whose encoding exceeds
// limit is refused with ErrFrameTooLarge and b is returned unchanged.
func appendFrame(b []byte, m *pb.Message, limit int) ([]byte, error) {
	start := len(b)
	b = append(b, make([]byte, frameHeaderSize)...)
	b, err := proto.MarshalOptions{}.MarshalAppend(b, m)
	if err != nil {
		return b[:start], fmt.Errorf("transport: encoding %s: %w", m.GetType(), err)
	}
	n := len(b) - start - frameHeaderSize
	if n > limit {
		return b[:start], fmt.Errorf("%w: %s of %d bytes, limit %d", ErrFrameTooLarge, m.GetType(), n, limit)
	}
	payload := b[start+frameHeaderSize:]
	binary.BigEndian.PutUint32(b[start:], uint32(n))
	binary.BigEndian.PutUint32(b[start+4:], crc32.Checksum(payload, castagnoli))
	return b, nil
}

// readFrame reads one frame and returns its checked payload, using *buf
// when it is large enough (the payload is valid until the next call). A
// clean end of stream before a header is io.EOF; one inside a frame is
// io.ErrUnexpectedEOF.
func readFrame(r io.Reader, buf *[]byte, limit int) ([]byte, error) {
	var hdr [frameHeaderSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:4])
	if uint64(n) > uint64(limit) {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, n, limit)
	}
	var payload []byte
	if int(n) <= cap(*buf) {
		payload = (*buf)[:n]
	} else {
		payload = make([]byte, n)
		if n <= maxKeptBuffer {
			*buf = payload
		}
	}
	if _, err := io.ReadFull(r, payload); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if got, want := crc32.Checksum(payload, castagnoli), binary.BigEndian.Uint32(hdr[4:]); got != want {
		return nil, fmt.Errorf("%w: %d-byte frame, crc32c %08x, header says %08x", ErrChecksum, n, got, want)
	}
	return payload, nil
}

// decodeMessage unmarshals a frame's payload. protobuf-go copies bytes
// fields, so the message does not alias the read buffer.
func decodeMessage(payload []byte) (*pb.Message, error) {
	m := &pb.Message{}
	if err := proto.Unmarshal(payload, m); err != nil {
		return nil, fmt.Errorf("%w (%d bytes): %v", errDecode, len(payload), err)
	}
	return m, nil
}

// maxKeptBuffer bounds the buffers kept between frames and batches, so one
// large message does not pin its memory for the life of a connection.
const maxKeptBuffer = 4 << 20
