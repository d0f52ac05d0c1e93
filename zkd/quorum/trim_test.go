package quorum

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// raft's in-memory log holds CatchUpEntries behind the applied index (and
// up to trimEvery more), not everything since the last snapshot: it stays
// bounded however many entries apply, with or without snapshots, on every
// member.
func TestInMemoryLogBounded(t *testing.T) {
	const (
		total = 1500 // entries proposed
		batch = 25   // proposed at once, then waited for
	)
	for _, tc := range []struct {
		name              string
		voters, observers int // 0 voters: standalone
		catchUp           uint64
		snapCount         int
	}{
		{"standalone, no snapshot", 0, 0, 0, 1 << 30},
		{"standalone, snapshots", 0, 0, 0, 100},
		{"ensemble, no snapshot", 3, 0, 50, 1 << 30},
		{"ensemble with an observer, snapshots", 3, 1, 50, 300},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bound := tc.catchUp + trimEvery(tc.catchUp) + 2*batch + 10
			var (
				nodes   []*Node
				propose func(data string)
				applied func(n int) // waits until every member applied n payloads
			)
			if tc.voters == 0 {
				logs := &logBuffer{}
				t.Cleanup(func() {
					if t.Failed() {
						t.Logf("logs:\n%s", logs.String())
					}
				})
				cfg := standaloneConfig(t, logs)
				cfg.SnapCount = tc.snapCount
				sm := &testSM{}
				n, err := Start(context.Background(), cfg, sm)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(n.Stop)
				nodes = []*Node{n}
				propose = func(data string) {
					if err := n.Propose(context.Background(), []byte(data)); err != nil {
						t.Fatal(err)
					}
				}
				applied = func(want int) {
					waitFor(t, waitLong, fmt.Sprintf("%d payloads applied", want), func() bool { return sm.len() >= want })
				}
			} else {
				c := newCluster(t, clusterSpec{voters: tc.voters, observers: tc.observers, snapCount: tc.snapCount, catchUp: tc.catchUp})
				for _, id := range c.ids {
					nodes = append(nodes, c.start(id))
				}
				lead := c.waitLeader(c.ids...)
				propose = func(data string) { c.propose(lead, data) }
				applied = func(want int) { c.waitSame(want, c.ids...) }
			}
			var most uint64
			for i := 0; i < total; i += batch {
				for j := range batch {
					propose(fmt.Sprintf("p-%d", i+j))
				}
				applied(i + batch)
				for _, n := range nodes {
					held := n.durable.memEntries()
					most = max(most, held)
					if held > bound {
						t.Fatalf("after %d entries member %d holds %d in memory (first %d, applied %d), want at most %d",
							i+batch, n.cfg.ID, held, first(n), n.Applied(), bound)
					}
				}
			}
			t.Logf("at most %d entries in memory (bound %d) over %d applied", most, bound, total)
		})
	}
}

func first(n *Node) uint64 {
	f, _ := n.durable.mem.FirstIndex()
	return f
}

// A follower further behind than the leader's in-memory log reaches gets
// a snapshot, also when the leader has none on disk yet or only one older
// than that log (the leader then takes one: sending an old one would leave
// the follower short of the log again, for ever); a follower less far
// behind catches up from the log. Either way it ends with the same state,
// and the leader takes no more snapshots than that needs.
func TestLaggingFollowerCatchesUp(t *testing.T) {
	for _, tc := range []struct {
		name         string
		snapCount    int
		catchUp      uint64
		lag          int  // entries proposed while the follower is down, at least
		wantSnapshot bool // the follower restores a snapshot
		wantTaken    bool // the leader takes a snapshot for it
	}{
		{"beyond catch-up, no snapshot on disk", 1 << 30, 20, 300, true, true},
		// The leader snapshots once before the follower stops, then not
		// again within 301 txns.
		{"beyond catch-up, snapshot older than the log in memory", 600, 20, 150, true, true},
		{"within catch-up", 1 << 30, 400, 100, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, clusterSpec{voters: 3, snapCount: tc.snapCount, catchUp: tc.catchUp})
			lead := c.startAll()
			late := c.follower(lead, c.ids...)
			early := 0
			for early < 150 || (tc.snapCount < 1<<30 && c.node(lead).durable.newestSnapshot() == 0) {
				if early >= 2*tc.snapCount { // (the file may still be being written at snapCount)
					t.Fatalf("the leader took no snapshot in %d entries", early)
				}
				for _, p := range payloads(fmt.Sprintf("early%d", early), 25) {
					c.propose(lead, p)
				}
				early += 25
				c.waitSame(early, c.ids...)
			}
			lateLast, _ := c.node(late).durable.mem.LastIndex()
			c.stop(late)
			others := c.running()

			// The leader keeps what a recently active follower needs: it
			// stops counting the late member as active within an election
			// timeout (check-quorum). Then propose until the leader let the
			// late member's entries go, and at least the lag.
			time.Sleep(2 * electionTimeout)
			proposed := 0
			for proposed < tc.lag || (tc.wantSnapshot && first(c.node(lead)) <= lateLast+1) {
				if proposed > 50*tc.lag {
					t.Fatalf("the leader kept its log from %d after %d more entries", first(c.node(lead)), proposed)
				}
				for _, p := range payloads(fmt.Sprintf("late%d", proposed), 25) {
					c.propose(lead, p)
				}
				proposed += 25
				c.waitSame(early+proposed, others...)
			}
			if !tc.wantSnapshot && first(c.node(lead)) > lateLast+1 {
				t.Fatalf("the leader's log starts at %d: the late member's next entry %d is gone", first(c.node(lead)), lateLast+1)
			}
			t.Logf("late member %d stopped at index %d; leader's log now %d..%d after %d entries",
				late, lateLast, first(c.node(lead)), c.node(lead).Applied(), proposed)
			snapsBefore := strings.Count(c.logs.String(), "snapshot written")

			c.start(late)
			seq := c.waitSame(early+proposed, c.ids...)
			if got := c.sm(late).restoreCount() > 0; got != tc.wantSnapshot {
				t.Errorf("the late member restored a snapshot: %v, want %v", got, tc.wantSnapshot)
			}
			// Afterwards it takes part like any member.
			c.proposeApplied(late, "after")
			c.waitSame(len(seq)+1, c.ids...)
			if held, bound := c.node(lead).durable.memEntries(), tc.catchUp+trimEvery(tc.catchUp)+60; held > bound {
				t.Errorf("the leader holds %d entries in memory, want at most %d", held, bound)
			}
			// A snapshot is taken for the late member at most once or twice
			// (one may be under way already), not once per heartbeat.
			time.Sleep(5 * electionTimeout)
			asked := strings.Count(c.logs.String(), "a member needs a snapshot")
			written := strings.Count(c.logs.String(), "snapshot written") - snapsBefore
			t.Logf("on-demand snapshots %d; snapshots written since the follower came back %d", asked, written)
			if asked > 2 || (asked > 0) != tc.wantTaken {
				t.Errorf("%d snapshots were taken for the lagging member, want %v", asked, tc.wantTaken)
			}
		})
	}
}
