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
//  1. Capture, with the tree locked (read or write), copies the mutable
//     fields of every node, session and ACL entry into one pre-sized slice
//     each. Nothing is sorted, encoded or written under the lock. Data
//     slices, passwords and ACL lists are shared, not copied: the tree
//     never writes into them (setData replaces the slice).
//  2. WriteTo, without the lock, sorts the copy and streams it.
//
// The serialization, version 1. Integers are big-endian (jute's int and
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
//	+--------+---------+-----------+--------+
//	| id     | timeout | passwdLen | passwd |
//	| long 8 | int 4   | int 4     |        |
//	+--------+---------+-----------+--------+
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
// A valid serialization has exactly one encoding, so decoding and encoding
// again gives back the same bytes.
const (
	snapMagic      = "ZKDT"
	snapEndMagic   = "TEND"
	snapVersion    = 1
	snapHeaderLen  = 40
	snapTrailerLen = 12
	snapACLLen     = 20 // fixed bytes of an ACL entry
	snapACLItemLen = 12 // fixed bytes of one ACL in a list
	snapSessLen    = 16 // fixed bytes of a session
	snapNodeLen    = 76 // fixed bytes of a node
)

// ErrBadSnapshot is returned by ReadSnapshot for input that is not a
// valid serialization, and by the Restore methods for data that would not
// form a valid tree. Errors wrapping it say where decoding failed.
var ErrBadSnapshot = errors.New("tree: bad snapshot")

// Capture is a copy of the replicated state, taken under the tree's lock
// and serialized after the lock is released. A Capture may be written any
// number of times, but not by two goroutines at once.
type Capture struct {
	lastZxid   int64
	ephemerals int64
	acls       []capturedACL     // ascending refs (ACLCache.All's order)
	sessions   []capturedSession // map order until sorted
	nodes      []capturedNode    // map order
	order      []capturedKey     // nodes by path once sorted
	sorted     bool              // order and sessions are sorted
}

type capturedACL struct {
	ref   acl.ACLRef
	count int64
	list  []proto.ACL // shared with the cache, never modified
}

type capturedSession struct {
	id      int64
	timeout int32
	passwd  []byte // shared with the session, never modified
}

// capturedNode is a node's fields at capture time. node.children is
// cleared: children are derived from paths on load.
type capturedNode struct {
	path string
	node Node
}

// capturedKey is what sorting moves: small, and with the path at hand.
type capturedKey struct {
	path string
	i    int32 // index in nodes
}

// NewCapture returns an empty Capture with room for about nodes nodes, to
// pass to CaptureInto. Make it before taking the tree's lock: for a large
// tree, allocating the copy (and the garbage collection that allocation
// triggers) costs several times more than filling it.
func NewCapture(nodes int) *Capture {
	return &Capture{nodes: make([]capturedNode, 0, nodes+nodes/64+64)}
}

// Capture copies what a snapshot needs into a new Capture. REQUIRES: the
// tree locked (read or write) by its owner during the call; the lock may
// be released as soon as it returns.
func (t *Tree) Capture() *Capture { return t.CaptureInto(nil) }

// CaptureInto is Capture into c, reusing its memory; c may be nil, new
// from NewCapture, or an earlier Capture no longer being written. Only
// the nodes beyond c's capacity are allocated under the lock.
// REQUIRES: the tree locked, as for Capture.
func (t *Tree) CaptureInto(c *Capture) *Capture {
	if c == nil {
		c = &Capture{}
	}
	old := len(c.nodes)
	*c = Capture{
		lastZxid:   t.lastZxid,
		ephemerals: int64(t.ephemerals),
		acls:       c.acls[:0],
		sessions:   c.sessions[:0],
		nodes:      c.nodes[:0],
		order:      c.order[:0],
	}
	if cap(c.nodes) < len(t.nodes) {
		c.nodes = make([]capturedNode, 0, len(t.nodes))
	}
	for ref, list := range t.acls.All {
		c.acls = append(c.acls, capturedACL{ref: ref, count: t.acls.Count(ref), list: list})
	}
	for id, s := range t.sessions {
		c.sessions = append(c.sessions, capturedSession{id: id, timeout: s.Timeout, passwd: s.Passwd})
	}
	c.nodes = c.nodes[:len(t.nodes)]
	i := 0
	for p, n := range t.nodes {
		cn := &c.nodes[i]
		cn.path = p
		cn.node = *n
		cn.node.children = nil
		i++
	}
	if old > i {
		clear(c.nodes[i:old]) // drop what the last use referenced
	}
	return c
}

// NodeCount is the number of nodes captured.
func (c *Capture) NodeCount() int { return len(c.nodes) }

// LastZxid is the zxid of the last txn applied before the capture.
func (c *Capture) LastZxid() int64 { return c.lastZxid }

// sort orders nodes by path and sessions by id, once.
func (c *Capture) sort() {
	if c.sorted {
		return
	}
	c.order = slices.Grow(c.order[:0], len(c.nodes))
	for i := range c.nodes {
		c.order = append(c.order, capturedKey{path: c.nodes[i].path, i: int32(i)})
	}
	clear(c.order[len(c.order):cap(c.order)]) // drop what the last use referenced
	slices.SortFunc(c.order, func(a, b capturedKey) int { return strings.Compare(a.path, b.path) })
	slices.SortFunc(c.sessions, func(a, b capturedSession) int { return cmp.Compare(a.id, b.id) })
	c.sorted = true
}

// Size is the length of the serialization WriteTo writes.
func (c *Capture) Size() int64 {
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
	for i := range c.nodes {
		n += snapNodeLen + int64(len(c.nodes[i].path)+len(c.nodes[i].node.data))
	}
	return n
}

// WriteTo writes the serialization described at the top of this file. It
// runs without the tree's lock and implements io.WriterTo.
func (c *Capture) WriteTo(w io.Writer) (int64, error) {
	if len(c.nodes) > math.MaxInt32 || len(c.acls) > math.MaxInt32 || len(c.sessions) > math.MaxInt32 {
		return 0, fmt.Errorf("tree: snapshot of %d nodes, %d sessions: too large", len(c.nodes), len(c.sessions))
	}
	c.sort()
	sw := &snapWriter{w: w, buf: make([]byte, 0, snapFlushAt+4096)}
	b := append(sw.buf, snapMagic...)
	b = binary.BigEndian.AppendUint32(b, snapVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(c.Size()))
	b = binary.BigEndian.AppendUint64(b, uint64(c.lastZxid))
	b = binary.BigEndian.AppendUint32(b, uint32(len(c.acls)))
	b = binary.BigEndian.AppendUint32(b, uint32(len(c.sessions)))
	sw.buf = binary.BigEndian.AppendUint64(b, uint64(len(c.nodes)))
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
		b = binary.BigEndian.AppendUint32(b, uint32(len(s.passwd)))
		sw.buf = append(b, s.passwd...)
		sw.maybeFlush()
	}
	for _, k := range c.order {
		cn := &c.nodes[k.i]
		n := &cn.node
		if len(cn.path) > math.MaxInt32 || len(n.data) > math.MaxInt32 {
			return sw.n, fmt.Errorf("tree: snapshot of %s: path or data too long", cn.path)
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
		b = binary.BigEndian.AppendUint32(b, uint32(len(cn.path)))
		b = binary.BigEndian.AppendUint32(b, uint32(len(n.data)))
		sw.buf = append(b, cn.path...)
		sw.data(n.data)
		if sw.err != nil {
			return sw.n, sw.err
		}
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
func (sw *snapWriter) data(d []byte) {
	if len(d) >= snapFlushAt {
		sw.flush()
		sw.write(d)
		return
	}
	sw.buf = append(sw.buf, d...)
	sw.maybeFlush()
}
