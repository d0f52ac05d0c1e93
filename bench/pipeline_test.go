package bench

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"zkd/zkd/proto"
)

// fakeServer is a loopback server that grants a session and answers every
// request with an empty OK reply, in order, or with the first two replies
// swapped when swap is set. It is enough to test and benchmark the client
// side of the pipeline on its own.
func fakeServer(t testing.TB, swap bool) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			go serveFake(nc, swap)
		}
	}()
	return l.Addr().String()
}

func serveFake(nc net.Conn, swap bool) {
	defer nc.Close()
	br := bufio.NewReader(nc)
	bw := bufio.NewWriter(nc)
	if _, err := proto.ReadFrame(br, nil, proto.DefaultMaxBuffer); err != nil {
		return
	}
	resp := proto.ConnectResponse{TimeOut: 30000, SessionID: 1, Passwd: make([]byte, proto.SessionPasswdLen)}
	bw.Write(proto.AppendFrame(nil, &resp))
	bw.Flush()
	var buf, out []byte
	var held []byte // swap: the first reply, sent after the second
	for n := 0; ; n++ {
		frame, err := proto.ReadFrame(br, buf, proto.DefaultMaxBuffer)
		if err != nil {
			return
		}
		buf = frame[:0]
		xid := int32(binary.BigEndian.Uint32(frame))
		out = proto.AppendReply(out[:0], proto.ReplyHeader{Xid: xid, Zxid: int64(n)}, nil)
		switch {
		case swap && n == 0:
			held = append([]byte(nil), out...)
			continue
		case swap && n == 1:
			out = append(out, held...)
		}
		bw.Write(out)
		if br.Buffered() == 0 {
			if bw.Flush() != nil {
				return
			}
		}
	}
}

// countSource sends n exists requests and counts the replies.
type countSource struct {
	left, replies int
	req           proto.ExistsRequest
}

func (s *countSource) next(time.Time) (OpKind, proto.OpCode, proto.Record, bool) {
	if s.left == 0 {
		return 0, 0, nil, false
	}
	s.left--
	return KindExists, proto.OpExists, &s.req, true
}

func (s *countSource) done(OpKind, proto.ReplyHeader, []byte, time.Time, time.Time) { s.replies++ }

func dialFake(t testing.TB, swap bool) *Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := Dial(ctx, fakeServer(t, swap), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Abort() })
	return c
}

func TestPipelineAnswersEveryRequest(t *testing.T) {
	for _, depth := range []int{1, 3, 64} {
		c := dialFake(t, false)
		src := &countSource{left: 1000, req: proto.ExistsRequest{Path: "/a"}}
		if err := pipeline(c, depth, src, 5*time.Second); err != nil {
			t.Fatalf("depth %d: %v", depth, err)
		}
		if src.replies != 1000 {
			t.Errorf("depth %d: %d replies to 1000 requests", depth, src.replies)
		}
	}
}

func TestPipelineRefusesRepliesOutOfOrder(t *testing.T) {
	c := dialFake(t, true)
	src := &countSource{left: 10, req: proto.ExistsRequest{Path: "/a"}}
	if err := pipeline(c, 4, src, 5*time.Second); !errors.Is(err, ErrProtocol) {
		t.Fatalf("swapped replies: %v, want ErrProtocol", err)
	}
}

// BenchmarkPipeline is the load generator's cost per request (encode,
// write, read, match) against a server that does nothing; allocations
// per op should stay at zero.
func BenchmarkPipeline(b *testing.B) {
	c := dialFake(b, false)
	var st stats
	keys := []string{"/zkbench/k/0000000", "/zkbench/k/0000001"}
	cfg := &Config{Mix: MustParseMix("get"), Root: DefaultRoot}
	far := time.Now().Add(time.Hour)
	var budget atomic.Int64
	budget.Store(int64(b.N))
	src := newLoadSource(cfg, 0, "b", keys, nil, window{start: time.Now(), end: far}, &budget, &st)
	b.ReportAllocs()
	b.ResetTimer()
	if err := pipeline(c, 16, src, 5*time.Second); err != nil {
		b.Fatal(err)
	}
	if got := st.kinds[KindGet].hist.Count(); got != uint64(b.N) {
		b.Fatalf("%d replies for %d requests", got, b.N)
	}
}
