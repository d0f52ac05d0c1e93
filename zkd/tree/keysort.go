package tree

// sortKeys sorts one directory's keys into compareKeys' order (the order
// of their paths), with tmp as scratch (grown as needed and kept by the
// caller for the next directory).
//
// Why not slices.SortFunc: a snapshot sorts every directory's children,
// and a comparison sort of a directory with hundreds of thousands of
// children (queues of sequential nodes, the benchmark's create cell) took
// a fifth of the server's CPU under write load, once per snapCount txns.
// An MSD radix sort reads each name only as far as it differs from the
// others and calls no comparison function: 1.6x faster on a directory of
// 500,000 sequential nodes and 480,000 of the bench's create names
// (BenchmarkSortKeys: 1.35 s against 2.15 s; 2.3x on the sequential ones
// alone). Both are bound by reading the names from memory; a sort that
// avoids re-reading them at every level is the next step.
func sortKeys(keys []capturedKey, tmp *[]capturedKey) {
	if len(keys) < 2 {
		return
	}
	if cap(*tmp) < len(keys) {
		*tmp = make([]capturedKey, len(keys))
	}
	radixSortKeys(keys, (*tmp)[:len(keys)], 0)
}

// radixCutoff is the size below which insertion sort is faster.
const radixCutoff = 32

// radixSortKeys sorts keys, which agree on their first depth key bytes
// (keyByte), by the bytes from depth on. Bucket 0 holds the keys that end
// at depth (keyByte -1): at most one, since the keys of a directory are
// distinct.
func radixSortKeys(keys, tmp []capturedKey, depth int) {
	for len(keys) > radixCutoff {
		// Only the buckets between the lowest and highest byte seen are
		// looked at: names use a few dozen byte values (digits, letters,
		// '-'), and the small sets near the leaves would otherwise spend
		// more time on 257 counters than on their keys.
		var count [257]int
		lo, hi := 256, 0
		for _, k := range keys {
			b := keyByte(k.name, depth, k.sub) + 1
			count[b]++
			lo, hi = min(lo, b), max(hi, b)
		}
		if lo == hi {
			if lo == 0 {
				return // all ended here: equal keys (never in a real directory)
			}
			depth++ // one byte shared by all (a common prefix): nothing to move
			continue
		}
		var next [257]int
		sum := 0
		for b := lo; b <= hi; b++ {
			next[b] = sum
			sum += count[b]
		}
		start := next
		for _, k := range keys {
			b := keyByte(k.name, depth, k.sub) + 1
			tmp[next[b]] = k
			next[b]++
		}
		copy(keys, tmp)
		for b := max(lo, 1); b <= hi; b++ {
			if count[b] > 1 {
				radixSortKeys(keys[start[b]:start[b]+count[b]], tmp[start[b]:start[b]+count[b]], depth+1)
			}
		}
		return
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && compareKeys(keys[j-1].name, keys[j-1].sub, keys[j].name, keys[j].sub) > 0; j-- {
			keys[j-1], keys[j] = keys[j], keys[j-1]
		}
	}
}
