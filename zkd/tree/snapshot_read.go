package tree

import (
	"bufio"
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

// ReadSnapshot rebuilds a tree from a serialization written by WriteTo: its
// nodes, children, sessions with their ephemerals, ACL table and counters.
// It validates as it reads (order, parents, refs, counts) and returns an
// error wrapping ErrBadSnapshot with the byte offset of the item it could
// not accept. Reading stops at the end of the serialization; r may hold
// more. If r has a Len method (bytes.Reader), the declared length is
// checked against it before anything else is read.
func ReadSnapshot(r io.Reader, opts Options) (*Tree, error) {
	avail := int64(-1)
	if l, ok := r.(interface{ Len() int }); ok {
		avail = int64(l.Len())
	}
	size := 1 << 20
	if avail >= 0 {
		size = int(min(max(avail, 256), 1<<20))
	}
	sr := &snapReader{r: bufio.NewReaderSize(r, size)}
	t := &Tree{
		opts:     opts,
		sorts:    newSortCache(),
		sessions: make(map[int64]*Session),
		acls:     acl.NewACLCache(),
	}
	nACLs, nSess, nNodes := sr.header(avail)
	if sr.err != nil {
		return nil, sr.err
	}
	t.lastZxid = sr.lastZxid
	counts := sr.aclTable(t.acls, nACLs)
	sr.sessions(t, nSess)
	sr.nodes(t, nNodes)
	sr.trailer(t, counts)
	if sr.err != nil {
		return nil, sr.err
	}
	t.setConfig()
	return t, nil
}

// snapReader decodes a serialization from a stream. The first error
// sticks: later reads return zero values.
type snapReader struct {
	r        *bufio.Reader
	off      int64 // bytes consumed
	end      int64 // declared length; 0 until the header is read
	lastZxid int64
	sessLen  int // fixed bytes of a session in this version
	err      error
}

// badf records a decoding failure at offset at.
func (sr *snapReader) badf(at int64, format string, args ...any) {
	if sr.err == nil {
		sr.err = fmt.Errorf("%w: offset %d: %s", ErrBadSnapshot, at, fmt.Sprintf(format, args...))
	}
}

// readErr records a read error at the current offset; running out of
// input is a bad (truncated) snapshot, anything else an I/O error.
func (sr *snapReader) readErr(err error) {
	if sr.err != nil {
		return
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		sr.badf(sr.off, "truncated")
		return
	}
	sr.err = fmt.Errorf("tree: reading snapshot at offset %d: %w", sr.off, err)
}

// left is how many declared bytes remain.
func (sr *snapReader) left() int64 { return sr.end - sr.off }

// fixed returns the next n (<= the buffer size) bytes, valid until the
// next read, or nil after an error.
func (sr *snapReader) fixed(n int) []byte {
	if sr.err != nil {
		return nil
	}
	if sr.end > 0 && int64(n) > sr.left() {
		sr.badf(sr.off, "%d bytes needed, %d left of the declared length", n, sr.left())
		return nil
	}
	b, err := sr.r.Peek(n)
	if err != nil {
		sr.readErr(err)
		return nil
	}
	sr.r.Discard(n)
	sr.off += int64(n)
	return b
}

// bytes reads n bytes into a new slice, growing it as the input arrives
// so that a bad length cannot allocate more than the input holds.
func (sr *snapReader) bytes(n int) []byte {
	if sr.err != nil {
		return nil
	}
	if int64(n) > sr.left() {
		sr.badf(sr.off, "%d bytes needed, %d left of the declared length", n, sr.left())
		return nil
	}
	const step = 1 << 20
	b := make([]byte, 0, min(n, step))
	for len(b) < n {
		k := min(n-len(b), step)
		if cap(b)-len(b) < k {
			b = slices.Grow(b, k)
		}
		m, err := io.ReadFull(sr.r, b[len(b):len(b)+k])
		b = b[:len(b)+m]
		sr.off += int64(m)
		if err != nil {
			sr.readErr(err)
			return nil
		}
	}
	return b
}

// str reads n bytes as a string.
func (sr *snapReader) str(n int) string {
	if n <= sr.r.Size() {
		return string(sr.fixed(n))
	}
	return string(sr.bytes(n))
}

// length checks a length field read at offset at against what is left.
func (sr *snapReader) length(at int64, v uint32, what string) int {
	if int64(v) > sr.left() || v > math.MaxInt32 {
		sr.badf(at, "%s length %d with %d bytes left", what, v, sr.left())
		return 0
	}
	return int(v)
}

func (sr *snapReader) header(avail int64) (nACLs, nSess, nNodes int) {
	b := sr.fixed(snapHeaderLen)
	if b == nil {
		return
	}
	if string(b[:4]) != snapMagic {
		sr.badf(0, "magic %q, want %q", b[:4], snapMagic)
		return
	}
	switch v := binary.BigEndian.Uint32(b[4:]); v {
	case snapVersion:
		sr.sessLen = snapSessLen
	case snapVersionV1:
		sr.sessLen = snapSessLenV1
	default:
		sr.badf(4, "format version %d, this build reads %d and %d", v, snapVersionV1, snapVersion)
		return
	}
	length := binary.BigEndian.Uint64(b[8:])
	sr.lastZxid = int64(binary.BigEndian.Uint64(b[16:]))
	a := binary.BigEndian.Uint32(b[24:])
	s := binary.BigEndian.Uint32(b[28:])
	n := binary.BigEndian.Uint64(b[32:])
	switch {
	case length < snapHeaderLen+snapTrailerLen || length > math.MaxInt64:
		sr.badf(8, "length %d", length)
	case avail >= 0 && int64(length) > avail:
		sr.badf(8, "length %d but the input holds %d bytes: truncated", length, avail)
	}
	if sr.err != nil {
		return
	}
	sr.end = int64(length)
	body := sr.left() - snapTrailerLen
	switch {
	case int64(a)*snapACLLen > body:
		sr.badf(24, "%d ACL entries cannot fit in %d bytes", a, body)
	case int64(s)*int64(sr.sessLen) > body:
		sr.badf(28, "%d sessions cannot fit in %d bytes", s, body)
	case n == 0 || n > uint64(body)/(snapNodeLen+1):
		sr.badf(32, "%d nodes cannot fit in %d bytes", n, body)
	}
	return int(a), int(s), int(n)
}

// aclTable loads the ref→list table and returns the stored counts.
func (sr *snapReader) aclTable(c *acl.ACLCache, n int) map[acl.ACLRef]int64 {
	counts := make(map[acl.ACLRef]int64, n)
	prev := acl.ACLRef(0)
	for i := 0; i < n && sr.err == nil; i++ {
		at := sr.off
		b := sr.fixed(snapACLLen)
		if b == nil {
			break
		}
		ref := acl.ACLRef(binary.BigEndian.Uint64(b))
		count := int64(binary.BigEndian.Uint64(b[8:]))
		items := binary.BigEndian.Uint32(b[16:])
		switch {
		case ref <= prev:
			sr.badf(at, "ACL ref %d after %d: refs must ascend from 1", ref, prev)
		case count < 1:
			sr.badf(at+8, "ACL ref %d has count %d", ref, count)
		case int64(items)*snapACLItemLen > sr.left():
			sr.badf(at+16, "ACL ref %d: %d entries with %d bytes left", ref, items, sr.left())
		}
		if sr.err != nil {
			break
		}
		list := make([]proto.ACL, items)
		for j := range list {
			b := sr.fixed(snapACLItemLen)
			if b == nil {
				break
			}
			list[j].Perms = int32(binary.BigEndian.Uint32(b))
			sl := sr.length(sr.off-8, binary.BigEndian.Uint32(b[4:]), "scheme")
			il := sr.length(sr.off-4, binary.BigEndian.Uint32(b[8:]), "id")
			list[j].ID.Scheme = sr.str(sl)
			list[j].ID.ID = sr.str(il)
		}
		if sr.err != nil {
			break
		}
		if err := c.Load(ref, list); err != nil {
			sr.badf(at, "%v", err)
		}
		counts[ref] = count
		prev = ref
	}
	return counts
}

func (sr *snapReader) sessions(t *Tree, n int) {
	var prev int64
	for i := 0; i < n && sr.err == nil; i++ {
		at := sr.off
		b := sr.fixed(sr.sessLen)
		if b == nil {
			break
		}
		id := int64(binary.BigEndian.Uint64(b))
		timeout := int32(binary.BigEndian.Uint32(b[8:]))
		var owner uint64
		if sr.sessLen == snapSessLen {
			owner = binary.BigEndian.Uint64(b[12:])
		}
		pl := sr.length(at+int64(sr.sessLen)-4, binary.BigEndian.Uint32(b[sr.sessLen-4:]), "password")
		if i > 0 && id <= prev {
			sr.badf(at, "session %#x after %#x: ids must ascend", id, prev)
		}
		var passwd []byte
		if pl > 0 {
			passwd = sr.bytes(pl)
		}
		t.sessions[id] = &Session{ID: id, Timeout: timeout, Passwd: passwd, Owner: owner, ephemerals: map[string]struct{}{}}
		prev = id
	}
}

func (sr *snapReader) nodes(t *Tree, count int) {
	l := &linker{t: t}
	for i := 0; i < count && sr.err == nil; i++ {
		at := sr.off
		b := sr.fixed(snapNodeLen)
		if b == nil {
			break
		}
		var hdr Node
		hdr.czxid = int64(binary.BigEndian.Uint64(b))
		hdr.mzxid = int64(binary.BigEndian.Uint64(b[8:]))
		hdr.pzxid = int64(binary.BigEndian.Uint64(b[16:]))
		hdr.ctime = int64(binary.BigEndian.Uint64(b[24:]))
		hdr.mtime = int64(binary.BigEndian.Uint64(b[32:]))
		hdr.version = int32(binary.BigEndian.Uint32(b[40:]))
		hdr.cversion = int32(binary.BigEndian.Uint32(b[44:]))
		hdr.aversion = int32(binary.BigEndian.Uint32(b[48:]))
		hdr.ephemeralOwner = int64(binary.BigEndian.Uint64(b[52:]))
		hdr.acl = acl.ACLRef(binary.BigEndian.Uint64(b[60:]))
		pl := sr.length(at+68, binary.BigEndian.Uint32(b[68:]), "path")
		dl := sr.length(at+72, binary.BigEndian.Uint32(b[72:]), "data")
		// The path goes into the linker's buffer: the tree keeps names
		// only, in the nodes.
		if pl <= sr.r.Size() {
			l.path = append(l.path[:0], sr.fixed(pl)...)
		} else {
			l.path = sr.bytes(pl)
		}
		if sr.err != nil {
			break
		}
		n, buf := allocNode(bytesString(l.path[strings.LastIndexByte(bytesString(l.path), '/')+1:]), dl)
		switch {
		case buf != nil && dl <= sr.r.Size():
			copy(buf, sr.fixed(dl))
			hdr.data = bytesString(buf)
		case buf != nil:
			copy(buf, sr.bytes(dl))
			hdr.data = bytesString(buf)
		case dl > 0:
			hdr.data = bytesString(sr.bytes(dl)) // a new slice, never written again
		}
		if sr.err != nil {
			break
		}
		hdr.nlen = n.nlen
		*n = hdr
		if msg := l.link(n, i == 0); msg != "" {
			sr.badf(at, "node %q: %s", l.path, msg)
			break
		}
	}
}

// linker adds decoded nodes, in path order, to a tree being loaded.
type linker struct {
	t          *Tree
	path       []byte // the node being linked
	prev       []byte // the node linked before it
	parent     *Node  // the last parent looked up, at parentPath
	parentPath []byte
}

// link adds n, the node at l.path, or says why it cannot be.
func (l *linker) link(n *Node, first bool) string {
	t := l.t
	path := bytesString(l.path) // for this call only: l.path is reused
	if first {
		if path != RootPath {
			return "the first node must be the root"
		}
	} else if path <= bytesString(l.prev) {
		return fmt.Sprintf("not after %q: paths must ascend", l.prev)
	}
	if ValidatePath(path, false) != nil {
		return "invalid path"
	}
	if !t.acls.Retain(n.acl) {
		return fmt.Sprintf("unknown ACL ref %d", n.acl)
	}
	if first {
		t.root = n
	} else {
		// Siblings come one after another, mostly: the parent of the last
		// node is likely this one's.
		slash := strings.LastIndexByte(path, '/')
		parentPath := path[:max(slash, 1)]
		if l.parent == nil || bytesString(l.parentPath) != parentPath {
			l.parent = t.lookup(parentPath)
			l.parentPath = append(l.parentPath[:0], parentPath...)
		}
		parent := l.parent
		switch {
		case parent == nil:
			return "parent missing"
		case ownerKind(parent.ephemeralOwner) == kindEphemeral:
			return "parent is ephemeral"
		}
		parent.addChild(n) // new there: paths ascend
	}
	if ownerKind(n.ephemeralOwner) == kindEphemeral {
		s := t.sessions[n.ephemeralOwner]
		if s == nil {
			return fmt.Sprintf("ephemeral of unknown session %#x", n.ephemeralOwner)
		}
		s.ephemerals[strings.Clone(path)] = struct{}{}
		t.ephemerals++
	}
	t.count++
	t.dataSize += nodeSize(path, n.data)
	l.prev = append(l.prev[:0], l.path...)
	return ""
}

// trailer checks the end marker and the writer's ephemeral count against
// the tree rebuilt, and the ACL counts against the nodes that use them.
func (sr *snapReader) trailer(t *Tree, counts map[acl.ACLRef]int64) {
	if sr.err != nil {
		return
	}
	at := sr.off
	if sr.left() != snapTrailerLen {
		sr.badf(at, "%d bytes left before the trailer, want %d", sr.left(), snapTrailerLen)
		return
	}
	b := sr.fixed(snapTrailerLen)
	if b == nil {
		return
	}
	ephemerals := int64(binary.BigEndian.Uint64(b))
	switch {
	case string(b[8:]) != snapEndMagic:
		sr.badf(at+8, "end marker %q, want %q", b[8:], snapEndMagic)
	case ephemerals != int64(t.ephemerals):
		sr.badf(at, "%d ephemerals recorded, %d loaded", ephemerals, t.ephemerals)
	}
	for ref, want := range counts {
		if got := t.acls.Count(ref); got != want && sr.err == nil {
			sr.badf(at, "ACL ref %d used by %d nodes, recorded %d", ref, got, want)
		}
	}
}
