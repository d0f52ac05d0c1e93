package transport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"
)

// Reconnect backoff: the first redial after a failure waits minBackoff,
// doubling to maxBackoff while the peer stays unreachable.
const (
	minBackoff = 50 * time.Millisecond
	maxBackoff = time.Second

	// quietStartup is how long a peer that was never reached is logged at
	// Info before a warning: the time an ensemble takes to start.
	quietStartup = 10 * time.Second
)

// peer is the outbound side towards one member: a bounded queue that Send
// fills and one writer goroutine (run) that owns the stream connection.
type peer struct {
	t  *Transport
	id uint64

	ctx    context.Context // ends when the peer is removed or the transport stops
	cancel context.CancelFunc

	wake chan struct{} // capacity 1: "the queue or the overflow flag changed"

	mu       sync.Mutex // guards the fields below
	addr     string
	queue    []*pb.Message // at most cfg.MaxQueue
	spare    []*pb.Message // the writer's last batch, reused as the next queue
	overflow bool          // messages dropped since the writer last reported
	conn     net.Conn      // the live outbound stream, closed by stop/setAddr

	connected atomic.Bool // outbound stream up (handshake accepted)
	counters
}

// counters are a peer's statistics, updated without locks.
type counters struct {
	sent, received, dropped                        atomic.Uint64
	bytesSent, bytesReceived                       atomic.Uint64
	snapshotsSent, snapshotsFailed, snapshotsRecvd atomic.Uint64
	connectFailures, protocolErrors, handlerErrors atomic.Uint64
}

// PeerStats is a snapshot of one peer's counters.
type PeerStats struct {
	ID        uint64
	Addr      string
	Connected bool // our stream to the peer is up
	Inbound   bool // the peer's stream to us is up
	Queued    int  // messages waiting to be written

	Sent, Received, Dropped  uint64 // messages
	BytesSent, BytesReceived uint64 // frames, headers included

	SnapshotsSent, SnapshotsFailed, SnapshotsReceived uint64

	ConnectFailures uint64 // dials, handshakes or streams that failed
	ProtocolErrors  uint64 // bad frames or handshakes received from the peer
	HandlerErrors   uint64 // messages the Handler returned an error for
}

func newPeer(t *Transport, p Peer) *peer {
	ctx, cancel := context.WithCancel(t.ctx)
	return &peer{
		t: t, id: p.ID, addr: p.Addr,
		ctx: ctx, cancel: cancel,
		wake: make(chan struct{}, 1),
	}
}

// start launches the writer. REQUIRES: t.mu held, transport started.
func (p *peer) start() {
	p.t.wg.Go(p.run)
}

// stop ends the writer and closes the stream; in-flight snapshots are
// cancelled through ctx.
func (p *peer) stop() {
	p.cancel()
	p.mu.Lock()
	if p.conn != nil {
		p.conn.Close()
	}
	p.mu.Unlock()
}

func (p *peer) setAddr(addr string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.addr == addr {
		return
	}
	p.addr = addr
	if p.conn != nil {
		p.conn.Close() // the writer redials the new address
	}
}

func (p *peer) address() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.addr
}

func (p *peer) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// enqueue adds m to the queue, or drops it when the queue is full.
func (p *peer) enqueue(m *pb.Message) {
	p.mu.Lock()
	if len(p.queue) >= p.t.cfg.MaxQueue {
		p.overflow = true
		p.mu.Unlock()
		p.dropped.Add(1)
		p.signal()
		return
	}
	p.queue = append(p.queue, m)
	p.mu.Unlock()
	p.signal()
}

// take empties the queue for the writer and reports whether messages were
// dropped since the last take.
func (p *peer) take() (msgs []*pb.Message, overflowed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	msgs, p.queue, p.spare = p.queue, p.spare[:0], nil
	overflowed, p.overflow = p.overflow, false
	return msgs, overflowed
}

// recycle hands a written batch back as the next queue's storage.
func (p *peer) recycle(msgs []*pb.Message) {
	clear(msgs)
	if cap(msgs) > 4*p.t.cfg.MaxQueue {
		return
	}
	p.mu.Lock()
	p.spare = msgs[:0]
	p.mu.Unlock()
}

// dropQueued drops everything queued (a failed connection: raft resends).
func (p *peer) dropQueued() int {
	msgs, _ := p.take()
	p.dropped.Add(uint64(len(msgs)))
	p.recycle(msgs)
	return len(msgs)
}

func (p *peer) stats() PeerStats {
	p.mu.Lock()
	s := PeerStats{ID: p.id, Addr: p.addr, Queued: len(p.queue)}
	p.mu.Unlock()
	s.Connected = p.connected.Load()
	s.Sent, s.Received, s.Dropped = p.sent.Load(), p.received.Load(), p.dropped.Load()
	s.BytesSent, s.BytesReceived = p.bytesSent.Load(), p.bytesReceived.Load()
	s.SnapshotsSent, s.SnapshotsFailed, s.SnapshotsReceived = p.snapshotsSent.Load(), p.snapshotsFailed.Load(), p.snapshotsRecvd.Load()
	s.ConnectFailures, s.ProtocolErrors, s.HandlerErrors = p.connectFailures.Load(), p.protocolErrors.Load(), p.handlerErrors.Load()
	return s
}

// run keeps a stream to the peer open: dial, handshake, write batches until
// the connection breaks, back off, redial. Every failure drops what is
// queued and tells OnUnreachable, so raft stops pipelining appends into a
// dead connection and probes instead.
func (p *peer) run() {
	rl := reachLog{log: p.t.log.With("peer", p.id)}
	backoff := minBackoff
	for {
		addr := p.address()
		conn, err := p.dial(addr, kindStream)
		longStream := false
		if err == nil {
			backoff = minBackoff
			rl.connected(addr)
			began := time.Now()
			err = p.stream(conn, addr)
			longStream = time.Since(began) >= time.Second
		}
		if p.ctx.Err() != nil {
			p.dropQueued()
			return
		}
		if now := p.address(); now != addr {
			// UpdatePeer: not a failure; keep the queue and redial at once.
			rl.log.Info("peer address changed; reconnecting", "from", addr, "to", now)
			continue
		}
		dropped := p.dropQueued()
		p.connectFailures.Add(1)
		rl.failed(p.address(), err, dropped)
		p.t.unreachable(p.id)
		if errors.Is(err, syscall.ECONNREFUSED) {
			p.t.peerGone(p.id)
		}
		if longStream {
			// A stream that had been up ended: redial at once, so a peer
			// that died is known (refused) without waiting a backoff. (A
			// stream that keeps ending at once still backs off.)
			continue
		}
		select {
		case <-p.ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// reachLog decides how loudly to log a peer's connection going up and
// down: a warning when an established peer is lost or a handshake is
// rejected, Info for a peer not up yet at start-up (members of an ensemble
// start one at a time) until that lasts quietStartup, and one line when
// it comes back; repeated failures in between go to Debug.
type reachLog struct {
	log           *slog.Logger
	down          bool // a failure was logged since the last connect
	everConnected bool
	warned        bool
	downSince     time.Time
}

func (r *reachLog) connected(addr string) {
	if r.down && r.everConnected {
		r.log.Info("peer reachable again", "addr", addr, "after", time.Since(r.downSince).Round(time.Millisecond))
	} else {
		r.log.Info("connected to peer", "addr", addr)
	}
	r.down, r.everConnected, r.warned = false, true, false
}

func (r *reachLog) failed(addr string, err error, dropped int) {
	switch {
	case !r.down && !r.everConnected && !errors.Is(err, ErrRejected):
		r.log.Info("peer not reachable yet; retrying", "addr", addr, "err", err)
		r.downSince = time.Now()
	case !r.down:
		r.log.Warn("peer unreachable; retrying", "addr", addr, "err", err, "dropped", dropped)
		r.downSince, r.warned = time.Now(), true
	case !r.warned && time.Since(r.downSince) > quietStartup:
		r.log.Warn("peer still unreachable", "addr", addr, "err", err, "for", time.Since(r.downSince).Round(time.Second))
		r.warned = true
	default:
		r.log.Debug("peer still unreachable", "addr", addr, "err", err, "dropped", dropped)
	}
	r.down = true
}

// dial connects and completes the handshake, bounded by DialTimeout.
func (p *peer) dial(addr string, kind uint8) (net.Conn, error) {
	d := net.Dialer{Timeout: p.t.cfg.DialTimeout, Control: userTimeoutControl(p.t.cfg.WriteTimeout)}
	conn, err := d.DialContext(p.ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("transport: dialing peer %d at %s: %w", p.id, addr, err)
	}
	hs := appendHandshake(nil, handshake{version: Version, kind: kind, from: p.t.cfg.ID, to: p.id, membership: p.t.cfg.Membership})
	var status [1]byte
	conn.SetDeadline(time.Now().Add(p.t.cfg.DialTimeout))
	if _, err = conn.Write(hs); err == nil {
		_, err = conn.Read(status[:])
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("transport: handshake with peer %d at %s: %w", p.id, addr, err)
	}
	if status[0] != statusOK {
		conn.Close()
		return nil, fmt.Errorf("%w by peer %d at %s: %s", ErrRejected, p.id, addr, statusText(status[0]))
	}
	conn.SetDeadline(time.Time{})
	return conn, nil
}

// errPeerData means the acceptor wrote on a stream it must only read.
var errPeerData = errors.New("transport: peer wrote on a one-way stream")

// stream writes batches on conn until it fails or the peer stops. A
// goroutine blocks reading conn, which the acceptor never writes to, so a
// peer that closes or resets the connection is noticed at once rather
// than at the next write.
func (p *peer) stream(conn net.Conn, addr string) error {
	p.mu.Lock()
	if p.ctx.Err() != nil || p.addr != addr {
		p.mu.Unlock()
		conn.Close()
		return errors.New("transport: peer stopped or moved while dialling")
	}
	p.conn = conn
	p.mu.Unlock()
	broken := make(chan error, 1)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		var b [1]byte
		_, err := conn.Read(b[:])
		if err == nil {
			err = errPeerData
		}
		broken <- err
	}()
	p.connected.Store(true)
	defer func() {
		p.connected.Store(false)
		p.mu.Lock()
		p.conn = nil
		p.mu.Unlock()
		conn.Close()
		<-readerDone
	}()

	var buf []byte
	for {
		select {
		case <-p.ctx.Done():
			return p.ctx.Err()
		case err := <-broken:
			return fmt.Errorf("transport: stream to peer %d closed: %w", p.id, err)
		case <-p.wake:
		}
		msgs, overflowed := p.take()
		if overflowed {
			p.t.unreachable(p.id)
		}
		var err error
		buf, err = p.writeBatch(conn, buf, msgs)
		p.recycle(msgs)
		if err != nil {
			return err
		}
		if cap(buf) > maxKeptBuffer {
			buf = nil
		}
	}
}

// writeBatch encodes msgs into buf and writes them: one Write per call, or
// one per maxKeptBuffer bytes for large batches. On a write error the
// unwritten messages count as dropped.
func (p *peer) writeBatch(conn net.Conn, buf []byte, msgs []*pb.Message) ([]byte, error) {
	for start := 0; start < len(msgs); {
		buf = buf[:0]
		n, encoded := start, 0
		for ; n < len(msgs) && len(buf) < maxKeptBuffer; n++ {
			var err error
			buf, err = appendFrame(buf, msgs[n], p.t.cfg.MaxFrameSize)
			if err != nil {
				p.t.log.Error("dropping a message that cannot be sent", "peer", p.id, "err", err)
				p.dropped.Add(1)
				continue
			}
			encoded++
		}
		conn.SetWriteDeadline(time.Now().Add(p.t.cfg.WriteTimeout))
		if _, err := conn.Write(buf); err != nil {
			p.dropped.Add(uint64(encoded + len(msgs) - n))
			return buf, fmt.Errorf("transport: writing to peer %d: %w", p.id, err)
		}
		p.sent.Add(uint64(encoded))
		p.bytesSent.Add(uint64(len(buf)))
		start = n
	}
	return buf, nil
}
