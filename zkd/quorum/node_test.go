package quorum

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

func TestStartRejectsBadConfig(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"id 0", Config{DataDir: dir, DataLogDir: dir}},
		{"no dataDir", Config{ID: 1, DataLogDir: dir}},
		{"no dataLogDir", Config{ID: 1, DataDir: dir}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if n, err := Start(context.Background(), tc.cfg, &testSM{}); err == nil {
				n.Stop()
				t.Fatal("Start succeeded")
			}
		})
	}
}

func standaloneConfig(t *testing.T, logs *logBuffer) Config {
	dir := t.TempDir()
	return Config{
		ID: 1, Tick: testTick, ElectionTicks: testElectionTicks, HeartbeatTicks: 1,
		DataDir: filepath.Join(dir, "data"), DataLogDir: filepath.Join(dir, "log"),
		NoSync: true, SegmentSize: testSegmentSize, SnapCount: 20, SnapRetain: 3,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
}

// A standalone server is a group of one: it leads as soon as Start
// returns, snapshots, and recovers its state on restart.
func TestStandalone(t *testing.T) {
	logs := &logBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", logs.String())
		}
	})
	cfg := standaloneConfig(t, logs)
	ctx := context.Background()
	sm := &testSM{}
	n, err := Start(ctx, cfg, sm)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { n.Stop() }()
	if !n.IsLeader() || n.Role() != "leader" || n.Leader() != 1 || n.Ensemble() {
		t.Fatalf("standalone: IsLeader %v, Role %q, Leader %d, Ensemble %v", n.IsLeader(), n.Role(), n.Leader(), n.Ensemble())
	}
	if n.Followers() == nil || len(n.Followers()) != 0 {
		t.Errorf("Followers() of a group of one = %v, want empty", n.Followers())
	}
	want := payloads("p", 50)
	for _, p := range want {
		if err := n.Propose(ctx, []byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	// Propose returns once raft has the proposal, before it commits: wait
	// for the applies rather than Sync, which covers only what committed
	// before it.
	waitFor(t, waitLong, "the proposals to apply", func() bool { return sm.len() == len(want) })
	if got := sm.list(); !slices.Equal(got, want) {
		t.Fatalf("applied %q, want %q", got, want)
	}
	sctx, cancel := context.WithTimeout(ctx, waitLong)
	defer cancel()
	if err := n.Sync(sctx); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if err := n.Alive(sctx); err != nil {
		t.Fatalf("Alive: %v", err)
	}
	// SnapRetain 3: older snapshots are purged as new ones are written.
	// Write on, one at a time, until a purge happened.
	deadline := time.Now().Add(waitLong)
	for i := 0; !logs.contains("purged old snapshots"); i++ {
		if time.Now().After(deadline) {
			t.Fatalf("no snapshot purged after %d more proposals", i)
		}
		p := fmt.Sprintf("q-%d", i)
		want = append(want, p)
		if err := n.Propose(ctx, []byte(p)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, waitLong, "the proposal to apply", func() bool { return sm.has(p) })
	}
	// A snapshot still being written when the purge ran is purged after
	// its own write.
	deadline = time.Now().Add(waitLong)
	for files := snapshotFiles(t, cfg.DataDir); len(files) > 3; files = snapshotFiles(t, cfg.DataDir) {
		if time.Now().After(deadline) {
			t.Fatalf("SnapRetain 3 kept %v", files)
		}
		time.Sleep(5 * time.Millisecond)
	}
	n.Stop()

	sm2 := &testSM{}
	n, err = Start(ctx, cfg, sm2)
	if err != nil {
		t.Fatal(err)
	}
	if got := sm2.list(); !slices.Equal(got, want) {
		t.Fatalf("recovered %d payloads, want %d", len(got), len(want))
	}
	if sm2.restoreCount() == 0 {
		t.Errorf("recovered without the snapshot")
	}
	if err := n.Propose(ctx, []byte("after")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, waitLong, "the proposal after the restart", func() bool { return sm2.has("after") })
}

// After Stop every call fails with ErrStopped, promptly.
func TestCallsAfterStop(t *testing.T) {
	logs := &logBuffer{}
	cfg := standaloneConfig(t, logs)
	n, err := Start(context.Background(), cfg, &testSM{})
	if err != nil {
		t.Fatal(err)
	}
	n.Stop()
	n.Stop() // twice is fine
	for _, tc := range []struct {
		name string
		call func(context.Context) error
	}{
		{"Propose", func(ctx context.Context) error { return n.Propose(ctx, []byte("x")) }},
		{"Alive", n.Alive},
		{"WaitApplied", func(ctx context.Context) error { return n.WaitApplied(ctx, n.Applied()+1) }},
		// Sync retries until ctx ends unless it sees ErrStopped; raft's
		// own ErrStopped ("raft: stopped") from ReadIndex is another
		// error, which it used to retry, spinning, until the deadline.
		{"Sync", n.Sync},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			start := time.Now()
			err := tc.call(ctx)
			if !errors.Is(err, ErrStopped) {
				t.Errorf("%s after Stop: %v (after %v), want ErrStopped", tc.name, err, time.Since(start).Round(time.Millisecond))
			}
		})
	}
}

// The leader proposes a forwarded proposal only if it leads the term the
// proposal was tagged with; anything else is dropped, never reordered.
// MsgProp with appContext is an application message, never proposed.
func TestForwardedProposalTerm(t *testing.T) {
	c := newCluster(t, clusterSpec{voters: 3})
	lead := c.startAll()
	f := c.follower(lead, c.ids...)
	c.proposeApplied(lead, "warm-up")
	term := c.node(lead).Term()
	if term < 2 {
		t.Fatalf("leader's term %d: elections start at 2", term)
	}
	for _, tc := range []struct {
		name    string
		on      uint64 // the member whose handler receives it
		term    uint64
		context []byte
		applied bool
	}{
		{"current term at the leader", lead, term, nil, true},
		{"older term at the leader", lead, term - 1, nil, false},
		{"zero term at the leader", lead, 0, nil, false},
		{"newer term at the leader", lead, term + 1, nil, false},
		{"current term at a follower", f, term, nil, false},
		{"app message at the leader", lead, term, appContext, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.node(lead).Term(); got != term {
				t.Fatalf("the term moved from %d to %d (an unplanned election under load)", term, got)
			}
			data := "fwd " + tc.name
			from := f
			if tc.on == f {
				from = lead
			}
			m := &pb.Message{
				Type: pb.MsgProp.Enum(), From: proto.Uint64(from), To: proto.Uint64(tc.on),
				Term: proto.Uint64(tc.term), Context: tc.context, Entries: []*pb.Entry{{Data: []byte(data)}},
			}
			if err := c.node(tc.on).handle(context.Background(), m); err != nil {
				t.Fatalf("handle: %v", err)
			}
			// handle proposes before it returns: a proposal it made is in
			// the log ahead of this marker.
			marker := "marker " + tc.name
			c.proposeApplied(lead, marker)
			c.waitSame(c.sm(lead).len(), c.ids...)
			for _, id := range c.ids {
				if got := c.sm(id).has(data); got != tc.applied {
					t.Errorf("member %d applied it: %v, want %v", id, got, tc.applied)
				}
			}
			if tc.context != nil {
				var got []received
				for _, r := range c.receivedBy(tc.on) {
					if r.data == data {
						got = append(got, r)
					}
				}
				if len(got) != 1 || got[0].from != from {
					t.Errorf("OnMessage got %v, want one call from %d", got, from)
				}
			}
		})
	}
}

// Stop waits for a snapshot being written: once it returns, nothing of
// the node touches the state machine or dataDir any more (a server frees
// its tree after Stop; a restart in the same dirs must not race an old
// write).
func TestStopWaitsForSnapshotWrite(t *testing.T) {
	logs := &logBuffer{}
	cfg := standaloneConfig(t, logs)
	cfg.SnapCount = 2 // a snapshot every 2 txns
	sm := &testSM{}
	sm.writeDelay.Store(int64(300 * time.Millisecond))
	n, err := Start(context.Background(), cfg, sm)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Let a write that outlived Stop finish before TempDir goes.
		deadline := time.Now().Add(waitLong)
		for sm.writing.Load() > 0 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
	})
	for _, p := range payloads("p", 3) {
		if err := n.Propose(context.Background(), []byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, waitLong, "a snapshot write to start", func() bool { return sm.writing.Load() > 0 })
	n.Stop()
	if w := sm.writing.Load(); w != 0 {
		t.Fatalf("Stop returned while %d snapshot write(s) of the state machine were still running", w)
	}
}

// ZooKeeper's snapCount counts the txns logged since the last snapshot
// started: txns applied while a snapshot is being written count toward
// the next one. Resetting the count when the write finishes forgets them,
// and under load (a long write of a big tree) the log grows well past
// SnapCount between snapshots.
func TestTxnsDuringSnapshotWriteCount(t *testing.T) {
	cfg, sm, propose := startSnapshotting(t, 0) // a snapshot after exactly 2 txns
	sm.writeDelay.Store(int64(200 * time.Millisecond))
	propose("a")
	propose("b") // the first snapshot starts, and takes 200ms
	waitFor(t, waitLong, "the first snapshot write to start", func() bool { return sm.writing.Load() > 0 })
	for _, p := range []string{"c", "d", "e", "f"} { // 4 txns while it is written
		propose(p)
	}
	sm.writeDelay.Store(0)
	waitFor(t, waitLong, "the first snapshot to be written", func() bool { return len(snapshotFiles(t, cfg.DataDir)) >= 1 })
	time.Sleep(20 * time.Millisecond) // the loop records it
	propose("g")                      // 5 txns since the first snapshot started
	deadline := time.Now().Add(2 * time.Second)
	for len(snapshotFiles(t, cfg.DataDir)) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("5 txns after a snapshot with SnapCount 2 and no second snapshot (snapshots %v)", snapshotFiles(t, cfg.DataDir))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A big snapshot is not followed by another until the log since it holds
// a quarter of its size (snapshotDue); below BigSnapshot, every snapCount
// txns as ZooKeeper.
func TestBigSnapshotWaitsForLog(t *testing.T) {
	for _, tc := range []struct {
		name        string
		bigSnapshot int64
		// after 40 small txns: at most max snapshots, at least min
		max, min int
	}{
		{"big: waits for the log", 1, 2, 1},
		{"small: every snapCount txns", 0, 1000, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _, propose := startSnapshotting(t, tc.bigSnapshot)
			// A first snapshot of some 64 KiB.
			propose(strings.Repeat("a", 64<<10))
			propose("b")
			waitFor(t, waitLong, "the first snapshot", func() bool { return len(snapshotFiles(t, cfg.DataDir)) >= 1 })
			for i := range 40 {
				propose(fmt.Sprintf("small-%02d", i))
				// Time for a snapshot to be written: only one at a time.
				time.Sleep(10 * time.Millisecond)
			}
			got := len(snapshotFiles(t, cfg.DataDir))
			if got > tc.max || got < tc.min {
				t.Fatalf("%d snapshots after 40 txns of 8 bytes, want %d to %d", got, tc.min, tc.max)
			}
			// 32 KiB of log: half the snapshot, enough for the next.
			propose(strings.Repeat("c", 16<<10))
			propose(strings.Repeat("d", 16<<10))
			waitFor(t, waitLong, "a snapshot once the log is worth it", func() bool { return len(snapshotFiles(t, cfg.DataDir)) > got })
		})
	}
}

// startSnapshotting starts a standalone node that snapshots every 2 txns
// (and keeps every snapshot), with BigSnapshot bigSnapshot, stopped at
// the end of the test (its logs shown if it failed); propose waits for
// each proposal to apply.
func startSnapshotting(t *testing.T, bigSnapshot int64) (Config, *testSM, func(p string)) {
	t.Helper()
	logs := &logBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", logs.String())
		}
	})
	cfg := standaloneConfig(t, logs)
	cfg.SnapCount = 2
	cfg.SnapRetain = 0
	cfg.BigSnapshot = bigSnapshot
	sm := &testSM{}
	n, err := Start(context.Background(), cfg, sm)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Stop)
	propose := func(p string) {
		t.Helper()
		if err := n.Propose(context.Background(), []byte(p)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, waitLong, "the proposal to apply", func() bool { return sm.has(p) })
	}
	return cfg, sm, propose
}
