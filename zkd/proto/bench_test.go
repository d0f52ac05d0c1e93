package proto

import (
	"bytes"
	"testing"
)

// The codec's benchmarks, with allocation counts: what the server does per
// request (read a frame, decode header and body) and per reply (append a
// framed reply to a reused buffer). Run with
//
//	go test ./zkd/proto -run '^$' -bench . -benchmem

var benchValue = bytes.Repeat([]byte{'v'}, 100) // bench's default value size

var benchStat = Stat{Czxid: 0x100000002, Mzxid: 0x100000fff, Ctime: 1700000000000, Mtime: 1700000001000,
	Version: 7, DataLength: 100, Pzxid: 0x100000002}

// benchRequests are the requests the load generator sends most.
var benchRequests = []struct {
	name string
	op   OpCode
	body Record
}{
	{"getData", OpGetData, &GetDataRequest{Path: "/bench/key-000042", Watch: false}},
	{"exists", OpExists, &ExistsRequest{Path: "/bench/key-000042", Watch: true}},
	{"setData", OpSetData, &SetDataRequest{Path: "/bench/key-000042", Data: benchValue, Version: -1}},
	{"create", OpCreate, &CreateRequest{Path: "/bench/key-000042", Data: benchValue, ACL: OpenACLUnsafe()}},
	{"getChildren2", OpGetChildren2, &GetChildren2Request{Path: "/bench"}},
	{"multi3", OpMulti, &MultiRequest{Ops: []MultiOp{
		{Type: OpCheck, Request: &CheckVersionRequest{Path: "/bench", Version: 3}},
		{Type: OpSetData, Request: &SetDataRequest{Path: "/bench/key-000042", Data: benchValue, Version: -1}},
		{Type: OpCreate, Request: &CreateRequest{Path: "/bench/key-000043", Data: benchValue, ACL: OpenACLUnsafe()}},
	}}},
}

// BenchmarkDecodeRequest: a request frame's payload to its header and body
// record, as zkd/server does it (the header with a Decoder of its own,
// then RequestFor and Decode).
func BenchmarkDecodeRequest(b *testing.B) {
	for _, tc := range benchRequests {
		frame := AppendRequest(nil, RequestHeader{Xid: 42, Type: tc.op}, tc.body)[4:]
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(frame)))
			for b.Loop() {
				var h RequestHeader
				d := NewDecoder(frame)
				h.Decode(d)
				req := RequestFor(h.Type)
				if err := Decode(d.Rest(), req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAppendReply: a reply framed into a buffer the connection reuses.
func BenchmarkAppendReply(b *testing.B) {
	replies := []struct {
		name string
		body Record
	}{
		{"getData", &GetDataResponse{Data: benchValue, Stat: benchStat}},
		{"setData", &SetDataResponse{Stat: benchStat}},
		{"create", &CreateResponse{Path: "/bench/key-000042"}},
		{"getChildren", &GetChildrenResponse{Children: []string{"key-000001", "key-000002", "key-000003", "key-000004"}}},
		{"error", nil},
	}
	for _, tc := range replies {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			var buf []byte
			for b.Loop() {
				buf = AppendReply(buf[:0], ReplyHeader{Xid: 42, Zxid: 0x100000fff}, tc.body)
			}
			b.SetBytes(int64(len(buf)))
		})
	}
}

// BenchmarkReadFrame: frames read back to back from a stream into one
// reused buffer, as a connection's reader does.
func BenchmarkReadFrame(b *testing.B) {
	frame := AppendRequest(nil, RequestHeader{Xid: 42, Type: OpSetData},
		&SetDataRequest{Path: "/bench/key-000042", Data: benchValue, Version: -1})
	const perStream = 1024
	stream := bytes.Repeat(frame, perStream)
	r := bytes.NewReader(stream)
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	var buf []byte
	n := 0
	for b.Loop() {
		if n == perStream {
			r.Reset(stream)
			n = 0
		}
		p, err := ReadFrame(r, buf, 1<<20)
		if err != nil {
			b.Fatal(err)
		}
		buf, n = p, n+1
	}
}
