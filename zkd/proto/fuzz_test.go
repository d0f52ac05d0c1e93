package proto

import (
	"bytes"
	"reflect"
	"testing"
)

// Fuzz targets: decoding must never panic, must allocate in proportion to
// the input (never to a length the input merely claims), and whatever
// decodes must encode to bytes that decode and encode to the same bytes.
//
//	go test ./zkd/proto -run '^$' -fuzz FuzzRequest -fuzztime 20s

// allocBudget is what decoding n input bytes may allocate: a generous
// multiple (Go values are larger than their wire form, and slices grow by
// doubling) plus slack for error values and for the fuzzing engine's own
// allocations, which share the counters.
func allocBudget(n int) uint64 { return uint64(32*n) + 64<<10 }

// checkDecode decodes in into rec, bounding its allocations, and if it
// decodes, checks that its encoding decodes and encodes to the same bytes,
// and with exact to the same value too. (Responses are not exact: they write
// a null vector they decoded as nil back as an empty one, by design.)
func checkDecode(t *testing.T, in []byte, rec Record, fresh func() Record, exact bool) {
	t.Helper()
	var err error
	n := allocatedBytes(func() { err = Decode(in, rec) })
	if n > allocBudget(len(in)) {
		t.Fatalf("decoding %d bytes into %T allocated %d bytes", len(in), rec, n)
	}
	if err != nil {
		return
	}
	out := Encode(nil, rec)
	again := fresh()
	if err := Decode(out, again); err != nil {
		t.Fatalf("%T: re-encoded record does not decode: %v\ninput %x\nout   %x", rec, err, in, out)
	}
	if exact && !reflect.DeepEqual(rec, again) {
		t.Fatalf("%T: decode(encode(x)) != x\n x    %+v\n back %+v", rec, rec, again)
	}
	if out2 := Encode(nil, again); !bytes.Equal(out, out2) {
		t.Fatalf("%T: encoding is not stable\n x    %+v\n back %+v\nout  %x\nout2 %x", rec, rec, again, out, out2)
	}
}

func addRecordSeeds(f *testing.F, add func(rec Record, b []byte)) {
	for _, tc := range roundTripCases() {
		add(tc.rec, Encode(nil, tc.rec))
	}
}

func FuzzReadFrame(f *testing.F) {
	f.Add(AppendRequest(nil, RequestHeader{Xid: 1, Type: OpSync}, &SyncRequest{Path: "/a"}), uint16(100))
	f.Add([]byte("ruok"), uint16(0xffff))
	f.Add(append(lenPrefix(DefaultMaxBuffer), "x"...), uint16(0xffff))
	f.Add(lenPrefix(-1), uint16(10))
	f.Add(append(append(lenPrefix(1), 'a'), lenPrefix(0)...), uint16(1))
	f.Fuzz(func(t *testing.T, in []byte, max16 uint16) {
		maxLen := int(max16) * 16 // up to ~1 MiB, like jute.maxbuffer
		r := bytes.NewReader(in)
		var buf []byte
		n := allocatedBytes(func() {
			for i := 0; i < len(in)+1; i++ { // every frame takes >= 4 bytes
				p, err := ReadFrame(r, buf, maxLen)
				if err != nil {
					return
				}
				if len(p) > maxLen {
					t.Errorf("frame of %d bytes above max %d", len(p), maxLen)
				}
				buf = p
			}
			t.Error("ReadFrame did not stop")
		})
		if n > allocBudget(len(in))+2*frameGrowStep {
			t.Fatalf("reading %d bytes allocated %d", len(in), n)
		}
	})
}

// FuzzRequest decodes a body as the request record of any opcode, as the
// server does after reading a RequestHeader.
func FuzzRequest(f *testing.F) {
	for _, tc := range roundTripCases() {
		for op := range opNames {
			if r := RequestFor(op); r != nil && reflect.TypeOf(r) == reflect.TypeOf(tc.rec) {
				f.Add(int32(op), Encode(nil, tc.rec))
			}
		}
	}
	f.Fuzz(func(t *testing.T, op int32, body []byte) {
		rec := RequestFor(OpCode(op))
		if rec == nil {
			return
		}
		checkDecode(t, body, rec, func() Record { return RequestFor(OpCode(op)) }, true)
	})
}

func FuzzMultiRequest(f *testing.F) {
	addRecordSeeds(f, func(rec Record, b []byte) {
		if _, ok := rec.(*MultiRequest); ok {
			f.Add(b)
		}
	})
	f.Fuzz(func(t *testing.T, body []byte) {
		checkDecode(t, body, &MultiRequest{}, func() Record { return &MultiRequest{} }, true)
	})
}

func FuzzMultiResponse(f *testing.F) {
	addRecordSeeds(f, func(rec Record, b []byte) {
		if _, ok := rec.(*MultiResponse); ok {
			f.Add(b)
		}
	})
	f.Fuzz(func(t *testing.T, body []byte) {
		checkDecode(t, body, &MultiResponse{}, func() Record { return &MultiResponse{} }, false)
	})
}

func FuzzConnectRequest(f *testing.F) {
	addRecordSeeds(f, func(rec Record, b []byte) {
		if _, ok := rec.(*ConnectRequest); ok {
			f.Add(b)
		}
	})
	f.Fuzz(func(t *testing.T, body []byte) {
		checkDecode(t, body, &ConnectRequest{}, func() Record { return &ConnectRequest{} }, true)
	})
}
