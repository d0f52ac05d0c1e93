package quorum

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"zkd/zkd/quorum/transport"
	"zkd/zkd/storage/snap"
)

// A member further behind than the leader's log reaches gets the leader's
// snapshot, then the entries after it, and ends with the same state; the
// snapshot it received survives a restart with no other member running.
func TestSnapshotCatchUp(t *testing.T) {
	for _, tc := range []struct {
		name string
		// neverStarted: the late member is in the server list from the
		// start but starts only now, with empty dirs; otherwise it is a
		// follower stopped for a while.
		neverStarted bool
	}{
		{"restarted follower", false},
		{"never-started member", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, clusterSpec{voters: 3, snapCount: 20, catchUp: 5})
			var late uint64
			var lateLast uint64 // the last index in the late member's log
			base := 0
			if tc.neverStarted {
				late = 3
				c.start(1)
				c.start(2)
				lateLast = 3 // the bootstrap entries
			} else {
				lead := c.startAll()
				late = c.follower(lead, c.ids...)
				for _, p := range payloads("early", 5) {
					c.propose(lead, p)
				}
				base = 5
				c.waitSame(base, c.ids...)
				lateLast, _ = c.node(late).durable.mem.LastIndex()
				c.stop(late)
				if files := snapshotFiles(t, c.members[late].cfg.DataDir); len(files) != 0 {
					t.Fatalf("the late member snapshotted already: %v", files)
				}
			}
			others := c.running()
			lead := c.waitLeader(others...)
			for _, p := range payloads("late", 100) {
				c.propose(lead, p)
			}
			// (An election under load may drop some of those: the last
			// one is proposed until it applies.)
			c.proposeApplied(lead, "late-end")
			lead = c.waitLeader(others...)
			seq := c.waitSame(c.sm(lead).len(), others...)
			if len(seq) < base+50 {
				t.Fatalf("only %d payloads applied", len(seq))
			}
			// Every member, not only the leader of the moment: under load
			// leadership may move, and each member trims its in-memory log
			// on its own schedule (trimEvery).
			c.waitFor("every member to compact its log past the late member's", func() bool {
				for _, id := range others {
					if first, _ := c.node(id).durable.mem.FirstIndex(); first <= lateLast+1 {
						return false
					}
				}
				return true
			})
			if len(snapshotFiles(t, c.members[lead].cfg.DataDir)) == 0 {
				t.Fatal("the leader compacted without a snapshot file")
			}

			c.start(late)
			all := c.ids
			if got := c.waitSame(len(seq), all...); !slices.Equal(got, seq) {
				t.Fatalf("the late member's sequence differs")
			}
			if n := c.sm(late).restoreCount(); n == 0 {
				t.Errorf("the late member caught up without restoring a snapshot")
			}
			// The state machine is restored before installSnapshot saves
			// the file and the transport hears it was accepted.
			c.waitFor("installSnapshot to finish", func() bool {
				return c.logs.contains("installed snapshot from the leader")
			})
			// (By the leader of the moment: under load it may have changed.)
			c.waitFor("a transport to count the snapshot sent", func() bool {
				for _, id := range c.running() {
					for _, ps := range c.node(id).PeerStats() {
						if ps.ID == late && ps.SnapshotsSent > 0 {
							return true
						}
					}
				}
				return false
			})
			files := snapshotFiles(t, c.members[late].cfg.DataDir)
			if len(files) == 0 {
				t.Fatalf("no snapshot file in the late member's %s", SnapDir(c.members[late].cfg.DataDir))
			}
			t.Logf("late member %d has snapshots %v", late, files)

			// It takes part like any member afterwards.
			c.waitLeader(all...)
			more := payloads("after", 10)
			for _, p := range more {
				c.proposeApplied(late, p)
			}
			seq = c.waitSame(len(seq)+len(more), all...)

			// Crash safety of the received snapshot: everyone stops; the
			// late member alone recovers the same state from its disk.
			for _, id := range all {
				c.stop(id)
			}
			c.start(late)
			if got := c.sm(late).list(); !slices.Equal(got, seq) {
				t.Fatalf("after a restart the late member recovered %d payloads, want the %d it had applied", len(got), len(seq))
			}
			for _, id := range all {
				if id != late {
					c.start(id)
				}
			}
			c.waitLeader(all...)
			c.proposeApplied(late, "restarted")
			c.waitSame(len(seq)+1, all...)
		})
	}
}

// snapshotBody lays out a snapshot as writeSnapshot does: the conf state
// in front of the state machine's bytes.
func snapshotBody(t *testing.T, cs *pb.ConfState, sm StateMachine) []byte {
	t.Helper()
	csBytes, err := proto.Marshal(cs)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	binary.Write(&b, binary.BigEndian, uint32(len(csBytes)))
	b.Write(csBytes)
	_, write := sm.Snapshot()
	if err := write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// leaderState is a state machine as the leader's snapshot at index 50
// would hold it.
func leaderState() *testSM {
	sm := &testSM{}
	for i := range 40 {
		sm.entries = append(sm.entries, fmt.Sprintf("p-%d", i))
		sm.indexes = append(sm.indexes, uint64(i+5))
	}
	return sm
}

// durableSetup opens a new member's storage and writes its bootstrap
// entries (and maybe more entries at term 1), as Start does.
func durableSetup(t *testing.T, extra int) (Config, *durable, []Peer, *pb.ConfState) {
	t.Helper()
	addrs := freeAddrs(t, 3)
	var peers []Peer
	for i, a := range addrs {
		peers = append(peers, Peer{ID: uint64(i + 1), Addr: a})
	}
	dir := t.TempDir()
	logs := &logBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", logs.String())
		}
	})
	cfg := Config{
		ID: 2, Tick: testTick, ElectionTicks: testElectionTicks, HeartbeatTicks: 1,
		DataDir: filepath.Join(dir, "data"), DataLogDir: filepath.Join(dir, "log"), NoSync: true, SegmentSize: testSegmentSize,
		Peers: peers, ListenAddr: addrs[1],
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
	d, rec, err := openDurable(cfg, &testSM{})
	if err != nil {
		t.Fatal(err)
	}
	if !rec.fresh {
		t.Fatal("new dirs not seen as fresh")
	}
	ents, err := bootstrapEntries(peers)
	if err != nil {
		t.Fatal(err)
	}
	for i := range extra {
		ents = append(ents, &pb.Entry{
			Term: proto.Uint64(1), Index: proto.Uint64(uint64(len(peers) + i + 1)),
			Type: pb.EntryType_EntryNormal.Enum(), Data: []byte(fmt.Sprintf("old-%d", i)),
		})
	}
	hs := &pb.HardState{Term: proto.Uint64(1), Commit: proto.Uint64(uint64(len(peers)))}
	if err := d.save(hs, ents); err != nil {
		t.Fatal(err)
	}
	return cfg, d, peers, &pb.ConfState{Voters: []uint64{1, 2, 3}}
}

// receiveSnapshot does what installSnapshot does to the storage: the
// file, then the mark in the log.
func receiveSnapshot(t *testing.T, d *durable, index, term uint64, data []byte) {
	t.Helper()
	if _, err := d.snaps.Save(snap.Meta{Index: index, Term: term, LastZxid: 40}, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	cs, err := restoreSnapshot(bytes.NewReader(data), &testSM{})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.installed(index, term, cs); err != nil {
		t.Fatal(err)
	}
}

// A crash after a received snapshot is on disk but before the hard state
// that commits up to it: the commit index in the log is behind the
// snapshot. Recovery must take the snapshot as committed (raft panics on a
// commit index below its first index otherwise).
func TestRecoverCommitBehindReceivedSnapshot(t *testing.T) {
	for _, tc := range []struct {
		name  string
		extra int // entries at term 1 after the bootstrap ones, not in the snapshot's history
	}{
		{"log shorter than the snapshot", 0},
		{"conflicting entries beyond the snapshot", 60},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, d, _, cs := durableSetup(t, tc.extra)
			src := leaderState()
			receiveSnapshot(t, d, 50, 2, snapshotBody(t, cs, src))
			// The crash: the hard state committing 50 is never written.
			if err := d.close(); err != nil {
				t.Fatal(err)
			}

			sm := &testSM{}
			d2, rec, err := openDurable(cfg, sm)
			if err != nil {
				t.Fatal(err)
			}
			if rec.fresh || rec.snapIndex != 50 || rec.commit < 50 {
				t.Errorf("recovered %+v, want snapshot 50 and commit >= 50", rec)
			}
			if first, _ := d2.mem.FirstIndex(); first != 51 {
				t.Errorf("raft's log starts at %d, want 51", first)
			}
			if last, _ := d2.mem.LastIndex(); last != 50 {
				t.Errorf("raft's log ends at %d: entries of the replaced log survived the snapshot", last)
			}
			if !slices.Equal(sm.list(), src.list()) {
				t.Errorf("restored %d payloads, want %d", sm.len(), src.len())
			}
			if err := d2.close(); err != nil {
				t.Fatal(err)
			}

			// And the member starts on it.
			sm = &testSM{}
			n, err := Start(context.Background(), cfg, sm)
			if err != nil {
				t.Fatal(err)
			}
			defer n.Stop()
			if n.Applied() < 50 {
				t.Errorf("Applied() = %d after recovering a snapshot at 50", n.Applied())
			}
			if !slices.Equal(sm.list(), src.list()) {
				t.Errorf("the started member holds %d payloads, want %d", sm.len(), src.len())
			}
		})
	}
}

// Recording a snapshot older than the one raft's storage holds (a
// follower's own, finishing after the leader's was installed) must be a
// no-op, not a compaction past the end of raft's log (MemoryStorage.Compact
// panics).
func TestOwnSnapshotFinishingAfterReceivedOne(t *testing.T) {
	_, d, _, cs := durableSetup(t, 10) // entries 1..13
	defer d.close()
	receiveSnapshot(t, d, 50, 2, snapshotBody(t, cs, leaderState()))

	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("snapshotTaken(8) after a received snapshot at 50 panicked: %v", r)
			}
		}()
		// What snapshotWritten does for the follower's own snapshot at 8.
		if err := d.snapshotTaken(8, 1, cs, 5); err != nil {
			t.Logf("snapshotTaken(8) after a received snapshot at 50: %v", err)
		}
	}()
	if first, _ := d.mem.FirstIndex(); first != 51 {
		t.Errorf("raft's log starts at %d, want 51", first)
	}
	// The next entries still append after the snapshot.
	next := []*pb.Entry{{Term: proto.Uint64(2), Index: proto.Uint64(51), Data: []byte("x")}}
	if err := d.save(&pb.HardState{Term: proto.Uint64(2), Commit: proto.Uint64(51)}, next); err != nil {
		t.Fatalf("appending after the snapshot: %v", err)
	}
	if last, _ := d.mem.LastIndex(); last != 51 {
		t.Errorf("LastIndex = %d, want 51", last)
	}
}

// snapshotTaken keeps CatchUpEntries behind the snapshot, and compacts no
// more than the snapshot covers. When the in-memory log was trimmed past
// the snapshot already (Node.trimLog), recording it neither fails nor
// panics, and raft is not offered it (a member given it would still miss
// the entries after it) but asks for a new one.
func TestSnapshotTakenKeepsCatchUpEntries(t *testing.T) {
	for _, tc := range []struct {
		name      string
		trimmed   uint64 // the in-memory log compacted up to this before (0: not)
		index     uint64
		keep      uint64
		wantFirst uint64 // raft's first index afterwards
		sendable  bool   // raft gets the snapshot for a lagging member
	}{
		{"no catch-up entries", 0, 40, 0, 41, true},
		{"keep 5", 0, 40, 5, 36, true},
		{"keep more than the log holds", 0, 40, 100, 1, true},
		{"trimmed up to the snapshot", 40, 40, 5, 41, true},
		{"trimmed past the snapshot", 50, 40, 5, 51, false},
		{"trimmed past the snapshot, no catch-up entries", 63, 40, 0, 64, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, d, _, cs := durableSetup(t, 60) // entries 1..63
			defer d.close()
			if err := d.save(&pb.HardState{Term: proto.Uint64(1), Commit: proto.Uint64(63)}, nil); err != nil {
				t.Fatal(err)
			}
			if tc.trimmed > 0 {
				if err := d.compactMem(tc.trimmed); err != nil {
					t.Fatal(err)
				}
			}
			if err := d.snapshotTaken(tc.index, 1, cs, tc.keep); err != nil {
				t.Fatal(err)
			}
			first, _ := d.mem.FirstIndex()
			t.Logf("first index %d", first)
			if first != tc.wantFirst {
				t.Errorf("first index after the snapshot = %d, want %d", first, tc.wantFirst)
			}
			if got := d.newestSnapshot(); got != tc.index {
				t.Errorf("newest snapshot at %d, want %d", got, tc.index)
			}
			s, err := d.storage().Snapshot()
			switch {
			case tc.sendable && err != nil:
				t.Errorf("raft's Snapshot: %v", err)
			case tc.sendable && s.GetMetadata().GetIndex() != tc.index:
				t.Errorf("raft's snapshot is at %d, want %d", s.GetMetadata().GetIndex(), tc.index)
			case !tc.sendable && !errors.Is(err, raft.ErrSnapshotTemporarilyUnavailable):
				t.Errorf("raft's Snapshot = %v, %v; want ErrSnapshotTemporarilyUnavailable", s, err)
			}
			if got := d.snapshotWanted(); got != !tc.sendable {
				t.Errorf("snapshotWanted = %v, want %v", got, !tc.sendable)
			}
			// Recording it again (or an older one) changes nothing.
			if err := d.snapshotTaken(tc.index, 1, cs, tc.keep); err != nil {
				t.Errorf("recording the snapshot again: %v", err)
			}
			if f, _ := d.mem.FirstIndex(); f != first {
				t.Errorf("first index moved from %d to %d", first, f)
			}
		})
	}
}

// The same race end to end: a follower's own snapshot is being written
// (slowly) when it receives the leader's, newer, snapshot. Recording its
// own must not disturb the installed one. When it did, the follower's raft
// loop panicked ("compact N is out of bound lastindex(N-1)") and took the
// process down, so the scenario runs in a child process.
func TestOwnSnapshotRacesReceivedSnapshot(t *testing.T) {
	if os.Getenv("ZKD_QUORUM_SNAPSHOT_RACE_CHILD") == "1" {
		ownSnapshotRaceScenario(t)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestOwnSnapshotRacesReceivedSnapshot$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "ZKD_QUORUM_SNAPSHOT_RACE_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		lines := strings.Split(string(out), "\n")
		var panics []string
		for _, l := range lines {
			if strings.HasPrefix(l, "panic:") {
				panics = append(panics, l)
			}
		}
		t.Fatalf("the scenario failed: %v\npanics: %q\nlast lines:\n%s", err, panics,
			strings.Join(lines[max(0, len(lines)-40):], "\n"))
	}
	for _, l := range strings.Split(string(out), "\n") {
		if strings.Contains(l, "_test.go") {
			t.Log(strings.TrimSpace(l))
		}
	}
}

func ownSnapshotRaceScenario(t *testing.T) {
	c := newCluster(t, clusterSpec{voters: 3, snapCount: 20, catchUp: 5})
	lead := c.startAll()
	f := c.follower(lead, c.ids...)
	fsm := c.sm(f)
	fsm.writeDelay.Store(int64(1500 * time.Millisecond))
	// The follower starts a snapshot within 20 txns; it takes 1.5 s.
	for i := 0; fsm.writing.Load() == 0; i++ {
		if i > 40 {
			t.Fatal("the follower started no snapshot in 40 txns")
		}
		p := fmt.Sprintf("a-%d", i)
		c.propose(lead, p)
		c.waitFor("the follower to apply "+p, func() bool { return fsm.has(p) })
	}
	started := time.Now()

	// Cut the follower off from the leader, both ways (a queue the leader
	// keeps for it would deliver the entries after all), while the leader
	// moves its log past the follower's.
	fn, ln := c.node(f), c.node(lead)
	if err := ln.tr.RemovePeer(f); err != nil {
		t.Fatal(err)
	}
	if err := fn.tr.RemovePeer(lead); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond) // what was under way lands
	fLast, _ := fn.durable.mem.LastIndex()
	for i := range 60 {
		c.propose(lead, fmt.Sprintf("b-%d", i))
	}
	c.waitFor("the leader to compact past the follower's log", func() bool {
		first, _ := c.node(lead).durable.mem.FirstIndex()
		return first > fLast+1
	})
	if err := ln.tr.AddPeer(transport.Peer{ID: f, Addr: c.members[f].cfg.ListenAddr}); err != nil {
		t.Fatal(err)
	}
	if err := fn.tr.AddPeer(transport.Peer{ID: lead, Addr: c.members[lead].cfg.ListenAddr}); err != nil {
		t.Fatal(err)
	}
	t.Logf("partition healed %v after the follower's write started", time.Since(started).Round(time.Millisecond))
	c.waitFor("the follower to install the leader's snapshot", func() bool {
		return c.logs.contains("installed snapshot from the leader")
	})
	// (The install waits, on the raft loop, for the follower's own write
	// to finish: snap.Dir serializes saves, and installSnapshot handles
	// the write in flight first.)
	t.Logf("follower %d installed the leader's snapshot %v after its own write started",
		f, time.Since(started).Round(time.Millisecond))
	waitFor(t, waitLong, "the follower's own snapshot write to finish", func() bool { return fsm.writing.Load() == 0 })
	fsm.writeDelay.Store(0)
	time.Sleep(50 * time.Millisecond) // the loop records the old snapshot
	c.proposeApplied(lead, "after")
	seq := c.waitSame(c.sm(lead).len(), c.ids...)
	c.waitSame(len(seq), c.ids...)
	if err := fn.Alive(context.Background()); err != nil {
		t.Fatalf("the follower's loop: %v", err)
	}
}

// TestRestartWithSnapshotsOnly: every member comes back with its snapshots
// but an empty dataLogDir (an operator wiped the log disks). Raft used to
// run such a member in term 0 and panic on the first vote it refused
// ("term should be set when sending MsgPreVoteResp"); now each member
// starts in its snapshot's term, warns, an election follows and the
// ensemble takes writes again. (What the members logged after their
// snapshots is gone; with every log lost, members whose snapshots were
// taken at different points may keep different tails: the warning says
// so, and docs/operations.md tells the operator to wipe such a member.)
func TestRestartWithSnapshotsOnly(t *testing.T) {
	c := newCluster(t, clusterSpec{voters: 3, snapCount: 20})
	lead := c.startAll()
	for _, p := range payloads("before", 60) {
		c.propose(lead, p)
	}
	c.proposeApplied(lead, "before-end")
	lead = c.waitLeader(c.ids...)
	c.waitSame(c.sm(lead).len(), c.ids...)
	c.waitFor("a snapshot on every member", func() bool {
		for _, id := range c.ids {
			if c.node(id).durable.newestSnapshot() == 0 {
				return false
			}
		}
		return true
	})
	for _, id := range c.ids {
		c.stop(id)
	}
	for _, id := range c.ids {
		if err := os.RemoveAll(c.members[id].cfg.DataLogDir); err != nil {
			t.Fatal(err)
		}
	}
	lead = c.startAll()
	if !c.logs.contains("was dataLogDir emptied?") {
		t.Error("no warning that the log is missing")
	}
	for _, id := range c.ids {
		if c.sm(id).restoreCount() == 0 {
			t.Errorf("member %d did not restore its snapshot", id)
		}
		if term := c.node(id).Term(); term < 2 {
			t.Errorf("member %d is in term %d, before its snapshot's", id, term)
		}
	}
	c.proposeApplied(lead, "after")
}
