package ensemble

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"zkd/internal/ztest"
)

// TestReplication: 3 participants and an observer on loopback, a client
// on each member.
//
//   - A znode created through any member, the observer included (it
//     forwards the write), is read with its data through every other member
//     after sync; a setData through the observer likewise.
//   - Watches set through one member (exists, getData, getChildren) fire
//     for writes made through another: observer ← leader, follower ←
//     follower, leader ← observer.
//   - Sequential creates from the clients of all members at once get
//     unique names, each holding its creator's data.
//   - A session on a follower moves, when that follower is SIGKILLed, to
//     the next member of its list with the same session id and its
//     ephemeral, which a client on another member sees with that owner; it
//     creates another ephemeral there. Its watches, set through the dead
//     follower, fire for writes made through another member while it was
//     moving. The follower restarts; then the
//     leader is SIGKILLed with that session and another on it: both move,
//     all their ephemerals stay. The failover time is logged.
//   - In the end the four members' trees are identical.
func TestReplication(t *testing.T) {
	forKinds(t, coreKinds(), func(t *testing.T, kind string) {
		e := startEnsemble(t, ztest.EnsembleOptions{Kind: kind, Members: 3, Observers: 1})
		leader := waitLeader(t, e)
		obs := e.Members[3]
		if mode, err := obs.Mode(); err != nil || mode != ztest.ModeObserver {
			t.Fatalf("member 4: Mode = %q, %v; want observer", mode, err)
		}
		fs := participants(e.Others(leader))
		cs := make([]*client, len(e.Members)) // by member index (ID-1)
		for i, m := range e.Members {
			cs[i] = connectMember(t, fmt.Sprintf("client of member %d", m.ID), m)
		}
		of := func(m *ztest.Member) *client { return cs[m.ID-1] }

		// Writes through every member, reads through every other.
		cs[0].mustCreate(t, "/repl", nil, 0)
		for _, m := range e.Members {
			of(m).mustCreate(t, fmt.Sprintf("/repl/from-%d", m.ID), fmt.Appendf(nil, "v%d", m.ID), 0)
		}
		for _, r := range e.Members {
			for _, w := range e.Members {
				p := fmt.Sprintf("/repl/from-%d", w.ID)
				data, _, err := of(r).syncGet(p)
				if err != nil || string(data) != fmt.Sprintf("v%d", w.ID) {
					t.Errorf("%s written through member %d, read through member %d: %q, %v", p, w.ID, r.ID, data, err)
				}
			}
		}
		if err := within(opWait, func() error {
			_, err := of(obs).Set("/repl/from-1", []byte("set-by-observer"), 0)
			return err
		}); err != nil {
			t.Fatalf("setData through the observer: %v", err)
		}
		if data, st, err := of(leader).syncGet("/repl/from-1"); err != nil || string(data) != "set-by-observer" || st.Version != 1 {
			t.Errorf("after setData through the observer, the leader reads %q, %+v, %v", data, st, err)
		}

		// Watches across members.
		watchAcross(t, of(obs), of(leader), "/w-observer")
		watchAcross(t, of(fs[0]), of(fs[1]), "/w-follower")
		watchAcross(t, of(leader), of(obs), "/w-leader")

		// Sequential names from all members at once.
		seqAcross(t, cs)

		// Sessions move when their member dies.
		sessionsMove(t, e, leader, fs, obs)

		sameTrees(t, e.Members)
	})
}

// watchAcross sets watches through w and writes through p, and requires
// each watch to fire with the right event.
func watchAcross(t *testing.T, w, p *client, base string) {
	t.Helper()
	p.mustCreate(t, base, nil, 0)
	p.mustCreate(t, base+"/d", []byte("0"), 0)
	if _, _, err := w.syncGet(base + "/d"); err != nil {
		t.Fatal(err)
	}
	var chX, chD, chC, chDel <-chan zk.Event
	if err := within(opWait, func() error {
		ok, _, ch, err := w.ExistsW(base + "/x")
		if err == nil && ok {
			err = errors.New("exists before its create")
		}
		chX = ch
		if err != nil {
			return err
		}
		if _, _, chD, err = w.GetW(base + "/d"); err != nil {
			return err
		}
		_, _, chC, err = w.ChildrenW(base)
		return err
	}); err != nil {
		t.Fatalf("%s: set watches: %v", w.name, err)
	}
	p.mustCreate(t, base+"/x", nil, 0)
	if err := within(opWait, func() error { _, err := p.Set(base+"/d", []byte("1"), -1); return err }); err != nil {
		t.Fatalf("%s: set %s/d: %v", p.name, base, err)
	}
	expect := func(ch <-chan zk.Event, typ zk.EventType, path string) {
		t.Helper()
		select {
		case ev := <-ch:
			if ev.Type != typ || ev.Path != path || ev.Err != nil {
				t.Errorf("watch set through %s, write through %s: got %+v, want %v on %s", w.name, p.name, ev, typ, path)
			}
		case <-time.After(eventWait):
			t.Errorf("watch set through %s, write through %s: no %v on %s within %v", w.name, p.name, typ, path, eventWait)
		}
	}
	expect(chX, zk.EventNodeCreated, base+"/x")
	expect(chD, zk.EventNodeDataChanged, base+"/d")
	expect(chC, zk.EventNodeChildrenChanged, base)
	if err := within(opWait, func() error {
		var err error
		_, _, chDel, err = w.ExistsW(base + "/x")
		return err
	}); err != nil {
		t.Fatalf("%s: exists watch on %s/x: %v", w.name, base, err)
	}
	if err := within(opWait, func() error { return p.Delete(base+"/x", -1) }); err != nil {
		t.Fatalf("%s: delete %s/x: %v", p.name, base, err)
	}
	expect(chDel, zk.EventNodeDeleted, base+"/x")
}

// seqAcross creates sequential znodes from every client at once and
// requires unique names, each holding its creator's data, all listed
// through every client after sync.
func seqAcross(t *testing.T, cs []*client) {
	t.Helper()
	const perClient = 25
	cs[0].mustCreate(t, "/seqs", nil, 0)
	names := make([][]string, len(cs))
	errs := make([]error, len(cs))
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Go(func() {
			for k := range perClient {
				p, err := c.create("/seqs/n-", fmt.Appendf(nil, "c%d-%d", i, k), zk.FlagSequence)
				if err != nil {
					errs[i] = err
					return
				}
				names[i] = append(names[i], p)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	owner := map[string]string{}
	for i := range cs {
		for k, p := range names[i] {
			v := fmt.Sprintf("c%d-%d", i, k)
			if prev, dup := owner[p]; dup {
				t.Errorf("sequential name %s given to %s and %s", p, prev, v)
			}
			owner[p] = v
		}
	}
	want := make([]string, 0, len(owner))
	for p := range owner {
		want = append(want, p[len("/seqs/"):])
	}
	sort.Strings(want)
	for _, c := range cs {
		var kids []string
		if err := within(opWait, func() error {
			if _, err := c.Sync("/seqs"); err != nil {
				return err
			}
			k, _, err := c.Children("/seqs")
			kids = k
			return err
		}); err != nil {
			t.Fatalf("%s: children of /seqs: %v", c.name, err)
		}
		sort.Strings(kids)
		if fmt.Sprint(kids) != fmt.Sprint(want) {
			t.Errorf("%s lists %d children of /seqs, want the %d created: %v", c.name, len(kids), len(want), kids)
		}
	}
	for p, v := range owner {
		if data, _, err := cs[len(cs)-1].syncGet(p); err != nil || string(data) != v {
			t.Errorf("%s: %q, %v; want %q", p, data, err, v)
		}
	}
	t.Logf("%d sequential names from %d members, all unique", len(owner), len(cs))
}

// sessionsMove: see TestReplication.
func sessionsMove(t *testing.T, e *ztest.Ensemble, leader *ztest.Member, fs []*ztest.Member, obs *ztest.Member) {
	t.Helper()
	a := connect(t, "session A", ztest.Addrs([]*ztest.Member{fs[0], leader, fs[1], obs}), sessionTimeout)
	b := connect(t, "session B", ztest.Addrs([]*ztest.Member{leader, fs[1], obs, fs[0]}), sessionTimeout)
	if a.Server() != fs[0].ClientAddr || b.Server() != leader.ClientAddr {
		t.Fatalf("sessions on %s and %s, want %s and %s", a.Server(), b.Server(), fs[0].ClientAddr, leader.ClientAddr)
	}
	sidA, sidB := a.SessionID(), b.SessionID()
	a.mustCreate(t, "/eph-a", []byte("a"), zk.FlagEphemeral)
	b.mustCreate(t, "/eph-b", []byte("b"), zk.FlagEphemeral)
	checker := connectMember(t, "checker", obs)

	wantEph := func(path string, sid int64) {
		t.Helper()
		_, st, err := checker.syncGet(path)
		if err != nil {
			t.Errorf("ephemeral %s seen through the observer: %v", path, err)
		} else if st.EphemeralOwner != sid {
			t.Errorf("ephemeral %s: owner %#x, want %#x", path, st.EphemeralOwner, sid)
		}
	}
	moved := func(c *client, sid int64, since time.Time, what string) {
		t.Helper()
		waitMoved(t, c, sid, since, what)
	}

	// Watches A set through the follower, for writes made while A is cut
	// off from it: they fire once A has moved (the client sends its
	// watches again, with the last zxid it saw).
	checker.mustCreate(t, "/move-watch", []byte("0"), 0)
	if _, _, err := a.syncGet("/move-watch"); err != nil {
		t.Fatal(err)
	}
	var chData, chCreated <-chan zk.Event
	if err := within(opWait, func() error {
		_, _, ch, err := a.GetW("/move-watch")
		if err != nil {
			return err
		}
		chData = ch
		_, _, chCreated, err = a.ExistsW("/move-watch-new")
		return err
	}); err != nil {
		t.Fatalf("%s: set watches: %v", a.name, err)
	}

	killed := time.Now()
	fs[0].Kill()
	if err := within(opWait, func() error { _, err := checker.Set("/move-watch", []byte("1"), -1); return err }); err != nil {
		t.Fatalf("set /move-watch through the observer: %v", err)
	}
	checker.mustCreate(t, "/move-watch-new", nil, 0)
	moved(a, sidA, killed, fmt.Sprintf("SIGKILL of follower %d", fs[0].ID))
	for _, w := range []struct {
		ch  <-chan zk.Event
		typ zk.EventType
		p   string
	}{{chData, zk.EventNodeDataChanged, "/move-watch"}, {chCreated, zk.EventNodeCreated, "/move-watch-new"}} {
		select {
		case ev := <-w.ch:
			if ev.Type != w.typ || ev.Path != w.p {
				t.Errorf("watch of %s after its member died: %+v, want %v", a.name, ev, w.typ)
			}
		case <-time.After(eventWait):
			t.Errorf("watch of %s on %s: no %v within %v of moving to another member", a.name, w.p, w.typ, eventWait)
		}
	}
	wantEph("/eph-a", sidA)
	a.mustCreate(t, "/eph-a2", []byte("a2"), zk.FlagEphemeral)
	wantEph("/eph-a2", sidA)
	fs[0].Restart(t)
	waitLeader(t, e)

	killed = time.Now()
	leader.Kill()
	f := measureFailover(t, e, e.Others(leader), killed, "/fo-replication")
	t.Logf("%s: SIGKILL leader %d with sessions on it: %v", e.Kind, leader.ID, f)
	moved(a, sidA, killed, fmt.Sprintf("SIGKILL of leader %d", leader.ID))
	moved(b, sidB, killed, fmt.Sprintf("SIGKILL of leader %d", leader.ID))
	for p, sid := range map[string]int64{"/eph-a": sidA, "/eph-a2": sidA, "/eph-b": sidB} {
		wantEph(p, sid)
	}
	b.mustCreate(t, "/eph-b2", []byte("b2"), zk.FlagEphemeral)
	leader.Restart(t)
	waitLeader(t, e)
}
