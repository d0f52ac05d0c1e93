package ensemble

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"zkd/internal/ztest"
)

// The load: writer sessions spread over the members, each creating
// znodes of its own under loadRoot, setting them, and creating sequential
// znodes under seqRoot shared by all, with a unique value per operation.
// It records which operations were acknowledged; verify then checks every
// member's tree against that record.
const (
	loadRoot = "/load"
	seqRoot  = "/load-seq"
	// loadOpTimeout bounds one operation of the load; after it the writer
	// abandons its session (the outcome is indeterminate) and opens another.
	loadOpTimeout = 5 * time.Second
	// loadSession is the writers' session timeout.
	loadSession = 6 * time.Second
	// loadPause is each writer's pause between operations, and loadMaxOps
	// its bound on operations.
	loadPause  = 10 * time.Millisecond
	loadMaxOps = 20000
)

// pathRec is what was attempted on one znode of loadRoot: the values in
// order (the create's first) and the index of the last acknowledged one.
type pathRec struct {
	vals    []string
	lastAck int // -1: none acknowledged
}

// ack is one acknowledged operation and the connect string of its writer.
type ack struct {
	call, ret time.Time
	hosts     string
}

type load struct {
	t      *testing.T
	stopCh chan struct{}
	wg     sync.WaitGroup

	mu        sync.Mutex
	paths     map[string]*pathRec
	seq       map[string]string // acknowledged sequential name → its value
	seqTried  map[string]bool   // values of every sequential create attempted
	acks      []ack
	anomalies []string
	counts    map[string]int // "create ok", "set unknown", ...
	stopOnce  sync.Once
}

// startLoad starts one writer per connect string of a server mix over ms
// (all of them, rotated, and each alone) plus one more with all, after
// creating the roots. The writers stop at l.stop or the test's end.
func startLoad(t *testing.T, ms []*ztest.Member) *load {
	t.Helper()
	l := &load{
		t: t, stopCh: make(chan struct{}), paths: map[string]*pathRec{},
		seq: map[string]string{}, seqTried: map[string]bool{}, counts: map[string]int{},
	}
	addrs := ztest.Addrs(ms)
	setup := connect(t, "load setup", addrs, sessionTimeout)
	for _, p := range []string{loadRoot, seqRoot} {
		if _, err := setup.create(p, nil, 0); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			t.Fatal(err)
		}
	}
	setup.Close()
	var lists [][]string
	for i := range addrs {
		rot := append(append([]string(nil), addrs[i:]...), addrs[:i]...)
		lists = append(lists, rot, []string{addrs[i]})
	}
	for i, hosts := range lists {
		l.wg.Add(1)
		go l.writer(i+1, hosts)
	}
	t.Cleanup(l.stop)
	t.Logf("load: %d writers on members %v", len(lists), memberIDs(ms))
	return l
}

// stop stops the writers (bounded) and closes their sessions.
func (l *load) stop() {
	l.stopOnce.Do(func() {
		close(l.stopCh)
		done := make(chan struct{})
		go func() { l.wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			l.t.Errorf("load: writers still running 30s after stop")
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		var keys []string
		for k := range l.counts {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s=%d", k, l.counts[k]))
		}
		l.t.Logf("load: %s", strings.Join(parts, " "))
	})
}

func (l *load) stopped() bool {
	select {
	case <-l.stopCh:
		return true
	default:
		return false
	}
}

// writer runs one session's operations until stop or loadMaxOps.
func (l *load) writer(id int, hosts []string) {
	defer l.wg.Done()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(id)))
	var c *client
	closeConn := func() {
		if c != nil {
			old := c
			go old.Close() // Close waits for the server
			c = nil
		}
	}
	defer closeConn()
	var own []string // own znodes whose create was acknowledged
	for n := 1; n <= loadMaxOps && !l.stopped(); n++ {
		if c == nil {
			var err error
			if c, err = dial(fmt.Sprintf("load writer %d", id), hosts, loadSession, nil); err != nil {
				l.anomaly("%v", err)
				return
			}
			// Give the new session a moment; the operation goes anyway.
			for i := 0; i < 50 && c.State() != zk.StateHasSession && !l.stopped(); i++ {
				time.Sleep(10 * time.Millisecond)
			}
		}
		value := fmt.Sprintf("w%d-%d", id, n)
		var kind, path, name string
		var op func(*zk.Conn) error
		switch r := rng.IntN(10); {
		case r < 4 || len(own) == 0:
			kind, path = "create", fmt.Sprintf("%s/w%d-%d", loadRoot, id, n)
			l.mu.Lock()
			l.paths[path] = &pathRec{vals: []string{value}, lastAck: -1}
			l.mu.Unlock()
			op = func(conn *zk.Conn) error {
				_, err := conn.Create(path, []byte(value), 0, openACL)
				return err
			}
		case r < 7:
			kind, path = "set", own[rng.IntN(len(own))]
			l.mu.Lock()
			l.paths[path].vals = append(l.paths[path].vals, value)
			l.mu.Unlock()
			op = func(conn *zk.Conn) error {
				_, err := conn.Set(path, []byte(value), -1)
				return err
			}
		default:
			kind, path = "seq", seqRoot+"/s-"
			l.mu.Lock()
			l.seqTried[value] = true
			l.mu.Unlock()
			op = func(conn *zk.Conn) error {
				p, err := conn.Create(path, []byte(value), zk.FlagSequence, openACL)
				name = p
				return err
			}
		}
		conn := c.Conn
		call := time.Now()
		err := within(loadOpTimeout, func() error { return op(conn) })
		if kind == "seq" && err == nil {
			path = name // written by op, which has returned
		}
		ret := time.Now()
		l.record(kind, path, value, strings.Join(hosts, ","), call, ret, err)
		switch {
		case err == nil:
			if kind == "create" {
				own = append(own, path)
			}
		case err == errTimeout:
			closeConn() // abandon: a new session for the next operation
		default:
			time.Sleep(50 * time.Millisecond) // no server, connection loss: do not spin
		}
		time.Sleep(loadPause)
	}
}

// record files the outcome of one operation.
func (l *load) record(kind, path, value, hosts string, call, ret time.Time, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.counts[kind+" unknown"]++
		if kind == "set" && errors.Is(err, zk.ErrNoNode) {
			l.anomalies = append(l.anomalies, fmt.Sprintf("set %s: no node, but its create was acknowledged", path))
		}
		if kind == "create" && errors.Is(err, zk.ErrNodeExists) {
			l.anomalies = append(l.anomalies, fmt.Sprintf("create %s: node exists, but it is created only once", path))
		}
		return
	}
	l.counts[kind+" ok"]++
	l.acks = append(l.acks, ack{call, ret, hosts})
	switch kind {
	case "create", "set":
		rec := l.paths[path]
		for i := len(rec.vals) - 1; i >= 0; i-- {
			if rec.vals[i] == value {
				rec.lastAck = i
				break
			}
		}
	case "seq":
		if prev, dup := l.seq[path]; dup {
			l.anomalies = append(l.anomalies, fmt.Sprintf("sequential name %s returned twice: to %s and to %s", path, prev, value))
			return
		}
		l.seq[path] = value
	}
}

func (l *load) anomaly(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.anomalies = append(l.anomalies, fmt.Sprintf(format, args...))
}

// acked returns the number of acknowledged operations so far.
func (l *load) acked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acks)
}

// firstAckAfter returns the earliest return of an acknowledged operation
// called after t0.
func (l *load) firstAckAfter(t0 time.Time) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var best time.Time
	for _, a := range l.acks {
		if a.call.After(t0) && (best.IsZero() || a.ret.Before(best)) {
			best = a.ret
		}
	}
	return best, !best.IsZero()
}

// acksBetween counts the acknowledged operations called after from and
// returned before to, by writers whose connect string is hosts ("" for
// any writer).
func (l *load) acksBetween(hosts string, from, to time.Time) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, a := range l.acks {
		if (hosts == "" || a.hosts == hosts) && a.call.After(from) && a.ret.Before(to) {
			n++
		}
	}
	return n
}

// waitAckAfter waits until an operation called after t0 is acknowledged
// and returns how long after t0 it returned.
func (l *load) waitAckAfter(t *testing.T, t0 time.Time, what string) time.Duration {
	t.Helper()
	deadline := time.Now().Add(failoverWait)
	for time.Now().Before(deadline) {
		if at, ok := l.firstAckAfter(t0); ok {
			d := at.Sub(t0)
			t.Logf("load: first acknowledged write called after %s returned after %v", what, ms(d))
			return d
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("load: no write called after %s acknowledged within %v", what, failoverWait)
	return 0
}

// verify checks every member's tree against what the load attempted and
// what was acknowledged:
//
//   - every znode whose create or set was acknowledged exists, with the
//     last acknowledged value or one written after it (a later write whose
//     outcome is unknown may have taken effect); a znode whose create was
//     not acknowledged may exist, with one of the values attempted;
//   - no znode under loadRoot that the load did not try to create;
//   - every acknowledged sequential name exists with its creator's value;
//     every znode under seqRoot holds the value of a sequential create that
//     was attempted, and no two hold the same one (a create applied twice);
//   - no anomaly during the run: a sequential name returned twice, a set of
//     an acknowledged znode answered NONODE.
func (l *load) verify(t *testing.T, trees map[int]tree) {
	t.Helper()
	for _, p := range l.problems(trees) {
		t.Errorf("load: %s", p)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	acked := 0
	for _, rec := range l.paths {
		if rec.lastAck >= 0 {
			acked++
		}
	}
	ids := make([]int, 0, len(trees))
	for id := range trees {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	t.Logf("load: verified on members %v: %d znodes with acknowledged writes, %d acknowledged sequential names",
		ids, acked, len(l.seq))
}

// problems returns what verify finds wrong, one line per finding (at most
// 10 per member).
func (l *load) problems(trees map[int]tree) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := append([]string(nil), l.anomalies...)
	if len(l.acks) == 0 {
		out = append(out, "no operation acknowledged")
	}
	ids := make([]int, 0, len(trees))
	for id := range trees {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	for _, id := range ids {
		tr := trees[id]
		var errs []string
		bad := func(format string, args ...any) {
			if len(errs) < 10 {
				errs = append(errs, fmt.Sprintf(format, args...))
			} else if len(errs) == 10 {
				errs = append(errs, "...")
			}
		}
		var paths []string
		for path := range l.paths {
			paths = append(paths, path)
		}
		sort.Strings(paths)
		for _, path := range paths {
			rec := l.paths[path]
			n, ok := tr[path]
			switch {
			case rec.lastAck >= 0 && !ok:
				bad("%s: acknowledged (value %s) but missing", path, rec.vals[rec.lastAck])
			case !ok:
			case rec.lastAck >= 0 && !contains(rec.vals[rec.lastAck:], n.Data):
				bad("%s: holds %q; last acknowledged %q, attempted after it %v", path, n.Data, rec.vals[rec.lastAck], rec.vals[rec.lastAck+1:])
			case rec.lastAck < 0 && !contains(rec.vals, n.Data):
				bad("%s: holds %q, never written (attempted %v)", path, n.Data, rec.vals)
			}
		}
		var all []string
		for path := range tr {
			all = append(all, path)
		}
		sort.Strings(all)
		seqByValue := map[string]string{}
		for _, path := range all {
			n := tr[path]
			switch {
			case strings.HasPrefix(path, loadRoot+"/"):
				if l.paths[path] == nil {
					bad("%s: exists but the load never created it", path)
				}
			case strings.HasPrefix(path, seqRoot+"/"):
				if !l.seqTried[n.Data] {
					bad("%s: holds %q, no sequential create sent that value", path, n.Data)
				}
				if prev, dup := seqByValue[n.Data]; dup {
					bad("%s and %s both hold %q: one create applied twice", prev, path, n.Data)
				}
				seqByValue[n.Data] = path
			}
		}
		var names []string
		for name := range l.seq {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			value := l.seq[name]
			if n, ok := tr[name]; !ok {
				bad("%s: acknowledged sequential name missing", name)
			} else if n.Data != value {
				bad("%s: acknowledged to the create of %q but holds %q", name, value, n.Data)
			}
		}
		for _, e := range errs {
			out = append(out, fmt.Sprintf("member %d: %s", id, e))
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
