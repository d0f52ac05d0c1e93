package server

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"zkd/zkd/acl"
	"zkd/zkd/proto"
)

// closeReason names why a connection ended; it is logged and counted.
type closeReason string

const (
	reasonClientClosed   closeReason = "client closed"
	reasonReadError      closeReason = "read error"
	reasonWriteError     closeReason = "write error"
	reasonBadPacket      closeReason = "malformed packet"
	reasonTooLarge       closeReason = "packet larger than jute.maxbuffer"
	reasonSlowConsumer   closeReason = "outbound queue over limit"
	reasonSessionClosed  closeReason = "session closed"
	reasonSessionExpired closeReason = "session expired"
	reasonRefused        closeReason = "session refused"
	reasonAuthFailed     closeReason = "auth failed"
	reasonShutdown       closeReason = "server shutting down"
	reasonReplaced       closeReason = "session moved to a new connection"
	reasonMovedAway      closeReason = "session moved to another server"
	reasonLeaderChanged  closeReason = "write outcome unknown (leader changed or proposal timed out)"
	reasonNotServing     closeReason = "member not serving (no leader)"
)

// maxOutbound bounds what one slow client can make the server hold.
const maxOutbound = 64 << 20

// pipelineDepth bounds requests read but not yet answered per connection;
// past it the reader stops reading and TCP pushes back on the client.
const pipelineDepth = 1024

// conn is one client connection. Three goroutines serve it: the reader
// (decodes, starts writes and syncs at once, queues everything in order),
// the pipeline (answers in request order, running reads when their turn
// comes, after every earlier write of the session has applied) and the
// writer (flushes the outbound buffer). Watch events are appended to the
// outbound buffer by the apply loop, before any response that shows their
// change.
type conn struct {
	srv    *Server
	nc     net.Conn
	br     *bufio.Reader
	id     uint64
	remote string // client IP
	log    *slog.Logger

	session int64
	passwd  []byte
	timeout int32

	authMu sync.Mutex
	auth   []proto.ID // identities: the ip id, then added auth

	pipeline chan *request

	// readsQueued counts reads handed to the pipeline and not yet run. A
	// write waits for it to reach zero before it is proposed: a read that
	// came first must not see the write, nor miss the event its watch
	// would get from it (ZooKeeper's CommitProcessor keeps the same order).
	readsQueued atomic.Int64
	readsRan    chan struct{} // signalled after each read runs

	outMu   sync.Mutex
	out     []byte
	spare   []byte
	outCh   chan struct{} // signals the writer
	closed  bool
	reason  closeReason
	closeCh chan struct{}
	writing bool          // the writer goroutine owns closing the socket
	piped   chan struct{} // closed when the pipeline has answered everything

	st connStats
}

// connStats are what cons prints per connection.
type connStats struct {
	established time.Time
	received    atomic.Int64
	sent        atomic.Int64
	outstanding atomic.Int64
	lastOp      atomic.Value // string
	lastCxid    atomic.Int64
	lastZxid    atomic.Int64
	lastLatency atomic.Int64
	lastResp    atomic.Int64 // unix ms
	mu          sync.Mutex
	lat         summary
}

// request is one decoded client request waiting its turn in the pipeline.
type request struct {
	hdr   proto.RequestHeader
	body  []byte
	start time.Time

	read    bool       // runs against the local tree in the pipeline
	prop    *proposal  // a write in the log
	syncErr chan error // a sync waiting on read-index
	reply   []byte     // an answer prepared by the reader (auth)
	after   func()     // run once the reply is queued (close on auth failure)
}

func newConn(s *Server, nc net.Conn, id uint64) *conn {
	host, _, err := net.SplitHostPort(nc.RemoteAddr().String())
	if err != nil {
		host = nc.RemoteAddr().String()
	}
	c := &conn{
		srv:      s,
		nc:       nc,
		br:       bufio.NewReaderSize(nc, 64<<10),
		id:       id,
		remote:   host,
		log:      s.log.With("client", nc.RemoteAddr().String()),
		pipeline: make(chan *request, pipelineDepth),
		readsRan: make(chan struct{}, 1),
		outCh:    make(chan struct{}, 1),
		closeCh:  make(chan struct{}),
		piped:    make(chan struct{}),
	}
	c.st.established = time.Now()
	c.st.lastOp.Store("NA")
	c.auth = acl.AddIDs(nil, acl.ConnectionIDs(host)...)
	return c
}

// serve runs the connection to its end.
func (c *conn) serve(ctx context.Context) {
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("connection handler panicked", "panic", r)
			c.close(reasonBadPacket)
		}
		c.finish()
	}()
	if err := c.nc.SetReadDeadline(time.Now().Add(c.srv.handshakeTimeout())); err != nil {
		return
	}
	head, err := c.br.Peek(4)
	if err != nil {
		return
	}
	if word, ok := fourLetterWord(head); ok {
		c.srv.fourLetter(c, word)
		return
	}
	if !c.handshake(ctx) {
		return
	}
	if err := c.nc.SetReadDeadline(time.Time{}); err != nil {
		return
	}
	c.writing = true
	go c.writeLoop()
	go c.runPipeline()
	c.readLoop(ctx)
	<-c.piped
}

// handshake reads ConnectRequest and opens or resumes a session.
func (c *conn) handshake(ctx context.Context) bool {
	frame, err := proto.ReadFrame(c.br, nil, c.srv.cfg.MaxBuffer)
	if err != nil {
		c.logBad("reading connect request", err)
		return false
	}
	var req proto.ConnectRequest
	if err := proto.Decode(frame, &req); err != nil || len(frame) < proto.ConnectRequestSize {
		c.logBad("decoding connect request", fmt.Errorf("%d bytes: %w", len(frame), errOr(err, proto.ErrShort)))
		return false
	}
	s := c.srv
	if why := s.refuseSession(); why != "" {
		c.log.Info("refusing client connection", "reason", why)
		c.close(reasonRefused)
		return false
	}
	if last := s.lastZxid(); req.LastZxidSeen > last {
		c.log.Warn("refusing session: client has seen a newer zxid than this server",
			"session", fmt.Sprintf("0x%x", req.SessionID),
			"clientZxid", fmt.Sprintf("0x%x", req.LastZxidSeen), "serverZxid", fmt.Sprintf("0x%x", last))
		c.close(reasonRefused)
		return false
	}
	timeout := s.negotiateTimeout(req.TimeOut)
	resp := proto.ConnectResponse{ProtocolVersion: 0, TimeOut: timeout, HasReadOnly: req.HasReadOnly}
	if req.SessionID == 0 {
		id, passwd, err := s.createSession(ctx, timeout)
		if err != nil {
			c.log.Warn("creating session failed", "err", err)
			return false
		}
		c.session, c.passwd, c.timeout = id, passwd, timeout
		c.log.Info("established new session", "session", fmt.Sprintf("0x%x", id), "timeout", timeout)
	} else {
		ok, err := s.resumeSession(ctx, req.SessionID, req.Passwd, timeout)
		if err != nil {
			c.log.Warn("resuming session failed", "session", fmt.Sprintf("0x%x", req.SessionID), "err", err)
			c.close(reasonRefused)
			return false
		}
		if !ok {
			c.log.Info("invalid session: expired or wrong password", "session", fmt.Sprintf("0x%x", req.SessionID))
			resp.TimeOut, resp.SessionID, resp.Passwd = 0, 0, make([]byte, proto.SessionPasswdLen)
			c.nc.Write(proto.AppendFrame(nil, &resp)) //nolint:errcheck // closing anyway
			c.close(reasonSessionExpired)
			return false
		}
		c.session, c.passwd, c.timeout = req.SessionID, req.Passwd, timeout
		c.log.Info("resumed session", "session", fmt.Sprintf("0x%x", req.SessionID), "timeout", timeout)
	}
	resp.SessionID, resp.Passwd = c.session, c.passwd
	if !s.attach(c) {
		return false
	}
	_, err = c.nc.Write(proto.AppendFrame(nil, &resp))
	return err == nil
}

func errOr(err, def error) error {
	if err != nil {
		return err
	}
	return def
}

// readLoop decodes requests and feeds the pipeline in arrival order.
func (c *conn) readLoop(ctx context.Context) {
	defer close(c.pipeline)
	var buf []byte
	for {
		frame, err := proto.ReadFrame(c.br, buf, c.srv.cfg.MaxBuffer)
		if err != nil {
			switch {
			case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
				c.close(reasonClientClosed)
			case errors.Is(err, proto.ErrFrameTooLarge):
				c.logBad("len error", err)
				c.close(reasonTooLarge)
			default:
				c.close(reasonReadError)
			}
			return
		}
		buf = frame
		var hdr proto.RequestHeader
		d := proto.NewDecoder(frame)
		hdr.Decode(d)
		if d.Err() != nil {
			c.logBad("decoding request header", d.Err())
			c.close(reasonBadPacket)
			return
		}
		c.srv.stats.packetsReceived.Add(1)
		c.st.received.Add(1)
		c.srv.touch(c.session)
		r := &request{hdr: hdr, body: append([]byte(nil), d.Rest()...), start: time.Now()}
		if !c.prepare(ctx, r) {
			return
		}
		c.srv.stats.outstanding.Add(1)
		c.st.outstanding.Add(1)
		select {
		case c.pipeline <- r:
		case <-c.closeCh:
			return
		}
		if r.hdr.Type == proto.OpCloseSession {
			return
		}
	}
}

// runPipeline answers requests in order.
func (c *conn) runPipeline() {
	defer close(c.piped)
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("request pipeline panicked", "panic", r)
			c.close(reasonBadPacket)
			for range c.pipeline {
			}
		}
	}()
	var buf []byte
	for r := range c.pipeline {
		buf = c.answer(r, buf[:0])
		c.srv.stats.outstanding.Add(-1)
		c.st.outstanding.Add(-1)
		if r.after != nil {
			r.after()
		}
	}
}

// Notify is watch.Watcher: queue a watch event. It runs on the apply loop
// and never blocks on the socket.
func (c *conn) Notify(path string, ev proto.EventType, zxid int64) {
	we := proto.WatcherEvent{Type: ev, State: proto.StateSyncConnected, Path: path}
	c.outMu.Lock()
	c.out = proto.AppendNotification(c.out, &we)
	c.outMu.Unlock()
	c.srv.stats.packetsSent.Add(1)
	c.st.sent.Add(1)
	c.signal()
}

// send queues a complete frame.
func (c *conn) send(frame []byte) {
	c.outMu.Lock()
	if c.closed {
		c.outMu.Unlock()
		return
	}
	c.out = append(c.out, frame...)
	over := len(c.out) > maxOutbound
	c.outMu.Unlock()
	c.srv.stats.packetsSent.Add(1)
	c.st.sent.Add(1)
	if over {
		c.close(reasonSlowConsumer)
		return
	}
	c.signal()
}

func (c *conn) signal() {
	select {
	case c.outCh <- struct{}{}:
	default:
	}
}

// writeLoop flushes whatever is queued, in one write per wake-up.
func (c *conn) writeLoop() {
	for {
		select {
		case <-c.outCh:
		case <-c.closeCh:
			c.flush() // best effort: the last answers (closeSession, auth failure)
			c.nc.Close()
			return
		}
		if !c.flush() {
			c.close(reasonWriteError)
			c.nc.Close()
			return
		}
	}
}

func (c *conn) flush() bool {
	c.outMu.Lock()
	data := c.out
	c.out, c.spare = c.spare[:0], nil
	c.outMu.Unlock()
	if len(data) == 0 {
		c.outMu.Lock()
		c.spare = data
		c.outMu.Unlock()
		return true
	}
	c.nc.SetWriteDeadline(time.Now().Add(c.srv.writeTimeout())) //nolint:errcheck
	_, err := c.nc.Write(data)
	c.outMu.Lock()
	if cap(data) <= 1<<20 {
		c.spare = data[:0]
	}
	c.outMu.Unlock()
	return err == nil
}

// close ends the connection once; the writer flushes what is queued.
func (c *conn) close(reason closeReason) {
	c.outMu.Lock()
	if c.closed {
		c.outMu.Unlock()
		return
	}
	c.closed = true
	c.reason = reason
	c.outMu.Unlock()
	close(c.closeCh)
	// Unblock the reader; the writer closes the socket after its last flush.
	c.nc.SetReadDeadline(time.Now()) //nolint:errcheck
}

// finish releases what the connection held.
func (c *conn) finish() {
	c.close(reasonClientClosed)
	c.srv.detach(c)
	c.srv.db.watches.RemoveWatcher(c)
	if !c.writing {
		c.nc.Close() // 4lw or failed handshake: nothing left to flush
	}
	if c.session != 0 {
		c.log.Debug("connection closed", "session", fmt.Sprintf("0x%x", c.session), "reason", string(c.reason))
	}
}

func (c *conn) logBad(what string, err error) {
	c.log.Warn("closing connection: "+what, "err", err)
}

func (c *conn) ids() []proto.ID {
	c.authMu.Lock()
	defer c.authMu.Unlock()
	return append([]proto.ID(nil), c.auth...)
}

func (c *conn) addIDs(ids []proto.ID) {
	c.authMu.Lock()
	defer c.authMu.Unlock()
	c.auth = acl.AddIDs(c.auth, ids...)
}

func randomPasswd() []byte {
	p := make([]byte, proto.SessionPasswdLen)
	if _, err := rand.Read(p); err != nil {
		panic(fmt.Sprintf("server: no randomness for session passwords: %v", err))
	}
	return p
}
