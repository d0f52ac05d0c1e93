package quorum

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Timing of the test ensembles: elections after ~100 ms.
const (
	testTick          = 10 * time.Millisecond
	testElectionTicks = 30 // 300 ms: no unplanned elections on a loaded 2-core box
	electionTimeout   = testTick * testElectionTicks
	// waitLong bounds every wait for something that must happen.
	waitLong = 10 * time.Second
	// testSegmentSize keeps WAL preallocation (64 MiB by default) cheap.
	testSegmentSize = 256 << 10
)

// testSM is a StateMachine that keeps the ordered list of applied payloads.
type testSM struct {
	mu       sync.Mutex
	entries  []string
	indexes  []uint64
	restores int
	// applyDelay (nanoseconds) slows every Apply down: a lagging member.
	applyDelay atomic.Int64
	// writeDelay (nanoseconds) slows every snapshot write down; writing
	// counts the writes under way.
	writeDelay atomic.Int64
	writing    atomic.Int32
}

func (s *testSM) Apply(index uint64, data []byte) int {
	if d := s.applyDelay.Load(); d > 0 {
		time.Sleep(time.Duration(d))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.indexes); n > 0 && s.indexes[n-1] >= index {
		panic(fmt.Sprintf("testSM: apply of index %d after %d", index, s.indexes[n-1]))
	}
	s.entries = append(s.entries, string(data))
	s.indexes = append(s.indexes, index)
	return 1
}

// Snapshot encodes (index, payload) pairs; the capture is a copy, so the
// write may run while later entries apply.
func (s *testSM) Snapshot() (int64, func(io.Writer) error) {
	s.mu.Lock()
	ents := slices.Clone(s.entries)
	idx := slices.Clone(s.indexes)
	s.mu.Unlock()
	return int64(len(ents)), func(w io.Writer) error {
		s.writing.Add(1)
		defer s.writing.Add(-1)
		if d := s.writeDelay.Load(); d > 0 {
			time.Sleep(time.Duration(d))
		}
		var b []byte
		b = binary.BigEndian.AppendUint64(b, uint64(len(ents)))
		for i, e := range ents {
			b = binary.BigEndian.AppendUint64(b, idx[i])
			b = binary.BigEndian.AppendUint32(b, uint32(len(e)))
			b = append(b, e...)
		}
		_, err := w.Write(b)
		return err
	}
}

func (s *testSM) Restore(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if len(b) < 8 {
		return errors.New("testSM: short snapshot")
	}
	n := binary.BigEndian.Uint64(b)
	b = b[8:]
	ents := make([]string, 0, n)
	idx := make([]uint64, 0, n)
	for range n {
		if len(b) < 12 {
			return errors.New("testSM: truncated snapshot")
		}
		i := binary.BigEndian.Uint64(b)
		l := binary.BigEndian.Uint32(b[8:])
		b = b[12:]
		if uint32(len(b)) < l {
			return errors.New("testSM: truncated snapshot entry")
		}
		ents = append(ents, string(b[:l]))
		idx = append(idx, i)
		b = b[l:]
	}
	if len(b) != 0 {
		return fmt.Errorf("testSM: %d bytes after the snapshot", len(b))
	}
	s.mu.Lock()
	s.entries, s.indexes = ents, idx
	s.restores++
	s.mu.Unlock()
	return nil
}

func (s *testSM) LastZxid() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int64(len(s.entries))
}

func (s *testSM) list() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.entries)
}

func (s *testSM) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.entries)
}

func (s *testSM) has(data string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Contains(s.entries, data)
}

func (s *testSM) restoreCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.restores
}

// logBuffer collects every member's log lines; a failed test prints them.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) contains(s string) bool { return strings.Contains(l.String(), s) }

// waitFor polls cond until it holds, failing the test after d.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// freeAddrs returns n distinct 127.0.0.1 addresses nothing listens on.
func freeAddrs(t testing.TB, n int) []string {
	t.Helper()
	var lns []net.Listener
	var addrs []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		addrs = append(addrs, ln.Addr().String())
	}
	for _, ln := range lns {
		ln.Close()
	}
	return addrs
}

// received is one OnMessage call.
type received struct {
	to, from uint64
	data     string
}

// member is one server of a test ensemble.
type member struct {
	cfg    Config
	node   *Node
	sm     *testSM
	cancel context.CancelFunc
}

// cluster is an in-process ensemble on 127.0.0.1.
type cluster struct {
	t       testing.TB
	ids     []uint64
	members map[uint64]*member
	logs    *logBuffer

	mu         sync.Mutex
	messages   []received
	leaders    map[uint64][]uint64 // OnLeaderChange calls per member
	stableTerm uint64              // the leader's term at the last waitLeader
}

type clusterSpec struct {
	voters, observers int
	snapCount         int
	catchUp           uint64
}

// newCluster lays out an ensemble (voters get ids 1..voters, observers
// the ids after) without starting anyone.
func newCluster(t testing.TB, spec clusterSpec) *cluster {
	t.Helper()
	c := &cluster{t: t, members: map[uint64]*member{}, logs: &logBuffer{}, leaders: map[uint64][]uint64{}}
	total := spec.voters + spec.observers
	addrs := freeAddrs(t, total)
	var peers []Peer
	for i := range total {
		id := uint64(i + 1)
		c.ids = append(c.ids, id)
		peers = append(peers, Peer{ID: id, Addr: addrs[i], Observer: i >= spec.voters})
	}
	root := t.TempDir()
	for i, id := range c.ids {
		dir := filepath.Join(root, fmt.Sprintf("m%d", id))
		cfg := Config{
			ID:             id,
			Tick:           testTick,
			ElectionTicks:  testElectionTicks,
			HeartbeatTicks: 1,
			DataDir:        filepath.Join(dir, "data"),
			DataLogDir:     filepath.Join(dir, "log"),
			NoSync:         true,
			SegmentSize:    testSegmentSize,
			SnapCount:      spec.snapCount,
			CatchUpEntries: spec.catchUp,
			Peers:          peers,
			ListenAddr:     addrs[i],
			Logger:         slog.New(slog.NewTextHandler(c.logs, &slog.HandlerOptions{Level: testLogLevel()})).With("node", id),
			OnMessage: func(from uint64, data []byte) {
				c.mu.Lock()
				c.messages = append(c.messages, received{to: id, from: from, data: string(data)})
				c.mu.Unlock()
			},
			OnLeaderChange: func(leader uint64) {
				c.mu.Lock()
				c.leaders[id] = append(c.leaders[id], leader)
				c.mu.Unlock()
			},
		}
		c.members[id] = &member{cfg: cfg}
	}
	t.Cleanup(func() {
		for _, id := range c.ids {
			if c.members[id].node != nil {
				c.stop(id)
			}
		}
		if t.Failed() {
			t.Logf("member logs:\n%s", c.logs.String())
		}
	})
	return c
}

// start starts member id (its existing dirs, a new state machine) and
// fails the test unless Start returns within waitLong.
func (c *cluster) start(id uint64) *Node {
	c.t.Helper()
	m := c.members[id]
	if m.node != nil {
		c.t.Fatalf("member %d already running", id)
	}
	sm := &testSM{}
	ctx, cancel := context.WithCancel(context.Background())
	type result struct {
		n   *Node
		err error
	}
	ch := make(chan result, 1)
	go func() {
		n, err := Start(ctx, m.cfg, sm)
		ch <- result{n, err}
	}()
	var r result
	select {
	case r = <-ch:
	case <-time.After(waitLong):
		cancel()
		<-ch
		c.t.Fatalf("Start of member %d did not return within %v", id, waitLong)
	}
	if r.err != nil {
		cancel()
		c.t.Fatalf("Start of member %d: %v", id, r.err)
	}
	m.node, m.sm, m.cancel = r.n, sm, cancel
	return r.n
}

// startAll starts every member and returns the leader they agree on.
func (c *cluster) startAll() uint64 {
	c.t.Helper()
	for _, id := range c.ids {
		c.start(id)
	}
	return c.waitLeader(c.ids...)
}

// stop stops member id, failing the test if Stop hangs.
func (c *cluster) stop(id uint64) {
	c.t.Helper()
	m := c.members[id]
	if m.node == nil {
		c.t.Fatalf("member %d is not running", id)
	}
	done := make(chan struct{})
	go func() {
		m.node.Stop()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(waitLong):
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		c.t.Fatalf("Stop of member %d hung:\n%s", id, buf)
	}
	m.cancel()
	m.node = nil
}

func (c *cluster) node(id uint64) *Node { return c.members[id].node }
func (c *cluster) sm(id uint64) *testSM { return c.members[id].sm }

// running lists the members that run now.
func (c *cluster) running() []uint64 {
	var out []uint64
	for _, id := range c.ids {
		if c.members[id].node != nil {
			out = append(out, id)
		}
	}
	return out
}

// waitLeader waits until every member in ids knows the same leader, one
// of ids, which knows it leads; it returns that leader.
func (c *cluster) waitLeader(ids ...uint64) uint64 {
	c.t.Helper()
	var lead uint64
	waitFor(c.t, waitLong, fmt.Sprintf("members %v to agree on a leader among them", ids), func() bool {
		lead = c.node(ids[0]).Leader()
		if lead == 0 || !slices.Contains(ids, lead) {
			return false
		}
		for _, id := range ids {
			if c.node(id).Leader() != lead {
				return false
			}
		}
		return c.node(lead).IsLeader() && c.node(lead).Role() == "leader"
	})
	c.mu.Lock()
	c.stableTerm = c.node(lead).Term()
	c.mu.Unlock()
	return lead
}

// electionSince reports whether a running member is in a later term than
// the one the last waitLeader saw: an election (under load, ticks of 10 ms
// can miss an election timeout) may drop proposals forwarded across it,
// by design.
func (c *cluster) electionSince() (bool, string) {
	c.mu.Lock()
	stable := c.stableTerm
	c.mu.Unlock()
	var terms []string
	moved := false
	for _, id := range c.running() {
		term := c.node(id).Term()
		moved = moved || (stable != 0 && term > stable)
		terms = append(terms, fmt.Sprintf("%d:%d", id, term))
	}
	return moved, fmt.Sprintf("term %d when the leader was agreed; now %v", stable, terms)
}

// failOnElection names an unplanned election in the failure when a wait
// for proposals timed out because one happened in between (proposals
// forwarded across it may be dropped by design): the test still fails,
// since the election timeout is meant to be long enough here.
func (c *cluster) failOnElection(what string) {
	c.t.Helper()
	if moved, terms := c.electionSince(); moved {
		c.t.Fatalf("%s: an unplanned election happened (%s); proposals forwarded across it may be dropped by design", what, terms)
	}
}

// waitFor is waitFor, naming an unplanned election when it fails.
func (c *cluster) waitFor(what string, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(waitLong)
	for !cond() {
		if time.Now().After(deadline) {
			c.failOnElection(what)
			c.t.Fatalf("timed out after %v waiting for %s", waitLong, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// waitSynced waits until leader lead sees every other running member
// in sync (Followers' Synced).
func (c *cluster) waitSynced(lead uint64) {
	c.t.Helper()
	c.waitFor("the leader to see every member synced", func() bool {
		fs := c.node(lead).Followers()
		for _, f := range fs {
			if !f.Synced {
				return false
			}
		}
		return len(fs) == len(c.running())-1
	})
}

// follower returns a running member of ids other than lead.
func (c *cluster) follower(lead uint64, ids ...uint64) uint64 {
	for _, id := range ids {
		if id != lead {
			return id
		}
	}
	c.t.Fatalf("no follower among %v", ids)
	return 0
}

// propose proposes data on member id, retrying while no leader is known.
func (c *cluster) propose(id uint64, data string) {
	c.t.Helper()
	deadline := time.Now().Add(waitLong)
	for {
		err := c.node(id).Propose(context.Background(), []byte(data))
		if err == nil {
			return
		}
		if !errors.Is(err, ErrNoLeader) || time.Now().After(deadline) {
			c.t.Fatalf("Propose(%q) on member %d: %v", data, id, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// proposeApplied proposes data on member id until id has applied it: a
// proposal forwarded around a leader change may be dropped, and is then
// proposed again.
func (c *cluster) proposeApplied(id uint64, data string) {
	c.t.Helper()
	deadline := time.Now().Add(waitLong)
	for time.Now().Before(deadline) {
		c.propose(id, data)
		retry := time.Now().Add(2 * time.Second)
		for time.Now().Before(retry) {
			if c.sm(id).has(data) {
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	c.failOnElection(fmt.Sprintf("%q proposed on member %d", data, id))
	c.t.Fatalf("%q proposed on member %d was not applied within %v", data, id, waitLong)
}

// waitSame waits until members ids have applied at least n payloads and
// identical sequences; it returns the sequence.
func (c *cluster) waitSame(n int, ids ...uint64) []string {
	c.t.Helper()
	var seq []string
	deadline := time.Now().Add(waitLong)
	for {
		seq = c.sm(ids[0]).list()
		same := len(seq) >= n
		for _, id := range ids[1:] {
			if !same {
				break
			}
			same = slices.Equal(seq, c.sm(id).list())
		}
		if same {
			return seq
		}
		if time.Now().After(deadline) {
			c.failOnElection(fmt.Sprintf("members %v applying the same %d+ payloads", ids, n))
			for _, id := range ids {
				l := c.sm(id).list()
				c.t.Errorf("member %d applied %d: ...%q", id, len(l), l[max(0, len(l)-5):])
			}
			c.t.Fatalf("members %v did not apply the same %d+ payloads within %v", ids, n, waitLong)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// receivedBy returns the OnMessage calls member to got.
func (c *cluster) receivedBy(to uint64) []received {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []received
	for _, r := range c.messages {
		if r.to == to {
			out = append(out, r)
		}
	}
	return out
}

// snapshotFiles lists the snapshot files in a dataDir.
func snapshotFiles(t testing.TB, dataDir string) []string {
	t.Helper()
	des, err := os.ReadDir(SnapDir(dataDir))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, de := range des {
		if strings.HasPrefix(de.Name(), "snapshot.") && !strings.HasSuffix(de.Name(), ".tmp") {
			out = append(out, de.Name())
		}
	}
	return out
}

// payloads makes n distinct payloads prefix-0 .. prefix-(n-1).
func payloads(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%d", prefix, i)
	}
	return out
}

// isSubsequence reports whether sub appears in seq in order.
func isSubsequence(sub, seq []string) bool {
	i := 0
	for _, s := range seq {
		if i < len(sub) && s == sub[i] {
			i++
		}
	}
	return i == len(sub)
}

// testLogLevel is Info, or Debug (raft's narration included) with
// ZKD_QUORUM_TEST_DEBUG=1; a failed test prints the lines.
func testLogLevel() slog.Level {
	if os.Getenv("ZKD_QUORUM_TEST_DEBUG") == "1" {
		return slog.LevelDebug
	}
	return slog.LevelInfo
}

// memEntries is how many entries raft's in-memory log holds.
func (d *durable) memEntries() uint64 {
	first, _ := d.mem.FirstIndex()
	last, _ := d.mem.LastIndex()
	return last + 1 - first
}
