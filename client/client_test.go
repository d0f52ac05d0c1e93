package client

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"zkd/internal/ztest"
	"zkd/zkd/proto"
)

// eventWait bounds every wait for an event that must come.
const eventWait = 10 * time.Second

// events collects a client's events for a test.
type events chan Event

func (ev events) watcher(e Event) {
	select {
	case ev <- e:
	default:
	}
}

// next waits for an event of type t (state events are skipped unless t is
// EventNone).
func (ev events) next(t *testing.T, want proto.EventType, path string) Event {
	t.Helper()
	timeout := time.After(eventWait)
	for {
		select {
		case e := <-ev:
			if e.Type == want && e.Path == path {
				return e
			}
		case <-timeout:
			t.Fatalf("no %d event on %q within %v", want, path, eventWait)
		}
	}
}

// nextState waits for a connection state event.
func (ev events) nextState(t *testing.T, want proto.KeeperState) {
	t.Helper()
	timeout := time.After(eventWait)
	for {
		select {
		case e := <-ev:
			if e.Type == proto.EventNone && e.State == want {
				return
			}
		case <-timeout:
			t.Fatalf("no state %d event within %v", want, eventWait)
		}
	}
}

func dial(t *testing.T, servers ...string) (*Client, events) {
	t.Helper()
	ev := make(events, 64)
	c, err := Connect(servers, Options{SessionTimeout: 10 * time.Second, Watcher: ev.watcher})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, ev
}

func TestOperations(t *testing.T) {
	srv := ztest.Start(t, ztest.Options{})
	// The first address refuses; Connect must move on to the second.
	c, ev := dial(t, "127.0.0.1:1,"+srv.Addr)
	other, _ := dial(t, srv.Addr)

	if p, _, err := c.Create("/a", []byte("x"), nil, proto.ModePersistent, 0); err != nil || p != "/a" {
		t.Fatalf("Create = %q, %v", p, err)
	}
	if _, _, err := c.Create("/a", nil, nil, proto.ModePersistent, 0); !errors.Is(err, proto.ErrNodeExists) {
		t.Fatalf("second Create: %v, want node exists", err)
	}
	if p, _, err := c.Create("/a/s-", nil, nil, proto.ModeEphemeralSequential, 0); err != nil || p != "/a/s-0000000000" {
		t.Fatalf("sequential Create = %q, %v", p, err)
	}
	data, st, err := c.Get("/a", true)
	if err != nil || string(data) != "x" || st.NumChildren != 1 {
		t.Fatalf("Get = %q %+v %v", data, st, err)
	}
	if _, err := other.Set("/a", []byte("y"), 0); err != nil {
		t.Fatal(err)
	}
	ev.next(t, proto.EventNodeDataChanged, "/a")

	if _, err := c.Set("/a", []byte("z"), 0); !errors.Is(err, proto.ErrBadVersion) {
		t.Fatalf("Set with stale version: %v", err)
	}
	kids, _, err := c.Children("/a", false)
	if err != nil || len(kids) != 1 {
		t.Fatalf("Children = %v, %v", kids, err)
	}
	eph, err := c.GetEphemerals("/a")
	if err != nil || len(eph) != 1 || eph[0] != "/a/s-0000000000" {
		t.Fatalf("GetEphemerals = %v, %v", eph, err)
	}
	if n, err := c.GetAllChildrenNumber("/a"); err != nil || n != 1 {
		t.Fatalf("GetAllChildrenNumber = %d, %v", n, err)
	}
	ids, err := c.WhoAmI()
	if err != nil || len(ids) == 0 || ids[0].AuthScheme != "ip" {
		t.Fatalf("WhoAmI = %v, %v", ids, err)
	}
	if err := c.Sync("/a"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.GetConfig(false); err != nil {
		t.Fatalf("GetConfig: %v", err)
	}
	acl, _, err := c.GetACL("/a")
	if err != nil || len(acl) != 1 || acl[0].Perms != proto.PermAll {
		t.Fatalf("GetACL = %v, %v", acl, err)
	}

	// A persistent recursive watch fires for every change below it.
	if err := c.AddWatch("/a", proto.AddWatchPersistentRecursive); err != nil {
		t.Fatal(err)
	}
	if _, _, err := other.Create("/a/b", nil, nil, proto.ModePersistent, 0); err != nil {
		t.Fatal(err)
	}
	ev.next(t, proto.EventNodeCreated, "/a/b")
	if _, err := other.Set("/a/b", []byte("1"), -1); err != nil {
		t.Fatal(err)
	}
	ev.next(t, proto.EventNodeDataChanged, "/a/b")
	if err := c.RemoveWatches("/a", proto.WatcherAny, false); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveWatches("/a", proto.WatcherAny, false); !errors.Is(err, proto.ErrNoWatcher) {
		t.Fatalf("second RemoveWatches: %v, want no watcher", err)
	}

	res, err := c.Multi(
		proto.MultiOp{Type: proto.OpCreate, Request: &proto.CreateRequest{Path: "/m", ACL: proto.OpenACLUnsafe()}},
		proto.MultiOp{Type: proto.OpSetData, Request: &proto.SetDataRequest{Path: "/m", Data: []byte("v"), Version: -1}},
	)
	if err != nil || len(res) != 2 {
		t.Fatalf("Multi = %+v, %v", res, err)
	}
	if err := c.Delete("/a", -1); !errors.Is(err, proto.ErrNotEmpty) {
		t.Fatalf("Delete non-empty: %v", err)
	}
	if err := c.AddAuth("digest", []byte("u:p")); err != nil {
		t.Fatalf("AddAuth: %v", err)
	}
}

// cutter is a TCP proxy whose connections the test can break, to make the
// client reconnect.
type cutter struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

func newCutter(t *testing.T, target string) *cutter {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutter{ln: ln}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, in, out)
			p.mu.Unlock()
			go func() { io.Copy(out, in); out.Close() }()
			go func() { io.Copy(in, out); in.Close() }()
		}
	}()
	return p
}

func (p *cutter) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func TestReconnectKeepsSessionAndWatches(t *testing.T) {
	srv := ztest.Start(t, ztest.Options{})
	proxy := newCutter(t, srv.Addr)
	c, ev := dial(t, proxy.ln.Addr().String())
	other, _ := dial(t, srv.Addr)
	id, _ := c.SessionID()

	if _, _, err := c.Create("/e", nil, nil, proto.ModeEphemeral, 0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Get("/e", true); err != nil {
		t.Fatal(err)
	}
	proxy.cut()
	ev.nextState(t, proto.StateDisconnected)
	ev.nextState(t, proto.StateSyncConnected)
	if now, _ := c.SessionID(); now != id {
		t.Fatalf("session changed across reconnect: %#x → %#x", id, now)
	}
	if _, err := c.Exists("/e", false); err != nil {
		t.Fatalf("ephemeral lost across reconnect: %v", err)
	}
	// The data watch was re-registered with setWatches2.
	if _, err := other.Set("/e", []byte("x"), -1); err != nil {
		t.Fatal(err)
	}
	ev.next(t, proto.EventNodeDataChanged, "/e")
}

func TestCloseThenCall(t *testing.T) {
	srv := ztest.Start(t, ztest.Options{})
	c, _ := dial(t, srv.Addr)
	c.Close()
	if _, err := c.Exists("/", false); !errors.Is(err, ErrClosed) {
		t.Fatalf("Exists after Close: %v, want ErrClosed", err)
	}
	if c.State() != proto.StateClosed {
		t.Fatalf("State after Close = %v", c.State())
	}
}
