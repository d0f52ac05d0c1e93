package quorum

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// HandOff moves leadership to a voter (never an observer) without an
// election timeout, is a no-op on a member that does not lead, and the
// old leader's Stop afterwards costs the ensemble no election.
func TestHandOff(t *testing.T) {
	c := newCluster(t, clusterSpec{voters: 3, observers: 1})
	const obs = 4
	lead := c.startAll()
	c.proposeApplied(lead, "before")
	c.waitSame(1, c.ids...)
	c.waitSynced(lead)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Not the leader: nothing happens.
	for _, id := range []uint64{c.follower(lead, 1, 2, 3), obs} {
		c.node(id).HandOff(ctx)
		if !c.node(lead).IsLeader() {
			t.Fatalf("HandOff on non-leader %d moved the leadership", id)
		}
	}

	start := time.Now()
	c.node(lead).HandOff(ctx)
	took := time.Since(start)
	if ctx.Err() != nil {
		t.Fatalf("HandOff ran out its context")
	}
	if c.node(lead).IsLeader() {
		t.Fatalf("member %d still leads after HandOff", lead)
	}
	newLead := c.node(lead).Leader()
	t.Logf("leadership handed from %d to %d in %v", lead, newLead, took.Round(time.Millisecond))
	if newLead == 0 || newLead == lead || newLead == obs {
		t.Fatalf("after HandOff the old leader knows leader %d", newLead)
	}
	if got := c.waitLeader(c.ids...); got != newLead {
		t.Fatalf("the members agree on %d, the old leader on %d", got, newLead)
	}
	term := c.node(newLead).Term()

	// The old leader stops: no election follows.
	c.stop(lead)
	rest := c.running()
	c.proposeApplied(newLead, "after")
	c.waitSame(2, rest...)
	if !c.node(newLead).IsLeader() || c.node(newLead).Term() != term {
		t.Errorf("an election followed the handed-off leader's stop: leader %d term %d, was %d term %d",
			c.node(newLead).Leader(), c.node(newLead).Term(), newLead, term)
	}
}

// TestHandOffWhenEveryoneStops: the followers stop while the leader hands
// off (the whole ensemble stopped at once). Whichever way the race goes,
// HandOff must return without waiting out its context.
func TestHandOffWhenEveryoneStops(t *testing.T) {
	for round := range 3 {
		c := newCluster(t, clusterSpec{voters: 3})
		lead := c.startAll()
		c.proposeApplied(lead, "before")
		c.waitSynced(lead)
		// Far longer than the election timeout: only giving up early keeps
		// HandOff from running it out.
		ctx, cancel := context.WithTimeout(context.Background(), 50*testElectionTicks*testTick)
		var wg sync.WaitGroup
		for _, id := range c.running() {
			if id != lead {
				wg.Go(func() { c.stop(id) })
			}
		}
		start := time.Now()
		c.node(lead).HandOff(ctx)
		took := time.Since(start)
		timedOut := ctx.Err() != nil
		cancel()
		wg.Wait()
		if timedOut {
			t.Fatalf("round %d: HandOff waited out its context (%v) with no member left to take over", round, took)
		}
		t.Logf("round %d: HandOff returned after %v", round, took.Round(time.Millisecond))
	}
}

// TestHandOffWatch: when a hand-off in progress is known to have failed.
func TestHandOffWatch(t *testing.T) {
	const et = time.Second
	t0 := time.Unix(1000, 0)
	leader := func(term, transferee uint64) raft.Status {
		var st raft.Status
		st.HardState = &pb.HardState{Term: proto.Uint64(term)}
		st.RaftState, st.LeadTransferee = raft.StateLeader, transferee
		return st
	}
	follower := func(term uint64) raft.Status {
		var st raft.Status
		st.HardState = &pb.HardState{Term: proto.Uint64(term)}
		st.RaftState = raft.StateFollower
		return st
	}
	type step struct {
		st     raft.Status
		at     time.Duration
		failed bool
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"transfer under way", []step{{leader(5, 2), 0, false}, {leader(5, 2), et, false}}},
		{"not yet shown as started", []step{{leader(5, 0), 0, false}}},
		{"raft gave the transfer up", []step{{leader(5, 2), 0, false}, {leader(5, 0), et, true}}},
		{"stepped down in our term (check-quorum)", []step{{leader(5, 2), 0, false}, {follower(5), et, true}}},
		{"new term, leader not yet heard", []step{{follower(6), 0, false}, {follower(6), et / 2, false}}},
		{"new term, no leader within an election timeout", []step{{follower(6), 0, false}, {follower(6), et + time.Millisecond, true}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := handOffWatch{term: 5}
			for i, s := range tc.steps {
				if got := w.failed(s.st, t0.Add(s.at), et); got != s.failed {
					t.Fatalf("step %d: failed = %v, want %v", i, got, s.failed)
				}
			}
		})
	}
}
