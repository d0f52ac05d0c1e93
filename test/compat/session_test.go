package compat

import (
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"zkd/internal/ztest"
)

func TestEphemeralGoneOnClose(t *testing.T) {
	srv := startServer(t, ztest.Options{})
	m := connect(t, srv.Addr)
	w := connect(t, srv.Addr)
	mustCreate(t, m, "/eph", "", 0)
	mustCreate(t, m, "/eph/keep", "", 0)
	a := connect(t, srv.Addr)
	mustCreate(t, a, "/eph/e", "", zk.FlagEphemeral)
	seq := mustCreate(t, a, "/eph/s-", "", zk.FlagEphemeralSequential)
	mustCreate(t, a, "/eph-top", "", zk.FlagEphemeral)

	_, _, ech, _ := w.ExistsW("/eph/e")
	_, _, sch, _ := w.GetW(seq)
	_, _, cch, _ := w.ChildrenW("/eph")
	before := mustStat(t, m, "/eph")

	a.Close()
	expectEvent(t, ech, zk.EventNodeDeleted, "/eph/e")
	expectEvent(t, sch, zk.EventNodeDeleted, seq)
	expectEvent(t, cch, zk.EventNodeChildrenChanged, "/eph")

	kids, _, err := m.Children("/eph")
	sort.Strings(kids)
	if err != nil || len(kids) != 1 || kids[0] != "keep" {
		t.Errorf("children after close = %v, %v", kids, err)
	}
	if ok, _, _ := m.Exists("/eph-top"); ok {
		t.Error("/eph-top survived its session")
	}
	// Both removals happen in the closeSession transaction.
	after := mustStat(t, m, "/eph")
	if after.Cversion != before.Cversion+2 || after.Pzxid <= before.Pzxid {
		t.Errorf("/eph after close: %+v, before %+v", *after, *before)
	}
	// The old session's requests now fail on the client side.
	_, err = a.Create("/eph/late", nil, 0, openACL)
	wantErr(t, "create on closed conn", err, zk.ErrConnectionClosed)
}

// TestSessionExpiry black-holes a client's traffic for longer than its
// session timeout: the server expires the session, removes its ephemerals
// and fires their watches; when the client gets through again it is told
// the session expired.
func TestSessionExpiry(t *testing.T) {
	// tickTime 200 ms: sessions may be 400..4000 ms.
	srv := startServer(t, ztest.Options{TickTime: 200})
	px := newProxy(t, srv.Addr)
	a := connect(t, px.addr(), withTimeout(time.Second))
	w := connect(t, srv.Addr)
	oldSID := a.SessionID()

	mustCreate(t, a, "/e", "", zk.FlagEphemeral)
	_, _, ach, err := a.GetW("/e") // a's own watch, lost with its session
	if err != nil {
		t.Fatal(err)
	}
	_, _, wch, _ := w.ExistsW("/e")

	start := time.Now()
	px.blackhole(true)
	expectEventWithin(t, wch, zk.EventNodeDeleted, "/e", 10*time.Second)
	// The expiry is due one timeout after the last packet the server got
	// (a ping at most a third of a timeout before the black hole), rounded
	// up to a tick.
	if el := time.Since(start); el < 500*time.Millisecond || el > 8*time.Second {
		t.Errorf("ephemeral removed %v after the client went silent, session timeout 1s", el)
	}
	if ok, _, _ := w.Exists("/e"); ok {
		t.Error("/e still exists")
	}

	px.blackhole(false)
	waitState(t, a, zk.StateExpired, eventWait)
	e := waitEvent(t, ach, eventWait)
	if e.Type != zk.EventNotWatching || !errors.Is(e.Err, zk.ErrSessionExpired) {
		t.Errorf("a's watch got %+v, want EventNotWatching with ErrSessionExpired", e)
	}
	// go-zookeeper then starts a new session by itself.
	waitState(t, a, zk.StateHasSession, connectWait)
	if a.SessionID() == oldSID || a.SessionID() == 0 {
		t.Errorf("session after expiry %#x, old %#x", a.SessionID(), oldSID)
	}
}

// TestSessionSurvivesShortOutage: a connection lost for less than the
// session timeout keeps the session and its ephemerals.
func TestSessionSurvivesShortOutage(t *testing.T) {
	srv := startServer(t, ztest.Options{TickTime: 200})
	px := newProxy(t, srv.Addr)
	a := connect(t, px.addr(), withTimeout(4*time.Second))
	sid := a.SessionID()
	mustCreate(t, a, "/e", "", zk.FlagEphemeral)
	px.blackhole(true)
	time.Sleep(time.Second)
	px.blackhole(false)
	waitState(t, a, zk.StateHasSession, connectWait)
	if a.SessionID() != sid {
		t.Errorf("session %#x after outage, was %#x", a.SessionID(), sid)
	}
	if st := mustStat(t, a, "/e"); st.EphemeralOwner != sid {
		t.Errorf("ephemeralOwner %#x", st.EphemeralOwner)
	}
}
