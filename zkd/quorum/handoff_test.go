package quorum

import (
	"context"
	"testing"
	"time"
)

// HandOff moves leadership to a voter (never an observer) without an
// election timeout, is a no-op on a member that does not lead, and the
// old leader's Stop afterwards costs the ensemble no election.
func TestHandOff(t *testing.T) {
	c := newCluster(t, clusterSpec{voters: 3, observers: 1})
	const obs = 4
	for _, id := range c.ids {
		c.start(id)
	}
	lead := c.waitLeader(c.ids...)
	c.proposeApplied(lead, "before")
	c.waitSame(1, c.ids...)
	c.waitFor("the leader to see every member synced", func() bool {
		fs := c.node(lead).Followers()
		for _, f := range fs {
			if !f.Synced {
				return false
			}
		}
		return len(fs) == 3
	})

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
