package quorum

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"slices"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"zkd/zkd/quorum/transport"
	"zkd/zkd/storage/snap"
)

// Peer is one member of an ensemble: a server.N line.
type Peer struct {
	ID       uint64
	Addr     string // host:quorumPort
	Observer bool   // a non-voting learner (ZooKeeper's observer)
}

// ErrNoLeader is returned by Propose while this member knows no leader.
var ErrNoLeader = errors.New("quorum: no leader")

// Between members, raft itself never sends MsgProp: proposal forwarding is
// off (raft.Config.DisableProposalForwarding), because raft forwards a
// proposal without its term, and a proposal delayed in the network could
// then commit after later writes of the same client. zkd forwards its own
// proposals as MsgProp carrying the term in which the sender knew its
// leader; the leader proposes them only while it still leads that term, so
// a stale one is dropped, never reordered. A MsgProp whose Context is
// appContext carries an application message (session touches) instead.
var appContext = []byte("zkd-app")

// bootstrapEntries are the first entries of a new ensemble's log: one conf
// change per server.N line, in id order, at term 1. Every member writes
// the same ones from the same server list, so their logs agree from the
// start without a leader having to send them (what raft.StartNode does,
// but with observers added as learners).
func bootstrapEntries(peers []Peer) ([]*pb.Entry, error) {
	sorted := slices.Clone(peers)
	slices.SortFunc(sorted, func(a, b Peer) int { return compareIDs(a.ID, b.ID) })
	ents := make([]*pb.Entry, 0, len(sorted))
	for i, p := range sorted {
		typ := pb.ConfChangeType_ConfChangeAddNode
		if p.Observer {
			typ = pb.ConfChangeType_ConfChangeAddLearnerNode
		}
		cc := &pb.ConfChange{Type: typ.Enum(), NodeId: proto.Uint64(p.ID), Context: []byte(p.Addr)}
		data, err := proto.Marshal(cc)
		if err != nil {
			return nil, fmt.Errorf("quorum: encoding bootstrap conf change: %w", err)
		}
		ents = append(ents, &pb.Entry{
			Term: proto.Uint64(1), Index: proto.Uint64(uint64(i + 1)),
			Type: pb.EntryType_EntryConfChange.Enum(), Data: data,
		})
	}
	return ents, nil
}

// membershipDigest is what the transport's handshake compares
// (transport.Config.Membership): an FNV-1a hash of the members' ids and
// roles in id order. Those are what the bootstrap entries make of the
// server list, so members that disagree on them would start from logs
// that differ while looking the same to raft (same terms and indexes).
// Addresses are left out: each member may name the others differently
// (host names, quorumListenOnAllIPs) and still mean the same ensemble.
func membershipDigest(peers []Peer) uint64 {
	sorted := slices.Clone(peers)
	slices.SortFunc(sorted, func(a, b Peer) int { return compareIDs(a.ID, b.ID) })
	h := fnv.New64a()
	for _, p := range sorted {
		role := byte('p')
		if p.Observer {
			role = 'o'
		}
		var b [9]byte
		binary.BigEndian.PutUint64(b[:8], p.ID)
		b[8] = role
		h.Write(b[:])
	}
	return h.Sum64()
}

func compareIDs(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// startTransport connects this member to its peers.
func (n *Node) startTransport(ctx context.Context) error {
	peers := make([]transport.Peer, 0, len(n.cfg.Peers))
	for _, p := range n.cfg.Peers {
		peers = append(peers, transport.Peer{ID: p.ID, Addr: p.Addr})
	}
	tr, err := transport.New(transport.Config{
		ID:               n.cfg.ID,
		ListenAddr:       n.cfg.ListenAddr,
		Membership:       membershipDigest(n.cfg.Peers),
		Peers:            peers,
		Handler:          n.handle,
		OnUnreachable:    n.rn.ReportUnreachable,
		OnSnapshotStatus: n.snapshotStatus,
		OnPeerGone:       n.peerGone,
		Logger:           n.log,
		SnapshotTimeout:  n.cfg.SnapshotTimeout,
	})
	if err != nil {
		return err
	}
	if err := tr.Start(ctx); err != nil {
		return err
	}
	n.tr = tr
	return nil
}

func (n *Node) snapshotStatus(id uint64, failed bool) {
	st := raft.SnapshotFinish
	if failed {
		st = raft.SnapshotFailure
	}
	n.rn.ReportSnapshot(id, st)
}

// handle is the transport's Handler: raft messages go to raft; MsgProp is
// zkd's own (see appContext).
func (n *Node) handle(ctx context.Context, m *pb.Message) error {
	if m.GetFrom() == n.leader.Load() {
		n.leaderContact.Store(time.Now().UnixNano())
	}
	if m.GetType() != pb.MsgProp {
		return n.rn.Step(ctx, m)
	}
	if bytes.Equal(m.GetContext(), appContext) {
		if n.cfg.OnMessage != nil {
			for _, e := range m.GetEntries() {
				n.cfg.OnMessage(m.GetFrom(), e.GetData())
			}
		}
		return nil
	}
	if !n.IsLeader() || n.term.Load() != m.GetTerm() {
		n.log.Debug("dropping a proposal forwarded for another term or leader",
			"from", m.GetFrom(), "term", m.GetTerm(), "ourTerm", n.term.Load(), "leader", n.leader.Load())
		return nil
	}
	// Once n.term catches up, later stale forwards are dropped above
	// without waiting.
	for _, e := range m.GetEntries() {
		if err := n.proposeBounded(ctx, e.GetData()); err != nil {
			return fmt.Errorf("quorum: proposing for member %d: %w", m.GetFrom(), err)
		}
	}
	return nil
}

// forward sends a proposal to the leader, tagged with the term in which
// this member knows it as leader.
func (n *Node) forward(lead uint64, data []byte) {
	n.tr.Send([]*pb.Message{{
		Type: pb.MsgProp.Enum(), From: proto.Uint64(n.cfg.ID), To: proto.Uint64(lead),
		Term: proto.Uint64(n.term.Load()), Entries: []*pb.Entry{{Data: data}},
	}})
}

// Send delivers data to member to's OnMessage, best effort: it may be
// lost, never reordered with other Sends to the same member.
func (n *Node) Send(to uint64, data []byte) {
	if n.tr == nil || to == n.cfg.ID || to == 0 {
		return
	}
	n.tr.Send([]*pb.Message{{
		Type: pb.MsgProp.Enum(), From: proto.Uint64(n.cfg.ID), To: proto.Uint64(to),
		Context: appContext, Entries: []*pb.Entry{{Data: data}},
	}})
}

// peerGone is the transport's hint that nothing listens at a member's
// address. When that member is our leader, waiting out the election
// timeout would only add downtime: forget it (so pre-votes are granted at
// once, see raft.Node.ForgetLeader) and campaign, the voters one after
// another by id so that they do not split the vote.
func (n *Node) peerGone(id uint64) {
	if id != n.leader.Load() || n.IsLearner() {
		return
	}
	term := n.term.Load()
	if old := n.goneTerm.Load(); old >= term || !n.goneTerm.CompareAndSwap(old, term) {
		return // already acting on this term's leader
	}
	rank := 0
	for _, v := range n.voters() {
		if v != id && v < n.cfg.ID {
			rank++
		}
	}
	n.log.Info("leader's address refuses connections; starting an election without waiting for the timeout",
		"leader", id, "term", term, "delay", time.Duration(rank)*fastElectionStagger)
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), n.electionTimeout())
		defer cancel()
		if err := n.rn.ForgetLeader(ctx); err != nil {
			return
		}
		select {
		case <-n.done:
			return
		case <-time.After(time.Duration(rank) * fastElectionStagger):
		}
		if l := n.leader.Load(); l == 0 || l == id {
			n.rn.Campaign(ctx) //nolint:errcheck // the election timeout is the fallback
		}
	}()
}

// fastElectionStagger separates the campaigns of the voters that saw the
// leader go: long enough for a pre-vote and a vote round on a LAN.
const fastElectionStagger = 100 * time.Millisecond

func (n *Node) electionTimeout() time.Duration {
	return n.cfg.Tick * time.Duration(n.cfg.ElectionTicks)
}

func (n *Node) voters() []uint64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.confState == nil {
		return nil
	}
	return slices.Clone(n.confState.GetVoters())
}

// IsLearner reports whether this member is an observer.
func (n *Node) IsLearner() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.confState != nil && slices.Contains(n.confState.GetLearners(), n.cfg.ID)
}

// Ensemble reports whether this member has peers.
func (n *Node) Ensemble() bool { return len(n.cfg.Peers) > 0 }

// Role is this member's part now: "leader", "follower", "observer" or,
// while an election runs, "candidate" (ZooKeeper's LOOKING).
func (n *Node) Role() string {
	switch raft.StateType(n.raftState.Load()) {
	case raft.StateLeader:
		return "leader"
	case raft.StateCandidate, raft.StatePreCandidate:
		return "candidate"
	}
	if n.IsLearner() {
		return "observer"
	}
	if n.leader.Load() == 0 {
		return "candidate"
	}
	return "follower"
}

// LeaderSilence is how long this member has not heard from its leader:
// 0 on the leader itself, and for ever while no leader is known. An
// observer needs it: raft never makes a learner give up on a silent
// leader, yet it must stop serving when cut off.
func (n *Node) LeaderSilence() time.Duration {
	switch lead := n.leader.Load(); {
	case lead == 0:
		return time.Duration(1<<63 - 1)
	case lead == n.cfg.ID:
		return 0
	}
	return time.Since(time.Unix(0, n.leaderContact.Load()))
}

// Term is the raft term this member is in.
func (n *Node) Term() uint64 { return n.term.Load() }

// FollowerStatus is the leader's view of one other member.
type FollowerStatus struct {
	ID       uint64
	Observer bool
	Match    uint64 // highest log index known replicated there
	Synced   bool   // receiving appends as they happen and recently heard from
}

// Followers reports the other members as the leader sees them; nil when
// this member does not lead.
func (n *Node) Followers() []FollowerStatus {
	if !n.IsLeader() {
		return nil
	}
	st := n.rn.Status()
	if st.RaftState != raft.StateLeader {
		return nil
	}
	out := make([]FollowerStatus, 0, len(st.Progress))
	for id, pr := range st.Progress {
		if id == n.cfg.ID {
			continue
		}
		out = append(out, FollowerStatus{
			ID: id, Observer: pr.IsLearner, Match: pr.Match,
			Synced: pr.RecentActive && pr.State.String() == "StateReplicate",
		})
	}
	slices.SortFunc(out, func(a, b FollowerStatus) int { return compareIDs(a.ID, b.ID) })
	return out
}

// PeerStats reports the transport's per-peer counters.
func (n *Node) PeerStats() []transport.PeerStats {
	if n.tr == nil {
		return nil
	}
	return n.tr.Stats()
}

// sendMessages hands a Ready's messages to the transport. A MsgSnap from
// raft names a snapshot but carries none of the state (raft's storage
// keeps only its metadata): it is filled from the snapshot file off the
// loop.
func (n *Node) sendMessages(msgs []*pb.Message) {
	if n.tr == nil || len(msgs) == 0 {
		return
	}
	out := msgs[:0:0]
	for _, m := range msgs {
		if m.GetFrom() != n.cfg.ID {
			// raft relays to the new leader a MsgReadIndex that another
			// follower sent this member while it led. The transport takes
			// a message only from its own sender (and would close the
			// stream, with whatever else is on it); the follower asks
			// again after an election timeout (readIndex).
			n.log.Debug("not relaying another member's message", "type", m.GetType().String(), "from", m.GetFrom(), "to", m.GetTo())
			continue
		}
		if m.GetType() == pb.MsgSnap {
			n.wg.Add(1)
			go func() {
				defer n.wg.Done()
				n.sendSnapshot(m)
			}()
			continue
		}
		out = append(out, m)
	}
	n.tr.Send(out)
}

func (n *Node) sendSnapshot(m *pb.Message) {
	index := m.GetSnapshot().GetMetadata().GetIndex()
	data, err := n.durable.snapshotData(index)
	if err != nil {
		n.log.Warn("cannot send a snapshot to a lagging member", "to", m.GetTo(), "index", index, "err", err)
		n.rn.ReportSnapshot(m.GetTo(), raft.SnapshotFailure)
		return
	}
	m.Snapshot.Data = data
	n.log.Info("sending snapshot to a lagging member", "to", m.GetTo(), "index", index, "bytes", len(data))
	n.tr.Send([]*pb.Message{m})
}

// snapshotData is the body of the snapshot file at index, as sent to a
// member that needs it: the conf state and the state machine's bytes.
func (d *durable) snapshotData(index uint64) ([]byte, error) {
	metas, err := d.snaps.List()
	if err != nil {
		return nil, err
	}
	for _, meta := range metas {
		if meta.Index != index {
			continue
		}
		_, body, err := d.snaps.Load(meta.Path)
		if err != nil {
			return nil, err
		}
		defer body.Close()
		return io.ReadAll(body)
	}
	return nil, fmt.Errorf("no snapshot file at index %d in %s: %w", index, d.snaps.Path(), snap.ErrNotFound)
}

// installSnapshot makes a snapshot received from the leader this member's
// state: the state machine first (reading checks every byte), then the
// file, and only then the mark in the log, so a crash at any point
// restarts from a snapshot file that exists.
func (n *Node) installSnapshot(s *pb.Snapshot) error {
	meta := s.GetMetadata()
	index, term := meta.GetIndex(), meta.GetTerm()
	start := time.Now()
	if n.snapshotting {
		// A snapshot of our own is being written from the state about to
		// be replaced: let it finish (and compact) first.
		n.snapshotWritten(<-n.snapDone)
	}
	cs, err := restoreSnapshot(bytes.NewReader(s.GetData()), n.sm)
	if err != nil {
		return fmt.Errorf("quorum: restoring the leader's snapshot at index %d: %w", index, err)
	}
	var zxid int64
	if z, ok := n.sm.(interface{ LastZxid() int64 }); ok {
		zxid = z.LastZxid()
	}
	path, err := n.durable.snaps.Save(snap.Meta{Index: index, Term: term, LastZxid: zxid}, func(w io.Writer) error {
		_, err := w.Write(s.GetData())
		return err
	})
	if err != nil {
		return fmt.Errorf("quorum: saving the leader's snapshot: %w", err)
	}
	if err := n.durable.installed(index, term, cs); err != nil {
		return err
	}
	n.mu.Lock()
	n.confState = cs
	n.mu.Unlock()
	n.applied.Store(index)
	n.sinceSnap, n.sinceBytes = 0, 0
	if fi, err := os.Stat(path); err == nil {
		n.lastSnapSize = fi.Size()
	}
	n.signalApplied()
	n.log.Info("installed snapshot from the leader", "file", path, "index", index, "term", term,
		"zxid", fmt.Sprintf("0x%x", zxid), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// installed records a received snapshot in the log and in raft's storage.
func (d *durable) installed(index, term uint64, cs *pb.ConfState) error {
	if err := d.wal.MarkSnapshot(walMark(index, term)); err != nil {
		return fmt.Errorf("quorum: marking the received snapshot in the log: %w", err)
	}
	s := &pb.Snapshot{Metadata: &pb.SnapshotMetadata{ConfState: cs, Index: proto.Uint64(index), Term: proto.Uint64(term)}}
	if err := d.mem.ApplySnapshot(s); err != nil && !errors.Is(err, raft.ErrSnapOutOfDate) {
		return fmt.Errorf("quorum: applying the received snapshot to the log: %w", err)
	}
	if err := d.wal.Compact(index); err != nil {
		d.log.Warn("compacting the log after a received snapshot", "err", err)
	}
	return nil
}

// HandOff passes leadership to the voter that is furthest along, if this
// member leads, and waits (within ctx) until another member leads. A
// leader that stops this way costs the ensemble no election timeout: its
// clients' writes pause for a round trip, not for a failover.
func (n *Node) HandOff(ctx context.Context) {
	if n.tr == nil || !n.IsLeader() {
		return
	}
	var best FollowerStatus
	for _, f := range n.Followers() {
		if !f.Observer && f.Synced && f.Match >= best.Match {
			best = f
		}
	}
	if best.ID == 0 {
		return
	}
	n.log.Info("handing leadership over before stopping", "to", best.ID)
	w := handOffWatch{term: n.rn.Status().GetTerm()}
	n.rn.TransferLeadership(ctx, n.cfg.ID, best.ID)
	for n.IsLeader() || n.leader.Load() == 0 {
		select {
		case <-ctx.Done():
			n.log.Warn("leadership hand-off did not finish; stopping anyway", "to", best.ID)
			return
		case <-time.After(5 * time.Millisecond):
		}
		if w.failed(n.rn.Status(), time.Now(), n.electionTimeout()) {
			n.log.Info("leadership hand-off given up: no member took over (stopping together?)", "to", best.ID)
			return
		}
	}
}

// handOffWatch tells, while HandOff waits, that the transfer cannot end
// well, so the caller need not wait out its context. Seen when every
// member is stopped at once: raft gives the transfer up after an election
// timeout without the transferee campaigning, while we still lead; we step
// down in our own term (check-quorum: the followers are gone); or the
// transferee won (the term moved on) but stopped before telling us, and no
// leader shows up within an election timeout.
type handOffWatch struct {
	term    uint64    // ours when the hand-off began
	started bool      // raft has shown the transfer in progress
	downAt  time.Time // when we were first seen not leading
}

func (w *handOffWatch) failed(st raft.Status, now time.Time, electionTimeout time.Duration) bool {
	if st.RaftState == raft.StateLeader {
		if st.LeadTransferee != 0 {
			w.started = true
			return false
		}
		return w.started
	}
	if st.GetTerm() == w.term {
		return true
	}
	if w.downAt.IsZero() {
		w.downAt = now
	}
	return now.Sub(w.downAt) > electionTimeout
}
