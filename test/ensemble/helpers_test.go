package ensemble

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"zkd/internal/lincheck"
	"zkd/internal/ztest"
)

// Bounds of the suite. Every wait is bounded by one of them.
const (
	// failoverWait bounds the wait for a leader, for a write after a fault,
	// for a member to stop serving, for a healed member to rejoin.
	failoverWait = 60 * time.Second
	// zkdFailoverBound is the generous bound asserted on zkd's failover
	// (its targets are ~1 s after a SIGKILL, 2 s after a silent partition).
	zkdFailoverBound = 15 * time.Second
	// connectWait bounds waiting for a session to be established.
	connectWait = 30 * time.Second
	// opWait bounds one client request of a test (not of the load).
	opWait = 10 * time.Second
	// eventWait bounds waiting for a watch or session event that must come.
	eventWait = 15 * time.Second
	// treeWait bounds waiting for the members' trees to become identical
	// once the load stopped (sessions closing, a member catching up).
	treeWait = 60 * time.Second
	// sessionTimeout is what the test's own sessions ask for.
	sessionTimeout = 10 * time.Second
)

var openACL = zk.WorldACL(zk.PermAll)

// longSchedule reports whether ZKD_FAULTS=long selected the long schedule.
func longSchedule() bool { return os.Getenv("ZKD_FAULTS") == "long" }

// schedule is how long the load runs around each fault.
type schedule struct {
	warm   time.Duration // load before the first fault
	during time.Duration // load while the fault lasts (after the failover)
	after  time.Duration // load after the repair
	cycles int           // kill/restart cycles of TestKillCycles
}

func sched() schedule {
	if longSchedule() {
		return schedule{warm: 5 * time.Second, during: 5 * time.Second, after: 5 * time.Second, cycles: 10}
	}
	return schedule{warm: 2 * time.Second, during: 2 * time.Second, after: 2 * time.Second, cycles: 3}
}

// coreKinds are the kinds of the short slice: ZK_TARGET's, else both.
func coreKinds() []string {
	if k := os.Getenv("ZK_TARGET"); k != "" {
		return []string{k}
	}
	return []string{ztest.KindZkd, ztest.KindApache}
}

// extraKinds are the kinds of the tests beyond the short slice:
// ZK_TARGET's, else both in the long schedule and zkd in the short one.
func extraKinds() []string {
	if k := os.Getenv("ZK_TARGET"); k != "" {
		return []string{k}
	}
	if longSchedule() {
		return []string{ztest.KindZkd, ztest.KindApache}
	}
	return []string{ztest.KindZkd}
}

// forKinds runs f as one subtest per kind.
func forKinds(t *testing.T, kinds []string, f func(t *testing.T, kind string)) {
	for _, k := range kinds {
		t.Run(k, func(t *testing.T) { f(t, k) })
	}
}

// sleepFor sleeps d, logging why, so a verbose run shows the schedule.
func sleepFor(t *testing.T, d time.Duration, why string) {
	t.Helper()
	t.Logf("load for %v: %s", d, why)
	time.Sleep(d)
}

func ms(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

// startEnsemble starts an ensemble as ztest.StartEnsemble does and, when
// the test fails, keeps every member's whole log: copied to $ENSEMBLE_LOG_DIR
// or to a new temporary directory that outlives the test, named in the
// test's log (ztest prints only their last lines, and removes them).
func startEnsemble(t *testing.T, o ztest.EnsembleOptions) *ztest.Ensemble {
	t.Helper()
	e := ztest.StartEnsemble(t, o)
	t.Cleanup(func() { // runs before the ensemble's own cleanup
		if !t.Failed() {
			return
		}
		dir := os.Getenv("ENSEMBLE_LOG_DIR")
		if dir != "" {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Logf("keep member logs: %v", err)
				return
			}
		} else {
			d, err := os.MkdirTemp("", "ensemble-logs-")
			if err != nil {
				t.Logf("keep member logs: %v", err)
				return
			}
			dir = d
		}
		name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
		for _, m := range e.Members {
			b, err := os.ReadFile(m.LogPath())
			if err == nil {
				err = os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-member%d.log", name, m.ID)), b, 0o644)
			}
			if err != nil {
				t.Logf("keep the log of member %d: %v", m.ID, err)
			}
		}
		t.Logf("whole member logs kept in %s", dir)
	})
	return e
}

// waitLeader waits for one leader among the reachable members and the
// others following or observing.
func waitLeader(t *testing.T, e *ztest.Ensemble) *ztest.Member {
	t.Helper()
	l, err := e.WaitLeader(failoverWait)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// participants returns the members of ms that are not observers.
func participants(ms []*ztest.Member) []*ztest.Member {
	var out []*ztest.Member
	for _, m := range ms {
		if !m.Observer {
			out = append(out, m)
		}
	}
	return out
}

func memberIDs(ms []*ztest.Member) []int {
	out := make([]int, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

// killAll SIGKILLs every member of ms at once.
func killAll(ms []*ztest.Member) {
	var wg sync.WaitGroup
	for _, m := range ms {
		wg.Go(m.Kill)
	}
	wg.Wait()
}

// launchAll launches every member of ms (stopped or killed) and waits until
// all serve.
func launchAll(t *testing.T, ms []*ztest.Member) {
	t.Helper()
	for _, m := range ms {
		if err := m.Launch(); err != nil {
			t.Fatal(err)
		}
	}
	errs := make([]error, len(ms))
	var wg sync.WaitGroup
	for i, m := range ms {
		wg.Go(func() {
			if err := m.WaitServing(90 * time.Second); err != nil {
				errs[i] = fmt.Errorf("member %d: %w", m.ID, err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
}

// waitNotServing waits until m answers srvr that it does not serve and
// returns how long that took.
func waitNotServing(m *ztest.Member, timeout time.Duration) (time.Duration, error) {
	begin := time.Now()
	var last error
	for time.Since(begin) < timeout {
		_, last = m.Mode()
		if errors.Is(last, ztest.ErrNotServing) {
			return time.Since(begin), nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return 0, fmt.Errorf("member %d still serving (or unreachable) after %v: %v", m.ID, timeout, last)
}

// orderedHosts is a zk.HostProvider that tries its hosts in the order given
// (go-zookeeper's own shuffles them), so a test knows which member a
// session starts on and where it goes next.
type orderedHosts struct {
	mu         sync.Mutex
	hosts      []string
	curr, last int
}

func (h *orderedHosts) Init([]string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.curr, h.last = -1, -1
	return nil
}

func (h *orderedHosts) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.hosts)
}

func (h *orderedHosts) Next() (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.curr = (h.curr + 1) % len(h.hosts)
	retryStart := h.curr == h.last
	if h.last == -1 {
		h.last = 0
	}
	return h.hosts[h.curr], retryStart
}

func (h *orderedHosts) Connected() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.last = h.curr
}

type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}

// stateEvent is a session state change seen by a client.
type stateEvent struct {
	at     time.Time
	state  zk.State
	server string
}

// events collects the session state changes of one or more connections
// (go-zookeeper drops events when its channel is full; a callback does not).
type events struct {
	mu   sync.Mutex
	list []stateEvent
}

func (ev *events) callback(e zk.Event) {
	if e.Type != zk.EventSession {
		return
	}
	ev.mu.Lock()
	ev.list = append(ev.list, stateEvent{time.Now(), e.State, e.Server})
	ev.mu.Unlock()
}

// first returns the first event with state s after t0.
func (ev *events) first(s zk.State, t0 time.Time) (stateEvent, bool) {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	for _, e := range ev.list {
		if e.state == s && e.at.After(t0) {
			return e, true
		}
	}
	return stateEvent{}, false
}

// waitFor waits until an event with state s after t0 has been seen.
func (ev *events) waitFor(s zk.State, t0 time.Time, timeout time.Duration) (stateEvent, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if e, ok := ev.first(s, t0); ok {
			return e, nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return stateEvent{}, fmt.Errorf("no %v event within %v", s, timeout)
}

// client is a go-zookeeper session of a test, with its state changes.
type client struct {
	*zk.Conn
	name string
	ev   *events
}

// dial opens a session that tries hosts in order, without waiting.
func dial(name string, hosts []string, timeout time.Duration, ev *events) (*client, error) {
	if ev == nil {
		ev = &events{}
	}
	c, ch, err := zk.Connect(hosts, timeout, zk.WithLogInfo(false), zk.WithLogger(quietLogger{}),
		zk.WithHostProvider(&orderedHosts{hosts: append([]string(nil), hosts...)}),
		zk.WithEventCallback(ev.callback))
	if err != nil {
		return nil, fmt.Errorf("%s: connect %v: %w", name, hosts, err)
	}
	go func() {
		for range ch {
		}
	}()
	return &client{Conn: c, name: name, ev: ev}, nil
}

// connect opens a session trying hosts in order, waits until it is
// established, and closes it when the test ends.
func connect(t *testing.T, name string, hosts []string, timeout time.Duration) *client {
	t.Helper()
	c, err := dial(name, hosts, timeout, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	if _, err := c.ev.waitFor(zk.StateHasSession, time.Time{}, connectWait); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return c
}

// waitMoved waits until c has a session again after since (its member
// died or stopped) and requires it to be the same session, never expired.
func waitMoved(t *testing.T, c *client, sid int64, since time.Time, what string) {
	t.Helper()
	ev, err := c.ev.waitFor(zk.StateHasSession, since, connectWait)
	if err != nil {
		t.Fatalf("%s after %s: %v", c.name, what, err)
	}
	if _, expired := c.ev.first(zk.StateExpired, since); expired || c.SessionID() != sid {
		t.Fatalf("%s after %s: session %#x (expired: %v), want %#x kept", c.name, what, c.SessionID(), expired, sid)
	}
	t.Logf("%s (%#x) has its session again, on %s, %v after %s", c.name, sid, ev.server, ms(ev.at.Sub(since)), what)
}

// wantEphemeral requires path to exist, read through c after sync, as an
// ephemeral of session sid.
func wantEphemeral(t *testing.T, c *client, path string, sid int64) {
	t.Helper()
	_, st, err := c.syncGet(path)
	if err != nil {
		t.Errorf("ephemeral %s: %v", path, err)
	} else if st.EphemeralOwner != sid {
		t.Errorf("ephemeral %s: owner %#x, want %#x", path, st.EphemeralOwner, sid)
	}
}

// connectMember opens a session with m only.
func connectMember(t *testing.T, name string, m *ztest.Member) *client {
	t.Helper()
	return connect(t, name, []string{m.ClientAddr}, sessionTimeout)
}

var errTimeout = errors.New("no answer within the bound")

// within runs f and waits for it at most d. On a timeout f goes on in the
// background (closing its session ends it).
func within(d time.Duration, f func() error) error {
	ch := make(chan error, 1)
	go func() { ch <- f() }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case err := <-ch:
		return err
	case <-t.C:
		return errTimeout
	}
}

// create is a bounded Create of a test.
func (c *client) create(path string, data []byte, flags int32) (string, error) {
	var out string
	err := within(opWait, func() error {
		p, err := c.Create(path, data, flags, openACL)
		out = p
		return err
	})
	if err != nil {
		return "", fmt.Errorf("%s: create %s: %w", c.name, path, err)
	}
	return out, nil
}

// mustCreate creates path or fails the test.
func (c *client) mustCreate(t *testing.T, path string, data []byte, flags int32) string {
	t.Helper()
	p, err := c.create(path, data, flags)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// syncGet syncs path, then reads it.
func (c *client) syncGet(path string) ([]byte, *zk.Stat, error) {
	var data []byte
	var st *zk.Stat
	err := within(opWait, func() error {
		if _, err := c.Sync(path); err != nil {
			return fmt.Errorf("sync: %w", err)
		}
		d, s, err := c.Get(path)
		data, st = d, s
		return err
	})
	if err != nil {
		return nil, nil, fmt.Errorf("%s: sync+get %s: %w", c.name, path, err)
	}
	return data, st, nil
}

// failover is what measureFailover found, from the fault.
type failover struct {
	leader  *ztest.Member
	elected time.Duration // one leader among the survivors in srvr, the others following
	write   time.Duration // the first create by a fresh session with a survivor
}

func (f failover) String() string {
	return fmt.Sprintf("new leader %d in srvr after %v, first write by a fresh session after %v",
		f.leader.ID, ms(f.elected), ms(f.write))
}

// measureFailover measures at once how long after the fault at start the
// survivors have a leader and a fresh session can write through one of
// them. On zkd both must come within zkdFailoverBound.
func measureFailover(t *testing.T, e *ztest.Ensemble, survivors []*ztest.Member, start time.Time, prefix string) failover {
	t.Helper()
	var f failover
	var errElected, errWrite error
	var wg sync.WaitGroup
	wg.Go(func() {
		f.leader, errElected = e.WaitLeaderAmong(survivors, failoverWait)
		f.elected = time.Since(start)
	})
	wg.Go(func() {
		var at time.Time
		at, errWrite = firstFreshWrite(ztest.Addrs(survivors), prefix, start.Add(failoverWait))
		f.write = at.Sub(start)
	})
	wg.Wait()
	if err := errors.Join(errElected, errWrite); err != nil {
		t.Fatal(err)
	}
	if e.Kind == ztest.KindZkd && (f.elected > zkdFailoverBound || f.write > zkdFailoverBound) {
		t.Errorf("zkd failover slower than %v: %v", zkdFailoverBound, f)
	}
	return f
}

// freshCounter makes the paths of firstFreshWrite unique in a test binary.
var freshCounter struct {
	sync.Mutex
	n int
}

// firstFreshWrite opens a new session with one of addrs after the other
// and creates a znode, until a create succeeds, and returns when. A member
// that does not serve closes the connection at once, so a try costs
// little; a try is bounded to 2 s for the session and 3 s for the create.
func firstFreshWrite(addrs []string, prefix string, deadline time.Time) (time.Time, error) {
	var last error
	for i := 0; time.Now().Before(deadline); i++ {
		freshCounter.Lock()
		freshCounter.n++
		path := fmt.Sprintf("%s-%d", prefix, freshCounter.n)
		freshCounter.Unlock()
		at, err := freshWriteOnce(addrs[i%len(addrs)], path)
		if err == nil {
			return at, nil
		}
		last = err
		time.Sleep(20 * time.Millisecond)
	}
	return time.Time{}, fmt.Errorf("no write by a fresh session with %v before the deadline: %v", addrs, last)
}

func freshWriteOnce(addr, path string) (time.Time, error) {
	c, err := dial("fresh", []string{addr}, 4*time.Second, nil)
	if err != nil {
		return time.Time{}, err
	}
	defer func() { go c.Close() }() // Close waits for the server; the next try need not
	begin := time.Now()
	for c.State() != zk.StateHasSession {
		if _, bad := c.ev.first(zk.StateDisconnected, begin); bad {
			return time.Time{}, fmt.Errorf("%s: no session (disconnected)", addr)
		}
		if time.Since(begin) > 2*time.Second {
			return time.Time{}, fmt.Errorf("%s: no session within 2s", addr)
		}
		time.Sleep(5 * time.Millisecond)
	}
	err = within(3*time.Second, func() error {
		_, err := c.Create(path, nil, 0, openACL)
		return err
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: create %s: %w", addr, path, err)
	}
	return time.Now(), nil
}

// noWriteSucceeds tries, for d, to write through fresh sessions with each
// of addrs and returns an error if any create succeeds.
func noWriteSucceeds(addrs []string, prefix string, d time.Duration) error {
	end := time.Now().Add(d)
	for i := 0; time.Now().Before(end); i++ {
		path := fmt.Sprintf("%s-%d", prefix, i)
		if _, err := freshWriteOnce(addrs[i%len(addrs)], path); err == nil {
			return fmt.Errorf("create %s through %s succeeded", path, addrs[i%len(addrs)])
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

// Linearizability workload.

// linServers returns the members the lincheck clients use: all of them on
// zkd; on Apache only those not in suspects (members that will be cut off
// or stopped while leading, or cut off with the leader), because Apache's
// leader answers sync without a quorum (see the package doc).
func linServers(kind string, all, suspects []*ztest.Member) []string {
	if kind != ztest.KindApache {
		return ztest.Addrs(all)
	}
	var out []*ztest.Member
	for _, m := range all {
		keep := true
		for _, s := range suspects {
			keep = keep && s != m
		}
		if keep {
			out = append(out, m)
		}
	}
	return ztest.Addrs(out)
}

// startLin starts the lincheck workload on the members at addrs: one
// client with all of them and one pinned to each, plus one more with all.
// It is stopped by the test's cleanup if the test ends early.
func startLin(t *testing.T, addrs []string) *lincheck.Recorder {
	t.Helper()
	mix := lincheck.ServerMix(addrs...)
	w := lincheck.Workload{
		Servers:        mix,
		Clients:        len(mix) + 1,
		Keys:           3,
		Duration:       20 * time.Minute, // a cap; the test stops it
		MaxOps:         200000,
		Pause:          10 * time.Millisecond,
		OpTimeout:      3 * time.Second,
		SessionTimeout: 4 * time.Second,
		Logf:           t.Logf,
	}
	if longSchedule() {
		w.Pause = 20 * time.Millisecond
	}
	rec, err := lincheck.Start(context.Background(), w)
	if err != nil {
		t.Fatalf("lincheck: %v", err)
	}
	t.Cleanup(func() { rec.Stop() })
	return rec
}

// requireLin stops the recording and checks its history: linearizable,
// with successful writes and reads, and successful writes called after
// `after` (on the recorder's clock), so the clients did recover.
func requireLin(t *testing.T, rec *lincheck.Recorder, after int64) lincheck.History {
	t.Helper()
	h := rec.Stop()
	lincheck.Require(t, h, 3*time.Minute)
	sum := h.Summary()
	if sum.Count(lincheck.KindSet, lincheck.OK) == 0 || sum.Count(lincheck.KindRead, lincheck.OK) == 0 {
		t.Errorf("lincheck: no successful writes or reads: %s", sum)
	}
	n := 0
	for _, op := range h.Ops {
		if op.Kind == lincheck.KindSet && op.Outcome == lincheck.OK && op.Call > after {
			n++
		}
	}
	if n == 0 {
		t.Errorf("lincheck: no successful write after the faults were repaired (%.3fs): %s", float64(after)/1e9, sum)
	} else {
		t.Logf("lincheck: %d successful writes after the repair", n)
	}
	return h
}

// linOpsOn returns the operations of h whose client used exactly the
// connect string addr (a client pinned to one member), called after `from`
// and returned before `to` with outcome OK.
func linOpsOn(h lincheck.History, addr string, kind lincheck.Kind, from, to int64) []lincheck.Op {
	var out []lincheck.Op
	for _, op := range h.Ops {
		if op.Server == addr && op.Kind == kind && op.Outcome == lincheck.OK && op.Call > from && op.Return < to {
			out = append(out, op)
		}
	}
	return out
}

// linWritesBetween returns the successful writes of h called after from
// and returned before to, by any client.
func linWritesBetween(h lincheck.History, from, to int64) []lincheck.Op {
	var out []lincheck.Op
	for _, op := range h.Ops {
		if (op.Kind == lincheck.KindSet || op.Kind == lincheck.KindCreate) &&
			op.Outcome == lincheck.OK && op.Call > from && op.Return < to {
			out = append(out, op)
		}
	}
	return out
}

// finalChecks stops the load and the recording, then checks the trees of
// ms (identical), the load's acknowledged writes on each, and the history.
func finalChecks(t *testing.T, ms []*ztest.Member, l *load, rec *lincheck.Recorder, after int64) lincheck.History {
	t.Helper()
	rec.Stop()
	l.stop()
	trees := sameTrees(t, ms)
	l.verify(t, trees)
	return requireLin(t, rec, after)
}
