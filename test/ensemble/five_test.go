package ensemble

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"zkd/internal/ztest"
)

// TestFiveMembers: 5 members on loopback under the load and the lincheck
// workload. The leader and a follower are SIGKILLed at once: the other
// three elect a leader and take writes (times logged). Then a third member
// (the new leader) is SIGKILLed: the last two stop serving, no fresh
// session's create succeeds through them, and no write of the load or of
// the lincheck clients called from then until the restart succeeds. The
// three are started again; all five serve and catch up; the usual checks
// over all five.
func TestFiveMembers(t *testing.T) {
	forKinds(t, extraKinds(), func(t *testing.T, kind string) {
		s := sched()
		e := startEnsemble(t, ztest.EnsembleOptions{Kind: kind, Members: 5})
		leader := waitLeader(t, e)
		l := startLoad(t, e.Members)
		rec := startLin(t, ztest.Addrs(e.Members))
		sleepFor(t, s.warm, "before the faults")

		f1 := participants(e.Others(leader))[0]
		rec.Note("SIGKILL leader %d and follower %d", leader.ID, f1.ID)
		killed := time.Now()
		killAll([]*ztest.Member{leader, f1})
		survivors := e.Others(leader, f1)
		f := measureFailover(t, e, survivors, killed, "/fo-five")
		ackAfter := l.waitAckAfter(t, killed, "the SIGKILLs")
		t.Logf("%s: SIGKILL leader %d and follower %d of 5: %v; load's first acknowledged write after %v",
			kind, leader.ID, f1.ID, f, ms(ackAfter))
		sleepFor(t, s.during, "3 of 5 members up")

		third := f.leader
		rec.Note("SIGKILL member %d: 2 of 5 left", third.ID)
		third.Kill()
		down, downRec := time.Now(), rec.Now()
		remaining := e.Others(leader, f1, third)
		var wg sync.WaitGroup
		notServing := make([]string, len(remaining))
		errs := make([]error, len(remaining))
		for i, m := range remaining {
			wg.Go(func() {
				d, err := waitNotServing(m, failoverWait)
				notServing[i], errs[i] = fmt.Sprintf("member %d after %v", m.ID, ms(d)), err
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		t.Logf("%s: 2 of 5 left, not serving: %s", kind, strings.Join(notServing, ", "))
		if err := noWriteSucceeds(ztest.Addrs(remaining), "/no-quorum", 3*time.Second); err != nil {
			t.Errorf("2 of 5 members up: %v", err)
		}
		sleepFor(t, s.during, "2 of 5 members up")
		up, upRec := time.Now(), rec.Now()
		if n := l.acksBetween("", down, up); n > 0 {
			t.Errorf("load: %d writes acknowledged with 2 of 5 members up", n)
		}

		rec.Note("start members %d, %d, %d", leader.ID, f1.ID, third.ID)
		launchAll(t, []*ztest.Member{leader, f1, third})
		waitLeader(t, e)
		repaired := rec.Now()
		sleepFor(t, s.after, "all 5 back")
		h := finalChecks(t, e.Members, l, rec, repaired)
		for _, op := range linWritesBetween(h, downRec, upRec) {
			t.Errorf("lincheck: write succeeded with 2 of 5 members up: %v", op)
		}
	})
}
