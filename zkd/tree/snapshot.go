package tree

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"zkd/zkd/acl"
	"zkd/zkd/proto"
)

// Taking a snapshot comes in two halves so that the write path stops only
// for the first:
//
//  1. Capture, with the tree locked (read or write), records a pointer to
//     every node (nodes are immutable: Apply replaces, never changes them)
//     in depth-first order, and copies the sessions and ACL entries.
//     Nothing is sorted, encoded or written under the lock. Passwords and
//     ACL lists are shared, not copied: the tree never writes into them.
//  2. WriteTo, without the lock, sorts each directory's records and
//     streams the nodes in path order.
//
// The serialization, version 2. Integers are big-endian (jute's int and
// long); every length is checked against what is left before anything is
// allocated. Everything here is part of the on-disk format.
//
//	header (40 bytes)
//	+--------+---------+--------+----------+-------+-------+--------+
//	| "ZKDT" | version | length | lastZxid | nACLs | nSess | nNodes |
//	|   4    |  int 4  | long 8 |  long 8  | int 4 | int 4 | long 8 |
//	+--------+---------+--------+----------+-------+-------+--------+
//	  length counts every byte of the serialization, header included.
//
//	nACLs × ACL entry, refs strictly ascending, every ref >= 1
//	+--------+--------+----------+
//	| ref    | count  | nEntries |  then nEntries × ACL
//	| long 8 | long 8 | int 4    |
//	+--------+--------+----------+
//	+-------+-----------+-------+--------+----+
//	| perms | schemeLen | idLen | scheme | id |
//	| int 4 | int 4     | int 4 |        |    |
//	+-------+-----------+-------+--------+----+
//	  count (>= 1) is the number of nodes that use ref, checked on load.
//
//	nSess × session, ids strictly ascending
//	+--------+---------+--------+-----------+--------+
//	| id     | timeout | owner  | passwdLen | passwd |
//	| long 8 | int 4   | long 8 | int 4     |        |
//	+--------+---------+--------+-----------+--------+
//	  owner is the server whose connection speaks for the session
//	  (Session.Owner). Version 1 had no owner (16 fixed bytes per session);
//	  it is still read, with owner 0, and written again as version 2.
//
//	nNodes × node, paths strictly ascending (so every parent comes before
//	its children), "/" first; 76 fixed bytes, then path and data
//	+-------+-------+-------+-------+-------+---------+----------+----------+
//	| czxid | mzxid | pzxid | ctime | mtime | version | cversion | aversion |
//	| long  | long  | long  | long  | long  | int     | int      | int      |
//	+-------+-------+-------+-------+-------+---------+----------+----------+
//	+----------------+--------+---------+---------+------+------+
//	| ephemeralOwner | aclRef | pathLen | dataLen | path | data |
//	| long (raw)     | long   | int     | int     |      |      |
//	+----------------+--------+---------+---------+------+------+
//	  cversion is the stored create counter, not the value clients see;
//	  aclRef is -1 (OPEN_ACL_UNSAFE, uncounted) or a ref of the table.
//
//	trailer (12 bytes)
//	+------------+--------+
//	| ephemerals | "TEND" |
//	| long 8     |   4    |
//	+------------+--------+
//	  the writer's ephemeral count, checked against what the reader rebuilt.
//
// Children, session ephemeral sets, ACL reference counts and the data size
// are not stored: ReadSnapshot derives them from the nodes. Empty data and
// passwords are stored with length 0 and load as nil, as Apply keeps them.
// A valid version-2 serialization has exactly one encoding, so decoding
// and encoding again gives back the same bytes.
const (
	snapMagic      = "ZKDT"
	snapEndMagic   = "TEND"
	snapVersion    = 2
	snapVersionV1  = 1 // sessions without an owner
	snapHeaderLen  = 40
	snapTrailerLen = 12
	snapACLLen     = 20 // fixed bytes of an ACL entry
	snapACLItemLen = 12 // fixed bytes of one ACL in a list
	snapSessLen    = 24 // fixed bytes of a session
	snapSessLenV1  = 16
	snapNodeLen    = 76 // fixed bytes of a node
)

// ErrBadSnapshot is returned by ReadSnapshot for input that is not a
// valid serialization, and by the Restore methods for data that would not
// form a valid tree. Errors wrapping it say where decoding failed.
var ErrBadSnapshot = errors.New("tree: bad snapshot")

// Capture is a picture of the replicated state, taken under the tree's
// lock and serialized after the lock is released. Since the tree never
// changes a node in place, it holds pointers to the nodes as they were
// (16 bytes a node) rather than copies. A Capture may be written
// any number of times, but not by two goroutines at once.
type Capture struct {
	lastZxid   int64
	ephemerals int64
	acls       []capturedACL     // ascending refs (ACLCache.All's order)
	sessions   []capturedSession // map order until prepared
	recs       []capturedRec     // the walk: the tree in depth-first order
	saved      []savedNode       // from a stepwise capture's log; path order once prepared
	// list, when not nil, is written instead of recs and saved, in its
	// order: tests build bad snapshots from it (flatten).
	list []capturedNode

	prepared  bool  // sessions and saved sorted, counts and sizes known
	nodes     int   // nodes to write
	nodeBytes int64 // bytes WriteTo writes for them

	// sorts is the tree's sort cache; stamps, the tables of the
	// directories big enough for it, by record, as the walk met them.
	sorts  *sortCache
	stamps map[int32]dirStamp
}

type capturedACL struct {
	ref   acl.ACLRef
	count int64
	list  []proto.ACL // shared with the cache, never modified
}

type capturedSession struct {
	id      int64
	timeout int32
	owner   uint64
	passwd  []byte // shared with the session, never modified
}

// capturedRec is one node met by the walk, 16 bytes. Records are in
// depth-first order: a node's subtree is the records after it, up to end.
type capturedRec struct {
	node *Node // as the walk met it; its name is the path's last segment
	end  int32 // index of the first record after this node's subtree
	skip bool  // not written from here (see savedNode)
}

// written is the node to write for r, or nil.
func (r *capturedRec) written() *Node {
	if r.skip {
		return nil
	}
	return r.node
}

// savedNode is a node as it was when a stepwise capture began, saved
// because its path changed since: the walk may have met a later version of
// the path, or none.
type savedNode struct {
	path string
	node *Node
}

// capturedNode is a node with its path, by value (Capture.list).
type capturedNode struct {
	path string
	node Node
}

// NewCapture returns an empty Capture with room for about nodes nodes, to
// pass to CaptureInto or BeginCapture. Make it before taking the tree's
// lock: for a large tree, allocating (and the garbage collection that
// allocation triggers) costs more than filling it.
func NewCapture(nodes int) *Capture {
	return &Capture{recs: make([]capturedRec, 0, nodes+nodes/64+64)}
}

// Capture records what a snapshot needs in a new Capture. REQUIRES: the
// tree locked (read or write) by its owner during the call; the lock may
// be released as soon as it returns.
func (t *Tree) Capture() *Capture { return t.CaptureInto(nil) }

// CaptureInto is Capture into c, reusing its memory; c may be nil, new
// from NewCapture, or an earlier Capture no longer being written. Only
// records beyond c's capacity are allocated under the lock.
// REQUIRES: the tree locked, as for Capture.
func (t *Tree) CaptureInto(c *Capture) *Capture { return t.captureAll(c) }

// startCapture resets c (or a new Capture) for a capture of t: the
// counters, the ACL lists and the sessions; nodes come from the walk.
func (t *Tree) startCapture(c *Capture) *Capture {
	if c == nil {
		c = &Capture{}
	}
	old := len(c.recs)
	stamps := c.stamps
	if stamps == nil {
		stamps = map[int32]dirStamp{}
	}
	clear(stamps)
	*c = Capture{
		lastZxid:   t.lastZxid,
		ephemerals: int64(t.ephemerals),
		acls:       c.acls[:0],
		sessions:   c.sessions[:0],
		recs:       c.recs[:0],
		saved:      c.saved[:0],
		sorts:      t.sorts,
		stamps:     stamps,
	}
	// Drop what the last use referenced (the walk overwrites records,
	// but may make fewer).
	clear(c.recs[:old])
	clear(c.saved[:cap(c.saved)])
	if cap(c.recs) < t.count {
		c.recs = make([]capturedRec, 0, t.count)
	}
	for ref, list := range t.acls.All {
		c.acls = append(c.acls, capturedACL{ref: ref, list: list})
	}
	for id, s := range t.sessions {
		c.sessions = append(c.sessions, capturedSession{id: id, timeout: s.Timeout, owner: s.Owner, passwd: s.Passwd})
	}
	return c
}

// NodeCount is the number of nodes captured.
func (c *Capture) NodeCount() int {
	c.prepare()
	if c.list != nil {
		return len(c.list)
	}
	return c.nodes
}

// LastZxid is the zxid of the last txn applied before the capture.
func (c *Capture) LastZxid() int64 { return c.lastZxid }

// prepare, once and off the tree's lock, sorts the sessions and the saved
// nodes, drops the walk's records of nodes that are also saved (recorded
// before their path changed), and counts nodes, bytes and ACL uses.
func (c *Capture) prepare() {
	if c.prepared {
		return
	}
	c.prepared = true
	slices.SortFunc(c.sessions, func(a, b capturedSession) int { return cmp.Compare(a.id, b.id) })
	slices.SortFunc(c.saved, func(a, b savedNode) int { return strings.Compare(a.path, b.path) })
	if len(c.saved) > 0 {
		saved := make(map[*Node]struct{}, len(c.saved))
		for _, s := range c.saved {
			saved[s.node] = struct{}{}
		}
		for i := range c.recs {
			if _, dup := saved[c.recs[i].node]; dup {
				c.recs[i].skip = true
			}
		}
	}
	counts := map[acl.ACLRef]int64{}
	var lastRef acl.ACLRef
	var lastCount int64
	count := func(ref acl.ACLRef) {
		if ref != lastRef {
			counts[lastRef] += lastCount
			lastRef, lastCount = ref, 0
		}
		lastCount++
	}
	var n int64
	// Path lengths from the walk's structure: a stack of (end, path
	// length) of the records whose subtree is being gone through.
	type open struct {
		end  int32
		plen int
	}
	var stack []open
	for i := range c.recs {
		r := &c.recs[i]
		for len(stack) > 0 && stack[len(stack)-1].end <= int32(i) {
			stack = stack[:len(stack)-1]
		}
		plen := 1 // the root, "/"
		if len(stack) > 0 {
			parent := stack[len(stack)-1].plen
			plen = parent + int(r.node.nlen)
			if parent > 1 {
				plen++ // the slash between a parent other than the root and the name
			}
		}
		if r.end > int32(i)+1 {
			stack = append(stack, open{r.end, plen})
		}
		if !r.skip {
			c.nodes++
			n += snapNodeLen + int64(plen+len(r.node.data))
			count(r.node.acl)
		}
	}
	for _, s := range c.saved {
		c.nodes++
		n += snapNodeLen + int64(len(s.path)+len(s.node.data))
		count(s.node.acl)
	}
	c.nodeBytes = n
	count(0) // flush the last run
	acls := c.acls[:0]
	for _, a := range c.acls {
		if a.count = counts[a.ref]; a.count > 0 {
			acls = append(acls, a)
		}
	}
	c.acls = acls
}

// each calls fn with every node captured, in path order, until fn returns
// false; it reports whether fn always returned true. path is valid only
// during the call. REQUIRES: prepared.
func (c *Capture) each(sorts *sortCache, fn func(path []byte, n *Node) bool) bool {
	if c.list != nil {
		for i := range c.list {
			if !fn([]byte(c.list[i].path), &c.list[i].node) {
				return false
			}
		}
		return true
	}
	if len(c.recs) == 0 {
		return true
	}
	w := &capWriter{c: c, fn: fn, sorts: sorts}
	path := append(make([]byte, 0, 256), '/')
	return w.node(path, c.recs[0].written()) && w.dir(0, path, 0) && w.node(nil, nil)
}

// capWriter merges the walk's records, in path order, with the saved nodes.
type capWriter struct {
	c       *Capture
	sorts   *sortCache // nil: sort every directory
	shape   []uint64   // sortCache's shape of the directory at hand, reused
	fn      func(path []byte, n *Node) bool
	saved   int             // next saved node to write
	scratch [][]capturedKey // per depth, reused
	sorter  keySorter       // reused for every directory
}

// capturedKey is one thing to write in a directory: a child node, or the
// subtree below it (whose paths all start with the child's name and "/").
type capturedKey struct {
	i   int32 // the child's record
	w   int32 // the key's position in walk order
	sub bool
}

// node writes the saved nodes before path, then n (unless nil); nil path:
// the rest of the saved nodes.
func (w *capWriter) node(path []byte, n *Node) bool {
	for ; w.saved < len(w.c.saved); w.saved++ {
		s := &w.c.saved[w.saved]
		if path != nil && s.path >= string(path) {
			break
		}
		if !w.fn(stringBytes(s.path), s.node) {
			return false
		}
	}
	return n == nil || w.fn(path, n)
}

// dir writes the subtree below record i, whose path is path, in path order.
func (w *capWriter) dir(i int32, path []byte, depth int) bool {
	recs := w.c.recs
	if depth == len(w.scratch) {
		w.scratch = append(w.scratch, nil)
	}
	keys := w.scratch[depth][:0]
	st, stamped := w.c.stamps[i]
	stamped = stamped && w.sorts != nil
	shape := w.shape[:0]
	child := 0
	for j := i + 1; j < recs[i].end; j = recs[j].end {
		keys = append(keys, capturedKey{i: j, w: int32(len(keys))})
		if recs[j].end > j+1 {
			keys = append(keys, capturedKey{i: j, w: int32(len(keys)), sub: true})
			if stamped {
				for len(shape) <= child/64 {
					shape = append(shape, 0)
				}
				shape[child/64] |= 1 << (child % 64)
			}
		}
		child++
	}
	if stamped {
		for len(shape) < (child+63)/64 {
			shape = append(shape, 0)
		}
		w.shape = shape
		w.sorts.order(path, st, keys, shape, recs, &w.sorter)
	} else {
		w.sorter.sort(keys, recs)
	}
	w.scratch[depth] = keys
	for _, k := range keys {
		p := appendChild(path, recs[k.i].node.name())
		if k.sub {
			if !w.dir(k.i, p, depth+1) {
				return false
			}
		} else if !w.node(p, recs[k.i].written()) {
			return false
		}
	}
	return true
}

// compareKeys orders the keys of one directory as their paths sort: a
// child named a (sub false), or the subtree below it, all of whose paths
// continue with a+"/" (sub true). So "a" < "a-b" < "a-b/c" < "a/c".
func compareKeys(a string, asub bool, b string, bsub bool) int {
	n := min(len(a), len(b))
	if c := strings.Compare(a[:n], b[:n]); c != 0 {
		return c
	}
	return cmp.Compare(keyByte(a, n, asub), keyByte(b, n, bsub))
}

// keyByte is byte i of a key: of the name, then '/' for a subtree, then
// nothing (-1).
func keyByte(name string, i int, sub bool) int {
	switch {
	case i < len(name):
		return int(name[i])
	case sub:
		return '/'
	}
	return -1
}

// Size is the length of the serialization WriteTo writes.
func (c *Capture) Size() int64 {
	c.prepare()
	n := int64(snapHeaderLen + snapTrailerLen)
	for _, a := range c.acls {
		n += snapACLLen
		for _, e := range a.list {
			n += snapACLItemLen + int64(len(e.ID.Scheme)+len(e.ID.ID))
		}
	}
	for _, s := range c.sessions {
		n += snapSessLen + int64(len(s.passwd))
	}
	if c.list == nil {
		return n + c.nodeBytes
	}
	for i := range c.list {
		n += snapNodeLen + int64(len(c.list[i].path)+len(c.list[i].node.data))
	}
	return n
}

// WriteTo writes the serialization described at the top of this file. It
// runs without the tree's lock and implements io.WriterTo.
func (c *Capture) WriteTo(w io.Writer) (int64, error) {
	c.prepare()
	nodes := c.NodeCount()
	if nodes > math.MaxInt32 || len(c.acls) > math.MaxInt32 || len(c.sessions) > math.MaxInt32 {
		return 0, fmt.Errorf("tree: snapshot of %d nodes, %d sessions: too large", nodes, len(c.sessions))
	}
	sw := &snapWriter{w: w, buf: make([]byte, 0, snapFlushAt+4096)}
	b := append(sw.buf, snapMagic...)
	b = binary.BigEndian.AppendUint32(b, snapVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(c.Size()))
	b = binary.BigEndian.AppendUint64(b, uint64(c.lastZxid))
	b = binary.BigEndian.AppendUint32(b, uint32(len(c.acls)))
	b = binary.BigEndian.AppendUint32(b, uint32(len(c.sessions)))
	sw.buf = binary.BigEndian.AppendUint64(b, uint64(nodes))
	for _, a := range c.acls {
		b := binary.BigEndian.AppendUint64(sw.buf, uint64(a.ref))
		b = binary.BigEndian.AppendUint64(b, uint64(a.count))
		b = binary.BigEndian.AppendUint32(b, uint32(len(a.list)))
		for _, e := range a.list {
			b = binary.BigEndian.AppendUint32(b, uint32(e.Perms))
			b = binary.BigEndian.AppendUint32(b, uint32(len(e.ID.Scheme)))
			b = binary.BigEndian.AppendUint32(b, uint32(len(e.ID.ID)))
			b = append(b, e.ID.Scheme...)
			b = append(b, e.ID.ID...)
		}
		sw.buf = b
		sw.maybeFlush()
	}
	for _, s := range c.sessions {
		b := binary.BigEndian.AppendUint64(sw.buf, uint64(s.id))
		b = binary.BigEndian.AppendUint32(b, uint32(s.timeout))
		b = binary.BigEndian.AppendUint64(b, s.owner)
		b = binary.BigEndian.AppendUint32(b, uint32(len(s.passwd)))
		sw.buf = append(b, s.passwd...)
		sw.maybeFlush()
	}
	var tooLong error
	if c.sorts != nil {
		c.sorts.begin()
		defer c.sorts.end()
	}
	c.each(c.sorts, func(path []byte, n *Node) bool {
		if len(path) > math.MaxInt32 || len(n.data) > math.MaxInt32 {
			tooLong = fmt.Errorf("tree: snapshot of %s: path or data too long", path)
			return false
		}
		b := binary.BigEndian.AppendUint64(sw.buf, uint64(n.czxid))
		b = binary.BigEndian.AppendUint64(b, uint64(n.mzxid))
		b = binary.BigEndian.AppendUint64(b, uint64(n.pzxid))
		b = binary.BigEndian.AppendUint64(b, uint64(n.ctime))
		b = binary.BigEndian.AppendUint64(b, uint64(n.mtime))
		b = binary.BigEndian.AppendUint32(b, uint32(n.version))
		b = binary.BigEndian.AppendUint32(b, uint32(n.cversion))
		b = binary.BigEndian.AppendUint32(b, uint32(n.aversion))
		b = binary.BigEndian.AppendUint64(b, uint64(n.ephemeralOwner))
		b = binary.BigEndian.AppendUint64(b, uint64(n.acl))
		b = binary.BigEndian.AppendUint32(b, uint32(len(path)))
		b = binary.BigEndian.AppendUint32(b, uint32(len(n.data)))
		sw.buf = append(b, path...)
		sw.data(n.data)
		return sw.err == nil
	})
	if tooLong != nil {
		return sw.n, tooLong
	}
	if sw.err != nil {
		return sw.n, sw.err
	}
	b = binary.BigEndian.AppendUint64(sw.buf, uint64(c.ephemerals))
	sw.buf = append(b, snapEndMagic...)
	sw.flush()
	return sw.n, sw.err
}

// snapFlushAt is how much WriteTo buffers before writing; data at least
// this long is written straight from the node's slice.
const snapFlushAt = 256 << 10

// snapWriter batches small writes and keeps the first error (sticky).
type snapWriter struct {
	w   io.Writer
	buf []byte // pending bytes, flushed at snapFlushAt
	n   int64  // bytes written to w so far
	err error  // first write error; every later write is skipped
}

func (sw *snapWriter) write(b []byte) {
	if sw.err != nil || len(b) == 0 {
		return
	}
	m, err := sw.w.Write(b)
	sw.n += int64(m)
	if err == nil && m < len(b) {
		err = io.ErrShortWrite
	}
	if err != nil {
		sw.err = fmt.Errorf("tree: writing snapshot at offset %d: %w", sw.n, err)
	}
}

func (sw *snapWriter) flush() {
	sw.write(sw.buf)
	sw.buf = sw.buf[:0]
}

func (sw *snapWriter) maybeFlush() {
	if len(sw.buf) >= snapFlushAt {
		sw.flush()
	}
}

// data appends d, or writes it directly if it is large.
func (sw *snapWriter) data(d string) {
	if len(d) >= snapFlushAt {
		sw.flush()
		sw.write(stringBytes(d))
		return
	}
	sw.buf = append(sw.buf, d...)
	sw.maybeFlush()
}
