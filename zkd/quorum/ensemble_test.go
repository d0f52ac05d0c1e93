package quorum

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// A 3-member ensemble elects one leader; a proposal on a follower is
// forwarded and applied everywhere in the same order; proposals from all
// members at once keep each member's order, and every member applies the
// identical sequence.
func TestEnsembleReplicatesInOrder(t *testing.T) {
	c := newCluster(t, clusterSpec{voters: 3})
	lead := c.startAll()
	leaders := 0
	for _, id := range c.ids {
		switch role := c.node(id).Role(); {
		case role == "leader":
			leaders++
		case id != lead && role != "follower":
			t.Errorf("member %d: Role() = %q, want follower", id, role)
		}
		if c.node(id).IsLearner() {
			t.Errorf("member %d: IsLearner() = true for a voter", id)
		}
		if !c.node(id).Ensemble() {
			t.Errorf("member %d: Ensemble() = false", id)
		}
	}
	if leaders != 1 {
		t.Fatalf("%d members say they lead, want 1", leaders)
	}
	c.mu.Lock()
	for _, id := range c.ids {
		if l := c.leaders[id]; len(l) == 0 || l[len(l)-1] != lead {
			t.Errorf("member %d: OnLeaderChange calls %v, want the last to be %d", id, l, lead)
		}
	}
	c.mu.Unlock()

	// Proposals on a follower travel to the leader in order.
	f := c.follower(lead, c.ids...)
	want := payloads("f", 50)
	for _, p := range want {
		c.propose(f, p)
	}
	if got := c.waitSame(len(want), c.ids...); !slices.Equal(got, want) {
		t.Fatalf("applied %q, want %q", got, want)
	}

	// Every member proposes at once.
	per := map[uint64][]string{}
	for _, id := range c.ids {
		per[id] = payloads(fmt.Sprintf("m%d", id), 30)
	}
	var wg sync.WaitGroup
	for _, id := range c.ids {
		n := c.node(id)
		wg.Go(func() {
			for _, p := range per[id] {
				if err := n.Propose(context.Background(), []byte(p)); err != nil {
					t.Errorf("Propose(%q) on member %d: %v", p, id, err)
					return
				}
			}
		})
	}
	wg.Wait()
	total := len(want) + 30*len(c.ids)
	got := c.waitSame(total, c.ids...)
	if len(got) != total {
		t.Fatalf("applied %d payloads, want %d", len(got), total)
	}
	if !slices.Equal(got[:len(want)], want) {
		t.Errorf("the first payloads changed: %q", got[:len(want)])
	}
	for _, id := range c.ids {
		if !isSubsequence(per[id], got[len(want):]) {
			t.Errorf("member %d's proposals were not applied in the order it made them: %q", id, got[len(want):])
		}
	}
	// The applied raft indexes are the same everywhere too.
	var idx []uint64
	for _, id := range c.ids {
		sm := c.sm(id)
		sm.mu.Lock()
		mine := slices.Clone(sm.indexes)
		sm.mu.Unlock()
		if idx == nil {
			idx = mine
		} else if !slices.Equal(idx, mine) {
			t.Errorf("member %d applied the payloads at other raft indexes", id)
		}
	}
}

// An ensemble member starts without a quorum; until it knows a leader,
// Propose fails with ErrNoLeader.
func TestProposeWithoutLeader(t *testing.T) {
	c := newCluster(t, clusterSpec{voters: 3})
	start := time.Now()
	n1 := c.start(1)
	t.Logf("Start of 1 of 3 members returned after %v", time.Since(start).Round(time.Millisecond))
	if err := n1.Propose(context.Background(), []byte("x")); !errors.Is(err, ErrNoLeader) {
		t.Fatalf("Propose with no leader: %v, want ErrNoLeader", err)
	}
	// Several election timeouts later there still is none, and pre-vote
	// keeps the lone member's term from climbing.
	term := n1.Term()
	time.Sleep(4 * electionTimeout)
	if l := n1.Leader(); l != 0 {
		t.Fatalf("a lone member of 3 knows leader %d", l)
	}
	if r := n1.Role(); r != "candidate" {
		t.Errorf("Role() of a member without a leader = %q, want candidate", r)
	}
	if n1.Term() != term {
		t.Errorf("term moved from %d to %d without a quorum (pre-vote should hold it)", term, n1.Term())
	}
	if err := n1.Propose(context.Background(), []byte("x")); !errors.Is(err, ErrNoLeader) {
		t.Fatalf("Propose with no leader: %v, want ErrNoLeader", err)
	}
	if n1.Followers() != nil {
		t.Errorf("Followers() on a non-leader = %v, want nil", n1.Followers())
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	if err := n1.Alive(ctx); err != nil {
		t.Errorf("Alive without a quorum: %v", err)
	}
	cancel()

	// A second member makes a quorum.
	c.start(2)
	c.waitLeader(1, 2)
	c.proposeApplied(1, "with-quorum")
	if got := c.waitSame(1, 1, 2); !slices.Equal(got, []string{"with-quorum"}) {
		t.Fatalf("applied %q", got)
	}
	if c.sm(1).has("x") {
		t.Errorf("a proposal refused with ErrNoLeader was applied")
	}
}

// Stopping the leader: the two others elect a new one (fast, through
// peerGone) and proposals continue; the old leader, restarted with its
// dirs, catches up on what it missed.
func TestLeaderFailoverAndRestart(t *testing.T) {
	c := newCluster(t, clusterSpec{voters: 3})
	lead := c.startAll()
	before := payloads("before", 20)
	for _, p := range before {
		c.propose(lead, p)
	}
	c.waitSame(len(before), c.ids...)

	stopped := time.Now()
	c.stop(lead)
	rest := c.running()
	newLead := c.waitLeader(rest...)
	took := time.Since(stopped)
	t.Logf("new leader %d known to both members %v after stopping leader %d (election timeout %v, fast election used: %v)",
		newLead, took.Round(time.Millisecond), lead, electionTimeout,
		c.logs.contains("starting an election without waiting for the timeout"))
	if newLead == lead {
		t.Fatalf("the stopped member %d is still the leader", lead)
	}
	if took > 5*time.Second {
		t.Errorf("no new leader for %v", took)
	}
	c.mu.Lock()
	for _, id := range rest {
		if l := c.leaders[id]; len(l) == 0 || l[len(l)-1] != newLead {
			t.Errorf("member %d: OnLeaderChange calls %v, want the last to be %d", id, l, newLead)
		}
	}
	c.mu.Unlock()

	// Proposals continue, from the new leader and from its follower.
	f := c.follower(newLead, rest...)
	during := payloads("during", 20)
	for i, p := range during {
		if i%2 == 0 {
			c.proposeApplied(newLead, p)
		} else {
			c.proposeApplied(f, p)
		}
	}
	seq := c.waitSame(len(before)+len(during), rest...)

	// The old leader comes back and catches up.
	c.start(lead)
	got := c.waitSame(len(seq), c.ids...)
	if !slices.Equal(got, seq) {
		t.Fatalf("the restarted member's sequence differs:\n got %q\nwant %q", got, seq)
	}
	c.waitLeader(c.ids...)
	c.proposeApplied(lead, "from-restarted")
	c.waitSame(len(seq)+1, c.ids...)
}

// A follower restarted while the ensemble is idle learns the leader from
// its heartbeats, but raft reports no new HardState (term, vote and commit
// are unchanged): Node.term must come from the recovered hard state, or
// every proposal it forwards is tagged with term 0 and the leader drops
// it, silently, until some other write moves its commit index (and its
// peerGone fast election is off: goneTerm 0 >= term 0).
func TestRestartedIdleFollowerForwardsProposals(t *testing.T) {
	c := newCluster(t, clusterSpec{voters: 3})
	lead := c.startAll()
	f := c.follower(lead, c.ids...)
	c.proposeApplied(f, "one")
	c.waitSame(1, c.ids...)
	// Let the follower persist the commit index that covers "one".
	waitFor(t, waitLong, "the follower's applied index to reach the leader's", func() bool {
		return c.node(f).Applied() >= c.node(lead).Applied()
	})
	time.Sleep(5 * testTick)

	c.stop(f)
	c.start(f)
	lead = c.waitLeader(c.ids...)
	if got, want := c.node(f).Term(), c.node(lead).Term(); got != want {
		t.Errorf("restarted member %d: Term() = %d, the leader %d is in term %d", f, got, lead, want)
	}
	c.propose(f, "two")
	deadline := time.Now().Add(3 * time.Second)
	for !c.sm(f).has("two") {
		if time.Now().After(deadline) {
			t.Fatalf("a proposal on the restarted follower %d was not applied within 3s (forwarded with term %d; leader's term %d)",
				f, c.node(f).Term(), c.node(lead).Term())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Observers apply everything, are not voters, show as such on the leader,
// and count for no quorum.
func TestObservers(t *testing.T) {
	c := newCluster(t, clusterSpec{voters: 3, observers: 1})
	const obs = 4
	voters := []uint64{1, 2, 3}
	lead := c.startAll()
	if lead == obs {
		t.Fatal("the observer leads")
	}
	if r := c.node(obs).Role(); r != "observer" {
		t.Errorf("observer's Role() = %q", r)
	}
	if !c.node(obs).IsLearner() {
		t.Errorf("observer's IsLearner() = false")
	}
	for _, id := range voters {
		if c.node(id).IsLearner() {
			t.Errorf("voter %d: IsLearner() = true", id)
		}
	}

	// The observer's own proposals are forwarded like a follower's.
	want := payloads("a", 20)
	for i, p := range want {
		if i%2 == 0 {
			c.propose(obs, p)
		} else {
			c.propose(lead, p)
		}
	}
	got := c.waitSame(len(want), c.ids...)
	if len(got) != len(want) {
		t.Fatalf("applied %d, want %d", len(got), len(want))
	}
	if !isSubsequence([]string{want[0], want[2], want[4]}, got) {
		t.Errorf("the observer's proposals were reordered: %q", got)
	}

	// The leader lists the observer as one.
	c.waitFor("the leader to see every member synced", func() bool {
		fs := c.node(lead).Followers()
		if len(fs) != 3 {
			return false
		}
		for _, f := range fs {
			if !f.Synced || f.Match == 0 {
				return false
			}
		}
		return true
	})
	for _, f := range c.node(lead).Followers() {
		if f.ID == lead {
			t.Errorf("Followers() lists the leader itself")
		}
		if f.Observer != (f.ID == obs) {
			t.Errorf("Followers(): member %d Observer = %v", f.ID, f.Observer)
		}
	}
	if fs := c.node(obs).Followers(); fs != nil {
		t.Errorf("Followers() on the observer = %v, want nil", fs)
	}
	// Sync works on an observer.
	sctx, cancel := context.WithTimeout(context.Background(), waitLong)
	err := c.node(obs).Sync(sctx)
	cancel()
	if err != nil {
		t.Errorf("Sync on the observer: %v", err)
	}

	// The observer away: the voters go on.
	c.stop(obs)
	c.proposeApplied(lead, "observer-away")
	n := len(want) + 1
	c.waitSame(n, voters...)
	c.start(obs)
	c.waitSame(n, c.ids...)
	if r := c.node(obs).Role(); r != "observer" {
		t.Errorf("restarted observer's Role() = %q", r)
	}

	// Two voters away: one voter and the observer make no quorum.
	lead = c.waitLeader(c.ids...)
	keep := c.follower(lead, voters...)
	var gone []uint64
	for _, id := range voters {
		if id != keep {
			gone = append(gone, id)
			c.stop(id)
		}
	}
	err = c.node(keep).Propose(context.Background(), []byte("blocked"))
	t.Logf("Propose on the last voter: %v", err)
	time.Sleep(time.Second)
	for _, id := range []uint64{keep, obs} {
		if c.sm(id).has("blocked") {
			t.Fatalf("member %d applied a proposal with 1 of 3 voters running", id)
		}
	}
	if l := c.node(keep).Leader(); l != 0 {
		t.Errorf("the last voter still knows leader %d", l)
	}

	// One voter back: commits resume, the observer follows.
	c.start(gone[0])
	live := []uint64{keep, gone[0], obs}
	c.waitLeader(live...)
	c.proposeApplied(keep, "resumed")
	c.waitSame(n+1, live...)
}

// Sync on a follower returns only once that follower has applied
// everything committed before the call.
func TestSyncOnFollower(t *testing.T) {
	c := newCluster(t, clusterSpec{voters: 3})
	lead := c.startAll()
	slow := c.follower(lead, c.ids...)
	c.sm(slow).applyDelay.Store(int64(time.Millisecond))
	want := payloads("s", 200)
	for _, p := range want {
		c.propose(lead, p)
	}
	c.waitFor("the leader to apply everything", func() bool { return c.sm(lead).len() == len(want) })
	had := c.sm(slow).len()
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	start := time.Now()
	if err := c.node(slow).Sync(ctx); err != nil {
		t.Fatalf("Sync on follower %d: %v", slow, err)
	}
	got := c.sm(slow).list()
	t.Logf("follower had applied %d of %d when Sync was called; Sync took %v", had, len(want), time.Since(start).Round(time.Millisecond))
	if !slices.Equal(got, want) {
		t.Fatalf("after Sync the follower has applied %d of the %d committed payloads", len(got), len(want))
	}
	c.sm(slow).applyDelay.Store(0)
	// And on the leader.
	if err := c.node(lead).Sync(ctx); err != nil {
		t.Fatalf("Sync on the leader: %v", err)
	}
}

// Sync on a member cut off from the quorum does not succeed.
func TestSyncWithoutQuorum(t *testing.T) {
	for _, tc := range []struct {
		name    string
		leader  bool // the member left alone was the leader
		timeout time.Duration
	}{
		{"follower", false, time.Second},
		{"leader", true, time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, clusterSpec{voters: 3})
			lead := c.startAll()
			c.proposeApplied(lead, "x")
			alone := lead
			if !tc.leader {
				alone = c.follower(lead, c.ids...)
			}
			for _, id := range c.ids {
				if id != alone {
					c.stop(id)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), tc.timeout)
			defer cancel()
			start := time.Now()
			err := c.node(alone).Sync(ctx)
			took := time.Since(start)
			if err == nil {
				t.Fatalf("Sync succeeded on a member cut off from the quorum")
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Sync: %v, want the context's deadline", err)
			}
			if took > tc.timeout+2*time.Second {
				t.Errorf("Sync returned %v after its context ended", took-tc.timeout)
			}
			// CheckQuorum: a leader that hears from no quorum steps down.
			waitFor(t, waitLong, "the cut-off member to know no leader", func() bool {
				return c.node(alone).Leader() == 0 && c.node(alone).Role() == "candidate"
			})
		})
	}
}

// Send reaches the other member's OnMessage with the sender's id, and is
// not a proposal.
func TestSendOnMessage(t *testing.T) {
	c := newCluster(t, clusterSpec{voters: 3, observers: 1})
	const obs = 4
	lead := c.startAll()
	f := c.follower(lead, 1, 2, 3)
	for _, tc := range []struct {
		name     string
		from, to uint64
	}{
		{"follower to leader", f, lead},
		{"leader to follower", lead, f},
		{"observer to leader", obs, lead},
		{"follower to follower", f, c.follower(lead, slices.DeleteFunc([]uint64{1, 2, 3}, func(id uint64) bool { return id == f })...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := fmt.Sprintf("touch-%d-%d", tc.from, tc.to)
			find := func() []received {
				var out []received
				for _, r := range c.receivedBy(tc.to) {
					if r.data == data {
						out = append(out, r)
					}
				}
				return out
			}
			// Best effort: send again until one arrives.
			deadline := time.Now().Add(5 * time.Second)
			for len(find()) == 0 {
				if time.Now().After(deadline) {
					t.Fatalf("nothing sent from %d reached %d", tc.from, tc.to)
				}
				c.node(tc.from).Send(tc.to, []byte(data))
				time.Sleep(50 * time.Millisecond)
			}
			for _, r := range find() {
				if r.from != tc.from {
					t.Errorf("OnMessage on %d got from = %d, want %d", tc.to, r.from, tc.from)
				}
			}
			if c.sm(tc.to).has(data) || c.sm(tc.from).has(data) {
				t.Errorf("a Send was applied as a proposal")
			}
		})
	}
	// Sends to itself and to id 0 go nowhere.
	c.node(lead).Send(lead, []byte("self"))
	c.node(lead).Send(0, []byte("nobody"))
	c.proposeApplied(lead, "marker")
	c.waitSame(1, c.ids...)
	for _, id := range c.ids {
		for _, r := range c.receivedBy(id) {
			if r.data == "self" || r.data == "nobody" {
				t.Errorf("member %d received %q", id, r.data)
			}
		}
	}
}

func TestMembershipDigest(t *testing.T) {
	base := []Peer{{ID: 1, Addr: "zk01:2888"}, {ID: 2, Addr: "zk02:2888"}, {ID: 3, Addr: "zk03:2888"}}
	tests := []struct {
		name  string
		peers []Peer
		same  bool
	}{
		{"same list", base, true},
		{"other order", []Peer{base[2], base[0], base[1]}, true},
		{"other addresses", []Peer{{ID: 1, Addr: "10.0.0.1:2888"}, {ID: 2, Addr: "0.0.0.0:2888"}, {ID: 3, Addr: "zk03:3888"}}, true},
		{"a member less", base[:2], false},
		{"a member more", append(slices.Clone(base), Peer{ID: 4, Addr: "zk04:2888"}), false},
		{"another id", []Peer{base[0], base[1], {ID: 4, Addr: "zk03:2888"}}, false},
		{"an observer", []Peer{base[0], base[1], {ID: 3, Addr: "zk03:2888", Observer: true}}, false},
	}
	want := membershipDigest(base)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := membershipDigest(tc.peers) == want; got != tc.same {
				t.Fatalf("digest equal = %v, want %v", got, tc.same)
			}
		})
	}
}

// TestDifferingServerLists: a member whose server list differs from the
// others' (here it takes member 2 for an observer) is refused by them; the
// two that agree elect and commit without it, and it applies nothing.
func TestDifferingServerLists(t *testing.T) {
	c := newCluster(t, clusterSpec{voters: 3})
	odd := &c.members[3].cfg
	odd.Peers = slices.Clone(odd.Peers)
	odd.Peers[1].Observer = true
	for _, id := range c.ids {
		c.start(id)
	}
	lead := c.waitLeader(1, 2)
	c.proposeApplied(lead, "agreed")
	c.waitFor("the refusal logged", func() bool {
		return c.logs.contains("has another server list") && c.logs.contains("server list differs")
	})
	if c.sm(3).has("agreed") {
		t.Fatal("the member with another server list applied the ensemble's entry")
	}
}
