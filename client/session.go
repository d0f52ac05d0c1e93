package client

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"zkd/zkd/proto"
)

// maxFrame bounds a reply; larger than jute.maxbuffer so a big getChildren
// from a server configured with a larger buffer still decodes.
const maxFrame = 16 << 20

// retryPause is the pause after every server of the list failed once.
const retryPause = 500 * time.Millisecond

// conn is one TCP connection carrying the session.
type conn struct {
	addr string
	nc   net.Conn

	mu       sync.Mutex
	pending  map[int32]*call
	broken   bool
	lastSend time.Time
}

// call is one request waiting for its reply.
type call struct {
	resp proto.Record
	ch   chan error
}

// loop connects, serves one connection until it breaks, and moves on to
// the next server, until Close or session expiry.
func (c *Client) loop() {
	defer close(c.done)
	failures := 0
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return
		}
		addr := c.servers[c.next%len(c.servers)]
		c.next++
		c.mu.Unlock()

		cn, err := c.dial(addr)
		if errors.Is(err, proto.ErrSessionExpired) {
			c.mu.Lock()
			c.stopLocked()
			c.state = proto.StateExpired
			c.mu.Unlock()
			c.emit(Event{Type: proto.EventNone, State: proto.StateExpired})
			return
		}
		if err != nil {
			failures++
			if failures%len(c.servers) == 0 {
				select {
				case <-c.quit:
					return
				case <-time.After(retryPause):
				}
			}
			continue
		}
		failures = 0
		c.serve(cn)
	}
}

// dial opens a connection to addr and performs the handshake, creating or
// resuming the session.
func (c *Client) dial(addr string) (*conn, error) {
	c.mu.Lock()
	req := proto.ConnectRequest{
		LastZxidSeen: c.lastZxid,
		TimeOut:      int32(c.opts.SessionTimeout / time.Millisecond),
		SessionID:    c.sessionID,
		Passwd:       c.passwd,
		HasReadOnly:  true,
	}
	if req.Passwd == nil {
		req.Passwd = make([]byte, proto.SessionPasswdLen)
	}
	wait := c.timeout / time.Duration(len(c.servers))
	c.mu.Unlock()
	wait = max(wait, time.Second)

	nc, err := net.DialTimeout("tcp", addr, wait)
	if err != nil {
		return nil, fmt.Errorf("client: dial %s: %w", addr, err)
	}
	nc.SetDeadline(time.Now().Add(wait))
	resp, err := Handshake(nc, &req)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("client: handshake with %s: %w", addr, err)
	}
	if resp.TimeOut <= 0 {
		nc.Close()
		return nil, proto.ErrSessionExpired
	}
	nc.SetDeadline(time.Time{})
	c.mu.Lock()
	c.sessionID, c.passwd = resp.SessionID, resp.Passwd
	c.timeout = time.Duration(resp.TimeOut) * time.Millisecond
	c.mu.Unlock()
	return &conn{addr: addr, nc: nc, pending: map[int32]*call{}, lastSend: time.Now()}, nil
}

// Handshake sends req, the first frame of a connection, and reads the
// server's ConnectResponse. A refused session comes back as a response
// with timeout 0 and session id 0, not as an error. Deadlines are the
// caller's to set on rw.
func Handshake(rw io.ReadWriter, req *proto.ConnectRequest) (proto.ConnectResponse, error) {
	var resp proto.ConnectResponse
	if _, err := rw.Write(proto.AppendFrame(nil, req)); err != nil {
		return resp, fmt.Errorf("connect request: %w", err)
	}
	frame, err := proto.ReadFrame(rw, nil, maxFrame)
	if err != nil {
		return resp, fmt.Errorf("connect response: %w", err)
	}
	if err := proto.Decode(frame, &resp); err != nil {
		return resp, fmt.Errorf("connect response: %w", err)
	}
	return resp, nil
}

// serve restores auth and watches on a fresh connection, publishes it, and
// reads replies until it breaks.
func (c *Client) serve(cn *conn) {
	c.mu.Lock()
	var restore []byte
	for i := range c.auths {
		restore = proto.AppendRequest(restore, proto.RequestHeader{Xid: proto.XidAuth, Type: proto.OpAuth}, &c.auths[i])
	}
	if sw, ok := c.watches.setWatches(c.lastZxid); ok {
		restore = proto.AppendRequest(restore, proto.RequestHeader{Xid: proto.XidSetWatches, Type: proto.OpSetWatches2}, sw)
	}
	timeout := c.timeout
	c.mu.Unlock()
	if len(restore) > 0 {
		cn.nc.SetWriteDeadline(time.Now().Add(timeout))
		if _, err := cn.nc.Write(restore); err != nil {
			cn.nc.Close()
			return
		}
	}

	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		cn.nc.Close()
		return
	}
	c.conn = cn
	c.state = proto.StateSyncConnected
	c.cond.Broadcast()
	c.mu.Unlock()
	c.emit(Event{Type: proto.EventNone, State: proto.StateSyncConnected})

	stop := make(chan struct{})
	go c.ping(cn, timeout, stop)
	c.read(cn, timeout)
	close(stop)
	cn.nc.Close()

	cn.mu.Lock()
	cn.broken = true
	pending := cn.pending
	cn.pending = nil
	cn.mu.Unlock()
	for _, cl := range pending {
		cl.ch <- proto.ErrConnectionLoss
	}

	c.mu.Lock()
	c.conn = nil
	closed := c.closed
	if !closed {
		c.state = proto.StateDisconnected
	}
	c.cond.Broadcast()
	c.mu.Unlock()
	if !closed {
		c.emit(Event{Type: proto.EventNone, State: proto.StateDisconnected})
	}
}

// ping sends a ping whenever nothing was sent for a third of the timeout,
// so the server's session timer and our read deadline both stay fed.
func (c *Client) ping(cn *conn, timeout time.Duration, stop chan struct{}) {
	every := timeout / 3
	t := time.NewTicker(every / 2)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		cn.mu.Lock()
		idle := time.Since(cn.lastSend) >= every
		cn.mu.Unlock()
		if idle {
			c.write(cn, proto.XidPing, proto.OpPing, nil, nil)
		}
	}
}

// read dispatches frames until the connection fails or stays silent for
// two thirds of the session timeout (pings answer every third).
func (c *Client) read(cn *conn, timeout time.Duration) {
	br := bufio.NewReaderSize(cn.nc, 64<<10)
	var buf []byte
	for {
		cn.nc.SetReadDeadline(time.Now().Add(timeout * 2 / 3))
		frame, err := proto.ReadFrame(br, buf, maxFrame)
		if err != nil {
			return
		}
		buf = frame[:0]
		d := proto.NewDecoder(frame)
		var h proto.ReplyHeader
		h.Decode(d)
		if d.Err() != nil {
			return
		}
		switch h.Xid {
		case proto.XidPing, proto.XidSetWatches:
			continue
		case proto.XidAuth:
			if h.Err != proto.ErrAuthFailed {
				continue
			}
			// As in ZooKeeper's own client, a rejected identity ends the
			// client: reconnecting would present it again.
			c.mu.Lock()
			c.stopLocked()
			c.state = proto.StateAuthFailed
			c.mu.Unlock()
			c.emit(Event{Type: proto.EventNone, State: proto.StateAuthFailed})
			return
		case proto.XidNotification:
			var ev proto.WatcherEvent
			ev.Decode(d)
			if d.Err() != nil {
				return
			}
			c.mu.Lock()
			c.watches.fired(ev.Type, ev.Path)
			c.mu.Unlock()
			c.emit(Event{Type: ev.Type, State: ev.State, Path: ev.Path})
			continue
		}
		if h.Zxid > 0 {
			c.mu.Lock()
			c.lastZxid = max(c.lastZxid, h.Zxid)
			c.mu.Unlock()
		}
		cn.mu.Lock()
		cl := cn.pending[h.Xid]
		delete(cn.pending, h.Xid)
		cn.mu.Unlock()
		if cl == nil {
			continue
		}
		switch {
		case h.Err != proto.ErrOK:
			cl.ch <- h.Err
		case cl.resp != nil:
			cl.resp.Decode(d)
			if err := d.Err(); err != nil {
				cl.ch <- fmt.Errorf("client: decoding reply: %w", err)
			} else {
				cl.ch <- nil
			}
		default:
			cl.ch <- nil
		}
	}
}

// write sends one request on cn. With a non-nil cl the reply is awaited
// under xid; writes are serialized so xids reach the wire in order.
func (c *Client) write(cn *conn, xid int32, op proto.OpCode, req proto.Record, cl *call) error {
	frame := proto.AppendRequest(nil, proto.RequestHeader{Xid: xid, Type: op}, req)
	cn.mu.Lock()
	defer cn.mu.Unlock()
	if cn.broken {
		return proto.ErrConnectionLoss
	}
	if cl != nil {
		cn.pending[xid] = cl
	}
	cn.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := cn.nc.Write(frame); err != nil {
		delete(cn.pending, xid)
		cn.nc.Close() // the reader notices and fails the rest
		return proto.ErrConnectionLoss
	}
	cn.lastSend = time.Now()
	return nil
}

// send issues op on cn and returns the channel its outcome arrives on.
func (c *Client) send(cn *conn, op proto.OpCode, req, resp proto.Record) <-chan error {
	cl := &call{resp: resp, ch: make(chan error, 1)}
	xid := c.xidSeq.Add(1)
	if err := c.write(cn, xid, op, req, cl); err != nil {
		cl.ch <- err
	}
	return cl.ch
}
