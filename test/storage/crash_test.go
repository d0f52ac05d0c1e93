package storage_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"zkd/internal/ztest"
)

// The crash test: writers on the real Go client load zkd, zkd is SIGKILLed
// at a random moment, restarted on the same files, and the tree is checked
// against what the writers were told. Each round's outcomes are then
// settled (what was read back is what must survive every later crash), so
// every round checks the whole history, not only its own writes.

const (
	crashWriters    = 6 // goroutines, each with its own session
	crashShared     = 8 // nodes every writer sets
	crashRoundsCI   = 15
	crashMinLoad    = 100 * time.Millisecond
	crashMaxLoad    = 600 * time.Millisecond
	crashAnswerWait = 15 * time.Second // a restarted server must answer within this
)

// crashRoundsEnv raises the number of kills for long runs:
// ZKD_CRASH_ROUNDS=500 go test ./test/storage -run Crash -timeout 1h.
const crashRoundsEnv = "ZKD_CRASH_ROUNDS"

func TestCrashKeepsAcknowledgedWrites(t *testing.T) {
	rounds := crashRoundsCI
	if v := os.Getenv(crashRoundsEnv); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("%s=%q: want a positive number of rounds", crashRoundsEnv, v)
		}
		rounds = n
	}
	// Small snapshots and segments, so that every round crosses snapshots,
	// log compaction, snapshot purge and segment rolls.
	srv := ztest.StartZkd(t, ztest.Options{TickTime: 500, Extra: map[string]string{
		"dataLogDir":                t.TempDir(),
		"snapCount":                 "300",
		"preAllocSize":              "32", // KB
		"autopurge.purgeInterval":   "1",
		"autopurge.snapRetainCount": "3",
	}})
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d, %d rounds", seed, rounds)
	rng := rand.New(rand.NewPCG(seed, 0))

	m := newCrashModel()
	c := storageDial(t, srv.Addr)
	m.setup(t, c)
	c.Close()

	var restarts []time.Duration
	var totals crashTally
	for r := 1; r <= rounds && !t.Failed(); r++ {
		load := crashMinLoad + time.Duration(rng.Int64N(int64(crashMaxLoad-crashMinLoad)))
		tally := m.runRound(t, srv, r, seed, load)
		totals.add(tally)

		start := time.Now()
		srv.Restart(t)
		ready := time.Since(start)
		c := storageDial(t, srv.Addr)
		if err := crashAwait(c, crashAnswerWait); err != nil {
			t.Fatalf("round %d: restarted server did not answer within %v: %v", r, crashAnswerWait, err)
		}
		restarts = append(restarts, time.Since(start))
		if d := restarts[len(restarts)-1]; d > time.Second {
			// Seen only when the machine is busy; the log shows where it went.
			t.Logf("round %d: slow restart: srvr answered after %v, a client read after %v; server log:\n%s", r, ready, d, srv.LogTail(8))
		}
		openApplied := m.verify(t, c, r)
		totals.openApplied += openApplied
		c.Close()
		t.Logf("round %d: killed after %v: %s (%d creates of open outcome found applied); restart answered in %v",
			r, load.Round(time.Millisecond), tally, openApplied, restarts[len(restarts)-1].Round(time.Millisecond))
	}
	if t.Failed() {
		return
	}
	c = storageDial(t, srv.Addr)
	m.verifyAllData(t, c)
	c.Close()

	if totals.acked < rounds*20 {
		t.Errorf("only %d writes acknowledged over %d rounds: the load did not run", totals.acked, rounds)
	}
	slices.Sort(restarts)
	log := srv.LogTail(1 << 30)
	t.Logf("%d kills: %s; restart to first answer: median %v, max %v; server log: %d snapshots written, %d torn tails truncated, %d snapshot purges",
		rounds, totals, restarts[len(restarts)/2].Round(time.Millisecond), restarts[len(restarts)-1].Round(time.Millisecond),
		strings.Count(log, "snapshot written"), strings.Count(log, "torn"), strings.Count(log, "purged old snapshots"))
}

// crashAwait waits until the server answers a read.
func crashAwait(c *zk.Conn, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		_, _, err := c.Get("/crash")
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// outcome is what a writer knows about one write.
type outcome int

const (
	acked    outcome = iota // the server said it applied it
	rejected                // the server said it did not (a version conflict)
	unknown                 // the connection went away first: applied or not
)

// classify maps a client error to an outcome. Only connection-level errors
// leave the outcome open; any other server answer is a definite one, and
// the ones this load can never legitimately get are bugs.
func classify(err error) (outcome, error) {
	switch {
	case err == nil:
		return acked, nil
	case errors.Is(err, zk.ErrBadVersion):
		return rejected, nil
	case errors.Is(err, zk.ErrConnectionClosed), errors.Is(err, zk.ErrNoServer),
		errors.Is(err, zk.ErrClosing), errors.Is(err, zk.ErrSessionExpired):
		return unknown, nil
	}
	return unknown, err
}

// crashTally counts outcomes.
type crashTally struct{ acked, rejected, unknown, openApplied int }

func (a *crashTally) add(b crashTally) {
	a.acked += b.acked
	a.rejected += b.rejected
	a.unknown += b.unknown
}

func (a *crashTally) count(o outcome) {
	switch o {
	case acked:
		a.acked++
	case rejected:
		a.rejected++
	default:
		a.unknown++
	}
}

func (a crashTally) String() string {
	s := fmt.Sprintf("%d writes acknowledged, %d rejected (version conflicts), %d of open outcome", a.acked, a.rejected, a.unknown)
	if a.openApplied > 0 {
		s += fmt.Sprintf(" (%d creates among them found applied)", a.openApplied)
	}
	return s
}

// The tree the writers work on.
const (
	crashRoot    = "/crash"
	crashCreates = "/crash/c"   // /crash/c/w<i>/<round>-<n>: unique creates of writer i
	crashMultis  = "/crash/m"   // /crash/m/w<i>/<round>-<n>-a and -b: the creates of writer i's multi n
	crashCounter = "/crash/ctr" // /crash/ctr/w<i>: set by every multi of writer i to its n
	crashSet     = "/crash/s"   // /crash/s/<k>: set by every writer
	crashProbe   = "/crash/probe"
)

// crashModel is what the test knows about the tree. Settled facts were read
// back after a restart and must hold after every later crash; the round
// fields hold the outcomes of the writes since.
type crashModel struct {
	mu sync.Mutex
	// nodes are the settled children of every writer directory: name → data.
	nodes map[string]map[string]string
	// attempts are this round's creates, by directory and name.
	attempts map[string]map[string]attempt
	shared   map[string]*sharedNode
	counters []*counterNode
	// maxZxid is the highest zxid any acknowledged write or probe reported.
	maxZxid int64
	// bugs are answers no correct server gives this load.
	bugs []string
}

// attempt is one create (or one create of a multi) of the current round.
type attempt struct {
	data string
	out  outcome
}

// sharedNode is a node every writer sets, versioned or not.
type sharedNode struct {
	version  int32  // settled
	data     string // settled
	acked    map[int32]string
	unknown  map[string]bool // data of sets whose outcome is open
	rejected map[string]bool // data of sets the server refused
}

// counterNode is writer i's counter: each of its multis sets it to the
// multi's number, in the same txn as the multi's two creates.
type counterNode struct {
	version int32  // settled: how many multis applied
	data    string // settled: the number of the last one
	multis  []multiAttempt
}

type multiAttempt struct {
	n   int
	out outcome
}

func newCrashModel() *crashModel {
	m := &crashModel{
		nodes:  map[string]map[string]string{},
		shared: map[string]*sharedNode{},
	}
	for i := range crashWriters {
		m.nodes[crashDir(crashCreates, i)] = map[string]string{}
		m.nodes[crashDir(crashMultis, i)] = map[string]string{}
		m.counters = append(m.counters, &counterNode{data: ""})
	}
	for k := range crashShared {
		m.shared[crashSharedPath(k)] = &sharedNode{}
	}
	m.beginRound()
	return m
}

// multiNames are the names of the two nodes multi n of a round creates.
func multiNames(round, n int) (a, b string) {
	return fmt.Sprintf("%d-%d-a", round, n), fmt.Sprintf("%d-%d-b", round, n)
}

func crashDir(parent string, writer int) string { return fmt.Sprintf("%s/w%d", parent, writer) }
func crashSharedPath(k int) string              { return fmt.Sprintf("%s/%d", crashSet, k) }

// setup creates the fixed part of the tree.
func (m *crashModel) setup(t *testing.T, c *zk.Conn) {
	t.Helper()
	paths := []string{crashRoot, crashCreates, crashMultis, crashCounter, crashSet, crashProbe}
	for i := range crashWriters {
		paths = append(paths, crashDir(crashCreates, i), crashDir(crashMultis, i), crashDir(crashCounter, i))
	}
	for k := range crashShared {
		paths = append(paths, crashSharedPath(k))
	}
	for _, p := range paths {
		if _, err := c.Create(p, nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatalf("create %s: %v", p, err)
		}
	}
}

// beginRound clears the round's outcomes. REQUIRES: the previous round
// settled.
func (m *crashModel) beginRound() {
	m.attempts = map[string]map[string]attempt{}
	for dir := range m.nodes {
		m.attempts[dir] = map[string]attempt{}
	}
	for _, s := range m.shared {
		s.acked, s.unknown, s.rejected = map[int32]string{}, map[string]bool{}, map[string]bool{}
	}
	for _, c := range m.counters {
		c.multis = nil
	}
}

func (m *crashModel) bug(format string, args ...any) {
	m.mu.Lock()
	m.bugs = append(m.bugs, fmt.Sprintf(format, args...))
	m.mu.Unlock()
}

func (m *crashModel) zxid(z int64) {
	m.mu.Lock()
	m.maxZxid = max(m.maxZxid, z)
	m.mu.Unlock()
}

// runRound runs the writers for load, SIGKILLs the server while they run,
// and returns once every writer has stopped.
func (m *crashModel) runRound(t *testing.T, srv *ztest.Server, round int, seed uint64, load time.Duration) crashTally {
	t.Helper()
	conns := make([]*zk.Conn, crashWriters)
	for i := range conns {
		conns[i] = storageDial(t, srv.Addr)
	}
	stop := make(chan struct{})
	tallies := make([]crashTally, crashWriters)
	var wg sync.WaitGroup
	for i := range crashWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := &crashWriter{m: m, c: conns[i], id: i, round: round,
				rng: rand.New(rand.NewPCG(seed, uint64(round*crashWriters+i))), lastVer: map[string]int32{}}
			tallies[i] = w.run(stop)
		}()
	}
	time.Sleep(load)
	srv.Kill()
	close(stop)
	for _, c := range conns {
		c.Close() // fails whatever is still waiting, with ErrClosing
	}
	wg.Wait()
	var total crashTally
	for _, tl := range tallies {
		total.add(tl)
	}
	m.mu.Lock()
	bugs := m.bugs
	m.mu.Unlock()
	for _, b := range bugs {
		t.Errorf("round %d: %s", round, b)
	}
	return total
}

// crashWriter is one session's load: unique creates, sets of the shared
// nodes (half of them conditional on the version it last saw) and multis.
type crashWriter struct {
	m       *crashModel
	c       *zk.Conn
	id      int
	round   int
	rng     *rand.Rand
	lastVer map[string]int32
}

// run writes until stop or the first write with an open outcome (the
// server is gone: later writes could not reach it).
func (w *crashWriter) run(stop <-chan struct{}) crashTally {
	var tally crashTally
	for n := 0; ; n++ {
		select {
		case <-stop:
			return tally
		default:
		}
		token := fmt.Sprintf("r%d-w%d-%d", w.round, w.id, n)
		var out outcome
		switch x := w.rng.IntN(100); {
		case x < 50:
			out = w.create(n, token)
		case x < 85:
			out = w.set(token)
		default:
			out = w.multi(n, token)
		}
		tally.count(out)
		if out == unknown {
			return tally
		}
	}
}

func (w *crashWriter) create(n int, token string) outcome {
	dir := crashDir(crashCreates, w.id)
	name := fmt.Sprintf("%d-%d", w.round, n)
	_, err := w.c.Create(dir+"/"+name, []byte(token), 0, zk.WorldACL(zk.PermAll))
	out, bad := classify(err)
	if bad != nil || out == rejected {
		w.m.bug("create %s/%s: %v", dir, name, err)
	}
	w.m.mu.Lock()
	w.m.attempts[dir][name] = attempt{data: token, out: out}
	w.m.mu.Unlock()
	return out
}

func (w *crashWriter) set(token string) outcome {
	path := crashSharedPath(w.rng.IntN(crashShared))
	version := int32(-1)
	if v, ok := w.lastVer[path]; ok && w.rng.IntN(2) == 0 {
		version = v
	}
	st, err := w.c.Set(path, []byte(token), version)
	out, bad := classify(err)
	if bad != nil {
		w.m.bug("set %s (version %d): %v", path, version, err)
	}
	m := w.m
	m.mu.Lock()
	s := m.shared[path]
	switch out {
	case acked:
		if prev, dup := s.acked[st.Version]; dup {
			m.bugs = append(m.bugs, fmt.Sprintf("set %s: version %d acknowledged twice, for %q and %q", path, st.Version, prev, token))
		}
		if st.Version <= s.version {
			m.bugs = append(m.bugs, fmt.Sprintf("set %s: acknowledged version %d, not above version %d read back after the last restart", path, st.Version, s.version))
		}
		if version >= 0 && st.Version != version+1 {
			m.bugs = append(m.bugs, fmt.Sprintf("set %s with version %d acknowledged version %d", path, version, st.Version))
		}
		s.acked[st.Version] = token
		m.maxZxid = max(m.maxZxid, st.Mzxid)
		w.lastVer[path] = st.Version
	case rejected:
		s.rejected[token] = true
		delete(w.lastVer, path)
	default:
		s.unknown[token] = true
	}
	m.mu.Unlock()
	return out
}

// multi creates two nodes and sets the writer's counter in one txn.
func (w *crashWriter) multi(n int, token string) outcome {
	dir := crashDir(crashMultis, w.id)
	a, b := multiNames(w.round, n)
	acl := zk.WorldACL(zk.PermAll)
	res, err := w.c.Multi(
		&zk.CreateRequest{Path: dir + "/" + a, Data: []byte(token), Acl: acl},
		&zk.CreateRequest{Path: dir + "/" + b, Data: []byte(token), Acl: acl},
		&zk.SetDataRequest{Path: crashDir(crashCounter, w.id), Data: []byte(strconv.Itoa(n)), Version: -1},
	)
	out, bad := classify(err)
	if bad != nil || out == rejected {
		w.m.bug("multi %d of writer %d: %v", n, w.id, err)
		out = unknown
	}
	if out == acked {
		if len(res) != 3 || res[2].Stat == nil {
			w.m.bug("multi %d of writer %d: acknowledged with %d results", n, w.id, len(res))
		} else {
			w.m.zxid(res[2].Stat.Mzxid)
		}
	}
	m := w.m
	m.mu.Lock()
	m.attempts[dir][a] = attempt{data: token, out: out}
	m.attempts[dir][b] = attempt{data: token, out: out}
	ctr := m.counters[w.id]
	ctr.multis = append(ctr.multis, multiAttempt{n: n, out: out})
	m.mu.Unlock()
	return out
}

// verify checks the restarted server against the model and settles the
// round: every open outcome becomes what the server now shows.
// It returns how many writes of open outcome turned out applied.
func (m *crashModel) verify(t *testing.T, c *zk.Conn, round int) (openApplied int) {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("round %d: "+format, append([]any{round}, args...)...)
	}

	// Zxids keep growing across the crash.
	st, err := c.Set(crashProbe, []byte(fmt.Sprintf("probe %d", round)), -1)
	if err != nil {
		fail("probe write after restart: %v", err)
		return 0
	}
	if st.Mzxid <= m.maxZxid {
		fail("first write after the restart got zxid 0x%x, not above 0x%x acknowledged before the crash", st.Mzxid, m.maxZxid)
	}
	m.maxZxid = max(m.maxZxid, st.Mzxid)

	// Creates: the directory listings against the settled nodes and this
	// round's attempts; the data of this round's nodes.
	present := map[string]map[string]bool{}
	var toRead []string
	for dir, settled := range m.nodes {
		children, _, err := c.Children(dir)
		if err != nil {
			fail("list %s: %v", dir, err)
			return 0
		}
		got := map[string]bool{}
		for _, name := range children {
			got[name] = true
			_, old := settled[name]
			if _, tried := m.attempts[dir][name]; !old && !tried {
				fail("%s/%s exists but was never created (or was known absent after an earlier crash)", dir, name)
			}
		}
		for name := range settled {
			if !got[name] {
				fail("%s/%s existed after an earlier restart and is gone now", dir, name)
			}
		}
		for name, a := range m.attempts[dir] {
			switch {
			case a.out == acked && !got[name]:
				fail("acknowledged create of %s/%s lost", dir, name)
			case got[name]:
				toRead = append(toRead, dir+"/"+name)
			}
		}
		present[dir] = got
	}
	data := storageGetAll(c, toRead)
	for _, p := range toRead {
		dir, name := p[:strings.LastIndexByte(p, '/')], p[strings.LastIndexByte(p, '/')+1:]
		if d := data[p]; d.err != nil || d.data != m.attempts[dir][name].data {
			fail("%s holds %q (err %v), created with %q", p, d.data, d.err, m.attempts[dir][name].data)
		}
	}

	// Multis: both creates and the counter, or none of them.
	for i, ctr := range m.counters {
		dir := crashDir(crashMultis, i)
		applied, last := 0, -1
		for _, mu := range ctr.multis {
			na, nb := multiNames(round, mu.n)
			a, b := present[dir][na], present[dir][nb]
			if a != b {
				fail("multi %d of writer %d half applied: %s/%s present=%v, %s present=%v", mu.n, i, dir, na, a, nb, b)
			}
			if a {
				applied++
				last = mu.n
			}
		}
		d, st, err := c.Get(crashDir(crashCounter, i))
		if err != nil {
			fail("get counter %d: %v", i, err)
			continue
		}
		wantData := ctr.data
		if last >= 0 {
			wantData = strconv.Itoa(last)
		}
		if st.Version != ctr.version+int32(applied) || string(d) != wantData {
			fail("counter of writer %d is version %d data %q; %d multis applied before and %d this round (the last %q)",
				i, st.Version, d, ctr.version, applied, wantData)
		}
		ctr.version, ctr.data = st.Version, string(d)
	}

	// Shared nodes: versions never go back, the newest acknowledged data
	// is there unless a later write of open outcome replaced it.
	for path, s := range m.shared {
		d, st, err := c.Get(path)
		if err != nil {
			fail("get %s: %v", path, err)
			continue
		}
		v, got := st.Version, string(d)
		maxAcked := s.version
		for ver := range s.acked {
			maxAcked = max(maxAcked, ver)
		}
		switch {
		case v < maxAcked:
			fail("%s is at version %d, below version %d acknowledged", path, v, maxAcked)
		case v < s.version+int32(len(s.acked)) || v > s.version+int32(len(s.acked)+len(s.unknown)):
			fail("%s went from version %d to %d with %d sets acknowledged and %d of open outcome", path, s.version, v, len(s.acked), len(s.unknown))
		case v == s.version && got != s.data:
			fail("%s at version %d holds %q, was %q", path, v, got, s.data)
		case s.acked[v] != "" && got != s.acked[v]:
			fail("%s at version %d holds %q, acknowledged with %q", path, v, got, s.acked[v])
		case v != s.version && s.acked[v] == "" && !s.unknown[got]:
			fail("%s at unacknowledged version %d holds %q, which no write of open outcome sent", path, v, got)
		case s.rejected[got]:
			fail("%s holds %q, from a set the server rejected", path, got)
		}
		s.version, s.data = v, got
	}

	// Settle: the open outcomes are decided now.
	for dir, got := range present {
		for name := range got {
			if _, old := m.nodes[dir][name]; !old {
				a := m.attempts[dir][name]
				m.nodes[dir][name] = a.data
				if a.out == unknown {
					openApplied++
				}
			}
		}
	}
	m.beginRound()
	return openApplied
}

// verifyAllData reads back every node the model knows.
func (m *crashModel) verifyAllData(t *testing.T, c *zk.Conn) {
	t.Helper()
	var paths []string
	want := map[string]string{}
	for dir, nodes := range m.nodes {
		for name, d := range nodes {
			paths = append(paths, dir+"/"+name)
			want[dir+"/"+name] = d
		}
	}
	got := storageGetAll(c, paths)
	bad := 0
	for _, p := range paths {
		if g := got[p]; g.err != nil || g.data != want[p] {
			bad++
			if bad <= 10 {
				t.Errorf("%s holds %q (err %v), want %q", p, g.data, g.err, want[p])
			}
		}
	}
	t.Logf("final read of all %d nodes created: %d wrong", len(paths), bad)
}

// getResult is one node's data or the error reading it.
type getResult struct {
	data string
	err  error
}

// storageGetAll reads paths with several requests in flight.
func storageGetAll(c *zk.Conn, paths []string) map[string]getResult {
	const parallel = 16
	out := make(map[string]getResult, len(paths))
	var mu sync.Mutex
	var wg sync.WaitGroup
	next := make(chan string)
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range next {
				d, _, err := c.Get(p)
				mu.Lock()
				out[p] = getResult{string(d), err}
				mu.Unlock()
			}
		}()
	}
	for _, p := range paths {
		next <- p
	}
	close(next)
	wg.Wait()
	return out
}

// storageQuiet drops the Go client's log lines (connects and reconnects
// are expected here by the hundred).
type storageQuiet struct{}

func (storageQuiet) Printf(string, ...any) {}

// storageDial opens a session to addr; requests wait until it connects.
func storageDial(t testing.TB, addr string) *zk.Conn {
	t.Helper()
	c, _, err := zk.Connect([]string{addr}, 5*time.Second, zk.WithLogger(storageQuiet{}))
	if err != nil {
		t.Fatalf("connect %s: %v", addr, err)
	}
	t.Cleanup(c.Close)
	return c
}
