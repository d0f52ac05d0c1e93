package acl

import (
	"encoding/binary"
	"fmt"
	"maps"
	"slices"

	"zkd/zkd/proto"
)

// ACLRef names an ACL list interned in an ACLCache. Znodes store it instead
// of the list, as ZooKeeper's DataNode stores a long into its
// ReferenceCountedACLCache.
type ACLRef int64

// OpenACLUnsafeRef is the ref of a nil ACL list, read back as
// OPEN_ACL_UNSAFE (world:anyone:cdrwa). It is never counted; ZooKeeper uses
// -1 the same way, and snapshots written by it may contain it.
const OpenACLUnsafeRef ACLRef = -1

// ACLCache interns ACL lists: equal lists share one stored copy and one ref,
// and a list is dropped when the last reference to it is released.
//
// Refs are numbered 1, 2, 3... in order of first use and never reused, so a
// replica applying the same operations from the same state numbers lists the
// same way. Refs are still local bookkeeping: a replica restored from a
// snapshot continues from the highest ref it loaded, so never send a ref to
// another replica or compare refs across replicas; send the lists (or the
// whole ref→list table with the refs that use it, as a snapshot does).
//
// The zero value is an empty cache ready to use. An ACLCache is not safe for
// concurrent use: it belongs to the data tree, whose lock guards it. Get,
// Count, Len and All only read, so they may share a read lock.
type ACLCache struct {
	entries map[ACLRef]*cacheEntry // every interned list; nil until first use
	byKey   map[string]ACLRef      // aclKey(list) → ref of that list
	last    ACLRef                 // highest ref handed out or loaded (aclIndex)
}

// cacheEntry is one interned list and the number of references to it.
type cacheEntry struct {
	acl   []proto.ACL // shared with every Get; never modified
	count int64       // references; 0 only between Load and PurgeUnused
}

// NewACLCache returns an empty cache (the same as a zero ACLCache).
func NewACLCache() *ACLCache { return &ACLCache{} }

// Intern returns the ref of acl, adding one reference to it. An unseen list
// is copied and gets the next ref; nil returns OpenACLUnsafeRef, as
// ZooKeeper's convertAcls does.
func (c *ACLCache) Intern(acl []proto.ACL) ACLRef {
	if acl == nil {
		return OpenACLUnsafeRef
	}
	c.init()
	key := aclKey(acl)
	if ref, ok := c.byKey[key]; ok {
		c.entries[ref].count++
		return ref
	}
	c.last++
	ref := c.last
	c.entries[ref] = &cacheEntry{acl: slices.Clip(slices.Clone(acl)), count: 1}
	c.byKey[key] = ref
	return ref
}

// Retain adds a reference to ref, for a znode that takes a ref it already
// knows (a snapshot being loaded, a copied node). It reports whether ref was
// known; OpenACLUnsafeRef always is.
func (c *ACLCache) Retain(ref ACLRef) bool {
	if ref == OpenACLUnsafeRef {
		return true
	}
	e, ok := c.entries[ref]
	if ok {
		e.count++
	}
	return ok
}

// Release drops one reference to ref, forgetting the list with its last
// reference. It reports whether ref was known; an unknown ref is ignored, as
// ZooKeeper ignores it, but means the caller's counting is off.
func (c *ACLCache) Release(ref ACLRef) bool {
	if ref == OpenACLUnsafeRef {
		return true
	}
	e, ok := c.entries[ref]
	if !ok {
		return false
	}
	e.count--
	if e.count <= 0 {
		c.forget(ref, e)
	}
	return true
}

// Get returns the list of ref, or nil for a ref the cache does not know.
// The slice is shared with every other user of ref: do not modify it.
// OpenACLUnsafeRef reads as a fresh OPEN_ACL_UNSAFE list.
func (c *ACLCache) Get(ref ACLRef) []proto.ACL {
	if ref == OpenACLUnsafeRef {
		return proto.OpenACLUnsafe()
	}
	if e, ok := c.entries[ref]; ok {
		return e.acl
	}
	return nil
}

// Len is the number of distinct lists held (OPEN_ACL_UNSAFE under
// OpenACLUnsafeRef not counted), what ZooKeeper reports as the ACL cache
// size.
func (c *ACLCache) Len() int { return len(c.entries) }

// Count is the number of references to ref, 0 for an unknown ref.
func (c *ACLCache) Count(ref ACLRef) int64 {
	if e, ok := c.entries[ref]; ok {
		return e.count
	}
	return 0
}

// Load adds acl under ref with no references, for restoring a snapshot's
// ref→list table (ReferenceCountedACLCache.deserialize). The znodes loaded
// afterwards Retain their refs, and PurgeUnused then drops lists nobody
// took. Later Interns number on from the highest ref loaded.
func (c *ACLCache) Load(ref ACLRef, acl []proto.ACL) error {
	if ref == OpenACLUnsafeRef {
		return fmt.Errorf("acl: load ref %d: reserved for OPEN_ACL_UNSAFE", ref)
	}
	c.init()
	if _, dup := c.entries[ref]; dup {
		return fmt.Errorf("acl: load ref %d: already loaded", ref)
	}
	if acl == nil {
		acl = []proto.ACL{}
	}
	c.entries[ref] = &cacheEntry{acl: slices.Clip(slices.Clone(acl))}
	c.byKey[aclKey(acl)] = ref
	c.last = max(c.last, ref)
	return nil
}

// PurgeUnused drops the lists that have no references left.
func (c *ACLCache) PurgeUnused() {
	for ref, e := range c.entries {
		if e.count <= 0 {
			c.forget(ref, e)
		}
	}
}

// All calls yield with every ref and its list in ascending ref order, so that
// a snapshot of the table is the same bytes on every replica with the same
// table. The lists are shared: do not modify them.
func (c *ACLCache) All(yield func(ref ACLRef, acl []proto.ACL) bool) {
	for _, ref := range slices.Sorted(maps.Keys(c.entries)) {
		if !yield(ref, c.entries[ref].acl) {
			return
		}
	}
}

func (c *ACLCache) init() {
	if c.entries == nil {
		c.entries = make(map[ACLRef]*cacheEntry)
		c.byKey = make(map[string]ACLRef)
	}
}

// forget removes ref; the key maps to ref only if no later Load of an equal
// list took it over.
func (c *ACLCache) forget(ref ACLRef, e *cacheEntry) {
	delete(c.entries, ref)
	key := aclKey(e.acl)
	if c.byKey[key] == ref {
		delete(c.byKey, key)
	}
}

// aclKey encodes a list unambiguously: per entry the perms and the
// length-prefixed scheme and id.
func aclKey(acl []proto.ACL) string {
	n := 0
	for _, a := range acl {
		n += 4 + 2*binary.MaxVarintLen64 + len(a.ID.Scheme) + len(a.ID.ID)
	}
	b := make([]byte, 0, n)
	for _, a := range acl {
		b = binary.BigEndian.AppendUint32(b, uint32(a.Perms))
		b = binary.AppendUvarint(b, uint64(len(a.ID.Scheme)))
		b = append(b, a.ID.Scheme...)
		b = binary.AppendUvarint(b, uint64(len(a.ID.ID)))
		b = append(b, a.ID.ID...)
	}
	return string(b)
}
