// Package server is zkd's client-facing side: the listener, connections
// with their per-session ordered pipelines, session liveness, the
// four-letter words, and the wiring of the replicated state (tree, watches,
// quorum) behind them.
package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"zkd/zkd/proto"
	"zkd/zkd/quorum"
	"zkd/zkd/tree"
)

// Config is what the server needs, already validated (zkd/config builds it
// from zoo.cfg).
type Config struct {
	ServerID          uint64 // myid; 1 when standalone
	ClientAddr        string // host:port to listen on
	TickTime          time.Duration
	MinSessionTimeout time.Duration
	MaxSessionTimeout time.Duration
	MaxBuffer         int // jute.maxbuffer
	MaxClientCnxns    int // per client IP; 0 = unlimited
	SuperDigest       string
	SkipACL           bool
	ExtendedTypes     bool // TTL nodes (zookeeper.extendedTypesEnabled)
	// ContainerCheckInterval is how often containers and TTL nodes are
	// checked for removal; ContainerMaxPerMinute caps removals.
	ContainerCheckInterval time.Duration
	ContainerMaxPerMinute  int
	FourLetterWords        map[string]bool // whitelist; "*" key enables all
	// Storage (zoo.cfg dataDir, dataLogDir, preAllocSize, forceSync,
	// fsync.warningthresholdms, snapCount, autopurge.snapRetainCount when
	// autopurge is on).
	DataDir      string
	DataLogDir   string
	PreAllocSize int64
	NoSync       bool
	SlowSync     time.Duration
	SnapCount    int
	SnapRetain   int
	// Conf renders what the conf four-letter word prints, at the time asked.
	Conf    func() string
	Version string

	// Operator surfaces (admin.go, metrics.go). AdminAddr is
	// admin.serverAddress:admin.serverPort, "" when admin.enableServer is
	// off; MetricsAddr is metricsProvider.httpHost:httpPort, "" unless the
	// Prometheus provider is configured. InitialConfig returns zoo.cfg's
	// text for the initial_configuration command.
	AdminAddr        string
	AdminCommandURL  string
	AdminIdleTimeout time.Duration
	AdminPprof       bool // /debug/pprof/ on the admin server (admin.pprofEnabled)
	MetricsAddr      string
	InitialConfig    func() string

	// Ensemble (empty Peers = standalone). Peers are every server.N line,
	// this member's included; PeerAddr is where this member listens for
	// the others (its quorumPort). ElectionTimeout is raft's (the heartbeat
	// is a tenth of it); LeaderGrace is how long a member without a leader
	// keeps its clients; ProposalTimeout bounds how long a write may wait
	// for the log before its connection is closed; SnapshotTimeout bounds
	// sending one snapshot to a lagging member.
	// Progress is told how loading the data goes (quorum.Config.Progress).
	Progress func(stage string, done, total int64)

	// Membership is /zookeeper/config's data in an ensemble.
	Membership      []byte
	Peers           []quorum.Peer
	PeerAddr        string
	LeaderServes    bool
	ElectionTimeout time.Duration
	LeaderGrace     time.Duration
	ProposalTimeout time.Duration
	SnapshotTimeout time.Duration
}

// KV is one printed key and value (conf, envi).
type KV struct{ Key, Value string }

// Server is one zkd member serving clients.
type Server struct {
	cfg   Config
	log   *slog.Logger
	stats *stats
	db    *db
	node  *quorum.Node
	start time.Time

	ln      net.Listener
	nextCID atomic.Uint64

	mu           sync.Mutex
	conns        map[*conn]struct{}
	bySess       map[int64]*conn
	perIP        map[string]int
	tracker      *sessionTracker
	nextSess     int64
	serving      atomic.Bool
	leadingSince time.Time // when this member last became leader

	cancel context.CancelFunc // ends the loops Start began
	wg     sync.WaitGroup

	// The admin and metrics HTTP servers (admin.go), when configured.
	adminLn, metricsLn net.Listener
	httpServers        []*http.Server
}

// New builds a server; Start makes it serve.
func New(cfg Config, log *slog.Logger) (*Server, error) {
	if cfg.ServerID == 0 {
		cfg.ServerID = 1
	}
	if cfg.MaxBuffer <= 0 {
		cfg.MaxBuffer = proto.DefaultMaxBuffer
	}
	if cfg.TickTime <= 0 {
		cfg.TickTime = 3 * time.Second
	}
	if cfg.MinSessionTimeout <= 0 {
		cfg.MinSessionTimeout = 2 * cfg.TickTime
	}
	if cfg.MaxSessionTimeout <= 0 {
		cfg.MaxSessionTimeout = 20 * cfg.TickTime
	}
	if cfg.ContainerCheckInterval <= 0 {
		cfg.ContainerCheckInterval = time.Minute
	}
	if cfg.ContainerMaxPerMinute <= 0 {
		cfg.ContainerMaxPerMinute = 10000
	}
	if cfg.ElectionTimeout <= 0 {
		cfg.ElectionTimeout = DefaultElectionTimeout
	}
	if cfg.LeaderGrace <= 0 {
		cfg.LeaderGrace = 2 * cfg.ElectionTimeout
	}
	if cfg.ProposalTimeout <= 0 {
		cfg.ProposalTimeout = max(10*time.Second, 4*cfg.ElectionTimeout)
	}
	if log == nil {
		log = slog.Default()
	}
	s := &Server{
		cfg:    cfg,
		log:    log,
		stats:  newStats(),
		conns:  map[*conn]struct{}{},
		bySess: map[int64]*conn{},
		perIP:  map[string]int{},
		start:  time.Now(),
	}
	s.db = newDB(cfg.ServerID, tree.Options{SkipACL: cfg.SkipACL, Config: cfg.Membership}, log)
	s.db.onSessionClosed = s.sessionClosed
	s.db.onSessionCreated = s.sessionCreated
	s.db.onSessionMovedAway = s.sessionMovedAway
	s.db.onRestored = s.restored
	s.db.abandonConn = s.abandonConn
	s.db.onProposed = s.stats.proposed
	s.tracker = newSessionTracker()
	if len(cfg.Peers) > 0 {
		s.tracker.reportTouches()
	}
	// ZooKeeper's session id layout: server id in the top byte, then the
	// start time in ms, so ids stay unique across restarts.
	s.nextSess = int64((uint64(time.Now().UnixMilli())<<24)>>8) | int64(cfg.ServerID<<56)
	return s, nil
}

// Start listens on the client port and starts the log and the loops. It
// returns once clients can connect; ctx ends everything.
func (s *Server) Start(ctx context.Context) error {
	ctx, s.cancel = context.WithCancel(ctx)
	tick := 100 * time.Millisecond
	var catchUp uint64
	if s.ensemble() {
		tick = max(s.cfg.ElectionTimeout/electionTicks, time.Millisecond)
		catchUp = ensembleCatchUp
	}
	// The log outlives ctx (a signal ends ctx before Shutdown runs): a
	// leader must still hand its leadership over, and Shutdown stops it.
	node, err := quorum.Start(context.WithoutCancel(ctx), quorum.Config{
		ID:              s.cfg.ServerID,
		Tick:            tick,
		ElectionTicks:   electionTicks,
		HeartbeatTicks:  1,
		Peers:           s.cfg.Peers,
		ListenAddr:      s.cfg.PeerAddr,
		OnMessage:       s.peerMessage,
		OnLeaderChange:  s.leaderChanged,
		CatchUpEntries:  catchUp,
		SnapshotTimeout: s.cfg.SnapshotTimeout,
		Progress:        s.cfg.Progress,
		DataDir:         s.cfg.DataDir,
		DataLogDir:      s.cfg.DataLogDir,
		SegmentSize:     s.cfg.PreAllocSize,
		NoSync:          s.cfg.NoSync,
		SlowSync:        s.cfg.SlowSync,
		SnapCount:       s.cfg.SnapCount,
		SnapRetain:      s.cfg.SnapRetain,
		Logger:          s.log,
	}, s.db)
	if err != nil {
		s.cancel()
		return fmt.Errorf("server: starting replicated log: %w", err)
	}
	s.node, s.db.node = node, node
	ln, err := net.Listen("tcp", s.cfg.ClientAddr)
	if err != nil {
		node.Stop()
		s.cancel()
		return fmt.Errorf("server: listening on client port %s: %w", s.cfg.ClientAddr, err)
	}
	s.ln = ln
	// Sessions recovered from disk get a fresh timeout, as ZooKeeper gives
	// them after a restart or a leader change.
	s.db.mu.RLock()
	for _, id := range s.db.tree.Sessions() {
		s.tracker.add(id, time.Duration(s.db.tree.Session(id).Timeout)*time.Millisecond)
	}
	s.db.mu.RUnlock()
	// The admin server and /metrics (admin.go, metrics.go).
	if err := s.startHTTP(); err != nil {
		ln.Close()
		node.Stop()
		s.cancel()
		return err
	}
	s.serving.Store(true)
	s.wg.Add(4)
	go func() { defer s.wg.Done(); s.db.runBatcher(ctx) }()
	go func() { defer s.wg.Done(); s.acceptLoop(ctx) }()
	go func() { defer s.wg.Done(); s.expireLoop(ctx) }()
	go func() { defer s.wg.Done(); s.containerLoop(ctx) }()
	if s.ensemble() {
		s.wg.Add(2)
		go func() { defer s.wg.Done(); s.servingLoop(ctx) }()
		go func() { defer s.wg.Done(); s.touchLoop(ctx) }()
		s.log.Info("listening for clients; serving them once a leader is known", "addr", ln.Addr().String(),
			"serverId", s.cfg.ServerID, "peers", s.cfg.PeerAddr, "members", len(s.cfg.Peers))
		return nil
	}
	s.log.Info("serving clients", "addr", ln.Addr().String(), "serverId", s.cfg.ServerID)
	return nil
}

// DefaultElectionTimeout is raft's election timeout when zoo.cfg does not
// set one: followers wait between one and two of it without hearing from
// the leader before they elect another (see docs/ensemble.md).
const DefaultElectionTimeout = 600 * time.Millisecond

// ensembleCatchUp is how many applied entries an ensemble member keeps in
// memory (quorum.Config.CatchUpEntries): a member back from a restart of
// a few seconds under load catches up from them instead of receiving a
// whole snapshot, as Apache's leader sends a DIFF rather than a SNAP. At
// a few hundred bytes an entry that is a few MiB, whatever the tree's size.
const ensembleCatchUp = 20000

// electionTicks is the election timeout in raft ticks; the leader's
// heartbeat goes every tick.
const electionTicks = 10

// Addr is the client listener's address.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Shutdown stops accepting, closes every connection and stops the log.
// Sessions stay in the state (as ZooKeeper keeps them across a restart).
func (s *Server) Shutdown(ctx context.Context) {
	if s.ensemble() && s.node != nil {
		hctx, cancel := context.WithTimeout(ctx, 2*s.cfg.ElectionTimeout)
		s.node.HandOff(hctx)
		cancel()
	}
	s.serving.Store(false)
	if s.ln != nil {
		s.ln.Close()
	}
	s.stopHTTP(ctx) // admin server and /metrics (admin.go)
	s.mu.Lock()
	for c := range s.conns {
		c.close(reasonShutdown)
	}
	s.mu.Unlock()
	// Fail what never committed so pipelines can drain.
	s.db.waitMu.Lock()
	pending := make([]*proposal, 0, len(s.db.waiters))
	for _, p := range s.db.waiters {
		pending = append(pending, p)
	}
	s.db.waitMu.Unlock()
	for _, p := range pending {
		s.db.fail(p, proto.ErrConnectionLoss)
	}
	if s.cancel != nil {
		s.cancel()
	}
	if s.node != nil {
		s.node.Stop()
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// Healthy reports whether the request path works: a sync through the
// replicated log (raft read-index) must complete within a short bound. The
// systemd watchdog pings only while it does.
func (s *Server) Healthy(ctx context.Context) error {
	if !s.serving.Load() || s.node == nil {
		return errors.New("server: not serving")
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if s.ensemble() && s.node.Leader() == 0 {
		// Waiting for a quorum is not a fault a restart would fix: check
		// only that the loop turns.
		return s.node.Alive(ctx)
	}
	if err := s.node.Sync(ctx); err != nil {
		return fmt.Errorf("server: sync through the log: %w", err)
	}
	return nil
}

// Status is one line for a person: what this member is doing now.
func (s *Server) Status() string {
	if !s.serving.Load() {
		return "not serving"
	}
	return fmt.Sprintf("%s; clients on %s; zxid 0x%x", s.ensembleStatus(), s.Addr(), s.lastZxid())
}

// Mode is what srvr prints after "Mode:" (standalone, leader, follower...).
func (s *Server) Mode() string { return s.mode() }

// LastZxid is the zxid of the last applied transaction.
func (s *Server) LastZxid() int64 { return s.lastZxid() }

func (s *Server) acceptLoop(ctx context.Context) {
	var backoff time.Duration
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				return
			}
			// Out of fds and the like: back off rather than spin.
			if backoff == 0 {
				backoff = 5 * time.Millisecond
			} else if backoff *= 2; backoff > time.Second {
				backoff = time.Second
			}
			s.log.Warn("accept failed", "err", err, "retryIn", backoff)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		if tc, ok := nc.(*net.TCPConn); ok {
			tc.SetNoDelay(true) //nolint:errcheck
		}
		c := newConn(s, nc, s.nextCID.Add(1))
		if !s.register(c) {
			s.log.Warn("too many connections from one address; closing", "client", c.remote,
				"maxClientCnxns", s.cfg.MaxClientCnxns)
			nc.Close()
			continue
		}
		go c.serve(ctx)
	}
}

func (s *Server) register(c *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.MaxClientCnxns > 0 && s.perIP[c.remote] >= s.cfg.MaxClientCnxns {
		return false
	}
	s.conns[c] = struct{}{}
	s.perIP[c.remote]++
	return true
}

// attach binds an established session to c, replacing an older connection
// of the same session (the client moved).
func (s *Server) attach(c *conn) bool {
	s.mu.Lock()
	old := s.bySess[c.session]
	s.bySess[c.session] = c
	s.mu.Unlock()
	if old != nil && old != c {
		old.close(reasonReplaced)
	}
	return true
}

func (s *Server) detach(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.conns[c]; ok {
		delete(s.conns, c)
		if s.perIP[c.remote]--; s.perIP[c.remote] <= 0 {
			delete(s.perIP, c.remote)
		}
	}
	if c.session != 0 && s.bySess[c.session] == c {
		delete(s.bySess, c.session)
	}
}

// connections returns a snapshot of the open connections.
func (s *Server) connections() []*conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	return out
}

func (s *Server) lastZxid() int64 {
	s.db.mu.RLock()
	defer s.db.mu.RUnlock()
	return s.db.tree.LastZxid()
}

func (s *Server) negotiateTimeout(requested int32) int32 {
	minT, maxT := int32(s.cfg.MinSessionTimeout.Milliseconds()), int32(s.cfg.MaxSessionTimeout.Milliseconds())
	switch {
	case requested < minT:
		return minT
	case requested > maxT:
		return maxT
	}
	return requested
}

func (s *Server) handshakeTimeout() time.Duration { return s.cfg.TickTime * 10 }
func (s *Server) writeTimeout() time.Duration     { return s.cfg.MaxSessionTimeout }
func (s *Server) syncTimeout() time.Duration      { return s.cfg.MaxSessionTimeout }

// createSession puts a new session in the log and waits for it to apply.
func (s *Server) createSession(ctx context.Context, timeout int32) (int64, []byte, error) {
	s.mu.Lock()
	s.nextSess++
	id := s.nextSess
	s.mu.Unlock()
	passwd := randomPasswd()
	body := proto.Encode(nil, &tree.CreateSessionBody{Timeout: timeout, Passwd: passwd})
	p := s.db.submit(&tree.Txn{Type: proto.OpCreateSession, Session: id, Body: body})
	select {
	case <-p.done:
	case <-ctx.Done():
		return 0, nil, ctx.Err()
	}
	if p.res.Err != proto.ErrOK {
		return 0, nil, fmt.Errorf("server: createSession txn: %w", p.res.Err)
	}
	return id, passwd, nil
}

// resumeSession checks a reconnecting client's session id and password
// and makes this server the session's owner (tree.Session.Owner). It
// reports false for a session that is gone or a wrong password, and an
// error when the move could not be put in the log (the client should try
// again, here or elsewhere).
//
// The move is what keeps a session's writes in order across servers: a
// request the client left in its old connection (say, to a member that
// froze and woke up with it still in its socket buffer) is proposed by the
// old server and refused by every replica once the move has applied. The
// client gets its ConnectResponse only after that, so all it writes here
// comes later in the log. ZooKeeper's followers make the same round trip
// to the leader (REVALIDATE) before they answer a reconnect.
//
// A member that does not know the session may only be behind the log (the
// client created it elsewhere a moment ago), so it lets the log decide:
// the move applies after the createSession or fails as expired.
func (s *Server) resumeSession(ctx context.Context, id int64, passwd []byte, timeout int32) (bool, error) {
	s.db.mu.RLock()
	sess := s.db.tree.Session(id)
	known := sess != nil
	ok := known && subtle.ConstantTimeCompare(sess.Passwd, passwd) == 1
	owned := ok && sess.Owner == s.cfg.ServerID
	s.db.mu.RUnlock()
	switch {
	case known && !ok: // a password never changes
		return false, nil
	case !known && !s.ensemble(): // nothing is on its way here
		return false, nil
	}
	track := func() {
		s.tracker.add(id, time.Duration(timeout)*time.Millisecond)
		s.reportTouch(id) // before the leader's clock runs out on a client that moved
	}
	if known {
		track()
	}
	if owned {
		return true, nil
	}
	body := proto.Encode(nil, &tree.MoveSessionBody{Passwd: passwd})
	p := s.db.submit(&tree.Txn{Type: tree.OpMoveSession, Session: id, Body: body})
	select {
	case <-p.done:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	switch p.res.Err {
	case proto.ErrOK:
		if !known {
			track()
		}
		return true, nil
	case proto.ErrSessionExpired, proto.ErrAuthFailed:
		return false, nil
	}
	return false, fmt.Errorf("server: moving session 0x%x here: %w", id, p.res.Err)
}

func (s *Server) touch(id int64) {
	if id != 0 {
		s.tracker.touch(id)
	}
}

// sessionMovedAway runs after the log moved a session to another server:
// its client has left the connection here, if there is one.
func (s *Server) sessionMovedAway(id int64) {
	if c := s.connOf(id); c != nil {
		c.close(reasonMovedAway)
	}
}

// connOf is the connection of session id here, or nil.
func (s *Server) connOf(id int64) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bySess[id]
}

// sessionClosed runs after the log closed a session: drop its connection.
func (s *Server) sessionClosed(id int64) {
	s.tracker.remove(id)
	if c := s.connOf(id); c != nil {
		go func() {
			// Let the closeSession reply (if this connection asked) go first.
			<-c.piped
			c.close(reasonSessionClosed)
		}()
	}
}

// expireLoop closes sessions whose clients went silent, through the log so
// every replica removes the same ephemerals.
func (s *Server) expireLoop(ctx context.Context) {
	interval := s.cfg.TickTime / 2
	if interval < 10*time.Millisecond {
		interval = 10 * time.Millisecond
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if !s.expires() {
				continue
			}
			// Members report touches up to a touch interval late (and a
			// client that just moved may be reported one hop later):
			// ZooKeeper's leader also rounds deadlines up to a tick.
			grace := time.Duration(0)
			if s.ensemble() {
				grace = s.touchInterval() + s.cfg.TickTime/2
			}
			for _, id := range s.tracker.expired(now.Add(-grace)) {
				s.log.Info("expiring session", "session", fmt.Sprintf("0x%x", id))
				s.proposeExpiry(id)
			}
		}
	}
}

// containerLoop proposes removal of empty containers and expired TTL nodes
// (ZooKeeper's ContainerManager); apply decides again from the committed
// tree.
func (s *Server) containerLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.ContainerCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if !s.expires() {
				continue // the leader removes containers for everyone
			}
			limit := int(int64(s.cfg.ContainerMaxPerMinute) * int64(s.cfg.ContainerCheckInterval) / int64(time.Minute))
			if limit < 1 {
				limit = 1
			}
			s.db.mu.RLock()
			paths := s.db.tree.ContainerCandidates(now.UnixMilli(), limit)
			s.db.mu.RUnlock()
			for _, p := range paths {
				body := proto.Encode(nil, &tree.PathBody{Path: p})
				s.db.submit(&tree.Txn{Type: proto.OpDeleteContainer, Body: body, Time: now.UnixMilli()})
			}
		}
	}
}
