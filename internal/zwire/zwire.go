// Package zwire is a ZooKeeper client spoken frame by frame, for tests that
// need what a client library hides: sending into the socket of a frozen
// server without waiting, or going on with a connection the library would
// have dropped once its session moved elsewhere.
package zwire

import (
	"bufio"
	"fmt"
	"net"
	"time"

	"zkd/client"
	"zkd/zkd/proto"
)

// Conn is one client connection with a session.
type Conn struct {
	nc  net.Conn
	br  *bufio.Reader
	xid int32

	SessionID int64
	Passwd    []byte
	Timeout   int32 // negotiated, ms
}

// maxFrame bounds one reply frame (ZooKeeper's jute.maxbuffer default).
const maxFrame = 1 << 20

// Dial connects to addr and opens a session (sessionID 0) or resumes
// one, asking for timeoutMs; it fails if the server refuses the session.
// Each step is bounded by d.
func Dial(addr string, timeoutMs int32, sessionID int64, passwd []byte, d time.Duration) (*Conn, error) {
	nc, err := net.DialTimeout("tcp", addr, d)
	if err != nil {
		return nil, fmt.Errorf("zwire: %s: %w", addr, err)
	}
	if passwd == nil {
		passwd = make([]byte, proto.SessionPasswdLen)
	}
	nc.SetDeadline(time.Now().Add(d)) //nolint:errcheck // the handshake fails then
	resp, err := client.Handshake(nc, &proto.ConnectRequest{TimeOut: timeoutMs, SessionID: sessionID, Passwd: passwd})
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("zwire: %s: %w", addr, err)
	}
	w := &Conn{nc: nc, br: bufio.NewReader(nc)}
	if resp.SessionID == 0 {
		nc.Close()
		return nil, fmt.Errorf("zwire: %s: session %#x refused (expired or wrong password)", addr, sessionID)
	}
	w.SessionID, w.Passwd, w.Timeout = resp.SessionID, resp.Passwd, resp.TimeOut
	return w, nil
}

func (w *Conn) write(b []byte, d time.Duration) error {
	w.nc.SetWriteDeadline(time.Now().Add(d)) //nolint:errcheck // the write fails then
	_, err := w.nc.Write(b)
	return err
}

// Send writes one request (req nil for ops without a body) and returns its
// xid without waiting for the reply.
func (w *Conn) Send(op proto.OpCode, req proto.Record, d time.Duration) (int32, error) {
	w.xid++
	b := proto.AppendRequest(nil, proto.RequestHeader{Xid: w.xid, Type: op}, req)
	if err := w.write(b, d); err != nil {
		return 0, fmt.Errorf("zwire: sending %v: %w", op, err)
	}
	return w.xid, nil
}

// Recv reads the next reply that is not a watch notification, within d.
// It returns the reply's header and body; an error (io.EOF, a reset) when
// the server closed the connection instead.
func (w *Conn) Recv(d time.Duration) (proto.ReplyHeader, []byte, error) {
	w.nc.SetReadDeadline(time.Now().Add(d)) //nolint:errcheck // the read fails then
	for {
		frame, err := proto.ReadFrame(w.br, nil, maxFrame)
		if err != nil {
			return proto.ReplyHeader{}, nil, err
		}
		var hdr proto.ReplyHeader
		dec := proto.NewDecoder(frame)
		hdr.Decode(dec)
		if err := dec.Err(); err != nil {
			return hdr, nil, fmt.Errorf("zwire: reply header: %w", err)
		}
		if hdr.Xid != proto.XidNotification {
			return hdr, frame[len(frame)-dec.Remaining():], nil
		}
	}
}

// Close closes the connection without closing the session.
func (w *Conn) Close() error { return w.nc.Close() }
