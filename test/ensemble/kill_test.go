package ensemble

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"zkd/internal/ztest"
)

// TestKillLeader: 3 members on loopback, the load and the lincheck
// workload spread over all of them. The leader is SIGKILLed: the other two
// elect a leader (time to it, to the first write of a fresh session and to
// the load's first acknowledged write logged), the load goes on; the killed
// member restarts, follows and catches up. Long schedule: then each
// follower in turn is SIGKILLed and restarted under load. In the end the
// trees are identical, every acknowledged write is on every member, no
// sequential name twice, and the history is linearizable.
func TestKillLeader(t *testing.T) {
	forKinds(t, coreKinds(), func(t *testing.T, kind string) {
		s := sched()
		e := startEnsemble(t, ztest.EnsembleOptions{Kind: kind, Members: 3})
		leader := waitLeader(t, e)
		l := startLoad(t, e.Members)
		rec := startLin(t, ztest.Addrs(e.Members))
		sleepFor(t, s.warm, "before the fault")

		rec.Note("SIGKILL leader %d", leader.ID)
		killed := time.Now()
		leader.Kill()
		f := measureFailover(t, e, e.Others(leader), killed, "/fo-kill")
		ackAfter := l.waitAckAfter(t, killed, "the SIGKILL")
		t.Logf("%s: SIGKILL leader %d under load: %v; load's first acknowledged write after %v",
			kind, leader.ID, f, ms(ackAfter))
		sleepFor(t, s.during, fmt.Sprintf("member %d down", leader.ID))

		rec.Note("restart member %d", leader.ID)
		leader.Restart(t)
		if nl := waitLeader(t, e); nl == leader {
			t.Logf("restarted member %d leads again", leader.ID)
		}
		repaired := rec.Now()
		sleepFor(t, s.after, fmt.Sprintf("member %d back", leader.ID))

		if longSchedule() {
			for _, victim := range participants(e.Others(waitLeader(t, e))) {
				rec.Note("SIGKILL follower %d", victim.ID)
				killed := time.Now()
				victim.Kill()
				l.waitAckAfter(t, killed, fmt.Sprintf("the SIGKILL of follower %d", victim.ID))
				sleepFor(t, s.during, fmt.Sprintf("follower %d down", victim.ID))
				rec.Note("restart member %d", victim.ID)
				victim.Restart(t)
				waitLeader(t, e)
				repaired = rec.Now()
				sleepFor(t, s.after, fmt.Sprintf("member %d back", victim.ID))
			}
		}
		finalChecks(t, e.Members, l, rec, repaired)
	})
}

// TestKillCycles: 3 participants and an observer on loopback, the load and
// the lincheck workload on all four. Each cycle SIGKILLs one member (the
// leader, a follower, the observer, in turn), waits for a write through
// the survivors (time logged), then restarts the member and waits for all
// four to serve. 3 cycles; 10 in the long schedule. Then the usual checks
// over all four members.
func TestKillCycles(t *testing.T) {
	forKinds(t, extraKinds(), func(t *testing.T, kind string) {
		s := sched()
		e := startEnsemble(t, ztest.EnsembleOptions{Kind: kind, Members: 3, Observers: 1})
		waitLeader(t, e)
		l := startLoad(t, e.Members)
		rec := startLin(t, ztest.Addrs(e.Members))
		sleepFor(t, s.warm, "before the first cycle")
		obs := e.Members[3]
		var repaired int64
		var times []string
		for i := 0; i < s.cycles; i++ {
			leader := waitLeader(t, e)
			var victim *ztest.Member
			role := ""
			switch i % 3 {
			case 0:
				victim, role = leader, "leader"
			case 1:
				fs := participants(e.Others(leader))
				victim, role = fs[(i/3)%len(fs)], "follower"
			default:
				victim, role = obs, "observer"
			}
			rec.Note("cycle %d: SIGKILL %s %d", i+1, role, victim.ID)
			killed := time.Now()
			victim.Kill()
			at, err := firstFreshWrite(ztest.Addrs(e.Others(victim)), "/fo-cycle", killed.Add(failoverWait))
			if err != nil {
				t.Fatalf("cycle %d, %s %d killed: %v", i+1, role, victim.ID, err)
			}
			d := at.Sub(killed)
			times = append(times, fmt.Sprintf("%s %v", role, ms(d)))
			if kind == ztest.KindZkd && d > zkdFailoverBound {
				t.Errorf("cycle %d: first write %v after the SIGKILL of %s %d, want within %v", i+1, ms(d), role, victim.ID, zkdFailoverBound)
			}
			time.Sleep(500 * time.Millisecond)
			rec.Note("cycle %d: restart member %d", i+1, victim.ID)
			victim.Restart(t)
			waitLeader(t, e)
			repaired = rec.Now()
		}
		t.Logf("%s: first write by a fresh session after each SIGKILL: %s", kind, strings.Join(times, ", "))
		sleepFor(t, s.after, "after the last cycle")
		finalChecks(t, e.Members, l, rec, repaired)
	})
}
