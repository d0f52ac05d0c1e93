package tree

import (
	"strings"
	"unsafe"

	"zkd/zkd/acl"
	"zkd/zkd/proto"
)

// Ephemeral-owner encodings (EphemeralType.java). A container's owner is
// Long.MIN_VALUE; a TTL node's owner has 0xFF in the high byte and the TTL
// in milliseconds below it.
const (
	ContainerOwner int64 = -1 << 63
	ttlTag         int64 = -1 << 56 // 0xFF00_0000_0000_0000
	// MaxTTL is the largest TTL a TTL node can carry: 40 bits of
	// milliseconds (EphemeralType.TTL.maxValue), about 34 years.
	MaxTTL int64 = 1<<40 - 1
)

// nodeKind is what an ephemeralOwner value encodes.
type nodeKind uint8

const (
	kindPersistent nodeKind = iota
	kindEphemeral
	kindContainer
	kindTTL
)

func ownerKind(owner int64) nodeKind {
	switch {
	case owner == 0:
		return kindPersistent
	case owner == ContainerOwner:
		return kindContainer
	case owner&ttlTag == ttlTag:
		return kindTTL
	default:
		return kindEphemeral
	}
}

// TTLOwner encodes a TTL as an ephemeralOwner value.
func TTLOwner(ttl int64) int64 { return ttlTag | (ttl & MaxTTL) }

// ttlOf returns the TTL encoded in a TTL node's owner.
func ttlOf(owner int64) int64 { return owner & MaxTTL }

// Node is one version of a znode: what ZooKeeper's Stat needs, the ACL
// reference, the children, and in the same allocation (after these 96
// bytes) the node's name and, unless large, its data. So a znode costs one
// allocation and no path: the tree is hierarchical, each node holding its
// children (dir), and the parent's child set holds the node itself.
//
// A Node is immutable once it is in the tree: Apply never changes one in
// place but puts a changed copy where it was (a new version, clone), so a
// snapshot can hold pointers to the nodes as they were rather than copy
// them. Only the child set is shared by a node's versions and changed in
// place; snapshots never read it. Nodes are made only by newNode and
// clone (a Node copied by value has lost its name).
type Node struct {
	// data is the node's data, immutable, "" if empty: inline (after the
	// name) when name and data fit in inlineMax bytes, else an allocation
	// of its own that versions share.
	data     string
	children *dir // nil while childless

	czxid, mzxid, pzxid int64
	ctime, mtime        int64
	version, aversion   int32
	// cversion counts children ever created here: it is the sequence
	// counter. Clients see creates plus deletes, 2*cversion - numChildren,
	// as ZooKeeper's DataNode.copyStat reports it.
	cversion int32
	// nlen is the length of the name, stored after the node: inline up to
	// inlineMax bytes, beyond that as a string header (nodeExt). The root
	// has none.
	nlen           uint32
	ephemeralOwner int64
	acl            acl.ACLRef
}

// nodeHeader is the size of a Node: its name (and maybe data) follow it.
const nodeHeader = unsafe.Sizeof(Node{})

// A Node is 96 bytes (this fails to compile otherwise): 1024, the largest
// allocation made for one with its name and data, is a size class then.
var _ = [1]struct{}{}[nodeHeader-96]

// Stat fills a wire Stat from the node.
func (n *Node) Stat(s *proto.Stat) {
	kids := int32(n.NumChildren())
	*s = proto.Stat{
		Czxid: n.czxid, Mzxid: n.mzxid, Pzxid: n.pzxid,
		Ctime: n.ctime, Mtime: n.mtime,
		Version: n.version, Cversion: 2*n.cversion - kids, Aversion: n.aversion,
		EphemeralOwner: n.clientOwner(),
		DataLength:     int32(len(n.data)),
		NumChildren:    kids,
	}
}

// clientOwner is the ephemeralOwner clients see: containers and TTL nodes
// keep their marker to themselves (DataNode.getClientEphemeralOwner).
func (n *Node) clientOwner() int64 {
	if ownerKind(n.ephemeralOwner) == kindEphemeral {
		return n.ephemeralOwner
	}
	return 0
}

// Data returns the node's data, nil if empty. Callers must not modify it:
// it is the node's own memory, shared with every reader and snapshot.
func (n *Node) Data() []byte { return stringBytes(n.data) }

// NumChildren is the number of children.
func (n *Node) NumChildren() int {
	if n.children == nil {
		return 0
	}
	return n.children.n
}

// EphemeralOwner is the raw owner field (session id, container or TTL tag).
func (n *Node) EphemeralOwner() int64 { return n.ephemeralOwner }

// Children returns the child names, sorted.
func (n *Node) Children() []string {
	if n.children == nil {
		return []string{}
	}
	return n.children.names()
}

// child returns the child called name, or nil.
func (n *Node) child(name string) *Node {
	if n.children == nil {
		return nil
	}
	return n.children.get(name)
}

// name is the node's name, the last segment of its path ("" for the root).
func (n *Node) name() string {
	l := uintptr(n.nlen)
	if l == 0 {
		return ""
	}
	p := unsafe.Add(unsafe.Pointer(n), nodeHeader)
	if l > inlineMax {
		return *(*string)(p)
	}
	return unsafe.String((*byte)(p), l)
}

// inlineMax is how many bytes of name and data a node holds in its own
// allocation: up to 1 KiB in all. Larger data gets an allocation of its
// own (shared by the node's versions); a larger name too (nodeExt).
const inlineMax = 1024 - nodeHeader

// newNode returns a node called name (the root: "") holding a copy of
// data, its other fields zero.
func newNode(name string, data []byte) *Node {
	n, buf := allocNode(name, len(data))
	if buf != nil {
		copy(buf, data)
		n.data = bytesString(buf)
	} else if len(data) > 0 {
		n.data = string(data)
	}
	return n
}

// clone returns a new version of n: a copy of its fields, name and data,
// for Apply to change before it puts it in n's place.
func (n *Node) clone() *Node {
	c, buf := allocNode(n.name(), len(n.data))
	nlen := c.nlen
	*c = *n
	c.nlen = nlen
	if buf != nil {
		copy(buf, n.data)
		c.data = bytesString(buf)
	}
	return c
}

// withData returns a new version of n holding a copy of data instead of
// its own.
func (n *Node) withData(data []byte) *Node {
	c, buf := allocNode(n.name(), len(data))
	nlen := c.nlen
	*c = *n
	c.nlen = nlen
	c.data = ""
	if buf != nil {
		copy(buf, data)
		c.data = bytesString(buf)
	} else if len(data) > 0 {
		c.data = string(data)
	}
	return c
}

// allocNode allocates a node called name with room for dlen bytes of
// inline data, returned as buf (nil: data of that length is not inline).
func allocNode(name string, dlen int) (n *Node, buf []byte) {
	size := uintptr(len(name))
	inline := size+uintptr(dlen) <= inlineMax
	if inline {
		size += uintptr(dlen)
	}
	var payload []byte
	switch {
	case len(name) == 0 && (!inline || dlen == 0):
		return new(Node), nil
	case uintptr(len(name)) > inlineMax:
		// (A name is part of a request, far shorter than 4 GiB.)
		e := &nodeExt{name: strings.Clone(name)}
		e.n.nlen = uint32(len(name))
		return &e.n, nil
	default:
		for _, c := range nodeClasses {
			if size <= c.payload {
				n, payload = c.alloc()
				break
			}
		}
	}
	n.nlen = uint32(len(name))
	copy(payload, name)
	if inline {
		buf = payload[len(name) : len(name)+dlen : len(name)+dlen]
	}
	return n, buf
}

// nodeBuf is a node with B (a byte array) of room after it.
type nodeBuf[B any] struct {
	n Node
	b B
}

// nodeExt is a node whose name is too long to hold inline.
type nodeExt struct {
	n    Node
	name string
}

func allocBuf[B any]() (*Node, []byte) {
	p := new(nodeBuf[B])
	return &p.n, unsafe.Slice((*byte)(unsafe.Pointer(&p.b)), unsafe.Sizeof(p.b))
}

// nodeClasses are the allocations made for a node with its name and
// data: each the size of one of the Go allocator's size classes, so none
// is rounded up.
var nodeClasses = []struct {
	payload uintptr
	alloc   func() (*Node, []byte)
}{
	{16, allocBuf[[16]byte]}, {32, allocBuf[[32]byte]}, {48, allocBuf[[48]byte]},
	{64, allocBuf[[64]byte]}, {80, allocBuf[[80]byte]}, {96, allocBuf[[96]byte]},
	{112, allocBuf[[112]byte]}, {128, allocBuf[[128]byte]}, {144, allocBuf[[144]byte]},
	{160, allocBuf[[160]byte]}, {192, allocBuf[[192]byte]}, {224, allocBuf[[224]byte]},
	{256, allocBuf[[256]byte]}, {288, allocBuf[[288]byte]}, {320, allocBuf[[320]byte]},
	{352, allocBuf[[352]byte]}, {384, allocBuf[[384]byte]}, {416, allocBuf[[416]byte]},
	{480, allocBuf[[480]byte]}, {544, allocBuf[[544]byte]}, {608, allocBuf[[608]byte]},
	{672, allocBuf[[672]byte]}, {800, allocBuf[[800]byte]}, {inlineMax, allocBuf[[inlineMax]byte]},
}

// stringBytes is s's bytes without a copy, nil if s is empty. The bytes
// must not be modified.
func stringBytes(s string) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// bytesString is b as a string without a copy: b must never be modified
// again, or only after the string is no longer used.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
