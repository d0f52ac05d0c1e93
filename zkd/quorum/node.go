package quorum

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// StateMachine receives committed entries in log order, from one goroutine.
type StateMachine interface {
	Apply(index uint64, data []byte)
}

// Config sets up a Node.
type Config struct {
	ID             uint64        // this member's id (myid), never 0
	Tick           time.Duration // raft tick; elections after ElectionTicks of them
	ElectionTicks  int
	HeartbeatTicks int
	// CompactEvery keeps the in-memory log bounded: after this many applied
	// entries the log before them is dropped.
	CompactEvery uint64
	Logger       *slog.Logger
}

// ErrStopped is returned once the node has stopped.
var ErrStopped = errors.New("quorum: node stopped")

// Node runs the raft loop for one member.
type Node struct {
	cfg     Config
	rn      raft.Node
	storage *raft.MemoryStorage
	sm      StateMachine
	log     *slog.Logger

	applied atomic.Uint64
	leader  atomic.Uint64

	mu        sync.Mutex
	appliedCh chan struct{}          // closed and replaced on every apply
	reads     map[uint64]chan uint64 // read-index requests by id
	nextRead  uint64
	confState *pb.ConfState

	done chan struct{}
	wg   sync.WaitGroup
}

// Start starts a single-member group (peers beyond it come with the
// ensemble work) and runs its loop until ctx ends or Stop is called.
func Start(ctx context.Context, cfg Config, sm StateMachine) (*Node, error) {
	if cfg.ID == 0 {
		return nil, errors.New("quorum: member id must not be 0")
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
	if cfg.CompactEvery == 0 {
		cfg.CompactEvery = 10000
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	storage := raft.NewMemoryStorage()
	rc := &raft.Config{
		ID:                        cfg.ID,
		ElectionTick:              cfg.ElectionTicks,
		HeartbeatTick:             cfg.HeartbeatTicks,
		Storage:                   storage,
		MaxSizePerMsg:             1 << 20,
		MaxInflightMsgs:           256,
		MaxUncommittedEntriesSize: 1 << 30,
		CheckQuorum:               true,
		PreVote:                   true,
		ReadOnlyOption:            raft.ReadOnlySafe,
		Logger:                    raftLogger{cfg.Logger.With("component", "raft")},
	}
	n := &Node{
		cfg:       cfg,
		rn:        raft.StartNode(rc, []raft.Peer{{ID: cfg.ID}}),
		storage:   storage,
		sm:        sm,
		log:       cfg.Logger,
		appliedCh: make(chan struct{}),
		reads:     map[uint64]chan uint64{},
		done:      make(chan struct{}),
	}
	n.wg.Add(1)
	go n.run(ctx)
	// A lone member need not wait out an election timeout: once the
	// bootstrap conf change has applied it is promotable and can campaign.
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := n.WaitApplied(wctx, 1); err != nil {
		n.Stop()
		return nil, fmt.Errorf("quorum: applying bootstrap configuration: %w", err)
	}
	if err := n.rn.Campaign(ctx); err != nil {
		n.Stop()
		return nil, fmt.Errorf("quorum: campaign: %w", err)
	}
	// Proposals made before a leader is known are dropped; do not let the
	// server accept clients before then.
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

// Stop stops the loop and waits for it.
func (n *Node) Stop() {
	select {
	case <-n.done:
	default:
		close(n.done)
	}
	n.wg.Wait()
	n.rn.Stop()
}

// Propose submits data to the log. It returns once raft has taken it, not
// when it is committed: the state machine's Apply reports that.
func (n *Node) Propose(ctx context.Context, data []byte) error {
	select {
	case <-n.done:
		return ErrStopped
	default:
	}
	if err := n.rn.Propose(ctx, data); err != nil {
		return fmt.Errorf("quorum: propose: %w", err)
	}
	return nil
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
	var sinceCompact uint64
	for {
		select {
		case <-ctx.Done():
			return
		case <-n.done:
			return
		case <-ticker.C:
			n.rn.Tick()
		case rd := <-n.rn.Ready():
			if rd.SoftState != nil {
				if old := n.leader.Swap(rd.SoftState.Lead); old != rd.SoftState.Lead {
					n.log.Info("leader changed", "leader", rd.SoftState.Lead, "previous", old, "self", n.cfg.ID)
				}
			}
			if rd.HardState != nil && !raft.IsEmptyHardState(rd.HardState) {
				if err := n.storage.SetHardState(rd.HardState); err != nil {
					n.log.Error("raft: saving hard state", "err", err)
				}
			}
			if len(rd.Entries) > 0 {
				if err := n.storage.Append(rd.Entries); err != nil {
					n.log.Error("raft: appending entries", "err", err)
				}
			}
			// Messages go out here once there are peers.
			for _, e := range rd.CommittedEntries {
				n.applyEntry(e)
			}
			if len(rd.CommittedEntries) > 0 {
				n.signalApplied()
				sinceCompact += uint64(len(rd.CommittedEntries))
			}
			for _, rs := range rd.ReadStates {
				n.answerRead(rs)
			}
			if sinceCompact >= n.cfg.CompactEvery {
				n.compact()
				sinceCompact = 0
			}
			n.rn.Advance()
		}
	}
}

func (n *Node) applyEntry(e *pb.Entry) {
	switch e.GetType() {
	case pb.EntryType_EntryNormal:
		if len(e.GetData()) > 0 {
			n.sm.Apply(e.GetIndex(), e.GetData())
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

// compact drops applied entries from the in-memory log, keeping a margin.
func (n *Node) compact() {
	applied := n.applied.Load()
	if applied <= n.cfg.CompactEvery {
		return
	}
	if err := n.storage.Compact(applied - n.cfg.CompactEvery/2); err != nil && !errors.Is(err, raft.ErrCompacted) {
		n.log.Warn("raft: compacting log", "err", err)
	}
}
