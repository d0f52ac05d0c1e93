package tree

import (
	"math/bits"
	"sync"
)

// sortCache remembers, from one snapshot to the next, the order in which
// each big directory's keys sort, so that a directory whose set of
// children has not changed is not sorted again, and one that only gained
// children sorts only those.
//
// Why: snapshots are written in path order, so every snapshot sorted every
// directory's children, reading each name from its node, a cache miss per
// child on a big tree. A directory of half a million children took most of
// a second per snapshot, on every member, every snapCount txns, though
// such directories (queues, registries, the benchmark's create cell)
// rarely change between two snapshots while setData and reads go on, and
// when they do, mostly grow.
//
// A directory's walk order is its hash table's slot order, which changes
// only when a child is added or removed (dir.gen counts those). So when a
// capture meets the same table (pointer) at the same gen, with the same
// children having subtrees (the shape of its key list), the keys come in
// the same walk order and sort into the same permutation as last time.
// The entry holds the table itself, so its address cannot be reused by
// another table while the entry lives; entries of directories a snapshot
// did not meet are dropped after it.
//
// When the table only gained children (no remove, no resize: every child
// kept its slot), the slots held last time are last time's children, in
// last time's walk order: the entry of a directory of mergeMinKeys or more
// keeps which slots those were and the first 16 bytes of each key, in
// sorted order, so that only the new keys are read and sorted, then merged
// in (see merge).
type sortCache struct {
	mu           sync.Mutex // held through a WriteTo
	minKeys      int        // smaller directories are sorted every time
	mergeMinKeys int        // smaller directories are sorted whole when they grow
	epoch        uint64     // WriteTo calls so far
	entries      map[string]*sortEntry

	hits, merges, misses int // for tests
}

type sortEntry struct {
	d     *dir
	gen   uint64
	shape []uint64 // bit c: the directory's c-th child in walk order has children
	keys  int
	perm  []int32 // sorted position -> position in walk order
	epoch uint64  // the last WriteTo that used it
	// For merge, in directories of mergeMinKeys or more keys: the table
	// as the walk met it, and each key's windows at 0 and 8 (keyWindow),
	// in sorted order.
	slots int
	dels  uint64
	occ   []uint64 // bit s: slot s held a child
	win   [][2]uint64
}

// sortCacheMinKeys is the smallest directory worth an entry: below it,
// sorting costs about what checking the entry does. sortCacheMergeMinKeys
// is the smallest worth keeping 20 bytes a key for: a directory of 16,384
// sorts in a few milliseconds.
const (
	sortCacheMinKeys      = 256
	sortCacheMergeMinKeys = 1 << 14
)

func newSortCache() *sortCache {
	return &sortCache{minKeys: sortCacheMinKeys, mergeMinKeys: sortCacheMergeMinKeys, entries: map[string]*sortEntry{}}
}

// dirStamp is a directory's table as the capture walk met it; occ is set
// for a hash table with mergeMinKeys children or more.
type dirStamp struct {
	d         *dir
	gen, dels uint64
	slots     int
	occ       []uint64
}

// stamp records d, which has children children, for order.
// REQUIRES: the tree locked (the capture walk's step).
func (sc *sortCache) stamp(d *dir, children int) dirStamp {
	st := dirStamp{d: d, gen: d.gen, dels: d.dels, slots: len(d.list)}
	if d.big && children >= sc.mergeMinKeys {
		st.occ = d.occupancy(nil)
	}
	return st
}

// begin starts one WriteTo; end drops what it did not use.
func (sc *sortCache) begin() {
	sc.mu.Lock()
	sc.epoch++
}

func (sc *sortCache) end() {
	for path, e := range sc.entries {
		if e.epoch != sc.epoch {
			delete(sc.entries, path)
		}
	}
	sc.mu.Unlock()
}

// order puts keys, in walk order with key.w their walk positions, into
// sorted order: from the entry for path when it still holds, by merging
// the new keys into it when the directory only grew, else by sorting
// (reading the names through recs), and then records the order.
func (sc *sortCache) order(path []byte, st dirStamp, keys []capturedKey, shape []uint64, recs []capturedRec, sorter *keySorter) {
	e := sc.entries[string(path)]
	if e != nil && e.d == st.d && e.gen == st.gen && e.keys == len(keys) && equalBits(e.shape, shape) {
		sc.hits++
		e.epoch = sc.epoch
		if cap(sorter.keys) < len(keys) {
			sorter.keys = make([]capturedKey, len(keys))
		}
		sorted := sorter.keys[:len(keys)]
		for k, wi := range e.perm {
			sorted[k] = keys[wi]
		}
		copy(keys, sorted)
		return
	}
	merged := e != nil && sc.merge(e, st, keys, shape, recs, sorter)
	if merged {
		sc.merges++
	} else {
		sc.misses++
		sorter.sort(keys, recs)
		if e == nil {
			e = &sortEntry{}
			sc.entries[string(path)] = e
		}
		e.win = e.win[:0]
		if st.occ != nil {
			e.win = sorter.windowsInOrder(e.win)
		}
	}
	e.d, e.gen, e.keys, e.epoch = st.d, st.gen, len(keys), sc.epoch
	e.slots, e.dels, e.occ = st.slots, st.dels, st.occ
	if e.occ == nil {
		e.win = nil
	}
	e.shape = append(e.shape[:0], shape...)
	e.perm = e.perm[:0]
	for _, k := range keys {
		e.perm = append(e.perm, k.w)
	}
}

// merge sorts keys, a directory that has only gained children since e
// was recorded, by sorting the new keys alone and merging them with e's
// (whose windows e keeps): it reads the names of the new keys and of keys
// that tie with another on 16 bytes, no others. It reports false, having
// changed nothing, when e does not apply. On success e.win holds the
// windows of keys in their new order.
func (sc *sortCache) merge(e *sortEntry, st dirStamp, keys []capturedKey, shape []uint64, recs []capturedRec, sorter *keySorter) bool {
	if e.win == nil || st.occ == nil || e.d != st.d || e.slots != st.slots || e.dels != st.dels ||
		st.gen <= e.gen || len(e.occ) != len(st.occ) {
		return false
	}
	// Last time's keys, by last time's walk position, to this time's.
	oldToNew := make([]int32, e.keys)
	var added []capturedKey
	ow, nw, oc, nc := 0, 0, 0, 0 // key and child positions, old and new walk
	for i, now := range st.occ {
		was := e.occ[i]
		if was&^now != 0 {
			return false // a child left its slot: not without a remove
		}
		for rest := now; rest != 0; rest &= rest - 1 {
			bit := uint64(1) << bits.TrailingZeros64(rest)
			sub := hasBit(shape, nc)
			if nw+1+b2i(sub) > len(keys) {
				return false
			}
			if was&bit != 0 {
				if ow+1+b2i(sub) > e.keys || hasBit(e.shape, oc) != sub {
					return false // it gained or lost its own children
				}
				oldToNew[ow] = int32(nw)
				if sub {
					oldToNew[ow+1] = int32(nw + 1)
				}
				ow += 1 + b2i(sub)
				oc++
			} else {
				added = append(added, keys[nw])
				if sub {
					added = append(added, keys[nw+1])
				}
			}
			nw += 1 + b2i(sub)
			nc++
		}
	}
	if ow != e.keys || nw != len(keys) {
		return false
	}
	var addedSorter keySorter
	addedSorter.sort(added, recs)
	addedWin := addedSorter.windowsInOrder(nil)

	n := len(keys)
	if cap(sorter.keys) < n {
		sorter.keys = make([]capturedKey, n)
	}
	sorted := sorter.keys[:n]
	win := make([][2]uint64, 0, n)
	o, a := 0, 0
	for o < e.keys || a < len(added) {
		takeOld := a == len(added)
		if o < e.keys && a < len(added) {
			ok := &keys[oldToNew[e.perm[o]]]
			takeOld = compareWindowed(e.win[o], addedWin[a], recs, ok, &added[a]) < 0
		}
		if takeOld {
			sorted[len(win)] = keys[oldToNew[e.perm[o]]]
			win = append(win, e.win[o])
			o++
		} else {
			sorted[len(win)] = added[a]
			win = append(win, addedWin[a])
			a++
		}
	}
	copy(keys, sorted)
	e.win = win
	return true
}

// compareWindowed orders keys a and b of one directory by their windows
// at 0 and 8 where those differ, else by their names (see keyWindow).
func compareWindowed(wa, wb [2]uint64, recs []capturedRec, a, b *capturedKey) int {
	for i := range wa {
		switch {
		case wa[i] < wb[i]:
			return -1
		case wa[i] > wb[i]:
			return 1
		}
	}
	return compareKeys(recs[a.i].node.name(), a.sub, recs[b.i].node.name(), b.sub)
}

func hasBit(set []uint64, i int) bool {
	return i/64 < len(set) && set[i/64]&(1<<(i%64)) != 0
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func equalBits(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
