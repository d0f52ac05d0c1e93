package transport_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"zkd/zkd/quorum/transport"
)

// The cluster test runs three raft members over the transport, each with a
// minimal loop in the order raft requires: persist (MemoryStorage), send,
// apply, compact, Advance.
const (
	clusterTick     = 10 * time.Millisecond
	electionTicks   = 20 // 200-400 ms election timeout
	compactEvery    = 100
	compactKeep     = 20 // entries kept behind a snapshot; a follower further behind needs the snapshot
	proposeRetry    = time.Second
	clusterDeadline = 20 * time.Second
)

// kv is the test's state machine: the applied proposals in order.
type kv struct {
	Seq []string
}

type member struct {
	t       *testing.T
	id      uint64
	addr    string
	peers   []transport.Peer
	storage *raft.MemoryStorage
	node    raft.Node
	tr      *transport.Transport
	stop    chan struct{}
	done    chan struct{}
	lead    atomic.Uint64

	mu        sync.Mutex
	state     kv
	applied   uint64
	snapIndex uint64
	confState *pb.ConfState
	snapsIn   int                      // snapshots received from the leader and applied
	waiters   map[string]chan struct{} // proposals waiting for their apply
	present   map[string]bool
}

func (m *member) raftConfig() *raft.Config {
	return &raft.Config{
		ID:                        m.id,
		ElectionTick:              electionTicks,
		HeartbeatTick:             1,
		Storage:                   m.storage,
		MaxSizePerMsg:             1 << 20,
		MaxInflightMsgs:           256,
		MaxUncommittedEntriesSize: 1 << 30,
		CheckQuorum:               true,
		PreVote:                   true,
		Logger:                    &raft.DefaultLogger{Logger: log.New(io.Discard, "", 0)},
	}
}

// start brings up the node and transport. fresh bootstraps the group;
// otherwise the member restarts from its storage, as after a crash.
func (m *member) start(fresh bool) {
	m.stop, m.done = make(chan struct{}), make(chan struct{})
	m.waiters, m.present = map[string]chan struct{}{}, map[string]bool{}
	rc := m.raftConfig()
	if fresh {
		m.node = raft.StartNode(rc, []raft.Peer{{ID: 1}, {ID: 2}, {ID: 3}})
	} else {
		snap, err := m.storage.Snapshot()
		if err != nil {
			m.t.Fatal(err)
		}
		m.restore(snap)
		rc.Applied = m.applied
		m.node = raft.RestartNode(rc)
	}
	tr, err := transport.New(transport.Config{
		ID: m.id, ListenAddr: m.addr, Peers: m.peers,
		Handler:       m.node.Step,
		OnUnreachable: m.node.ReportUnreachable,
		OnSnapshotStatus: func(id uint64, failed bool) {
			st := raft.SnapshotFinish
			if failed {
				st = raft.SnapshotFailure
			}
			m.node.ReportSnapshot(id, st)
		},
		Logger:      slog.New(slog.NewTextHandler(testWriter{m.t}, &slog.HandlerOptions{Level: slog.LevelWarn})),
		DialTimeout: 500 * time.Millisecond,
	})
	if err != nil {
		m.t.Fatal(err)
	}
	// A restarted member listens on its old port again; allow the OS a moment.
	deadline := time.Now().Add(5 * time.Second)
	for err = tr.Start(context.Background()); err != nil; err = tr.Start(context.Background()) {
		if time.Now().After(deadline) {
			m.t.Fatalf("member %d: %v", m.id, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	m.tr = tr
	go m.run()
}

// kill stops the member abruptly: its network first, then raft. Storage
// survives, as a disk would.
func (m *member) kill() {
	close(m.stop)
	<-m.done
	m.tr.Stop()
	m.node.Stop()
	m.lead.Store(0)
}

func (m *member) run() {
	defer close(m.done)
	ticker := time.NewTicker(clusterTick)
	defer ticker.Stop()
	for {
		select {
		case <-m.stop:
			return
		case <-ticker.C:
			m.node.Tick()
		case rd := <-m.node.Ready():
			if rd.SoftState != nil {
				m.lead.Store(rd.SoftState.Lead)
			}
			if !raft.IsEmptySnap(rd.Snapshot) {
				if err := m.storage.ApplySnapshot(rd.Snapshot); err != nil && !errors.Is(err, raft.ErrSnapOutOfDate) {
					m.t.Errorf("member %d: applying snapshot to storage: %v", m.id, err)
				}
				m.restore(rd.Snapshot)
				m.mu.Lock()
				m.snapsIn++
				m.mu.Unlock()
			}
			if !raft.IsEmptyHardState(rd.HardState) {
				m.storage.SetHardState(rd.HardState)
			}
			if err := m.storage.Append(rd.Entries); err != nil {
				m.t.Errorf("member %d: append: %v", m.id, err)
			}
			m.tr.Send(rd.Messages)
			for _, e := range rd.CommittedEntries {
				m.apply(e)
			}
			m.maybeCompact()
			m.node.Advance()
		}
	}
}

func (m *member) apply(e *pb.Entry) {
	switch e.GetType() {
	case pb.EntryNormal:
		if len(e.GetData()) > 0 {
			v := string(e.GetData())
			m.mu.Lock()
			m.state.Seq = append(m.state.Seq, v)
			m.present[v] = true
			if ch := m.waiters[v]; ch != nil {
				close(ch)
				delete(m.waiters, v)
			}
			m.mu.Unlock()
		}
	case pb.EntryConfChange:
		var cc pb.ConfChange
		if err := proto.Unmarshal(e.GetData(), &cc); err != nil {
			m.t.Errorf("member %d: conf change: %v", m.id, err)
			return
		}
		cs := m.node.ApplyConfChange(&cc)
		m.mu.Lock()
		m.confState = cs
		m.mu.Unlock()
	}
	m.mu.Lock()
	m.applied = e.GetIndex()
	m.mu.Unlock()
}

// restore replaces the state machine with a snapshot's.
func (m *member) restore(snap *pb.Snapshot) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if raft.IsEmptySnap(snap) {
		return
	}
	var st kv
	if err := json.Unmarshal(snap.GetData(), &st); err != nil {
		m.t.Errorf("member %d: decoding snapshot: %v", m.id, err)
		return
	}
	m.state = st
	m.present = map[string]bool{}
	for _, v := range st.Seq {
		m.present[v] = true
		if ch := m.waiters[v]; ch != nil {
			close(ch)
			delete(m.waiters, v)
		}
	}
	meta := snap.GetMetadata()
	m.applied, m.snapIndex, m.confState = meta.GetIndex(), meta.GetIndex(), meta.GetConfState()
}

// maybeCompact snapshots the state every compactEvery entries and drops
// the log behind it but for compactKeep entries.
func (m *member) maybeCompact() {
	m.mu.Lock()
	applied, cs := m.applied, m.confState
	if applied < m.snapIndex+compactEvery || cs == nil {
		m.mu.Unlock()
		return
	}
	data, err := json.Marshal(m.state)
	m.snapIndex = applied
	m.mu.Unlock()
	if err != nil {
		m.t.Errorf("member %d: encoding state: %v", m.id, err)
		return
	}
	if _, err := m.storage.CreateSnapshot(applied, cs, data); err != nil && !errors.Is(err, raft.ErrSnapOutOfDate) {
		m.t.Errorf("member %d: snapshot at %d: %v", m.id, applied, err)
		return
	}
	if err := m.storage.Compact(applied - compactKeep); err != nil && !errors.Is(err, raft.ErrCompacted) {
		m.t.Errorf("member %d: compact to %d: %v", m.id, applied-compactKeep, err)
	}
}

// propose submits v through this member and waits until it applies here,
// retrying when raft drops it (no leader, or lost with a dying leader).
// A retry can apply v twice; every member then applies it twice.
func (m *member) propose(ctx context.Context, v string) error {
	m.mu.Lock()
	if m.present[v] {
		m.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	m.waiters[v] = ch
	m.mu.Unlock()
	for {
		if err := m.node.Propose(ctx, []byte(v)); err != nil && ctx.Err() != nil {
			return err
		}
		select {
		case <-ch:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(proposeRetry):
		}
	}
}

func (m *member) snapshot() (applied uint64, seq []string, snapsIn int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.applied, slices.Clone(m.state.Seq), m.snapsIn
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

type cluster struct {
	t       *testing.T
	members []*member
}

// newCluster reserves three loopback ports (transports with no peers,
// stopped at once) and starts the members on them.
func newCluster(t *testing.T) *cluster {
	c := &cluster{t: t}
	var peers []transport.Peer
	for id := uint64(1); id <= 3; id++ {
		tr, err := transport.New(transport.Config{
			ID: id, ListenAddr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler),
			Handler: func(context.Context, *pb.Message) error { return nil },
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		peers = append(peers, transport.Peer{ID: id, Addr: tr.Addr().String()})
		tr.Stop()
	}
	for _, p := range peers {
		m := &member{t: t, id: p.ID, addr: p.Addr, peers: peers, storage: raft.NewMemoryStorage()}
		c.members = append(c.members, m)
		m.start(true)
	}
	t.Cleanup(func() {
		for _, m := range c.members {
			if m.stop != nil {
				select {
				case <-m.stop:
				default:
					m.kill()
				}
			}
		}
	})
	return c
}

// leader waits until the live members agree on a leader among them.
func (c *cluster) leader(live []*member, deadline time.Time) *member {
	for time.Now().Before(deadline) {
		lead := live[0].lead.Load()
		agree := lead != 0
		for _, m := range live[1:] {
			agree = agree && m.lead.Load() == lead
		}
		for _, m := range live {
			if agree && m.id == lead {
				return m
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	c.t.Fatalf("no leader agreed among %d members", len(live))
	return nil
}

// proposeAll proposes values[i] through followers, several at a time.
func (c *cluster) proposeAll(ctx context.Context, via []*member, values []string) {
	const workers = 16
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			m := via[w%len(via)]
			for i := w; i < len(values); i += workers {
				if err := m.propose(ctx, values[i]); err != nil {
					errs <- fmt.Errorf("proposing %s via member %d: %w", values[i], m.id, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		c.t.Fatal(err)
	}
}

// converged waits until the members applied the same sequence.
func (c *cluster) converged(ms []*member, deadline time.Time) []string {
	for {
		var seqs [][]string
		var applied []uint64
		for _, m := range ms {
			a, s, _ := m.snapshot()
			applied, seqs = append(applied, a), append(seqs, s)
		}
		same := true
		for i := 1; i < len(ms); i++ {
			same = same && applied[i] == applied[0] && slices.Equal(seqs[i], seqs[0])
		}
		if same {
			return seqs[0]
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("members did not converge: applied %v, sequence lengths %d/%d/%d",
				applied, len(seqs[0]), len(seqs[1%len(ms)]), len(seqs[2%len(ms)]))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func values(from, to int) []string {
	var vs []string
	for i := from; i < to; i++ {
		vs = append(vs, fmt.Sprintf("k%04d=v%04d", i, i))
	}
	return vs
}

func others(all []*member, not *member) []*member {
	var out []*member
	for _, m := range all {
		if m != not {
			out = append(out, m)
		}
	}
	return out
}

func TestRaftClusterOverTransport(t *testing.T) {
	if testing.Short() {
		t.Skip("cluster test")
	}
	start := time.Now()
	deadline := start.Add(clusterDeadline)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	c := newCluster(t)

	// 1. A leader is elected; followers' proposals are forwarded to it.
	lead := c.leader(c.members, deadline)
	t.Logf("leader %d after %v", lead.id, time.Since(start))
	phase := time.Now()
	c.proposeAll(ctx, others(c.members, lead), values(0, 500))
	c.converged(c.members, deadline)
	t.Logf("500 proposals via followers committed on all members in %v", time.Since(phase))

	// 2. Kill the leader: the others elect a new one and carry on.
	killed := lead
	killed.kill()
	phase = time.Now()
	live := others(c.members, killed)
	lead = c.leader(live, deadline)
	t.Logf("member %d killed; member %d leads after %v", killed.id, lead.id, time.Since(phase))
	phase = time.Now()
	c.proposeAll(ctx, others(live, lead), values(500, 1000))
	c.converged(live, deadline)
	t.Logf("500 more proposals with one member down in %v", time.Since(phase))

	// 3. Restart the killed member: the leader has compacted its log past
	// it, so it catches up through a snapshot, then with appends. (Make
	// sure of the compaction first: a slow box may not have got there.)
	killedApplied, _, _ := killed.snapshot()
	for i := 0; ; i++ {
		first, err := lead.storage.FirstIndex()
		if err != nil {
			t.Fatal(err)
		}
		if first > killedApplied+1 {
			break
		}
		if i == 10 {
			t.Fatalf("the leader's log still starts at %d, not past member %d's %d", first, killed.id, killedApplied)
		}
		c.proposeAll(ctx, others(live, lead), values(2000+100*i, 2100+100*i))
		c.converged(live, deadline)
	}
	phase = time.Now()
	killed.start(false)
	c.converged(c.members, deadline)
	_, _, snapsIn := killed.snapshot()
	t.Logf("member %d caught up in %v (%d snapshot(s) received)", killed.id, time.Since(phase), snapsIn)
	if snapsIn == 0 {
		t.Fatalf("member %d caught up without a snapshot; the test meant to exercise MsgSnap", killed.id)
	}
	c.proposeAll(ctx, []*member{killed}, values(1000, 1010))
	seq := c.converged(c.members, deadline)

	seen := map[string]bool{}
	for _, v := range seq {
		seen[v] = true
	}
	for _, v := range values(0, 1010) {
		if !seen[v] {
			t.Fatalf("%s missing from the applied sequence", v)
		}
	}
	t.Logf("all members applied the same %d entries (%d distinct) in %v",
		len(seq), len(seen), time.Since(start))
	for _, m := range c.members {
		for _, s := range m.tr.Stats() {
			t.Logf("member %d -> %d: sent %d received %d dropped %d snapshots sent %d received %d",
				m.id, s.ID, s.Sent, s.Received, s.Dropped, s.SnapshotsSent, s.SnapshotsReceived)
		}
	}
}
