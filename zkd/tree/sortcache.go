package tree

import "sync"

// sortCache remembers, from one snapshot to the next, the order in which
// each big directory's keys sort, so that a directory whose set of
// children has not changed is not sorted again.
//
// Why: snapshots are written in path order, so every snapshot sorted every
// directory's children, reading each name from its node, a cache miss per
// child on a big tree. A directory of half a million children took most of
// a second per snapshot, on every member, every snapCount txns, though
// such directories (queues, registries, the benchmark's create cell)
// rarely change between two snapshots while setData and reads go on.
//
// A directory's walk order is its hash table's slot order, which changes
// only when a child is added or removed (dir.gen counts those). So when a
// capture meets the same table (pointer) at the same gen, with the same
// children having subtrees (the shape of its key list), the keys come in
// the same walk order and sort into the same permutation as last time.
// The entry holds the table itself, so its address cannot be reused by
// another table while the entry lives; entries of directories a snapshot
// did not meet are dropped after it.
type sortCache struct {
	mu      sync.Mutex // held through a WriteTo
	minKeys int        // smaller directories are sorted every time
	epoch   uint64     // WriteTo calls so far
	entries map[string]*sortEntry

	hits, misses int // for tests
}

type sortEntry struct {
	d     *dir
	gen   uint64
	shape []uint64 // bit c: the directory's c-th child in walk order has children
	keys  int
	perm  []int32 // sorted position -> position in walk order
	epoch uint64  // the last WriteTo that used it
}

// sortCacheMinKeys is the smallest directory worth an entry: below it,
// sorting costs about what checking the entry does.
const sortCacheMinKeys = 256

func newSortCache() *sortCache {
	return &sortCache{minKeys: sortCacheMinKeys, entries: map[string]*sortEntry{}}
}

// dirStamp is a directory's table and gen as the capture walk met them.
type dirStamp struct {
	d   *dir
	gen uint64
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
// sorted order: from the entry for path when it still holds, else by
// sorting (reading the names through recs), and then records the order.
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
	sc.misses++
	sorter.sort(keys, recs)
	if e == nil {
		e = &sortEntry{}
		sc.entries[string(path)] = e
	}
	e.d, e.gen, e.keys, e.epoch = st.d, st.gen, len(keys), sc.epoch
	e.shape = append(e.shape[:0], shape...)
	e.perm = e.perm[:0]
	for _, k := range keys {
		e.perm = append(e.perm, k.w)
	}
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
