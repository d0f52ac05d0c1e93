package acl

import (
	"unicode/utf16"

	"zkd/zkd/proto"
)

// AddIDs adds ids to a connection's identity set and returns the set.
//
// ZooKeeper keeps these ids in a set backed by a ConcurrentHashMap, and the
// order it iterates them in is visible: it is the order of whoAmI's answer
// and of the entries an "auth" ACL expands to. That order depends only on
// the ids and the order they were added, so AddIDs reproduces it: set must be
// a slice AddIDs returned (or nil), and comes back in ZooKeeper's order,
// without duplicates. The order is exact as long as fewer than eight ids
// share a hash bucket (the map would then grow or build a tree), which a
// session with a handful of ids never reaches.
//
// set may be modified; ids is not.
func AddIDs(set []proto.ID, ids ...proto.ID) []proto.ID {
	t := newIDTable(set)
	for _, id := range ids {
		t.add(id)
	}
	return t.list(set[:0])
}

// idTable models the bins of a java.util.concurrent.ConcurrentHashMap.
type idTable struct {
	bins  [][]proto.ID // len is the table size, a power of two, at least 16
	count int
}

// newIDTable rebuilds the table that iterates as set. Iteration walks bins in
// index order, so each bin holds its ids in the order set lists them; the
// table size follows from the count alone because the map only ever grows.
func newIDTable(set []proto.ID) *idTable {
	n := 16
	for len(set) >= n-n/4 {
		n *= 2
	}
	t := &idTable{bins: make([][]proto.ID, n), count: len(set)}
	for _, id := range set {
		i := javaIDHash(id) & (n - 1)
		t.bins[i] = append(t.bins[i], id)
	}
	return t
}

// add is putIfAbsent: append to the bin's list, then grow once the count
// reaches three quarters of the table (ConcurrentHashMap.addCount).
func (t *idTable) add(id proto.ID) {
	h := javaIDHash(id)
	i := h & (len(t.bins) - 1)
	for _, have := range t.bins[i] {
		if have == id {
			return
		}
	}
	t.bins[i] = append(t.bins[i], id)
	t.count++
	if n := len(t.bins); t.count >= n-n/4 {
		t.grow()
	}
}

// grow doubles the table as ConcurrentHashMap.transfer does: each bin splits
// into a low and a high bin; the longest tail of ids that all go the same way
// keeps its order and the ids before it are pushed onto the front of their
// new bin one by one, which reverses them.
func (t *idTable) grow() {
	n := len(t.bins)
	next := make([][]proto.ID, 2*n)
	for i, bin := range t.bins {
		if len(bin) == 0 {
			continue
		}
		high := func(id proto.ID) bool { return javaIDHash(id)&n != 0 }
		last := len(bin) - 1
		for last > 0 && high(bin[last-1]) == high(bin[len(bin)-1]) {
			last--
		}
		var lo, hi []proto.ID
		if high(bin[last]) {
			hi = append(hi, bin[last:]...)
		} else {
			lo = append(lo, bin[last:]...)
		}
		for _, id := range bin[:last] {
			if high(id) {
				hi = append([]proto.ID{id}, hi...)
			} else {
				lo = append([]proto.ID{id}, lo...)
			}
		}
		next[i], next[i+n] = lo, hi
	}
	t.bins = next
}

// list appends the ids in iteration order to dst.
func (t *idTable) list(dst []proto.ID) []proto.ID {
	for _, bin := range t.bins {
		dst = append(dst, bin...)
	}
	return dst
}

// javaIDHash is the bucket hash ConcurrentHashMap gives an Id: jute's
// generated Id.hashCode spread by ConcurrentHashMap.spread.
func javaIDHash(id proto.ID) int {
	h := 37*(37*17+javaStringHash(id.Scheme)) + javaStringHash(id.ID)
	return int(uint32(h^int32(uint32(h)>>16)) & 0x7fffffff)
}

// javaStringHash is String.hashCode: s[0]*31^(n-1) + ... over UTF-16 units.
func javaStringHash(s string) int32 {
	var h int32
	for _, r := range s {
		if r > 0xffff {
			hi, lo := utf16.EncodeRune(r)
			h = 31*h + int32(hi)
			h = 31*h + int32(lo)
			continue
		}
		h = 31*h + int32(r)
	}
	return h
}
