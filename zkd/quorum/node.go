package quorum

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"go.etcd.io/raft/v3/tracker"
	"google.golang.org/protobuf/proto"

	"zkd/zkd/quorum/transport"
	"zkd/zkd/storage/wal"
)

// StateMachine is what the log drives. Apply and Snapshot are called from
// the raft loop only, never concurrently with each other.
type StateMachine interface {
	// Apply applies one committed entry and returns how many txns it held.
	Apply(index uint64, data []byte) int
	// Snapshot captures the state as of the last Apply, quickly, and
	// returns its last zxid and a function that serializes the capture; the
	// function runs on another goroutine while later entries apply.
	Snapshot() (zxid int64, write func(io.Writer) error)
	// Restore replaces the state with a snapshot's (at start-up).
	Restore(r io.Reader) error
}

// Config sets up a Node.
type Config struct {
	ID             uint64        // this member's id (myid), never 0
	Tick           time.Duration // raft tick; elections after ElectionTicks of them
	ElectionTicks  int
	HeartbeatTicks int

	DataDir     string        // snapshots (zoo.cfg dataDir)
	DataLogDir  string        // the write-ahead log (dataLogDir)
	SegmentSize int64         // WAL preallocation (preAllocSize)
	NoSync      bool          // forceSync=no
	SlowSync    time.Duration // fsync.warningthresholdms
	// SnapCount is ZooKeeper's snapCount: a snapshot is taken after a
	// random number of txns in [SnapCount/2+1, SnapCount], so members of an
	// ensemble do not all snapshot at once.
	SnapCount int
	// BigSnapshot is the snapshot size (bytes) from which the next one
	// also waits for the log since it to reach a quarter of its size
	// (0: DefaultBigSnapshot; tests set it small). See snapshotDue.
	BigSnapshot int64
	// SnapRetain, when > 0, keeps only the newest SnapRetain snapshots
	// (autopurge.snapRetainCount with autopurge.purgeInterval > 0).
	SnapRetain int
	Logger     *slog.Logger

	// Peers is the ensemble, this member included; empty for a standalone
	// server (a group of one that elects itself at start).
	Peers []Peer
	// ListenAddr is where the other members connect (the quorumPort).
	ListenAddr string
	// OnMessage receives what other members Send (session touches).
	OnMessage func(from uint64, data []byte)
	// OnLeaderChange is told, on the raft loop, each time the leader this
	// member knows changes; 0 means none is known. It must not block.
	OnLeaderChange func(leader uint64)
	// CatchUpEntries are kept in memory behind the applied index (and
	// behind each snapshot), so a member that is a little behind catches
	// up from the log rather than needing the whole snapshot (ensembles
	// only; a standalone server keeps none). Older entries are only in
	// the WAL; see trimLog.
	CatchUpEntries uint64
	// SnapshotTimeout bounds sending one snapshot to a member (transport
	// default when 0).
	SnapshotTimeout time.Duration
	// Progress, when set, is told how start-up goes: "loading snapshot"
	// (bytes read of the snapshot file) and "replaying log" (entries
	// applied of those committed), at most every progressEvery each.
	Progress func(stage string, done, total int64)
}

// progressEvery spaces Progress calls.
const progressEvery = 500 * time.Millisecond

// ErrStopped is returned once the node has stopped.
var ErrStopped = errors.New("quorum: node stopped")

// Node runs the raft loop for one member.
type Node struct {
	cfg Config
	rn  raft.Node
	sm  StateMachine
	log *slog.Logger

	applied   atomic.Uint64
	leader    atomic.Uint64
	term      atomic.Uint64
	raftState atomic.Uint64 // raft.StateType
	goneTerm  atomic.Uint64 // the term whose leader peerGone acted on
	// leaderContact is when a message from the leader last arrived (unix ns).
	leaderContact atomic.Int64
	durable       *durable
	tr            *transport.Transport // nil when standalone

	// storageErr is set while the log cannot be written (a full disk):
	// the server refuses new writes instead of queueing them.
	storageErr atomic.Pointer[error]

	// Snapshot bookkeeping, owned by the raft loop.
	sinceSnap    int   // txns applied since the state of the last snapshot
	snapTxns     int   // sinceSnap when the snapshot being written was captured
	sinceBytes   int64 // bytes of those txns (their log entries' data)
	snapBytes    int64 // sinceBytes when the snapshot being written was captured
	lastSnapSize int64 // bytes of the last snapshot this process wrote
	snapAt       int
	snapshotting bool
	snapDone     chan snapResult

	mu        sync.Mutex
	appliedCh chan struct{}          // closed and replaced on every apply
	reads     map[uint64]chan uint64 // read-index requests by id
	nextRead  uint64
	confState *pb.ConfState

	probe     chan chan struct{} // Alive's round trips through the loop
	done      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// snapResult is a finished snapshot write.
type snapResult struct {
	index, term uint64
	cs          *pb.ConfState
	path        string
	err         error
}

// Start recovers the member's state from dataDir and dataLogDir (the
// newest snapshot, then the log after it), or bootstraps a new group when
// both are empty, and runs the raft loop until ctx ends or Stop. It
// returns once the recovered log has been applied. A standalone member
// also waits until it has elected itself, so proposals are not dropped;
// an ensemble member does not wait for a quorum (members start one at a
// time): until Leader is known, Propose fails with ErrNoLeader.
func Start(ctx context.Context, cfg Config, sm StateMachine) (*Node, error) {
	if cfg.ID == 0 {
		return nil, errors.New("quorum: member id must not be 0")
	}
	if cfg.DataDir == "" || cfg.DataLogDir == "" {
		return nil, errors.New("quorum: dataDir and dataLogDir are required")
	}
	if cfg.Tick <= 0 {
		cfg.Tick = 100 * time.Millisecond
	}
	if cfg.ElectionTicks <= 0 {
		cfg.ElectionTicks = 10
	}
	if cfg.HeartbeatTicks <= 0 {
		cfg.HeartbeatTicks = 1
	}
	if cfg.SnapCount <= 0 {
		cfg.SnapCount = 100000
	}
	if cfg.BigSnapshot <= 0 {
		cfg.BigSnapshot = DefaultBigSnapshot
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	d, rec, err := openDurable(cfg, sm)
	if err != nil {
		return nil, err
	}
	rc := &raft.Config{
		ID:                        cfg.ID,
		ElectionTick:              cfg.ElectionTicks,
		HeartbeatTick:             cfg.HeartbeatTicks,
		Storage:                   d.storage(),
		Applied:                   rec.snapIndex,
		MaxSizePerMsg:             1 << 20,
		MaxInflightMsgs:           256,
		MaxUncommittedEntriesSize: 1 << 30,
		CheckQuorum:               true,
		PreVote:                   true,
		ReadOnlyOption:            raft.ReadOnlySafe,
		Logger:                    raftLogger{cfg.Logger.With("component", "raft")},
		DisableProposalForwarding: len(cfg.Peers) > 0, // see appContext
	}
	var rn raft.Node
	switch {
	case rec.fresh && len(cfg.Peers) > 0:
		ents, err := bootstrapEntries(cfg.Peers)
		if err == nil {
			last := ents[len(ents)-1].GetIndex()
			err = d.save(&pb.HardState{Term: proto.Uint64(1), Commit: proto.Uint64(last)}, ents)
		}
		if err != nil {
			d.close()
			return nil, fmt.Errorf("quorum: writing the new ensemble's first entries: %w", err)
		}
		rec.commit, rec.term = uint64(len(ents)), 1
		cfg.Logger.Info("new ensemble member: wrote the membership as the log's first entries", "members", len(cfg.Peers))
		rn = raft.RestartNode(rc)
	case rec.fresh:
		rn = raft.StartNode(rc, []raft.Peer{{ID: cfg.ID}})
	default:
		rn = raft.RestartNode(rc)
	}
	n := &Node{
		cfg:       cfg,
		rn:        rn,
		sm:        sm,
		log:       cfg.Logger,
		durable:   d,
		appliedCh: make(chan struct{}),
		reads:     map[uint64]chan uint64{},
		probe:     make(chan chan struct{}),
		done:      make(chan struct{}),
		snapDone:  make(chan snapResult, 1),
	}
	n.applied.Store(rec.snapIndex)
	// raft reports the hard state only when it changes: a restarted member
	// that rejoins its leader's term never hears it again.
	n.term.Store(rec.term)
	n.mu.Lock()
	n.confState = rec.confState
	n.mu.Unlock()
	n.snapAt = n.nextSnapAt()
	if len(cfg.Peers) > 0 {
		if err := n.startTransport(ctx); err != nil {
			rn.Stop()
			d.close()
			return nil, fmt.Errorf("quorum: %w", err)
		}
	}
	n.wg.Add(1)
	go n.run(ctx)
	// Apply what the log already committed (the bootstrap configuration of
	// a new group is entry 1) before campaigning: a lone member becomes
	// promotable only once its configuration has applied.
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if err := n.replay(wctx, rec.snapIndex, max(1, rec.commit)); err != nil {
		n.Stop()
		return nil, fmt.Errorf("quorum: replaying the log: %w", err)
	}
	if len(cfg.Peers) > 0 {
		return n, nil
	}
	if err := n.rn.Campaign(ctx); err != nil {
		n.Stop()
		return nil, fmt.Errorf("quorum: campaign: %w", err)
	}
	for !n.IsLeader() {
		select {
		case <-wctx.Done():
			n.Stop()
			return nil, fmt.Errorf("quorum: no leader elected: %w", wctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
	return n, nil
}

// replay waits until the log recovered at start has applied, telling
// Progress how far it got.
func (n *Node) replay(ctx context.Context, from, to uint64) error {
	if n.cfg.Progress == nil || to <= from {
		return n.WaitApplied(ctx, to)
	}
	for {
		wctx, cancel := context.WithTimeout(ctx, progressEvery)
		err := n.WaitApplied(wctx, to)
		cancel()
		if err == nil || ctx.Err() != nil || errors.Is(err, ErrStopped) {
			return err
		}
		n.cfg.Progress("replaying log", int64(n.applied.Load()-from), int64(to-from))
	}
}

// DefaultBigSnapshot: below 32 MiB (some 200,000 znodes of 100 bytes) a
// snapshot is taken every snapCount txns exactly as ZooKeeper does.
const DefaultBigSnapshot = 32 << 20

// snapLogFraction: a big snapshot waits for log bytes of at least
// 1/snapLogFraction of the last one's size.
const snapLogFraction = 4

// snapshotDue reports whether to take a snapshot now: after snapCount
// txns (nextSnapAt), as ZooKeeper; and, when the last one was big, once
// the log since it holds a quarter of its size in bytes too.
//
// Why: a snapshot costs its size in CPU and disk writes, on every member,
// while what it saves is replaying the log at a restart, which costs
// about the log's size. With a big tree and small txns (100-byte setData
// on a million znodes) snapCount txns are a few percent of a snapshot:
// writing one every snapCount txns took a quarter of each member's CPU
// under load, to save replaying a log a twentieth of its size. So a big
// snapshot waits until the log is worth it: a restart replays at most
// about a quarter of a snapshot's worth of log (or snapCount txns, if
// that is more), and the log on disk stays below the snapshot's size.
func (n *Node) snapshotDue() bool {
	if n.sinceSnap < n.snapAt {
		return false
	}
	return n.lastSnapSize < n.cfg.BigSnapshot || n.sinceBytes*snapLogFraction >= n.lastSnapSize
}

// nextSnapAt draws the txn count of the next snapshot.
func (n *Node) nextSnapAt() int {
	half := n.cfg.SnapCount / 2
	return half + 1 + rand.IntN(max(1, n.cfg.SnapCount-half))
}

// Stop stops the loop, waits for it and closes the log.
func (n *Node) Stop() {
	select {
	case <-n.done:
	default:
		close(n.done)
	}
	if n.tr != nil {
		n.tr.Stop()
	}
	n.wg.Wait()
	n.rn.Stop()
	n.closeOnce.Do(func() {
		if err := n.durable.close(); err != nil {
			n.log.Warn("closing the transaction log", "err", err)
		}
	})
}

// StorageErr is the error writing the log last failed with, or nil once
// writes succeed again.
func (n *Node) StorageErr() error {
	if p := n.storageErr.Load(); p != nil {
		return *p
	}
	return nil
}

// WALStats reports the log's fsync and size counters.
func (n *Node) WALStats() wal.Stats { return n.durable.wal.Stats() }

// Propose submits data to the log. It returns once raft has taken it, not
// when it is committed: the state machine's Apply reports that.
func (n *Node) Propose(ctx context.Context, data []byte) error {
	select {
	case <-n.done:
		return ErrStopped
	default:
	}
	if n.tr != nil && !n.IsLeader() {
		lead := n.leader.Load()
		if lead == 0 {
			return ErrNoLeader
		}
		n.forward(lead, data)
		return nil
	}
	if err := n.proposeBounded(ctx, data); err != nil {
		return fmt.Errorf("quorum: propose: %w", err)
	}
	return nil
}

// proposeBounded hands data to raft, waiting at most an election timeout.
// raft takes no proposal while it knows no leader, and n.IsLeader lags
// raft: a leader that has just stepped down would otherwise block its
// caller (the batcher, or a peer's stream carrying a new leader's
// heartbeats) until the next election. A proposal not taken by then is
// not in the log.
func (n *Node) proposeBounded(ctx context.Context, data []byte) error {
	pctx, cancel := context.WithTimeout(ctx, n.electionTimeout())
	defer cancel()
	return n.rn.Propose(pctx, data)
}

// Applied is the index of the last entry handed to the state machine.
func (n *Node) Applied() uint64 { return n.applied.Load() }

// Leader is the current leader's id, 0 when unknown.
func (n *Node) Leader() uint64 { return n.leader.Load() }

// IsLeader reports whether this member leads.
func (n *Node) IsLeader() bool { return n.leader.Load() == n.cfg.ID }

// Sync waits until this member has applied everything committed before the
// call, as confirmed by the leader (raft read-index). It is ZooKeeper's
// sync. raft drops read-index requests while there is no leader, so the
// request is retried until ctx ends.
func (n *Node) Sync(ctx context.Context) error {
	for {
		select {
		case <-n.done:
			return ErrStopped
		default:
		}
		idx, err := n.readIndex(ctx)
		if err == nil {
			return n.WaitApplied(ctx, idx)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("quorum: sync: %w", ctx.Err())
		}
		if errors.Is(err, ErrStopped) {
			return err
		}
	}
}

func (n *Node) readIndex(ctx context.Context) (uint64, error) {
	n.mu.Lock()
	n.nextRead++
	id := n.nextRead
	ch := make(chan uint64, 1)
	n.reads[id] = ch
	n.mu.Unlock()
	defer func() {
		n.mu.Lock()
		delete(n.reads, id)
		n.mu.Unlock()
	}()
	var rctx [8]byte
	binary.BigEndian.PutUint64(rctx[:], id)
	if err := n.rn.ReadIndex(ctx, rctx[:]); err != nil {
		if errors.Is(err, raft.ErrStopped) {
			return 0, ErrStopped
		}
		return 0, fmt.Errorf("quorum: read index: %w", err)
	}
	// A dropped request never answers: retry after an election's worth.
	retry := time.NewTimer(n.cfg.Tick * time.Duration(n.cfg.ElectionTicks))
	defer retry.Stop()
	select {
	case idx := <-ch:
		return idx, nil
	case <-retry.C:
		return 0, errors.New("quorum: read index not answered")
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-n.done:
		return 0, ErrStopped
	}
}

// Alive checks that the raft loop is turning: it answers between two
// Readys. It needs no quorum (a member waiting for one is alive).
func (n *Node) Alive(ctx context.Context) error {
	ch := make(chan struct{})
	select {
	case n.probe <- ch:
	case <-ctx.Done():
		return fmt.Errorf("quorum: raft loop not answering: %w", ctx.Err())
	case <-n.done:
		return ErrStopped
	}
	<-ch
	return nil
}

// WaitApplied blocks until the applied index reaches idx.
func (n *Node) WaitApplied(ctx context.Context, idx uint64) error {
	for {
		n.mu.Lock()
		ch := n.appliedCh
		n.mu.Unlock()
		if n.applied.Load() >= idx {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-n.done:
			return ErrStopped
		}
	}
}

func (n *Node) run(ctx context.Context) {
	defer n.wg.Done()
	ticker := time.NewTicker(n.cfg.Tick)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-n.done:
			return
		case <-ticker.C:
			n.rn.Tick()
		case r := <-n.snapDone:
			n.snapshotWritten(r)
		case ch := <-n.probe:
			close(ch)
		case rd := <-n.rn.Ready():
			if hs := rd.HardState; hs != nil && !raft.IsEmptyHardState(hs) {
				n.term.Store(hs.GetTerm())
			}
			if rd.SoftState != nil {
				n.raftState.Store(uint64(rd.SoftState.RaftState))
				n.leaderContact.Store(time.Now().UnixNano())
				if old := n.leader.Swap(rd.SoftState.Lead); old != rd.SoftState.Lead {
					n.log.Info("leader changed", "leader", rd.SoftState.Lead, "previous", old, "self", n.cfg.ID,
						"term", n.term.Load(), "state", rd.SoftState.RaftState.String())
					if n.cfg.OnLeaderChange != nil {
						n.cfg.OnLeaderChange(rd.SoftState.Lead)
					}
				}
			}
			if rd.Snapshot != nil && !raft.IsEmptySnap(rd.Snapshot) {
				if err := n.installSnapshot(rd.Snapshot); err != nil {
					// The state may be half replaced: serving it would be
					// worse than stopping.
					n.log.Error("cannot install the leader's snapshot; stopping", "err", err)
					return
				}
			}
			if !n.persist(ctx, rd.HardState, rd.Entries) {
				return
			}
			n.trimLog()
			n.sendMessages(rd.Messages)
			for _, e := range rd.CommittedEntries {
				n.applyEntry(e)
			}
			if len(rd.CommittedEntries) > 0 {
				n.signalApplied()
			}
			for _, rs := range rd.ReadStates {
				n.answerRead(rs)
			}
			if !n.snapshotting {
				if n.snapshotDue() {
					n.startSnapshot()
				} else if n.durable.snapshotWanted() {
					n.log.Info("a member needs a snapshot: the newest one is older than the log kept in memory; taking one",
						"snapshot", n.durable.newestSnapshot(), "applied", n.applied.Load())
					n.startSnapshot()
				}
			}
			n.rn.Advance()
		}
	}
}

// persist writes a Ready's state and entries before anything depends on
// them. A failure (a full disk) must not lose or corrupt the log: the
// Ready is retried until it succeeds, and meanwhile StorageErr tells the
// server to refuse new writes. It returns false when the node stops.
func (n *Node) persist(ctx context.Context, hs *pb.HardState, ents []*pb.Entry) bool {
	backoff := 50 * time.Millisecond
	for {
		err := n.durable.save(hs, ents)
		if err == nil {
			if n.storageErr.Swap(nil) != nil {
				n.log.Info("transaction log writable again; accepting writes")
			}
			return true
		}
		if n.storageErr.Swap(&err) == nil {
			n.log.Error("cannot write the transaction log; refusing writes until it can be written",
				"dir", n.cfg.DataLogDir, "err", err)
		}
		select {
		case <-ctx.Done():
			return false
		case <-n.done:
			return false
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

// trimEvery spaces the compactions of raft's in-memory log, in entries:
// each copies the pointers to the entries it keeps, so with keep entries
// kept they run every keep/4 entries at the earliest (an ensemble's 20,000
// would otherwise cost 160 KiB of copying every 64 writes).
func trimEvery(keep uint64) uint64 { return max(64, keep/4) }

// trimLog drops the entries of raft's in-memory log that no member is
// likely to need from memory: every entry is in the WAL, and raft's
// storage keeps only CatchUpEntries behind the applied index (plus up to
// trimEvery(keep) more); a standalone server keeps none. Before this, the log
// since the last snapshot (up to snapCount txns) stayed in memory, some
// 40 bytes per znode of a large tree.
//
// It runs on the raft loop before the Ready's committed entries apply, so
// it never drops an entry raft has not seen applied. A leader keeps, in
// addition, what its recently active followers still need (their match
// index, or the snapshot being sent to one), but never more than the old
// bound (CatchUpEntries behind the newest snapshot): a follower further
// behind gets a snapshot, and so does one that was away.
func (n *Node) trimLog() {
	keep := n.cfg.CatchUpEntries
	applied := n.applied.Load()
	if applied <= keep {
		return
	}
	upTo := applied - keep
	first, _ := n.durable.mem.FirstIndex()
	if upTo < first-1+trimEvery(keep) {
		return
	}
	if n.tr != nil && n.IsLeader() {
		st := n.rn.Status()
		for id, pr := range st.Progress {
			if id == n.cfg.ID || !pr.RecentActive {
				continue
			}
			need := pr.Match
			if pr.State == tracker.StateSnapshot {
				need = max(need, pr.PendingSnapshot)
			}
			upTo = min(upTo, need)
		}
		snap := n.durable.newestSnapshot()
		upTo = max(upTo, snap-min(snap, keep))
		if upTo < first-1+trimEvery(keep) {
			return
		}
	}
	if err := n.durable.compactMem(upTo); err != nil {
		n.log.Warn("trimming raft's in-memory log", "err", err)
	}
}

// startSnapshot captures the state machine now and writes it off the loop.
func (n *Node) startSnapshot() {
	index := n.applied.Load()
	term, err := n.durable.mem.Term(index)
	if err != nil {
		n.log.Warn("cannot snapshot: term of the applied index unknown", "index", index, "err", err)
		return
	}
	n.mu.Lock()
	cs := n.confState
	n.mu.Unlock()
	if cs == nil {
		if len(n.cfg.Peers) > 0 {
			n.log.Warn("cannot snapshot: the membership has not been applied yet", "index", index)
			return
		}
		cs = &pb.ConfState{Voters: []uint64{n.cfg.ID}}
	}
	start := time.Now()
	zxid, write := n.sm.Snapshot()
	n.log.Debug("captured state for a snapshot", "index", index, "took", time.Since(start))
	n.snapshotting = true
	n.snapTxns, n.snapBytes = n.sinceSnap, n.sinceBytes
	n.wg.Add(1) // Stop waits for the file
	go func() {
		defer n.wg.Done()
		path, err := n.durable.writeSnapshot(index, term, zxid, cs, write)
		n.snapDone <- snapResult{index: index, term: term, cs: cs, path: path, err: err}
	}()
}

// snapshotWritten compacts the logs behind a snapshot now on disk.
func (n *Node) snapshotWritten(r snapResult) {
	n.snapshotting = false
	if r.err != nil {
		n.log.Error("writing snapshot failed; the log is kept", "index", r.index, "err", r.err)
		return
	}
	// Txns applied while the file was written are not in it.
	n.sinceSnap -= n.snapTxns
	n.sinceBytes -= n.snapBytes
	if fi, err := os.Stat(r.path); err == nil {
		n.lastSnapSize = fi.Size()
	}
	n.snapAt = n.nextSnapAt()
	n.log.Info("snapshot written", "file", r.path, "index", r.index)
	start := time.Now()
	if err := n.durable.snapshotTaken(r.index, r.term, r.cs, n.cfg.CatchUpEntries); err != nil {
		n.log.Warn("compacting after snapshot", "err", err)
	}
	if took := time.Since(start); took > 20*time.Millisecond {
		n.log.Warn("compacting the log after a snapshot held up the raft loop", "took", took.Round(time.Millisecond))
	}
	if n.cfg.SnapRetain > 0 {
		n.durable.purge(n.cfg.SnapRetain)
	}
}

func (n *Node) applyEntry(e *pb.Entry) {
	switch e.GetType() {
	case pb.EntryType_EntryNormal:
		if len(e.GetData()) > 0 {
			n.sinceSnap += n.sm.Apply(e.GetIndex(), e.GetData())
			n.sinceBytes += int64(len(e.GetData()))
		}
	case pb.EntryType_EntryConfChange:
		var cc pb.ConfChange
		if err := proto.Unmarshal(e.GetData(), &cc); err != nil {
			n.log.Error("raft: bad conf change entry", "index", e.GetIndex(), "err", err)
			break
		}
		cs := n.rn.ApplyConfChange(&cc)
		n.mu.Lock()
		n.confState = cs
		n.mu.Unlock()
	case pb.EntryType_EntryConfChangeV2:
		var cc pb.ConfChangeV2
		if err := proto.Unmarshal(e.GetData(), &cc); err != nil {
			n.log.Error("raft: bad conf change entry", "index", e.GetIndex(), "err", err)
			break
		}
		cs := n.rn.ApplyConfChange(&cc)
		n.mu.Lock()
		n.confState = cs
		n.mu.Unlock()
	}
	n.applied.Store(e.GetIndex())
}

func (n *Node) signalApplied() {
	n.mu.Lock()
	close(n.appliedCh)
	n.appliedCh = make(chan struct{})
	n.mu.Unlock()
}

func (n *Node) answerRead(rs raft.ReadState) {
	if len(rs.RequestCtx) != 8 {
		return
	}
	id := binary.BigEndian.Uint64(rs.RequestCtx)
	n.mu.Lock()
	ch := n.reads[id]
	n.mu.Unlock()
	if ch != nil {
		select {
		case ch <- rs.Index:
		default:
		}
	}
}
