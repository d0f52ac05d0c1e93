package lincheck

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"
)

// Workload describes a recording. Zero fields take the defaults named.
type Workload struct {
	// Servers are connect strings ("host:port" or "h1:p1,h2:p2,..."; no
	// chroot). Client i (1-based) uses Servers[(i-1) % len(Servers)], so a
	// list like [ServerMix] gives some clients the whole ensemble and pins
	// others to one member. Setup uses every host named. Required.
	Servers []string
	Clients int // concurrent clients, each its own session; 5
	Keys    int // znodes under Prefix; 3
	// Duration bounds the recording; it also ends at [Recorder.Stop] or
	// when the context of [Start] ends. 60s.
	Duration time.Duration
	// MaxOps bounds the operations issued, all clients together: 20000,
	// which 5 clients on a local zkd reach in about 6 s. For longer runs
	// raise it or set Pause; reaching it is logged.
	MaxOps int
	// Pause is how long each client sleeps between operations; 0.
	Pause time.Duration
	// OpTimeout bounds one operation; a write still unanswered then is
	// indeterminate and its client abandons the session. 3s.
	OpTimeout      time.Duration
	SessionTimeout time.Duration // asked of the server; 4s
	// ConnectWait is how long a client waits for its session to be
	// (re)established before issuing its next operation anyway. 500ms.
	ConnectWait  time.Duration
	SetupTimeout time.Duration // bound on connecting and creating the znodes; 30s
	// Prefix is the parent znode of the keys (its own parent must exist).
	// A fresh one per recording: "/lincheck-<time>-<random>".
	Prefix string
	Seed   uint64               // random seed of the clients; from the clock if 0
	Logf   func(string, ...any) // optional log of the recorder's events
	_      struct{}             // keyed literals only
}

// ServerMix returns connect strings for an ensemble's members: the whole
// list first, then each member alone, for [Workload.Servers].
func ServerMix(members ...string) []string {
	return append([]string{strings.Join(members, ",")}, members...)
}

const (
	defaultClients      = 5
	defaultKeys         = 3
	defaultDuration     = 60 * time.Second
	defaultMaxOps       = 20000
	defaultOpTimeout    = 3 * time.Second
	defaultSession      = 4 * time.Second
	defaultConnectWait  = 500 * time.Millisecond
	defaultSetupTimeout = 30 * time.Second
	// stopWait bounds how long Stop waits for clients and their closing
	// sessions.
	stopWait = 15 * time.Second
	// setupAttempts bounds the retries of each setup create.
	setupAttempts = 50
)

func (w Workload) withDefaults() (Workload, error) {
	if len(w.Servers) == 0 {
		return w, errors.New("lincheck: Workload.Servers is empty")
	}
	for _, s := range w.Servers {
		if len(hosts(s)) == 0 {
			return w, fmt.Errorf("lincheck: empty connect string in %q", w.Servers)
		}
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&w.Clients, defaultClients)
	def(&w.Keys, defaultKeys)
	def(&w.MaxOps, defaultMaxOps)
	defDur(&w.Duration, defaultDuration)
	defDur(&w.OpTimeout, defaultOpTimeout)
	defDur(&w.SessionTimeout, defaultSession)
	defDur(&w.ConnectWait, defaultConnectWait)
	defDur(&w.SetupTimeout, defaultSetupTimeout)
	if w.Seed == 0 {
		w.Seed = uint64(time.Now().UnixNano())
	}
	if w.Prefix == "" {
		w.Prefix = fmt.Sprintf("/lincheck-%d-%d", time.Now().Unix(), rand.Uint32())
	}
	if !strings.HasPrefix(w.Prefix, "/") || strings.HasSuffix(w.Prefix, "/") {
		return w, fmt.Errorf("lincheck: Prefix %q must start and not end with /", w.Prefix)
	}
	return w, nil
}

// hosts splits a connect string.
func hosts(connect string) []string {
	var out []string
	for _, h := range strings.Split(connect, ",") {
		if h = strings.TrimSpace(h); h != "" {
			out = append(out, h)
		}
	}
	return out
}

// Recorder runs a workload and records its history. Use [Start], inject
// faults (noting them with [Recorder.Note]), then [Recorder.Stop].
type Recorder struct {
	w      Workload
	start  time.Time // clock zero; carries the monotonic reading
	cancel context.CancelFunc
	done   chan struct{}

	mu          sync.Mutex
	ops         []Op
	pending     map[int]Op // writes in flight, by a private id
	nextPending int
	notes       []Note
	dropped     int

	procs  atomic.Int64 // logical processes handed out
	values atomic.Int64 // values written
	issued atomic.Int64 // operations issued, against MaxOps

	workers    sync.WaitGroup
	bg         sync.WaitGroup // request goroutines and session closes
	stopOnce   sync.Once
	maxOpsOnce sync.Once

	logMu sync.Mutex
	quiet bool // set by Stop: no more logging through Workload.Logf
}

// Start connects, creates the keys (recording those creates), starts the
// clients and returns. It fails if the setup does not complete within
// Workload.SetupTimeout.
func Start(ctx context.Context, w Workload) (*Recorder, error) {
	w, err := w.withDefaults()
	if err != nil {
		return nil, err
	}
	r := &Recorder{w: w, start: time.Now(), done: make(chan struct{}), pending: map[int]Op{}}
	sctx, scancel := context.WithTimeout(ctx, w.SetupTimeout)
	err = r.setup(sctx)
	scancel()
	if err != nil {
		waitTimeout(&r.bg, stopWait)
		return nil, err
	}
	r.logf("lincheck: %d clients on %d keys under %s, seed %d", w.Clients, w.Keys, w.Prefix, w.Seed)
	wctx, wcancel := context.WithTimeout(ctx, w.Duration)
	r.cancel = wcancel
	for i := 1; i <= w.Clients; i++ {
		r.workers.Add(1)
		go r.worker(wctx, i)
	}
	go func() {
		r.workers.Wait()
		close(r.done)
	}()
	return r, nil
}

// Run records a workload until Duration or MaxOps is reached, or ctx ends.
func Run(ctx context.Context, w Workload) (History, error) {
	r, err := Start(ctx, w)
	if err != nil {
		return History{}, err
	}
	select {
	case <-r.Done():
	case <-ctx.Done():
	}
	return r.Stop(), nil
}

// Now is the recorder's clock: nanoseconds since Start, monotonic.
func (r *Recorder) Now() int64 { return int64(time.Since(r.start)) }

// Note records an event of the test (e.g. "SIGKILL member 2") at Now; it is
// kept in History.Notes and shown in the visualization.
func (r *Recorder) Note(format string, args ...any) {
	n := Note{At: r.Now(), Text: fmt.Sprintf(format, args...)}
	r.mu.Lock()
	r.notes = append(r.notes, n)
	r.mu.Unlock()
	r.logf("lincheck: %.3fs: %s", float64(n.At)/1e9, n.Text)
}

// Done is closed when every client has stopped by itself (Duration,
// MaxOps or the context).
func (r *Recorder) Done() <-chan struct{} { return r.done }

// Stop stops the clients (an operation in flight becomes indeterminate if
// it is a write, and is dropped if it is a read), waits for them (bounded)
// and returns the history. It may be called more than once.
func (r *Recorder) Stop() History {
	r.stopOnce.Do(func() {
		r.cancel()
		if waitTimeout(&r.workers, stopWait) {
			// No client adds to bg any more: wait for the request
			// goroutines and session closes.
			waitTimeout(&r.bg, stopWait)
		} else {
			r.logf("lincheck: clients still running %v after Stop", stopWait)
		}
		r.logMu.Lock()
		r.quiet = true
		r.logMu.Unlock()
	})
	return r.History()
}

// History returns the operations recorded so far; writes still in flight
// are included as indeterminate.
func (r *Recorder) History() History {
	r.mu.Lock()
	defer r.mu.Unlock()
	ops := slices.Clone(r.ops)
	now := r.Now()
	for _, op := range r.pending {
		op.Outcome, op.Return, op.Err = Unknown, now, "in flight when the history was taken"
		ops = append(ops, op)
	}
	sort.SliceStable(ops, func(i, j int) bool {
		if ops[i].Call != ops[j].Call {
			return ops[i].Call < ops[j].Call
		}
		return ops[i].Process < ops[j].Process
	})
	return History{
		Ops:          ops,
		Notes:        slices.Clone(r.notes),
		DroppedReads: r.dropped,
		Prefix:       r.w.Prefix,
		Seed:         r.w.Seed,
		Start:        r.start,
	}
}

func (r *Recorder) logf(format string, args ...any) {
	if r.w.Logf == nil {
		return
	}
	r.logMu.Lock()
	defer r.logMu.Unlock()
	if !r.quiet {
		r.w.Logf(format, args...)
	}
}

func (r *Recorder) keyPath(k int) string { return fmt.Sprintf("%s/k%d", r.w.Prefix, k) }

func (r *Recorder) newProcess() int { return int(r.procs.Add(1) - 1) }

// take reserves one operation of the MaxOps budget.
func (r *Recorder) take() bool { return r.issued.Add(1) <= int64(r.w.MaxOps) }

func (r *Recorder) addPending(op Op) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nextPending++
	r.pending[r.nextPending] = op
	return r.nextPending
}

// finish records a completed operation; id is its pending id or 0.
func (r *Recorder) finish(id int, op Op) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.pending, id)
	r.ops = append(r.ops, op)
}

func (r *Recorder) dropRead() {
	r.mu.Lock()
	r.dropped++
	r.mu.Unlock()
}

// setup creates the parent znode (not recorded) and the keys (recorded).
func (r *Recorder) setup(ctx context.Context) error {
	var all []string
	for _, s := range r.w.Servers {
		for _, h := range hosts(s) {
			if !slices.Contains(all, h) {
				all = append(all, h)
			}
		}
	}
	c := r.newClient(0, strings.Join(all, ","))
	defer c.dropConn()
	acl := zk.WorldACL(zk.PermAll)
	var last error
	for attempt := 0; ; attempt++ {
		if attempt == setupAttempts || ctx.Err() != nil {
			return fmt.Errorf("lincheck: create %s on %s: %v (after %d attempts)", r.w.Prefix, all, last, attempt)
		}
		if !c.connect(ctx, r.w.SetupTimeout) {
			last = fmt.Errorf("no session (%v)", ctx.Err())
			continue
		}
		prefix := r.w.Prefix
		last = c.call(ctx, func(conn *zk.Conn) error {
			_, err := conn.Create(prefix, nil, 0, acl)
			return err
		})
		if last == nil || errors.Is(last, zk.ErrNodeExists) {
			break
		}
		if abandoned(last) {
			c.dropConn()
		}
		sleep(ctx, 100*time.Millisecond)
	}
	for k := 0; k < r.w.Keys; k++ {
		for attempt := 0; ; attempt++ {
			if attempt == setupAttempts || ctx.Err() != nil {
				return fmt.Errorf("lincheck: create %s on %s: no definite answer after %d attempts", r.keyPath(k), all, attempt)
			}
			if !c.connect(ctx, r.w.SetupTimeout) {
				continue
			}
			if o := c.create(ctx, k); o == OK || o == NodeExists {
				break
			}
			sleep(ctx, 100*time.Millisecond)
		}
	}
	return nil
}

// Shares of the operation mix, in percent.
const (
	pctRead        = 30 // sync + getData
	pctReadThenSet = 25 // read, then setData with the version read
	pctSetLastSeen = 25 // setData with the last version this client saw
	pctSetStale    = 10 // setData with a version known to be wrong
	// the rest: setData with version -1
)

func (r *Recorder) worker(ctx context.Context, idx int) {
	defer r.workers.Done()
	c := r.newClient(idx, r.w.Servers[(idx-1)%len(r.w.Servers)])
	defer c.dropConn()
	rng := rand.New(rand.NewPCG(r.w.Seed, uint64(idx)))
	for ctx.Err() == nil {
		if !c.connect(ctx, r.w.ConnectWait) {
			continue
		}
		if !r.take() {
			r.maxOpsOnce.Do(func() {
				r.logf("lincheck: MaxOps (%d) reached at %.3fs", r.w.MaxOps, float64(r.Now())/1e9)
			})
			return
		}
		k := rng.IntN(r.w.Keys)
		switch p := rng.IntN(100); {
		case p < pctRead:
			c.read(ctx, k)
		case p < pctRead+pctReadThenSet:
			if c.read(ctx, k) == OK && ctx.Err() == nil && r.take() {
				c.set(ctx, k, c.lastVersion[k])
			}
		case p < pctRead+pctReadThenSet+pctSetLastSeen:
			c.set(ctx, k, c.lastVersion[k])
		case p < pctRead+pctReadThenSet+pctSetLastSeen+pctSetStale:
			c.set(ctx, k, staleVersion(rng, c.lastVersion[k]))
		default:
			c.set(ctx, k, -1)
		}
		if r.w.Pause > 0 {
			sleep(ctx, r.w.Pause)
		}
	}
}

// staleVersion returns a version other than v: mostly an older one, else a
// newer one (which may become current later).
func staleVersion(rng *rand.Rand, v int32) int32 {
	if v >= 1 && rng.IntN(4) != 0 {
		return v - 1 - int32(rng.IntN(int(min(v, 3))))
	}
	return v + 1 + int32(rng.IntN(3))
}

// client is one worker's (or setup's) connection and state.
type client struct {
	r           *Recorder
	idx         int
	servers     string // the connect string
	conn        *zk.Conn
	proc        int
	lastVersion map[int]int32
}

func (r *Recorder) newClient(idx int, connect string) *client {
	return &client{r: r, idx: idx, servers: connect, proc: r.newProcess(), lastVersion: map[int]int32{}}
}

// connect opens a session if the client has none and waits up to wait for
// it to be established. It returns false when the recording is over or the
// connect string is unusable (after a short pause).
func (c *client) connect(ctx context.Context, wait time.Duration) bool {
	if c.conn == nil {
		conn, _, err := zk.Connect(hosts(c.servers), c.r.w.SessionTimeout,
			zk.WithLogInfo(false), zk.WithLogger(quietLogger{}))
		if err != nil {
			c.r.logf("lincheck: client %d: connect %s: %v", c.idx, c.servers, err)
			sleep(ctx, 100*time.Millisecond)
			return false
		}
		c.conn = conn
	}
	deadline := time.Now().Add(wait)
	for c.conn.State() != zk.StateHasSession && time.Now().Before(deadline) {
		if !sleep(ctx, 10*time.Millisecond) {
			return false
		}
	}
	return ctx.Err() == nil
}

// dropConn closes the session in the background (Close can take seconds
// when the server is gone); closing unblocks its pending requests.
func (c *client) dropConn() {
	if c.conn == nil {
		return
	}
	conn := c.conn
	c.conn = nil
	c.r.bg.Add(1)
	go func() {
		defer c.r.bg.Done()
		conn.Close()
	}()
}

var (
	errTimeout = errors.New("lincheck: no answer within the operation timeout")
	errStopped = errors.New("lincheck: recording stopped")
)

// abandoned reports whether call gave up waiting for the request.
func abandoned(err error) bool { return err == errTimeout || err == errStopped }

// call runs f on the client's session and waits for it at most OpTimeout
// and not past ctx. Results f stores may be read only when call did not
// give up (the channel receive orders them).
func (c *client) call(ctx context.Context, f func(*zk.Conn) error) error {
	conn := c.conn
	ch := make(chan error, 1)
	c.r.bg.Add(1)
	go func() {
		defer c.r.bg.Done()
		ch <- f(conn)
	}()
	t := time.NewTimer(c.r.w.OpTimeout)
	defer t.Stop()
	select {
	case err := <-ch:
		return err
	case <-t.C:
		return errTimeout
	case <-ctx.Done():
		return errStopped
	}
}

// begin starts an operation's record at its call time.
func (c *client) begin(kind Kind, k int) Op {
	return Op{
		Process: c.proc,
		Client:  c.idx,
		Session: c.conn.SessionID(),
		Server:  c.servers,
		Kind:    kind,
		Path:    c.r.keyPath(k),
		Call:    c.r.Now(),
	}
}

// end classifies a write's error, records the write and, after an
// indeterminate outcome, moves the client to a new process (and a new
// session if the request was abandoned).
func (c *client) end(id int, op Op, err error) Outcome {
	op.Return = c.r.Now()
	switch {
	case err == nil:
		op.Outcome = OK
	case errors.Is(err, zk.ErrBadVersion):
		op.Outcome = BadVersion
	case errors.Is(err, zk.ErrNoNode):
		op.Outcome = NoNode
	case errors.Is(err, zk.ErrNodeExists):
		op.Outcome = NodeExists
	default:
		op.Outcome, op.Err = Unknown, err.Error()
	}
	c.r.finish(id, op)
	if op.Outcome == Unknown {
		c.proc = c.r.newProcess()
		if abandoned(err) {
			c.dropConn()
		}
	}
	return op.Outcome
}

func (c *client) create(ctx context.Context, k int) Outcome {
	op := c.begin(KindCreate, k)
	op.Value = fmt.Sprintf("init-%d-%d", k, c.r.values.Add(1))
	path, data := op.Path, []byte(op.Value)
	id := c.r.addPending(op)
	err := c.call(ctx, func(conn *zk.Conn) error {
		_, err := conn.Create(path, data, 0, zk.WorldACL(zk.PermAll))
		return err
	})
	return c.end(id, op, err)
}

func (c *client) set(ctx context.Context, k int, expected int32) Outcome {
	op := c.begin(KindSet, k)
	op.Value = fmt.Sprintf("c%d-%d", c.proc, c.r.values.Add(1))
	op.Expected = expected
	path, data := op.Path, []byte(op.Value)
	id := c.r.addPending(op)
	var version int32
	err := c.call(ctx, func(conn *zk.Conn) error {
		st, err := conn.Set(path, data, expected)
		if err == nil {
			version = st.Version
		}
		return err
	})
	if err == nil {
		op.Version = version
		c.lastVersion[k] = version
	}
	return c.end(id, op, err)
}

// read does sync then getData. Only definite answers are recorded; a read
// that fails is dropped. It returns the outcome, 0 when dropped.
func (c *client) read(ctx context.Context, k int) Outcome {
	op := c.begin(KindRead, k)
	path := op.Path
	var (
		synced  bool
		data    []byte
		version int32
	)
	err := c.call(ctx, func(conn *zk.Conn) error {
		if _, err := conn.Sync(path); err != nil {
			return err
		}
		synced = true
		d, st, err := conn.Get(path)
		if err == nil {
			data, version = d, st.Version
		}
		return err
	})
	op.Return = c.r.Now()
	switch {
	case abandoned(err): // the request goroutine may still be running: touch none of its results
		c.r.dropRead()
		c.dropConn()
		return 0
	case err == nil:
		op.Outcome, op.ReadValue, op.Version = OK, string(data), version
		c.lastVersion[k] = version
	case synced && errors.Is(err, zk.ErrNoNode):
		op.Outcome = NoNode
	default:
		c.r.dropRead()
		return 0
	}
	c.r.finish(0, op)
	return op.Outcome
}

type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}

// sleep waits d or until ctx ends; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// waitTimeout waits for wg at most d and reports whether it finished.
func waitTimeout(wg *sync.WaitGroup, d time.Duration) bool {
	ch := make(chan struct{})
	go func() {
		wg.Wait()
		close(ch)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-t.C:
		return false
	}
}
