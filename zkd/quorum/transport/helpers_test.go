package transport

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// logBuffer collects log output for assertions, safe for concurrent use.
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

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// waitFor polls cond until it holds or d passes.
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

// inbox is a Handler that records what it receives.
type inbox struct {
	mu   sync.Mutex
	msgs []*pb.Message
	fail func(m *pb.Message) error // optional verdict
}

func (b *inbox) handle(_ context.Context, m *pb.Message) error {
	if b.fail != nil {
		if err := b.fail(m); err != nil {
			return err
		}
	}
	b.mu.Lock()
	b.msgs = append(b.msgs, m)
	b.mu.Unlock()
	return nil
}

func (b *inbox) len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.msgs)
}

func (b *inbox) all() []*pb.Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]*pb.Message(nil), b.msgs...)
}

// callbacks records OnUnreachable and OnSnapshotStatus calls.
type callbacks struct {
	mu          sync.Mutex
	unreachable map[uint64]int
	snapOK      map[uint64]int
	snapFailed  map[uint64]int
}

func newCallbacks() *callbacks {
	return &callbacks{unreachable: map[uint64]int{}, snapOK: map[uint64]int{}, snapFailed: map[uint64]int{}}
}

func (c *callbacks) onUnreachable(id uint64) {
	c.mu.Lock()
	c.unreachable[id]++
	c.mu.Unlock()
}

func (c *callbacks) onSnapshotStatus(id uint64, failed bool) {
	c.mu.Lock()
	if failed {
		c.snapFailed[id]++
	} else {
		c.snapOK[id]++
	}
	c.mu.Unlock()
}

func (c *callbacks) count(m map[uint64]int, id uint64) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return m[id]
}

// node is one test transport with what it received and logged.
type node struct {
	tr   *Transport
	in   *inbox
	cb   *callbacks
	logs *logBuffer
}

// newNode starts a transport for id on a free loopback port. mod may
// adjust the config before New.
func newNode(t testing.TB, id uint64, peers []Peer, mod func(*Config)) *node {
	t.Helper()
	n := &node{in: &inbox{}, cb: newCallbacks(), logs: &logBuffer{}}
	cfg := Config{
		ID: id, ListenAddr: "127.0.0.1:0", Peers: peers,
		Handler:          n.in.handle,
		OnUnreachable:    n.cb.onUnreachable,
		OnSnapshotStatus: n.cb.onSnapshotStatus,
		Logger:           n.logs.logger(),
		DialTimeout:      time.Second,
		WriteTimeout:     2 * time.Second,
	}
	if mod != nil {
		mod(&cfg)
	}
	tr, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%d): %v", id, err)
	}
	if err := tr.Start(context.Background()); err != nil {
		t.Fatalf("Start(%d): %v", id, err)
	}
	n.tr = tr
	t.Cleanup(tr.Stop)
	return n
}

func (n *node) addr() string { return n.tr.Addr().String() }

func (n *node) stats(id uint64) PeerStats {
	for _, s := range n.tr.Stats() {
		if s.ID == id {
			return s
		}
	}
	return PeerStats{}
}

// pair starts members 1 and 2 that know each other and waits until both
// streams are up.
func pair(t testing.TB, mod func(*Config)) (a, b *node) {
	t.Helper()
	a = newNode(t, 1, nil, mod)
	b = newNode(t, 2, nil, mod)
	if err := a.tr.AddPeer(Peer{ID: 2, Addr: b.addr()}); err != nil {
		t.Fatal(err)
	}
	if err := b.tr.AddPeer(Peer{ID: 1, Addr: a.addr()}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "streams up", func() bool {
		return a.stats(2).Connected && b.stats(1).Connected && a.stats(2).Inbound && b.stats(1).Inbound
	})
	return a, b
}

// app is a small MsgApp from -> to carrying index i.
func app(from, to, i uint64) *pb.Message {
	return &pb.Message{
		Type: pb.MsgApp.Enum(), From: proto.Uint64(from), To: proto.Uint64(to),
		Term: proto.Uint64(1), Index: proto.Uint64(i),
		Entries: []*pb.Entry{{Index: proto.Uint64(i + 1), Term: proto.Uint64(1), Data: []byte(fmt.Sprintf("entry %d", i+1))}},
	}
}

func heartbeat(from, to uint64) *pb.Message {
	return &pb.Message{Type: pb.MsgHeartbeat.Enum(), From: proto.Uint64(from), To: proto.Uint64(to), Term: proto.Uint64(1)}
}

func snapMsg(from, to uint64, size int) *pb.Message {
	return &pb.Message{
		Type: pb.MsgSnap.Enum(), From: proto.Uint64(from), To: proto.Uint64(to), Term: proto.Uint64(1),
		Snapshot: &pb.Snapshot{
			Data: bytes.Repeat([]byte("z"), size),
			Metadata: &pb.SnapshotMetadata{
				Index: proto.Uint64(100), Term: proto.Uint64(1),
				ConfState: &pb.ConfState{Voters: []uint64{1, 2, 3}},
			},
		},
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
