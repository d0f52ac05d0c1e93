package compat

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"zkd/internal/ztest"
)

// Timeouts of the suite. Every wait is bounded by one of them.
const (
	// sessionTimeout is what clients ask for unless a test needs expiry.
	sessionTimeout = 10 * time.Second
	// connectWait bounds waiting for a session to be established.
	connectWait = 15 * time.Second
	// eventWait bounds waiting for a watch or session event that must come.
	eventWait = 10 * time.Second
	// quietWait is how long a test watches for an event that must not come.
	quietWait = 300 * time.Millisecond
)

var openACL = zk.WorldACL(zk.PermAll)

// startServer starts the server under test (ZK_TARGET) for one test.
func startServer(t *testing.T, o ztest.Options) *ztest.Server {
	t.Helper()
	return ztest.Start(t, o)
}

// client is a go-zookeeper connection with its events collected without
// loss (go-zookeeper drops events when its own channel is full).
type client struct {
	*zk.Conn
	events chan zk.Event // session state changes, in order
	notes  chan zk.Event // watch notifications as they came off the wire
}

// connect opens a session to addr and waits until it is established. The
// connection is closed when the test ends.
func connect(t *testing.T, addr string, opts ...func(*connectOpts)) *client {
	t.Helper()
	co := connectOpts{timeout: sessionTimeout}
	for _, o := range opts {
		o(&co)
	}
	c := &client{events: make(chan zk.Event, 1024), notes: make(chan zk.Event, 1024)}
	cb := func(e zk.Event) {
		ch := c.events
		switch {
		case e.Type == zk.EventNotWatching:
			return // the client's own invalidation, not from the wire
		case e.Type != zk.EventSession:
			ch = c.notes
		}
		select {
		case ch <- e:
		default:
		}
	}
	conn, ev, err := zk.Connect([]string{addr}, co.timeout,
		zk.WithLogInfo(false), zk.WithLogger(newTestLogger(t)), zk.WithEventCallback(cb))
	if err != nil {
		t.Fatalf("connect %s: %v", addr, err)
	}
	go func() { // go-zookeeper's own channel: drain it, we use the callback
		for range ev {
		}
	}()
	c.Conn = conn
	t.Cleanup(conn.Close)
	waitState(t, c, zk.StateHasSession, connectWait)
	return c
}

type connectOpts struct{ timeout time.Duration }

// withTimeout asks for a session timeout other than sessionTimeout.
func withTimeout(d time.Duration) func(*connectOpts) {
	return func(o *connectOpts) { o.timeout = d }
}

// waitState waits for the session state want, skipping others.
func waitState(t *testing.T, c *client, want zk.State, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	var seen []zk.State
	for {
		select {
		case e := <-c.events:
			seen = append(seen, e.State)
			if e.State == want {
				return
			}
		case <-deadline:
			t.Fatalf("no %v within %v; saw %v", want, timeout, seen)
		}
	}
}

// drainNotes waits until n notifications have arrived (or eventWait has
// passed), then for quietWait more, and returns all it got.
func (c *client) drainNotes(n int) []zk.Event {
	var out []zk.Event
	deadline := time.After(eventWait)
	for len(out) < n {
		select {
		case e := <-c.notes:
			out = append(out, e)
		case <-deadline:
			return out
		}
	}
	quiet := time.After(quietWait)
	for {
		select {
		case e := <-c.notes:
			out = append(out, e)
		case <-quiet:
			return out
		}
	}
}

// waitEvent returns the next event on a watch channel, failing the test if
// none arrives in time or the channel is closed.
func waitEvent(t *testing.T, ch <-chan zk.Event, timeout time.Duration) zk.Event {
	t.Helper()
	select {
	case e, ok := <-ch:
		if !ok {
			t.Fatalf("watch channel closed without an event")
		}
		return e
	case <-time.After(timeout):
		t.Fatalf("no watch event within %v", timeout)
	}
	return zk.Event{}
}

// expectEvent waits for an event of type typ on path.
func expectEvent(t *testing.T, ch <-chan zk.Event, typ zk.EventType, path string) {
	t.Helper()
	expectEventWithin(t, ch, typ, path, eventWait)
}

// expectEventWithin is expectEvent with a timeout of its own.
func expectEventWithin(t *testing.T, ch <-chan zk.Event, typ zk.EventType, path string, timeout time.Duration) {
	t.Helper()
	e := waitEvent(t, ch, timeout)
	if e.Type != typ || e.Path != path || e.Err != nil {
		t.Fatalf("event = {%v %q err=%v}, want {%v %q}", e.Type, e.Path, e.Err, typ, path)
	}
}

// noEvent asserts that nothing arrives on ch for quietWait.
func noEvent(t *testing.T, ch <-chan zk.Event) {
	t.Helper()
	select {
	case e, ok := <-ch:
		if ok {
			t.Fatalf("unexpected event {%v %q}", e.Type, e.Path)
		}
	case <-time.After(quietWait):
	}
}

// mustCreate creates a node with the open ACL and returns the created path.
func mustCreate(t *testing.T, c *client, path, data string, flags int32) string {
	t.Helper()
	p, err := c.Create(path, []byte(data), flags, openACL)
	if err != nil {
		t.Fatalf("create %s: %v", path, err)
	}
	return p
}

// mustStat returns the stat of an existing node.
func mustStat(t *testing.T, c *client, path string) *zk.Stat {
	t.Helper()
	ok, st, err := c.Exists(path)
	if err != nil || !ok {
		t.Fatalf("exists %s = %v, %v; want true", path, ok, err)
	}
	return st
}

// wantErr checks err against the sentinel want (nil for success).
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Errorf("%s: unexpected error %v", what, err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Errorf("%s: error %v, want %v", what, err, want)
	}
}

// wantConnLoss checks that a request failed because the server dropped the
// connection: go-zookeeper reports ErrConnectionClosed, or the write error
// when the server closed the socket while the request was still being sent.
func wantConnLoss(t *testing.T, what string, err error) {
	t.Helper()
	var op *net.OpError
	if !errors.Is(err, zk.ErrConnectionClosed) && !errors.As(err, &op) {
		t.Errorf("%s: error %v, want the connection dropped", what, err)
	}
}

// eventually polls cond until it is true or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not true within %v", what, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// testLogger sends go-zookeeper's log lines to t.Log until the test ends;
// lines from its goroutines after that are dropped (t.Log would panic).
type testLogger struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
}

func newTestLogger(t *testing.T) *testLogger {
	l := &testLogger{t: t}
	t.Cleanup(func() {
		l.mu.Lock()
		l.done = true
		l.mu.Unlock()
	})
	return l
}

func (l *testLogger) Printf(format string, args ...interface{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.done {
		l.t.Logf("zk: %s", fmt.Sprintf(format, args...))
	}
}
