package proto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func lenPrefix(n int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(n)) }

func TestReadFrame(t *testing.T) {
	payload := []byte("hello")
	big := bytes.Repeat([]byte{7}, 3*frameGrowStep+5)
	cases := []struct {
		name    string
		in      []byte
		max     int
		want    []byte
		wantErr error
	}{
		{"frame", append(lenPrefix(5), payload...), 100, payload, nil},
		{"empty frame", lenPrefix(0), 100, []byte{}, nil},
		{"exactly max", append(lenPrefix(5), payload...), 5, payload, nil},
		{"above max", append(lenPrefix(6), "hello!"...), 5, nil, ErrFrameTooLarge},
		{"negative", lenPrefix(-1), 100, nil, ErrFrameTooLarge},
		{"four-letter word", []byte("ruok"), DefaultMaxBuffer, nil, ErrFrameTooLarge},
		{"clean EOF", nil, 100, nil, io.EOF},
		{"EOF in length", []byte{0, 0}, 100, nil, io.ErrUnexpectedEOF},
		{"EOF in payload", append(lenPrefix(5), "hel"...), 100, nil, io.ErrUnexpectedEOF},
		{"EOF right after length", lenPrefix(5), 100, nil, io.ErrUnexpectedEOF},
		{"large frame grows", append(lenPrefix(int32(len(big))), big...), DefaultMaxBuffer, big, nil},
		{"large frame cut short", append(lenPrefix(int32(len(big))), big[:frameGrowStep+1]...), DefaultMaxBuffer, nil, io.ErrUnexpectedEOF},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// One byte at a time exercises every short read.
			for _, r := range []io.Reader{bytes.NewReader(tc.in), iotest.OneByteReader(bytes.NewReader(tc.in))} {
				got, err := ReadFrame(r, nil, tc.max)
				if tc.wantErr != nil {
					if !errors.Is(err, tc.wantErr) {
						t.Fatalf("err %v, want %v", err, tc.wantErr)
					}
					if tc.wantErr == io.EOF && err != io.EOF {
						t.Fatalf("clean EOF must be io.EOF itself, got %v", err)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, tc.want) {
					t.Fatalf("got %d bytes, want %d", len(got), len(tc.want))
				}
			}
		})
	}
}

func TestReadFrameTooLargeMentionsLength(t *testing.T) {
	_, err := ReadFrame(bytes.NewReader(lenPrefix(2000000)), nil, DefaultMaxBuffer)
	if !errors.Is(err, ErrFrameTooLarge) || !strings.Contains(err.Error(), "2000000") {
		t.Fatalf("got %v", err)
	}
}

func TestReadFrameReusesBuffer(t *testing.T) {
	var stream []byte
	stream = AppendRequest(stream, RequestHeader{Xid: 1, Type: OpSync}, &SyncRequest{Path: "/a"})
	stream = AppendRequest(stream, RequestHeader{Xid: 2, Type: OpPing}, nil)
	stream = AppendRequest(stream, RequestHeader{Xid: 3, Type: OpSync}, &SyncRequest{Path: "/b"})
	r := bytes.NewReader(stream)
	buf := make([]byte, 0, 64)
	for xid := int32(1); xid <= 3; xid++ {
		got, err := ReadFrame(r, buf, 100)
		if err != nil {
			t.Fatal(err)
		}
		if &got[:1][0] != &buf[:1][0] {
			t.Fatalf("frame %d did not reuse the buffer", xid)
		}
		d := NewDecoder(got)
		var h RequestHeader
		h.Decode(d)
		if h.Xid != xid {
			t.Fatalf("xid %d, want %d", h.Xid, xid)
		}
		buf = got
	}
	if _, err := ReadFrame(r, buf, 100); err != io.EOF {
		t.Fatalf("after the last frame: %v, want io.EOF", err)
	}
}

// TestReadFrameBoundsAllocation: a peer that announces a maximal frame and
// sends a few bytes must not make the server allocate the whole frame.
func TestReadFrameBoundsAllocation(t *testing.T) {
	in := append(lenPrefix(DefaultMaxBuffer), "short"...)
	n := allocatedBytes(func() {
		if _, err := ReadFrame(bytes.NewReader(in), nil, DefaultMaxBuffer); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("got %v, want unexpected EOF", err)
		}
	})
	if n > 2*frameGrowStep {
		t.Fatalf("allocated %d bytes for a 5-byte body", n)
	}
}

func TestGrowFrame(t *testing.T) {
	cases := []struct{ len, size, wantCap int }{
		{0, DefaultMaxBuffer, frameGrowStep},
		{10, DefaultMaxBuffer, frameGrowStep},
		{frameGrowStep, DefaultMaxBuffer, 2 * frameGrowStep},
		{frameGrowStep, frameGrowStep + 3, frameGrowStep + 3},
		{10, 20, 20},
	}
	for _, tc := range cases {
		p := make([]byte, tc.len)
		for i := range p {
			p[i] = byte(i)
		}
		g := growFrame(p, tc.size)
		if cap(g) != tc.wantCap || !bytes.Equal(g, p) {
			t.Errorf("growFrame(len %d, size %d): len %d cap %d, want cap %d", tc.len, tc.size, len(g), cap(g), tc.wantCap)
		}
	}
}

func TestReadFrameNoAllocsWhenBufferFits(t *testing.T) {
	frame := AppendReply(nil, ReplyHeader{Xid: 1}, &SyncResponse{Path: "/abc"})
	r := bytes.NewReader(frame)
	buf := make([]byte, 0, 128)
	allocs := testing.AllocsPerRun(100, func() {
		r.Reset(frame)
		if _, err := ReadFrame(r, buf, 128); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per frame, want 0", allocs)
	}
}

func TestAppendReplyAllocs(t *testing.T) {
	buf := make([]byte, 0, 256)
	resp := &GetDataResponse{Data: []byte("data"), Stat: testStat()}
	allocs := testing.AllocsPerRun(100, func() {
		buf = AppendReply(buf[:0], ReplyHeader{Xid: 1, Zxid: 2}, resp)
	})
	if allocs > 1 {
		t.Fatalf("%v allocations per reply, want at most 1", allocs)
	}
}
