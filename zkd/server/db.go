package server

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"zkd/zkd/proto"
	"zkd/zkd/quorum"
	"zkd/zkd/tree"
	"zkd/zkd/watch"
)

// db is the server's view of the replicated state: the tree behind a
// read-write lock, the watches fired from it, and the proposals this server
// is waiting on. Apply runs on the quorum loop's goroutine.
type db struct {
	id  uint64
	log *slog.Logger

	mu   sync.RWMutex // guards tree; Apply holds it exclusively
	tree *tree.Tree
	opts tree.Options

	watches *watch.Manager

	node   *quorum.Node
	propCh chan *proposal // to the batcher

	waitMu  sync.Mutex
	waiters map[uint64]*proposal
	nextReq atomic.Uint64

	// onSessionClosed is told about every session the log closes, after
	// its ephemerals' watches have fired, so its connection can be dropped.
	onSessionClosed func(id int64)
	// onSessionCreated is told about every session the log opens.
	onSessionCreated func(id int64, timeout int32)
	// onSessionMovedAway is told about every session the log moves to
	// another server, so the connection its client left here is dropped.
	onSessionMovedAway func(id int64)
	// onProposed is told the size of each entry proposed.
	onProposed func(size int)
	// abandonConn closes the connection of a session whose write failed
	// before the log took it, so the client retries elsewhere.
	abandonConn func(session int64)
	// onRestored runs after a snapshot from the leader replaced the state
	// while serving.
	onRestored func()
}

// proposal is a txn this server proposed and a client is waiting on.
type proposal struct {
	txn   *tree.Txn
	done  chan struct{}
	res   tree.Result
	zxid  int64
	since time.Time // when it was submitted
}

func newDB(id uint64, opts tree.Options, log *slog.Logger) *db {
	return &db{
		id:      id,
		log:     log,
		tree:    tree.New(opts),
		opts:    opts,
		watches: watch.NewManager(),
		propCh:  make(chan *proposal, 4096),
		waiters: map[uint64]*proposal{},
	}
}

// Apply is quorum.StateMachine: every committed batch, in log order.
func (d *db) Apply(index uint64, data []byte) int {
	txns, err := tree.DecodeBatch(data)
	if err != nil {
		// Every replica decodes the same bytes; a bad entry is a bug or
		// corruption, and skipping it keeps replicas identical.
		d.log.Error("skipping undecodable log entry", "index", index, "err", err)
		return 0
	}
	var closed []int64
	type created struct {
		id      int64
		timeout int32
	}
	var opened []created
	var movedAway []int64
	d.mu.Lock()
	for _, txn := range txns {
		zxid := d.tree.LastZxid() + 1
		res := d.tree.Apply(zxid, txn, func(path string, ev proto.EventType) {
			d.watches.Trigger(path, ev, zxid)
		})
		if txn.Type == proto.OpCloseSession && res.Err == proto.ErrOK {
			closed = append(closed, txn.Session)
		}
		if txn.Type == tree.OpMoveSession && res.Err == proto.ErrOK && txn.Origin != d.id {
			movedAway = append(movedAway, txn.Session)
		}
		if txn.Type == proto.OpCreateSession && res.Err == proto.ErrOK {
			if sess := d.tree.Session(txn.Session); sess != nil {
				opened = append(opened, created{txn.Session, sess.Timeout})
			}
		}
		if txn.Origin == d.id {
			d.waitMu.Lock()
			p := d.waiters[txn.ReqID]
			delete(d.waiters, txn.ReqID)
			d.waitMu.Unlock()
			if p != nil {
				p.res, p.zxid = res, zxid
				close(p.done)
			}
		}
	}
	d.mu.Unlock()
	for _, c := range opened {
		if d.onSessionCreated != nil {
			d.onSessionCreated(c.id, c.timeout)
		}
	}
	for _, id := range closed {
		if d.onSessionClosed != nil {
			d.onSessionClosed(id)
		}
	}
	for _, id := range movedAway {
		if d.onSessionMovedAway != nil {
			d.onSessionMovedAway(id)
		}
	}
	return len(txns)
}

// Snapshot is quorum.StateMachine. It runs on the raft loop between
// applies and only starts a stepwise capture (tree.BeginCapture: sessions,
// ACL lists, counters); the returned function, on the snapshot goroutine,
// copies the nodes a few thousand at a time under the read lock while
// applies go on (they save the old state of what they change), then
// serializes the capture off the lock. So a snapshot stalls writes for one
// step, not for a copy of the whole tree.
func (d *db) Snapshot() (int64, func(io.Writer) error) {
	d.mu.RLock()
	n := d.tree.NodeCount()
	d.mu.RUnlock()
	c := tree.NewCapture(n) // allocate outside the lock
	d.mu.RLock()
	g := d.tree.BeginCapture(c)
	d.mu.RUnlock()
	return g.LastZxid(), func(w io.Writer) error {
		for {
			d.mu.RLock()
			if g.Step(snapshotStep) {
				c := g.Finish(d.tree)
				d.mu.RUnlock()
				_, err := c.WriteTo(w)
				return err
			}
			d.mu.RUnlock()
		}
	}
}

// snapshotStep is how many nodes one capture step copies under the read
// lock: about a millisecond's work.
const snapshotStep = 8192

// Restore is quorum.StateMachine: replace the tree with a snapshot's.
func (d *db) Restore(r io.Reader) error {
	t, err := tree.ReadSnapshot(r, d.opts)
	if err != nil {
		return err
	}
	d.mu.Lock()
	d.tree = t
	d.mu.Unlock()
	if d.onRestored != nil {
		d.onRestored()
	}
	return nil
}

// LastZxid is the zxid of the last applied txn (quorum names a received
// snapshot's file with it).
func (d *db) LastZxid() int64 {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.tree.LastZxid()
}

// submit queues txn for the log and returns the proposal to wait on.
// While the log cannot be written (a full disk) it fails at once instead.
func (d *db) submit(txn *tree.Txn) *proposal {
	if d.node != nil {
		if err := d.node.StorageErr(); err != nil {
			d.log.Warn("refusing write: the transaction log cannot be written", "op", txn.Type.String(), "err", err)
			p := &proposal{txn: txn, done: make(chan struct{}), res: tree.Result{Err: proto.ErrSystemError}}
			close(p.done)
			return p
		}
	}
	txn.Origin = d.id
	txn.ReqID = d.nextReq.Add(1)
	if txn.Time == 0 {
		txn.Time = time.Now().UnixMilli()
	}
	p := &proposal{txn: txn, done: make(chan struct{}), since: time.Now()}
	d.waitMu.Lock()
	d.waiters[txn.ReqID] = p
	d.waitMu.Unlock()
	d.propCh <- p
	return p
}

// fail answers a proposal that never reached the log.
func (d *db) fail(p *proposal, err proto.ErrCode) {
	d.waitMu.Lock()
	_, waiting := d.waiters[p.txn.ReqID]
	delete(d.waiters, p.txn.ReqID)
	d.waitMu.Unlock()
	if waiting {
		p.res = tree.Result{Err: err}
		close(p.done)
	}
}

// maxBatch bounds one log entry: enough to amortise raft's per-entry cost
// under load, small enough to keep latency flat.
const (
	maxBatchTxns  = 512
	maxBatchBytes = 4 << 20
)

// runBatcher drains waiting proposals into one log entry at a time: under
// load many txns share an entry (and, with the WAL, one fsync).
func (d *db) runBatcher(ctx context.Context) {
	var buf []byte
	batch := make([]*tree.Txn, 0, maxBatchTxns)
	props := make([]*proposal, 0, maxBatchTxns)
	for {
		var first *proposal
		select {
		case <-ctx.Done():
			return
		case first = <-d.propCh:
		}
		batch, props = append(batch[:0], first.txn), append(props[:0], first)
		size := len(first.txn.Body)
	drain:
		for len(batch) < maxBatchTxns && size < maxBatchBytes {
			select {
			case p := <-d.propCh:
				batch = append(batch, p.txn)
				props = append(props, p)
				size += len(p.txn.Body)
			default:
				break drain
			}
		}
		buf = tree.EncodeBatch(buf[:0], batch)
		data := append([]byte(nil), buf...)
		if d.onProposed != nil {
			d.onProposed(len(data))
		}
		if err := d.node.Propose(ctx, data); err != nil {
			d.log.Warn("proposal dropped", "txns", len(batch), "err", err)
			for _, p := range props {
				if d.abandonConn != nil && p.txn.Session != 0 {
					d.abandonConn(p.txn.Session)
				}
				d.fail(p, proto.ErrConnectionLoss)
			}
		}
	}
}
