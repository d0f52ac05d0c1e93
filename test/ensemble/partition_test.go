package ensemble

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"zkd/internal/lincheck"
	"zkd/internal/ztest"
)

// TestPartitionLeader: 3 members, one network namespace each, the load on
// all of them, the lincheck workload (see linServers), and a probe client
// pinned to the leader. The leader is cut off from its two peers (every
// packet between them dropped; clients still reach every member): see
// cutOff for what is checked. Long schedule: then a follower is cut off
// the same way. In the end the usual checks over all three members.
func TestPartitionLeader(t *testing.T) {
	forKinds(t, coreKinds(), func(t *testing.T, kind string) {
		s := sched()
		e := startEnsemble(t, ztest.EnsembleOptions{Kind: kind, Members: 3, NetNS: true})
		leader := waitLeader(t, e)
		l := startLoad(t, e.Members)
		rec := startLin(t, linServers(kind, e.Members, []*ztest.Member{leader}))
		pr := startProbe(t, leader)
		sleepFor(t, s.warm, "before the partition")

		ws := []cutWindow{cutOff(t, e, l, rec, []*ztest.Member{leader}, e.Others(leader), []*probe{pr})}
		repaired := rec.Now()
		sleepFor(t, s.after, "after the heal")

		if longSchedule() {
			f := participants(e.Others(waitLeader(t, e)))[0]
			pf := startProbe(t, f)
			sleepFor(t, s.warm, "before cutting off a follower")
			ws = append(ws, cutOff(t, e, l, rec, []*ztest.Member{f}, e.Others(f), []*probe{pf}))
			repaired = rec.Now()
			sleepFor(t, s.after, "after the heal")
		}
		h := finalChecks(t, e.Members, l, rec, repaired)
		checkWindows(t, kind, h, ws)
	})
}

// TestPartitionFive: 5 members in network namespaces; the leader and one
// follower are cut off from the other three (each side still reaches its
// own, clients reach everyone), under the load, the lincheck workload and
// a probe client on each of the two: see cutOff. Then the usual checks
// over all five.
func TestPartitionFive(t *testing.T) {
	forKinds(t, extraKinds(), func(t *testing.T, kind string) {
		s := sched()
		e := startEnsemble(t, ztest.EnsembleOptions{Kind: kind, Members: 5, NetNS: true})
		leader := waitLeader(t, e)
		minority := []*ztest.Member{leader, participants(e.Others(leader))[0]}
		majority := e.Others(minority...)
		l := startLoad(t, e.Members)
		rec := startLin(t, linServers(kind, e.Members, minority))
		probes := []*probe{startProbe(t, minority[0]), startProbe(t, minority[1])}
		sleepFor(t, s.warm, "before the partition")

		w := cutOff(t, e, l, rec, minority, majority, probes)
		repaired := rec.Now()
		sleepFor(t, s.after, "after the heal")
		h := finalChecks(t, e.Members, l, rec, repaired)
		checkWindows(t, kind, h, []cutWindow{w})
	})
}

// cutWindow is the time a minority was cut off, on the recorder's clock,
// for checking the history once recorded.
type cutWindow struct {
	minority []*ztest.Member
	from, to int64
}

// cutOff partitions minority from majority, under load, and checks:
//
//   - the majority elects a leader and takes writes (the times from the
//     cut to the leader, to a fresh session's write and to the load's first
//     acknowledged write are logged; zkd within zkdFailoverBound);
//   - each minority member stops serving (srvr) and drops its clients (an
//     idle session of the probe), within failoverWait; the times are logged;
//   - from the end of the cut to the start of the heal, no create of a
//     probe, and no write of a load writer pinned to a minority member,
//     succeeds; and on zkd no probe sync succeeds either (Apache's leader
//     answers sync without a quorum: the syncs it answered are logged);
//   - healed, every member leads or follows again (time logged) and the
//     probes write again.
func cutOff(t *testing.T, e *ztest.Ensemble, l *load, rec *lincheck.Recorder, minority, majority []*ztest.Member, probes []*probe) cutWindow {
	t.Helper()
	what := fmt.Sprintf("members %v cut off from %v", memberIDs(minority), memberIDs(majority))
	rec.Note("%s", what)
	cutStart := time.Now()
	if err := e.Partition(minority, majority); err != nil {
		t.Fatal(err)
	}
	cutDone := time.Now()
	w := cutWindow{minority: minority, from: rec.Now()}
	t.Logf("%s (filters in place after %v)", what, ms(cutDone.Sub(cutStart)))

	notServing := make([]time.Duration, len(minority))
	errs := make([]error, len(minority))
	var wg sync.WaitGroup
	for i, m := range minority {
		wg.Go(func() {
			if _, errs[i] = waitNotServing(m, failoverWait); errs[i] == nil {
				notServing[i] = time.Since(cutStart)
			}
		})
	}
	f := measureFailover(t, e, majority, cutStart, "/fo-cut")
	ackAfter := l.waitAckAfter(t, cutDone, "the cut")
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	var dropped []string
	for _, p := range probes {
		ev, err := p.idle.ev.waitFor(zk.StateDisconnected, cutDone, failoverWait)
		if err != nil {
			t.Fatalf("idle session on member %d: not disconnected after the cut: %v", p.m.ID, err)
		}
		dropped = append(dropped, fmt.Sprintf("member %d after %v", p.m.ID, ms(ev.at.Sub(cutStart))))
	}
	var stops []string
	for i, m := range minority {
		stops = append(stops, fmt.Sprintf("member %d after %v", m.ID, ms(notServing[i])))
	}
	t.Logf("%s: %s; majority: %v; load's first acknowledged write after %v; not serving: %s; idle client dropped: %s",
		e.Kind, what, f, ms(ackAfter), strings.Join(stops, ", "), strings.Join(dropped, ", "))
	sleepFor(t, sched().during, what)

	healStart := time.Now()
	w.to = rec.Now()
	for _, p := range probes {
		creates := p.succeeded("create", cutDone, healStart)
		syncs := p.succeeded("sync", cutDone, healStart)
		total := p.count(cutDone, healStart)
		for _, op := range creates {
			t.Errorf("probe on cut-off member %d: create called %v after the cut succeeded %v after it",
				p.m.ID, ms(op.call.Sub(cutDone)), ms(op.ret.Sub(cutDone)))
		}
		switch {
		case e.Kind == ztest.KindApache && len(syncs) > 0:
			t.Logf("probe on cut-off member %d: %d syncs answered during the cut, the last one called %v after it (Apache answers sync on the leader without a quorum)",
				p.m.ID, len(syncs), ms(syncs[len(syncs)-1].call.Sub(cutDone)))
		default:
			for _, op := range syncs {
				t.Errorf("probe on cut-off member %d: sync called %v after the cut succeeded %v after it",
					p.m.ID, ms(op.call.Sub(cutDone)), ms(op.ret.Sub(cutDone)))
			}
		}
		t.Logf("probe on member %d: %d requests ended during the cut, %d creates and %d syncs succeeded", p.m.ID, total, len(creates), len(syncs))
	}
	for _, m := range minority {
		if n := l.acksBetween(m.ClientAddr, cutDone, healStart); n > 0 {
			t.Errorf("load writer pinned to cut-off member %d: %d writes acknowledged during the cut", m.ID, n)
		}
	}

	rec.Note("heal")
	if err := e.HealAll(); err != nil {
		t.Fatal(err)
	}
	healed := time.Now()
	nl := waitLeader(t, e)
	rejoined := time.Since(healed)
	for _, p := range probes {
		p.waitCreate(t, healed)
	}
	t.Logf("%s: healed: every member leads or follows (leader %d) after %v; probes write again", e.Kind, nl.ID, ms(rejoined))
	for _, p := range probes {
		p.stop()
	}
	return w
}

// checkWindows checks the history against the cut windows: no write of a
// lincheck client pinned to a cut-off member succeeded during its cut,
// and, on zkd, no sync+read either.
func checkWindows(t *testing.T, kind string, h lincheck.History, ws []cutWindow) {
	t.Helper()
	for _, w := range ws {
		for _, m := range w.minority {
			for _, op := range linOpsOn(h, m.ClientAddr, lincheck.KindSet, w.from, w.to) {
				t.Errorf("lincheck client pinned to cut-off member %d: write succeeded during the cut: %v", m.ID, op)
			}
			if kind == ztest.KindZkd {
				for _, op := range linOpsOn(h, m.ClientAddr, lincheck.KindRead, w.from, w.to) {
					t.Errorf("lincheck client pinned to cut-off member %d: sync+read succeeded during the cut: %v", m.ID, op)
				}
			}
		}
	}
}

// probe is two sessions pinned to one member, one creating a znode and
// one syncing, each every 100 ms (two sessions, so that a create left
// hanging does not hold back the syncs queued behind it), each request
// bounded, with the outcomes recorded; and an idle session with the same
// member, which shows when the member drops its clients (the probe's own
// sessions are also dropped by the probe when a request times out).
type probe struct {
	m      *ztest.Member
	ev     *events // of all its sessions
	idle   *client
	parent string
	stopCh chan struct{}
	wg     sync.WaitGroup
	once   sync.Once

	mu  sync.Mutex
	ops []probeOp
}

type probeOp struct {
	kind      string // "create" or "sync"
	call, ret time.Time
	err       error
}

const (
	probeOpTimeout = 4 * time.Second
	probeMaxOps    = 5000
	probeEvery     = 100 * time.Millisecond
)

// startProbe starts a probe on m; it stops at p.stop or the test's end.
func startProbe(t *testing.T, m *ztest.Member) *probe {
	t.Helper()
	p := &probe{m: m, ev: &events{}, parent: fmt.Sprintf("/probe-%d-%d", m.ID, time.Now().UnixNano()),
		stopCh: make(chan struct{})}
	p.idle = connect(t, fmt.Sprintf("idle session on member %d", m.ID), []string{m.ClientAddr}, sessionTimeout)
	if _, err := p.idle.create(p.parent, nil, 0); err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"create", "sync"} {
		p.wg.Add(1)
		go p.loop(kind)
	}
	t.Cleanup(p.stop)
	return p
}

func (p *probe) stop() {
	p.once.Do(func() { close(p.stopCh) })
	done := make(chan struct{})
	go func() { p.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * probeOpTimeout):
	}
}

// loop issues one kind of request until stop or probeMaxOps.
func (p *probe) loop(kind string) {
	defer p.wg.Done()
	var c *client
	defer func() {
		if c != nil {
			go c.Close()
		}
	}()
	for n := 0; n < probeMaxOps; n++ {
		select {
		case <-p.stopCh:
			return
		case <-time.After(probeEvery):
		}
		if c == nil {
			var err error
			if c, err = dial(fmt.Sprintf("%s probe on member %d", kind, p.m.ID), []string{p.m.ClientAddr}, sessionTimeout, p.ev); err != nil {
				return
			}
		}
		conn := c.Conn
		path := fmt.Sprintf("%s/p-%d", p.parent, n)
		call := time.Now()
		err := within(probeOpTimeout, func() error {
			var err error
			if kind == "create" {
				_, err = conn.Create(path, nil, 0, openACL)
			} else {
				_, err = conn.Sync("/")
			}
			return err
		})
		p.mu.Lock()
		p.ops = append(p.ops, probeOp{kind, call, time.Now(), err})
		p.mu.Unlock()
		if err == errTimeout {
			go c.Close() // abandon the session; a new one next round
			c = nil
		}
	}
}

// succeeded returns the probe's successful requests of kind called after
// from and returned before to.
func (p *probe) succeeded(kind string, from, to time.Time) []probeOp {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []probeOp
	for _, op := range p.ops {
		if op.kind == kind && op.err == nil && op.call.After(from) && op.ret.Before(to) {
			out = append(out, op)
		}
	}
	return out
}

// count returns the number of the probe's requests called after from and
// returned before to.
func (p *probe) count(from, to time.Time) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, op := range p.ops {
		if op.call.After(from) && op.ret.Before(to) {
			n++
		}
	}
	return n
}

// waitCreate waits until a probe create called after t0 succeeds.
func (p *probe) waitCreate(t *testing.T, t0 time.Time) {
	t.Helper()
	deadline := time.Now().Add(failoverWait)
	for time.Now().Before(deadline) {
		if len(p.succeeded("create", t0, time.Now().Add(time.Hour))) > 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("probe on member %d: no create succeeded within %v after the heal", p.m.ID, failoverWait)
}
