package ensemble

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"zkd/internal/ztest"
)

// restartSession is the timeout of the session that must survive a whole
// ensemble restart: within Apache's maxSessionTimeout (20 × tickTime = 40 s)
// and longer than Apache's JVMs take to start and elect on a busy box.
const restartSession = 30 * time.Second

// TestRestartAll: 3 members on loopback under the load and the lincheck
// workload, and a session S (timeout 30 s) with an ephemeral. Every member
// is SIGKILLed at once and all are started again: they serve (time
// logged), S reconnects with the same session id, its ephemeral is still
// there (seen through another member) and it can create another; the load
// writes again. Long schedule: then the same with SIGTERM (ZooKeeper does
// not close sessions on shutdown). In the end the usual checks: every write
// acknowledged before the restart is on every member.
func TestRestartAll(t *testing.T) {
	forKinds(t, coreKinds(), func(t *testing.T, kind string) {
		sc := sched()
		e := startEnsemble(t, ztest.EnsembleOptions{Kind: kind, Members: 3})
		waitLeader(t, e)
		l := startLoad(t, e.Members)
		rec := startLin(t, ztest.Addrs(e.Members))
		s := connect(t, "session S", ztest.Addrs(e.Members), restartSession)
		sid := s.SessionID()
		s.mustCreate(t, "/restart-eph", []byte("e"), zk.FlagEphemeral)
		sleepFor(t, sc.warm, "before the restart")

		rounds := []struct {
			name string
			stop func(*ztest.Member)
		}{{"SIGKILL", (*ztest.Member).Kill}}
		if longSchedule() {
			rounds = append(rounds, struct {
				name string
				stop func(*ztest.Member)
			}{"SIGTERM", (*ztest.Member).Stop})
		}
		var repaired int64
		for i, r := range rounds {
			rec.Note("%s every member", r.name)
			before := l.acked()
			down := time.Now()
			var wg sync.WaitGroup
			for _, m := range e.Members {
				wg.Go(func() { r.stop(m) })
			}
			wg.Wait()
			stopped := time.Since(down)
			rec.Note("start every member")
			start := time.Now()
			launchAll(t, e.Members)
			serving := time.Since(start)
			leader := waitLeader(t, e)
			waitMoved(t, s, sid, start, "the start of every member")
			ackAfter := l.waitAckAfter(t, start, "the start of every member")
			t.Logf("%s: %s of all 3 members (all down after %v), started again: all serve %v after the start, leader %d; load's first acknowledged write after %v (%d acknowledged before the %s)",
				kind, r.name, ms(stopped), ms(serving), leader.ID, ms(ackAfter), before, r.name)
			checker := connectMember(t, "checker", e.Members[(i+1)%len(e.Members)])
			wantEphemeral(t, checker, "/restart-eph", sid)
			p := fmt.Sprintf("/restart-eph-%d", i)
			s.mustCreate(t, p, nil, zk.FlagEphemeral)
			wantEphemeral(t, checker, p, sid)
			repaired = rec.Now()
			sleepFor(t, sc.after, "after the restart")
		}
		finalChecks(t, e.Members, l, rec, repaired)
	})
}
