package bench

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"time"

	"zkd/zkd/proto"
)

// ErrProtocol is returned when a server's reply does not fit the protocol:
// a short header, or a reply whose xid is not the oldest outstanding one.
var ErrProtocol = errors.New("bench: protocol violation")

// ErrSessionRefused is returned by Dial when the server answers the
// handshake with session id 0 (it refuses or is not serving).
var ErrSessionRefused = errors.New("bench: session refused")

// closeWait bounds how long Close waits for the reply to closeSession.
const closeWait = time.Second

// readBufSize is the socket read buffer: large enough that a burst of
// pipelined replies is decoded from memory, one read system call for many.
const readBufSize = 64 << 10

// Conn is one ZooKeeper session on one TCP connection, written for load
// generation: requests are appended to a buffer and written by Flush, so
// many go out in one write; replies are read one at a time, in order.
// There is no reconnect, no ping loop and no watch bookkeeping: a run is
// short, every session is busy throughout, and a broken connection is an
// error to report, not to hide.
//
// A Conn is used by one goroutine at a time.
type Conn struct {
	nc  net.Conn
	br  *bufio.Reader
	out []byte // requests appended since the last Flush
	buf []byte // frame buffer reused by ReadReply
	xid int32  // last xid handed out

	// SessionID, Passwd and Timeout are what the server granted.
	SessionID int64
	Passwd    []byte
	Timeout   time.Duration
	// LastZxid is the largest zxid of a reply read so far (what a client
	// sends as lastZxidSeen when it reconnects).
	LastZxid int64
}

// Resume names an existing session for DialSession: its id and password,
// and the last zxid the client saw.
type Resume struct {
	SessionID int64
	Passwd    []byte
	LastZxid  int64
}

// Dial connects to addr (host:port) and establishes a new session asking
// for the given timeout. The whole handshake is bounded by ctx.
func Dial(ctx context.Context, addr string, sessionTimeout time.Duration) (*Conn, error) {
	return DialSession(ctx, addr, sessionTimeout, Resume{})
}

// DialSession connects to addr and resumes the session r names (a new
// session when r.SessionID is 0), as a client does when it moves to
// another server. A server that refuses (the session expired, or it does
// not serve) answers with session id 0 or closes the connection.
func DialSession(ctx context.Context, addr string, sessionTimeout time.Duration, r Resume) (*Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("bench: dial %s: %w", addr, err)
	}
	c := &Conn{nc: nc, br: bufio.NewReaderSize(nc, readBufSize), LastZxid: r.LastZxid}
	if err := c.handshake(ctx, sessionTimeout, r); err != nil {
		nc.Close()
		return nil, fmt.Errorf("bench: session with %s: %w", addr, err)
	}
	return c, nil
}

func (c *Conn) handshake(ctx context.Context, timeout time.Duration, r Resume) error {
	if dl, ok := ctx.Deadline(); ok {
		if err := c.nc.SetDeadline(dl); err != nil {
			return err
		}
		defer c.nc.SetDeadline(time.Time{})
	}
	stop := context.AfterFunc(ctx, func() { c.nc.SetDeadline(time.Now()) })
	defer stop()
	req := proto.ConnectRequest{
		LastZxidSeen: r.LastZxid,
		TimeOut:      int32(timeout / time.Millisecond),
		SessionID:    r.SessionID,
		Passwd:       r.Passwd,
		HasReadOnly:  true,
	}
	if len(req.Passwd) == 0 {
		req.Passwd = make([]byte, proto.SessionPasswdLen)
	}
	if _, err := c.nc.Write(proto.AppendFrame(nil, &req)); err != nil {
		return fmt.Errorf("send connect request: %w", err)
	}
	frame, err := proto.ReadFrame(c.br, nil, proto.DefaultMaxBuffer)
	if err != nil {
		return fmt.Errorf("read connect response: %w", err)
	}
	var resp proto.ConnectResponse
	if err := proto.Decode(frame, &resp); err != nil {
		return fmt.Errorf("decode connect response: %w", err)
	}
	if resp.SessionID == 0 {
		return ErrSessionRefused
	}
	c.SessionID = resp.SessionID
	c.Passwd = resp.Passwd
	c.Timeout = time.Duration(resp.TimeOut) * time.Millisecond
	return nil
}

// Append encodes a request into the write buffer and returns its xid. It
// is sent by the next Flush.
func (c *Conn) Append(op proto.OpCode, rec proto.Record) int32 {
	c.xid++
	if c.xid <= 0 { // wrapped: the negative xids are reserved
		c.xid = 1
	}
	c.out = proto.AppendRequest(c.out, proto.RequestHeader{Xid: c.xid, Type: op}, rec)
	return c.xid
}

// Buffered reports whether replies already read from the socket are
// waiting to be decoded, i.e. whether ReadReply will return without
// blocking.
func (c *Conn) Buffered() bool { return c.br.Buffered() > 0 }

// Flush writes every appended request in one write.
func (c *Conn) Flush() error {
	if len(c.out) == 0 {
		return nil
	}
	_, err := c.nc.Write(c.out)
	c.out = c.out[:0]
	if err != nil {
		return fmt.Errorf("bench: send requests: %w", err)
	}
	return nil
}

// SetReadDeadline bounds the next reads.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.nc.SetReadDeadline(t) }

// ReadReply reads the next frame and returns its header and body. The body
// is only valid until the next ReadReply.
func (c *Conn) ReadReply() (proto.ReplyHeader, []byte, error) {
	frame, err := proto.ReadFrame(c.br, c.buf, proto.DefaultMaxBuffer)
	if err != nil {
		return proto.ReplyHeader{}, nil, fmt.Errorf("bench: read reply: %w", err)
	}
	c.buf = frame[:0]
	if len(frame) < proto.ReplyHeaderSize {
		return proto.ReplyHeader{}, nil, fmt.Errorf("%w: %d-byte reply", ErrProtocol, len(frame))
	}
	h := proto.ReplyHeader{
		Xid:  int32(binary.BigEndian.Uint32(frame)),
		Zxid: int64(binary.BigEndian.Uint64(frame[4:])),
		Err:  proto.ErrCode(int32(binary.BigEndian.Uint32(frame[12:]))),
	}
	if h.Zxid > c.LastZxid {
		c.LastZxid = h.Zxid
	}
	return h, frame[proto.ReplyHeaderSize:], nil
}

// Call sends one request and waits for its reply, decoding the body into
// resp when resp is non-nil and the request succeeded. Watch notifications
// that arrive meanwhile are dropped. A failed request returns its
// proto.ErrCode (match it with errors.Is). Nothing else may be outstanding.
func (c *Conn) Call(ctx context.Context, op proto.OpCode, req, resp proto.Record) error {
	if dl, ok := ctx.Deadline(); ok {
		if err := c.nc.SetReadDeadline(dl); err != nil {
			return err
		}
		defer c.nc.SetReadDeadline(time.Time{})
	}
	stop := context.AfterFunc(ctx, func() { c.nc.SetReadDeadline(time.Now()) })
	defer stop()
	xid := c.Append(op, req)
	if err := c.Flush(); err != nil {
		return err
	}
	for {
		h, body, err := c.ReadReply()
		if err != nil {
			return fmt.Errorf("%v: %w", op, err)
		}
		switch {
		case h.Xid == proto.XidNotification || h.Xid == proto.XidPing:
			continue
		case h.Xid != xid:
			return fmt.Errorf("%w: %v: reply xid %d, want %d", ErrProtocol, op, h.Xid, xid)
		case h.Err != proto.ErrOK:
			return h.Err
		case resp != nil:
			if err := proto.Decode(body, resp); err != nil {
				return fmt.Errorf("%v: decode reply: %w", op, err)
			}
		}
		return nil
	}
}

// Close ends the session politely (closeSession, with a short wait for its
// reply, so the server frees it now rather than at its timeout) and closes
// the connection. Outstanding replies are discarded.
func (c *Conn) Close() error {
	c.nc.SetDeadline(time.Now().Add(closeWait))
	c.out = c.out[:0]
	xid := c.Append(proto.OpCloseSession, nil)
	if err := c.Flush(); err == nil {
		for {
			h, _, err := c.ReadReply()
			if err != nil || h.Xid == xid {
				break
			}
		}
	}
	return c.nc.Close()
}

// Abort closes the connection without ending the session, unblocking any
// read in progress.
func (c *Conn) Abort() error { return c.nc.Close() }
