package transport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"slices"
	"sync"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"
)

// Peer is another member: its raft id (myid) and the host:quorumPort of
// its server.N line.
type Peer struct {
	ID   uint64
	Addr string
}

// Config sets up a Transport. Zero durations and sizes take the defaults
// named on each field.
type Config struct {
	ID         uint64 // this member's raft id (myid), never 0
	ListenAddr string // where to accept peers; quorumListenOnAllIPs is the caller's choice
	// Membership is a digest of the ensemble's member list that every
	// member computes the same way from the same list (zkd/quorum hashes
	// the ids and roles). Both ends of a connection must agree on it or the
	// acceptor refuses the handshake, so members configured with different
	// server lists never exchange a message.
	Membership uint64
	// Peers are the other members. An entry with this member's own ID is
	// skipped, so the whole server list can be passed.
	Peers []Peer

	// Handler receives every message from a peer, in the order the peer
	// sent it, one call at a time per peer; calls for different peers run
	// concurrently. MsgSnap is the exception: it travels on its own
	// connection and may be handled concurrently with that peer's stream.
	// Blocking pushes back on that peer only; ctx ends at Stop. Typically
	// raft.Node.Step (safe for concurrent use). Required.
	Handler func(ctx context.Context, m *pb.Message) error
	// OnUnreachable is told that messages to id were lost (its queue
	// overflowed, a dial failed or its connection broke). Typically
	// raft.Node.ReportUnreachable. Never called from Send.
	OnUnreachable func(id uint64)
	// OnSnapshotStatus reports the outcome of each MsgSnap sent to id.
	// Typically raft.Node.ReportSnapshot. Never called from Send.
	OnSnapshotStatus func(id uint64, failed bool)
	// OnPeerGone is told that nothing listens at id's address any more:
	// a dial was refused, which a live member never does. It is a hint,
	// faster than any timeout, that the member stopped or died (zkd starts
	// an election at once when it is the leader). Never called from Send.
	OnPeerGone func(id uint64)

	Logger *slog.Logger // default slog.Default()
	// DialTimeout bounds connecting and the handshake (default 1 s).
	DialTimeout time.Duration
	// WriteTimeout bounds one write of a batch (default 5 s); past it the
	// connection is closed and the batch dropped. On Linux it is also the
	// stream's TCP_USER_TIMEOUT (see the package doc).
	WriteTimeout time.Duration
	// MaxQueue bounds the messages waiting for one peer (default 4096).
	// When full, further messages are dropped and counted.
	MaxQueue int
	// MaxFrameSize bounds one message on a stream (default 64 MiB); raft's
	// MaxSizePerMsg keeps appends far below it.
	MaxFrameSize int
	// MaxSnapshotSize bounds one MsgSnap, snapshot data included (default
	// 1 GiB, at most 4 GiB-1: the frame length is 32 bits).
	MaxSnapshotSize int
	// SnapshotTimeout bounds sending one snapshot and hearing it was
	// accepted (default 5 min).
	SnapshotTimeout time.Duration
}

// Defaults for Config's zero values.
const (
	DefaultDialTimeout     = time.Second
	DefaultWriteTimeout    = 5 * time.Second
	DefaultMaxQueue        = 4096
	DefaultMaxFrameSize    = 64 << 20
	DefaultMaxSnapshotSize = 1 << 30
	DefaultSnapshotTimeout = 5 * time.Minute
)

var (
	// ErrStopped is returned once Stop has been called.
	ErrStopped = errors.New("transport: stopped")
	// ErrPeerExists is returned by AddPeer for an id already known.
	ErrPeerExists = errors.New("transport: peer already exists")
	// ErrUnknownPeer is returned for an id that is not a peer.
	ErrUnknownPeer = errors.New("transport: unknown peer")
)

// validate checks the configuration and fills in defaults.
func (c *Config) validate() error {
	if c.ID == 0 {
		return errors.New("transport: member id must not be 0")
	}
	if c.ListenAddr == "" {
		return errors.New("transport: listen address is required")
	}
	if c.Handler == nil {
		return errors.New("transport: a message handler is required")
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.MaxQueue <= 0 {
		c.MaxQueue = DefaultMaxQueue
	}
	if c.MaxFrameSize <= 0 {
		c.MaxFrameSize = DefaultMaxFrameSize
	}
	if c.MaxSnapshotSize <= 0 {
		c.MaxSnapshotSize = DefaultMaxSnapshotSize
	}
	if c.SnapshotTimeout <= 0 {
		c.SnapshotTimeout = DefaultSnapshotTimeout
	}
	if uint64(c.MaxFrameSize) > math.MaxUint32 || uint64(c.MaxSnapshotSize) > math.MaxUint32 {
		return errors.New("transport: frame and snapshot limits must fit in 32 bits")
	}
	seen := map[uint64]bool{}
	for _, p := range c.Peers {
		if err := checkPeer(p); err != nil {
			return err
		}
		if seen[p.ID] {
			return fmt.Errorf("transport: peer %d listed twice", p.ID)
		}
		seen[p.ID] = true
	}
	return nil
}

func checkPeer(p Peer) error {
	if p.ID == 0 {
		return errors.New("transport: peer id must not be 0")
	}
	if p.Addr == "" {
		return fmt.Errorf("transport: peer %d has no address", p.ID)
	}
	return nil
}

// lifecycle of a Transport.
const (
	stateNew = iota
	stateStarted
	stateStopped
)

// Transport carries raft messages between this member and its peers: one
// outbound stream per peer (written by a per-peer goroutine), one inbound
// stream per peer (read by a per-connection goroutine), and a short-lived
// connection per snapshot. See the package doc for the wire format.
type Transport struct {
	cfg Config
	log *slog.Logger

	// ctx is the transport's lifetime: Start's context, ended by Stop.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // every goroutine; Stop waits for it

	mu      sync.RWMutex
	state   int
	ln      net.Listener
	peers   map[uint64]*peer
	inbound map[uint64]*inStream  // the live stream from each peer
	conns   map[net.Conn]struct{} // every accepted connection, closed by Stop
}

// New checks cfg and returns a transport that Start brings up.
func New(cfg Config) (*Transport, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	t := &Transport{
		cfg:     cfg,
		log:     cfg.Logger.With("component", "peer-transport", "self", cfg.ID),
		peers:   map[uint64]*peer{},
		inbound: map[uint64]*inStream{},
		conns:   map[net.Conn]struct{}{},
	}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	for _, p := range cfg.Peers {
		if p.ID == cfg.ID {
			continue
		}
		t.peers[p.ID] = newPeer(t, p)
	}
	return t, nil
}

// Start listens on ListenAddr and starts connecting to the peers. The
// transport runs until Stop or until ctx ends.
func (t *Transport) Start(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state != stateNew {
		return fmt.Errorf("transport: Start called twice or after Stop")
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", t.cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("transport: listening for peers on %s: %w", t.cfg.ListenAddr, err)
	}
	t.ln = ln
	t.state = stateStarted
	stop := context.AfterFunc(ctx, t.cancel)
	t.wg.Go(func() {
		<-t.ctx.Done()
		stop()
		ln.Close()
	})
	t.wg.Go(func() { t.acceptLoop(ln) })
	for _, p := range t.peers {
		p.start()
	}
	t.log.Info("listening for peers", "addr", ln.Addr().String(), "peers", len(t.peers))
	return nil
}

// Addr is the address the transport listens on (useful with port 0), or
// nil before Start.
func (t *Transport) Addr() net.Addr {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.ln == nil {
		return nil
	}
	return t.ln.Addr()
}

// Stop closes the listener and every connection and waits for the
// transport's goroutines. No Handler or callback runs after it returns.
// Queued messages are dropped. It is safe to call more than once.
func (t *Transport) Stop() {
	t.mu.Lock()
	t.state = stateStopped
	t.cancel()
	for c := range t.conns {
		c.Close()
	}
	for _, p := range t.peers {
		p.stop()
	}
	t.mu.Unlock()
	t.wg.Wait()
}

// Send queues msgs for their destinations and returns at once: it never
// blocks on the network, so the raft loop can call it with a Ready's
// messages. Messages to unknown ids are dropped (logged at debug), and a
// full queue drops the message and later signals OnUnreachable.
func (t *Transport) Send(msgs []*pb.Message) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.state == stateStopped {
		return
	}
	for _, m := range msgs {
		p := t.peers[m.GetTo()]
		if p == nil {
			t.log.Debug("dropping message to an unknown member", "to", m.GetTo(), "type", m.GetType().String())
			continue
		}
		if m.GetType() == pb.MsgSnap {
			p.sendSnapshot(m)
			continue
		}
		p.enqueue(m)
	}
}

// AddPeer starts talking to a new member (after a conf change adds it).
func (t *Transport) AddPeer(p Peer) error {
	if err := checkPeer(p); err != nil {
		return err
	}
	if p.ID == t.cfg.ID {
		return fmt.Errorf("transport: peer %d is this member", p.ID)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.state == stateStopped {
		return ErrStopped
	}
	if t.peers[p.ID] != nil {
		return fmt.Errorf("%w: %d", ErrPeerExists, p.ID)
	}
	np := newPeer(t, p)
	t.peers[p.ID] = np
	if t.state == stateStarted {
		np.start()
	}
	return nil
}

// RemovePeer stops talking to a member (after a conf change removes it):
// its queue is dropped, both streams are closed, and its future
// connections are refused. It does not wait for the peer's goroutines, so
// it may be called from the raft loop; a callback for id already under way
// may still arrive.
func (t *Transport) RemovePeer(id uint64) error {
	t.mu.Lock()
	p := t.peers[id]
	in := t.inbound[id]
	delete(t.peers, id)
	t.mu.Unlock()
	if p == nil {
		return fmt.Errorf("%w: %d", ErrUnknownPeer, id)
	}
	p.stop()
	if in != nil {
		in.conn.Close()
	}
	return nil
}

// UpdatePeer changes a member's address; the outbound stream reconnects
// to it at once.
func (t *Transport) UpdatePeer(p Peer) error {
	if err := checkPeer(p); err != nil {
		return err
	}
	t.mu.RLock()
	cur := t.peers[p.ID]
	t.mu.RUnlock()
	if cur == nil {
		return fmt.Errorf("%w: %d", ErrUnknownPeer, p.ID)
	}
	cur.setAddr(p.Addr)
	return nil
}

// Stats reports each peer's counters, ordered by id.
func (t *Transport) Stats() []PeerStats {
	t.mu.RLock()
	out := make([]PeerStats, 0, len(t.peers))
	for id, p := range t.peers {
		s := p.stats()
		s.Inbound = t.inbound[id] != nil
		out = append(out, s)
	}
	t.mu.RUnlock()
	slices.SortFunc(out, func(a, b PeerStats) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return out
}

// lookup returns the peer with id, or nil.
func (t *Transport) lookup(id uint64) *peer {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.peers[id]
}

// unreachable and snapshotStatus call the configured callbacks, if any.
func (t *Transport) unreachable(id uint64) {
	if t.cfg.OnUnreachable != nil {
		t.cfg.OnUnreachable(id)
	}
}

func (t *Transport) peerGone(id uint64) {
	if t.cfg.OnPeerGone != nil {
		t.cfg.OnPeerGone(id)
	}
}

func (t *Transport) snapshotStatus(id uint64, failed bool) {
	if t.cfg.OnSnapshotStatus != nil {
		t.cfg.OnSnapshotStatus(id, failed)
	}
}
