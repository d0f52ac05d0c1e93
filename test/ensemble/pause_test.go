package ensemble

import (
	"fmt"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"zkd/internal/ztest"
)

const (
	// pauseSession is the timeout of the session on the paused member:
	// above Apache's minimum (2 × tickTime).
	pauseSession = 6 * time.Second
	// pauseFollower is how long the follower stays stopped: longer than
	// pauseSession, so its clients must have moved to keep their sessions.
	pauseFollower = pauseSession + 4*time.Second
	// pauseLeaderApache is how long the leader stays stopped on Apache (and
	// on zkd in the long schedule): longer than syncLimit × tickTime (10 s),
	// after which Apache's followers give up on it. pauseLeaderZkd, for zkd
	// in the short schedule, is several of zkd's election timeouts.
	pauseLeaderApache = 12 * time.Second
	pauseLeaderZkd    = 4 * time.Second
)

func pauseLeaderFor(kind string) time.Duration {
	if kind == ztest.KindZkd && !longSchedule() {
		return pauseLeaderZkd
	}
	return pauseLeaderApache
}

// TestPauseMember: 3 members on loopback under the load and the lincheck
// workload, and a session E on a follower with an ephemeral. The follower
// is stopped (SIGSTOP) for longer than E's session timeout: E moves to
// another member with the same session id and its ephemeral (seen through
// the leader), the load goes on; resumed (SIGCONT), the follower follows
// and serves E's ephemeral and a new one, read through it after sync. Then
// the leader is stopped, for 12 s (4 s on zkd in the short schedule), while
// the followers have writes forwarded to it: a new leader is elected (times
// logged), and resumed, the old leader must follow again. In the end the
// usual checks over all three.
func TestPauseMember(t *testing.T) {
	forKinds(t, extraKinds(), func(t *testing.T, kind string) {
		s := sched()
		e := startEnsemble(t, ztest.EnsembleOptions{Kind: kind, Members: 3})
		leader := waitLeader(t, e)
		f := participants(e.Others(leader))[0]
		l := startLoad(t, e.Members)
		// The leader is stopped while leading, later.
		rec := startLin(t, linServers(kind, e.Members, []*ztest.Member{leader}))
		sess := connect(t, "session E", ztest.Addrs(append([]*ztest.Member{f}, e.Others(f)...)), pauseSession)
		if sess.Server() != f.ClientAddr {
			t.Fatalf("session E on %s, want member %d (%s)", sess.Server(), f.ID, f.ClientAddr)
		}
		sid := sess.SessionID()
		sess.mustCreate(t, "/pause-eph", []byte("e"), zk.FlagEphemeral)
		checker := connectMember(t, "checker on the leader", leader)
		sleepFor(t, s.warm, "before the pause")

		rec.Note("SIGSTOP follower %d", f.ID)
		paused := time.Now()
		if err := f.Pause(); err != nil {
			t.Fatal(err)
		}
		waitMoved(t, sess, sid, paused, fmt.Sprintf("SIGSTOP of follower %d", f.ID))
		wantEphemeral(t, checker, "/pause-eph", sid)
		l.waitAckAfter(t, paused, "the SIGSTOP")
		if rest := pauseFollower - time.Since(paused); rest > 0 {
			sleepFor(t, rest, fmt.Sprintf("follower %d stopped (%v in all)", f.ID, pauseFollower))
		}
		rec.Note("SIGCONT follower %d", f.ID)
		if err := f.Resume(); err != nil {
			t.Fatal(err)
		}
		waitLeader(t, e)
		if ev, expired := sess.ev.first(zk.StateExpired, paused); expired {
			moved, _ := sess.ev.first(zk.StateHasSession, paused)
			t.Fatalf("session E (%#x) resumed on %s %v after the SIGSTOP, then expired by the server %v after the SIGSTOP (%v after its resume)",
				sid, moved.server, ms(moved.at.Sub(paused)), ms(ev.at.Sub(paused)), ms(ev.at.Sub(moved.at)))
		}
		sess.mustCreate(t, "/pause-eph-2", []byte("e2"), zk.FlagEphemeral)
		onResumed := connectMember(t, "client of the resumed member", f)
		wantEphemeral(t, onResumed, "/pause-eph", sid)
		wantEphemeral(t, onResumed, "/pause-eph-2", sid)
		sleepFor(t, s.after, fmt.Sprintf("follower %d resumed", f.ID))

		pauseLeader := pauseLeaderFor(kind)
		if m, err := leader.Mode(); err != nil || m != ztest.ModeLeader {
			t.Logf("member %d no longer leads (%q, %v); stopping it anyway", leader.ID, m, err)
		}
		rec.Note("SIGSTOP member %d", leader.ID)
		paused = time.Now()
		if err := leader.Pause(); err != nil {
			t.Fatal(err)
		}
		fo := measureFailover(t, e, e.Others(leader), paused, "/fo-pause")
		ackAfter := l.waitAckAfter(t, paused, "the SIGSTOP of the leader")
		t.Logf("%s: SIGSTOP leader %d: %v; load's first acknowledged write after %v", kind, leader.ID, fo, ms(ackAfter))
		if rest := pauseLeader - time.Since(paused); rest > 0 {
			sleepFor(t, rest, fmt.Sprintf("member %d stopped (%v in all)", leader.ID, pauseLeader))
		}
		rec.Note("SIGCONT member %d", leader.ID)
		if err := leader.Resume(); err != nil {
			t.Fatal(err)
		}
		resumed := time.Now()
		nl, err := e.WaitLeader(failoverWait)
		if err != nil {
			t.Fatalf("member %d, stopped while it led and resumed, does not rejoin: %v", leader.ID, err)
		}
		t.Logf("%s: resumed member %d: leader %d, all lead or follow after %v", kind, leader.ID, nl.ID, ms(time.Since(resumed)))
		repaired := rec.Now()
		sleepFor(t, s.after, fmt.Sprintf("member %d resumed", leader.ID))
		finalChecks(t, e.Members, l, rec, repaired)
	})
}
