package transport

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"testing"

	"google.golang.org/protobuf/proto"
)

func TestFrameRoundTrip(t *testing.T) {
	for _, size := range []int{0, 1, 100, 64<<10 - 1, 64 << 10, 1 << 20} {
		m := app(1, 2, 7)
		m.Entries[0].Data = bytes.Repeat([]byte{0xab}, size)
		b, err := appendFrame([]byte("prefix"), m, DefaultMaxFrameSize)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if !bytes.HasPrefix(b, []byte("prefix")) {
			t.Fatalf("size %d: appendFrame lost the prefix", size)
		}
		var buf []byte
		payload, err := readFrame(bytes.NewReader(b[len("prefix"):]), &buf, DefaultMaxFrameSize)
		if err != nil {
			t.Fatalf("size %d: readFrame: %v", size, err)
		}
		got, err := decodeMessage(payload)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if !proto.Equal(got, m) {
			t.Fatalf("size %d: decoded message differs", size)
		}
	}
}

func TestFrameErrors(t *testing.T) {
	good, err := appendFrame(nil, app(1, 2, 1), DefaultMaxFrameSize)
	if err != nil {
		t.Fatal(err)
	}
	mutate := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	tests := []struct {
		name  string
		input []byte
		limit int
		want  error
	}{
		{"empty stream", nil, DefaultMaxFrameSize, io.EOF},
		{"torn header", good[:5], DefaultMaxFrameSize, io.ErrUnexpectedEOF},
		{"torn payload", good[:len(good)-1], DefaultMaxFrameSize, io.ErrUnexpectedEOF},
		{"corrupt crc", mutate(func(b []byte) []byte { b[5] ^= 0xff; return b }), DefaultMaxFrameSize, ErrChecksum},
		{"corrupt payload", mutate(func(b []byte) []byte { b[len(b)-1] ^= 1; return b }), DefaultMaxFrameSize, ErrChecksum},
		{"over the limit", good, len(good) - frameHeaderSize - 1, ErrFrameTooLarge},
		{"huge length", mutate(func(b []byte) []byte { binary.BigEndian.PutUint32(b, 0xffffffff); return b }), DefaultMaxFrameSize, ErrFrameTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf []byte
			_, err := readFrame(bytes.NewReader(tt.input), &buf, tt.limit)
			if !errors.Is(err, tt.want) {
				t.Fatalf("readFrame = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestAppendFrameRefusesOversize(t *testing.T) {
	m := app(1, 2, 1)
	m.Entries[0].Data = make([]byte, 1000)
	b, err := appendFrame([]byte("x"), m, 500)
	if !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("err = %v, want ErrFrameTooLarge", err)
	}
	if string(b) != "x" {
		t.Fatalf("buffer not restored: %q", b)
	}
}

func TestHandshakeEncoding(t *testing.T) {
	hs := handshake{version: Version, kind: kindSnapshot, from: 3, to: 0x0102030405060708, membership: 0xa1a2a3a4a5a6a7a8}
	b := appendHandshake(nil, hs)
	if len(b) != handshakeSize {
		t.Fatalf("handshake is %d bytes, want %d", len(b), handshakeSize)
	}
	want := []byte{'Z', 'K', 'D', 'P', 2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8,
		0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8}
	if !bytes.Equal(b, want) {
		t.Fatalf("handshake bytes\n got %v\nwant %v", b, want)
	}
	got, err := parseHandshake(b)
	if err != nil || got != hs {
		t.Fatalf("parseHandshake = %+v, %v; want %+v", got, err, hs)
	}
	b[0] = 'X'
	if _, err := parseHandshake(b); !errors.Is(err, ErrBadMagic) {
		t.Fatalf("bad magic: err = %v", err)
	}
}

func crc(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }
