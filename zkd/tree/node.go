package tree

import (
	"sort"
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

// Node is one znode. It keeps only what ZooKeeper's Stat needs plus data,
// children and an ACL reference: leaves carry no children map at all.
type Node struct {
	data     []byte
	children map[string]struct{} // nil while childless

	czxid, mzxid, pzxid int64
	ctime, mtime        int64
	version, aversion   int32
	// cversion counts children ever created here: it is the sequence
	// counter. Clients see creates plus deletes, 2*cversion - numChildren,
	// as ZooKeeper's DataNode.copyStat reports it.
	cversion       int32
	ephemeralOwner int64
	acl            acl.ACLRef
}

// Stat fills a wire Stat from the node.
func (n *Node) Stat(s *proto.Stat) {
	*s = proto.Stat{
		Czxid: n.czxid, Mzxid: n.mzxid, Pzxid: n.pzxid,
		Ctime: n.ctime, Mtime: n.mtime,
		Version: n.version, Cversion: 2*n.cversion - int32(len(n.children)), Aversion: n.aversion,
		EphemeralOwner: n.clientOwner(),
		DataLength:     int32(len(n.data)),
		NumChildren:    int32(len(n.children)),
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

// Data returns the node's data. Callers must not modify it; setData
// replaces the slice rather than writing into it, so a reader may keep it.
func (n *Node) Data() []byte { return n.data }

// NumChildren is the number of children.
func (n *Node) NumChildren() int { return len(n.children) }

// EphemeralOwner is the raw owner field (session id, container or TTL tag).
func (n *Node) EphemeralOwner() int64 { return n.ephemeralOwner }

// Children returns the child names, sorted.
func (n *Node) Children() []string {
	if len(n.children) == 0 {
		return []string{}
	}
	names := make([]string, 0, len(n.children))
	for c := range n.children {
		names = append(names, c)
	}
	sort.Strings(names)
	return names
}

func (n *Node) addChild(name string) {
	if n.children == nil {
		n.children = make(map[string]struct{}, 1)
	}
	n.children[name] = struct{}{}
}

func (n *Node) removeChild(name string) {
	delete(n.children, name)
	if len(n.children) == 0 {
		n.children = nil
	}
}
