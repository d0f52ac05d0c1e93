package compat

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"zkd/zkd/proto"
)

// rawConn speaks the wire protocol directly, for what go-zookeeper cannot
// show: handshake sizes and fields, a wrong password, create2's stat.
type rawConn struct {
	t *testing.T
	c net.Conn
}

// rawTimeout bounds each raw read or write.
const rawTimeout = 5 * time.Second

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, rawTimeout)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, c: c}
}

// send writes one frame holding the records back to back.
func (r *rawConn) send(recs ...proto.Record) {
	r.t.Helper()
	e := proto.NewEncoder(make([]byte, 4, 256))
	for _, rec := range recs {
		rec.Encode(e)
	}
	b := e.Bytes()
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	r.c.SetWriteDeadline(time.Now().Add(rawTimeout))
	if _, err := r.c.Write(b); err != nil {
		r.t.Fatalf("raw send: %v", err)
	}
}

// recv reads one frame; io.EOF means the server closed the connection.
func (r *rawConn) recv() ([]byte, error) {
	r.c.SetReadDeadline(time.Now().Add(rawTimeout))
	var hdr [4]byte
	if _, err := io.ReadFull(r.c, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n > 16<<20 {
		return nil, fmt.Errorf("frame of %d bytes", n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r.c, b); err != nil {
		return nil, err
	}
	return b, nil
}

// expectClosed asserts the server closes the connection without sending
// anything more.
func (r *rawConn) expectClosed() {
	r.t.Helper()
	b, err := r.recv()
	if !errors.Is(err, io.EOF) && !isReset(err) {
		r.t.Fatalf("want the connection closed, got frame %x, %v", b, err)
	}
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && !op.Timeout()
}

// handshake sends a ConnectRequest and returns the response and its size.
func (r *rawConn) handshake(req proto.ConnectRequest) (proto.ConnectResponse, int) {
	r.t.Helper()
	r.send(&req)
	b, err := r.recv()
	if err != nil {
		r.t.Fatalf("handshake: %v", err)
	}
	var resp proto.ConnectResponse
	if err := proto.Decode(b, &resp); err != nil {
		r.t.Fatalf("decode ConnectResponse %x: %v", b, err)
	}
	return resp, len(b)
}

// call sends a request and decodes the reply body into resp when the reply
// is not an error; the body must be exactly resp, no byte more. Watch
// events (xid -1) before the reply are skipped.
func (r *rawConn) call(xid int32, op proto.OpCode, req, resp proto.Record) proto.ReplyHeader {
	r.t.Helper()
	if req == nil {
		r.send(&proto.RequestHeader{Xid: xid, Type: op})
	} else {
		r.send(&proto.RequestHeader{Xid: xid, Type: op}, req)
	}
	for {
		b, err := r.recv()
		if err != nil {
			r.t.Fatalf("%v reply: %v", op, err)
		}
		d := proto.NewDecoder(b)
		var h proto.ReplyHeader
		h.Decode(d)
		if h.Xid == proto.XidNotification {
			continue
		}
		if h.Xid != xid {
			r.t.Fatalf("%v reply xid %d, want %d", op, h.Xid, xid)
		}
		if h.Err == proto.ErrOK && resp != nil {
			resp.Decode(d)
			if d.Err() != nil {
				r.t.Fatalf("decode %v reply: %v", op, d.Err())
			}
			if d.Remaining() != 0 {
				r.t.Fatalf("%v reply has %d bytes after %T", op, d.Remaining(), resp)
			}
		}
		return h
	}
}

// newRawSession dials addr and creates a session asking for timeoutMs.
func newRawSession(t *testing.T, addr string, timeoutMs int32) (*rawConn, proto.ConnectResponse) {
	t.Helper()
	r := dialRaw(t, addr)
	resp, _ := r.handshake(proto.ConnectRequest{TimeOut: timeoutMs, Passwd: make([]byte, 16)})
	if resp.SessionID == 0 {
		t.Fatalf("no session: %+v", resp)
	}
	return r, resp
}
