package compat

import (
	"fmt"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"zkd/internal/ztest"
)

// note is a notification as the server sends it.
func note(typ zk.EventType, path string) zk.Event {
	return zk.Event{Type: typ, State: zk.StateSyncConnected, Path: path}
}

// wantNotes checks the notifications a session got off the wire, in order.
func wantNotes(t *testing.T, c *client, want ...zk.Event) {
	t.Helper()
	if got := c.drainNotes(len(want)); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("notifications %v, want %v", got, want)
	}
}

func TestWatchTriggers(t *testing.T) {
	srv := startServer(t, ztest.Options{})
	w := connect(t, srv.Addr) // sets the watches
	m := connect(t, srv.Addr) // makes the changes

	t.Run("exists on missing node: created", func(t *testing.T) {
		ok, _, ch, err := w.ExistsW("/x1")
		if ok || err != nil {
			t.Fatalf("existsW = %v, %v", ok, err)
		}
		mustCreate(t, m, "/x1", "", 0)
		expectEvent(t, ch, zk.EventNodeCreated, "/x1")
		// one-shot: later changes are not reported
		m.Set("/x1", nil, -1)
		m.Delete("/x1", -1)
		wantNotes(t, w, note(zk.EventNodeCreated, "/x1"))
	})

	t.Run("exists on node: data changed, deleted", func(t *testing.T) {
		mustCreate(t, m, "/x2", "", 0)
		_, _, ch, _ := w.ExistsW("/x2")
		m.Set("/x2", []byte("a"), -1)
		expectEvent(t, ch, zk.EventNodeDataChanged, "/x2")
		_, _, ch, _ = w.ExistsW("/x2")
		m.Delete("/x2", -1)
		expectEvent(t, ch, zk.EventNodeDeleted, "/x2")
		wantNotes(t, w, note(zk.EventNodeDataChanged, "/x2"), note(zk.EventNodeDeleted, "/x2"))
	})

	t.Run("get: data changed, deleted", func(t *testing.T) {
		mustCreate(t, m, "/g", "", 0)
		_, _, ch, _ := w.GetW("/g")
		m.Set("/g", []byte("same"), -1)
		expectEvent(t, ch, zk.EventNodeDataChanged, "/g")
		_, _, ch, _ = w.GetW("/g")
		m.Set("/g", []byte("same"), -1) // unchanged bytes still fire
		expectEvent(t, ch, zk.EventNodeDataChanged, "/g")
		_, _, ch, _ = w.GetW("/g")
		m.Delete("/g", -1)
		expectEvent(t, ch, zk.EventNodeDeleted, "/g")
		wantNotes(t, w, note(zk.EventNodeDataChanged, "/g"), note(zk.EventNodeDataChanged, "/g"), note(zk.EventNodeDeleted, "/g"))
	})

	t.Run("get on missing node sets no watch", func(t *testing.T) {
		_, _, _, err := w.GetW("/nothere")
		wantErr(t, "getW /nothere", err, zk.ErrNoNode)
		mustCreate(t, m, "/nothere", "", 0)
		wantNotes(t, w)
	})

	t.Run("children: child created, deleted, node deleted", func(t *testing.T) {
		mustCreate(t, m, "/p", "", 0)
		_, _, ch, _ := w.ChildrenW("/p")
		m.Set("/p", []byte("x"), -1) // data changes do not fire child watches
		mustCreate(t, m, "/p/c", "", 0)
		expectEvent(t, ch, zk.EventNodeChildrenChanged, "/p")
		_, _, ch, _ = w.ChildrenW("/p")
		m.Set("/p/c", []byte("x"), -1) // neither do the children's
		mustCreate(t, m, "/p/c/grandchild", "", 0)
		m.Delete("/p/c/grandchild", -1) // nor grandchildren
		m.Delete("/p/c", -1)
		expectEvent(t, ch, zk.EventNodeChildrenChanged, "/p")
		_, _, ch, _ = w.ChildrenW("/p")
		m.Delete("/p", -1)
		expectEvent(t, ch, zk.EventNodeDeleted, "/p")
		wantNotes(t, w, note(zk.EventNodeChildrenChanged, "/p"), note(zk.EventNodeChildrenChanged, "/p"), note(zk.EventNodeDeleted, "/p"))
	})

	t.Run("failed writes fire nothing", func(t *testing.T) {
		mustCreate(t, m, "/f", "", 0)
		w.GetW("/f")
		w.ChildrenW("/f")
		_, err := m.Set("/f", nil, 9)
		wantErr(t, "set bad version", err, zk.ErrBadVersion)
		err = m.Delete("/f", 9)
		wantErr(t, "delete bad version", err, zk.ErrBadVersion)
		_, err = m.Create("/f/x/y", nil, 0, openACL)
		wantErr(t, "create no parent", err, zk.ErrNoNode)
		if _, err := m.Sync("/f"); err != nil {
			t.Fatal(err)
		}
		wantNotes(t, w)
		m.Delete("/f", -1) // clean up the watches
		wantNotes(t, w, note(zk.EventNodeDeleted, "/f"))
	})

	t.Run("every session's watch fires", func(t *testing.T) {
		mustCreate(t, m, "/all", "", 0)
		w2 := connect(t, srv.Addr)
		_, _, ch1, _ := w.GetW("/all")
		_, _, ch2, _ := w2.GetW("/all")
		_, _, ch3, _ := m.GetW("/all") // the writer's own watch too
		m.Set("/all", nil, -1)
		for _, ch := range []<-chan zk.Event{ch1, ch2, ch3} {
			expectEvent(t, ch, zk.EventNodeDataChanged, "/all")
		}
		wantNotes(t, w, note(zk.EventNodeDataChanged, "/all"))
		wantNotes(t, w2, note(zk.EventNodeDataChanged, "/all"))
		wantNotes(t, m, note(zk.EventNodeDataChanged, "/all"))
	})
}

// TestWatchDedup: a session holds at most one data watch and one child watch
// per path. Setting one twice, or a get and an exists watch, yields one
// notification; a delete that ends both a data and a child watch yields one
// NodeDeleted.
func TestWatchDedup(t *testing.T) {
	srv := startServer(t, ztest.Options{})
	w := connect(t, srv.Addr)
	m := connect(t, srv.Addr)
	mustCreate(t, m, "/d", "", 0)

	t.Run("same watch twice", func(t *testing.T) {
		_, _, ch1, _ := w.GetW("/d")
		_, _, ch2, _ := w.GetW("/d")
		m.Set("/d", nil, -1)
		expectEvent(t, ch1, zk.EventNodeDataChanged, "/d") // go-zookeeper fans the one
		expectEvent(t, ch2, zk.EventNodeDataChanged, "/d") // notification out
		wantNotes(t, w, note(zk.EventNodeDataChanged, "/d"))
	})

	t.Run("get and exists", func(t *testing.T) {
		w.GetW("/d")
		w.ExistsW("/d")
		m.Set("/d", nil, -1)
		wantNotes(t, w, note(zk.EventNodeDataChanged, "/d"))
	})

	t.Run("children twice", func(t *testing.T) {
		w.ChildrenW("/d")
		w.ChildrenW("/d")
		mustCreate(t, m, "/d/k", "", 0)
		wantNotes(t, w, note(zk.EventNodeChildrenChanged, "/d"))
	})

	t.Run("data and child watch, node deleted", func(t *testing.T) {
		mustCreate(t, m, "/d/k/z", "", 0)
		w.GetW("/d/k/z")
		w.ChildrenW("/d/k/z")
		w.ExistsW("/d/k/z")
		m.Delete("/d/k/z", -1)
		wantNotes(t, w, note(zk.EventNodeDeleted, "/d/k/z"))
	})

	t.Run("order: node events before the parent's", func(t *testing.T) {
		w.ExistsW("/d/k/n")
		w.ChildrenW("/d/k")
		mustCreate(t, m, "/d/k/n", "", 0)
		wantNotes(t, w, note(zk.EventNodeCreated, "/d/k/n"), note(zk.EventNodeChildrenChanged, "/d/k"))
		w.GetW("/d/k/n")
		w.ChildrenW("/d/k")
		m.Delete("/d/k/n", -1)
		wantNotes(t, w, note(zk.EventNodeDeleted, "/d/k/n"), note(zk.EventNodeChildrenChanged, "/d/k"))
	})
}

// TestWatchBeforeResponse: a session sees a watch event before the response
// to any read that shows the change, and before the response to its own
// write that caused it.
func TestWatchBeforeResponse(t *testing.T) {
	srv := startServer(t, ztest.Options{})
	w := connect(t, srv.Addr)
	m := connect(t, srv.Addr)
	mustCreate(t, m, "/o", "", 0)

	t.Run("other session's write", func(t *testing.T) {
		_, _, ch, _ := w.GetW("/o")
		if _, err := m.Set("/o", []byte("new"), -1); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(eventWait)
		for {
			data, _, err := w.Get("/o")
			if err != nil {
				t.Fatal(err)
			}
			if string(data) == "new" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("change never visible")
			}
		}
		select {
		case e := <-ch:
			if e.Type != zk.EventNodeDataChanged {
				t.Errorf("event %v", e.Type)
			}
		default:
			t.Error("read showed the change before the watch event arrived")
		}
	})

	t.Run("own write", func(t *testing.T) {
		_, _, ch, _ := w.GetW("/o")
		_, _, cch, _ := w.ChildrenW("/o")
		if _, err := w.Set("/o", nil, -1); err != nil {
			t.Fatal(err)
		}
		select {
		case <-ch:
		default:
			t.Error("setData response arrived before its watch event")
		}
		if _, err := w.Create("/o/k", nil, 0, openACL); err != nil {
			t.Fatal(err)
		}
		select {
		case <-cch:
		default:
			t.Error("create response arrived before its watch event")
		}
	})
}

// TestWatchReconnect: watches survive a lost connection. The client sends
// setWatches with the last zxid it saw when it reconnects; the server fires
// at once the watches whose nodes changed meanwhile and re-registers the
// rest.
func TestWatchReconnect(t *testing.T) {
	srv := startServer(t, ztest.Options{})
	m := connect(t, srv.Addr)
	for _, p := range []string{"/r-data", "/r-gone", "/r-kids", "/r-same", "/r-kids-same"} {
		mustCreate(t, m, p, "", 0)
	}
	px := newProxy(t, srv.Addr)
	w := connect(t, px.addr())
	sid := w.SessionID()

	_, _, created, _ := w.ExistsW("/r-new")
	_, _, changed, _ := w.GetW("/r-data")
	_, _, gone, _ := w.GetW("/r-gone")
	_, _, kids, _ := w.ChildrenW("/r-kids")
	_, _, same, _ := w.GetW("/r-same")
	_, _, kidsSame, _ := w.ChildrenW("/r-kids-same")

	px.blackhole(true) // w hears nothing of what follows
	mustCreate(t, m, "/r-new", "", 0)
	m.Set("/r-data", []byte("x"), -1)
	m.Delete("/r-gone", -1)
	mustCreate(t, m, "/r-kids/k", "", 0)
	m.Set("/r-kids-same", []byte("data, not children"), -1)
	if got := w.drainNotes(0); len(got) != 0 { // nothing came through
		t.Fatalf("notifications through the black hole: %v", got)
	}
	px.blackhole(false) // cut the connection: w reconnects

	waitState(t, w, zk.StateHasSession, connectWait)
	if w.SessionID() != sid {
		t.Fatalf("reconnected with session %#x, had %#x", w.SessionID(), sid)
	}
	expectEvent(t, created, zk.EventNodeCreated, "/r-new")
	expectEvent(t, changed, zk.EventNodeDataChanged, "/r-data")
	expectEvent(t, gone, zk.EventNodeDeleted, "/r-gone")
	expectEvent(t, kids, zk.EventNodeChildrenChanged, "/r-kids")
	noEvent(t, same)
	noEvent(t, kidsSame)

	// The unchanged ones were re-registered and still fire.
	m.Set("/r-same", nil, -1)
	expectEvent(t, same, zk.EventNodeDataChanged, "/r-same")
	mustCreate(t, m, "/r-kids-same/k", "", 0)
	expectEvent(t, kidsSame, zk.EventNodeChildrenChanged, "/r-kids-same")

	t.Run("sever without changes", func(t *testing.T) {
		_, _, ch, _ := w.GetW("/r-same")
		px.sever()
		waitState(t, w, zk.StateHasSession, connectWait)
		noEvent(t, ch)
		m.Set("/r-same", nil, -1)
		expectEvent(t, ch, zk.EventNodeDataChanged, "/r-same")
	})
}
