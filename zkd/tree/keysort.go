package tree

import (
	"cmp"
	"encoding/binary"
	"math/bits"
)

// keySorter sorts one directory's keys into compareKeys' order (the order
// of their paths). Its buffers grow to the largest directory and are kept
// for the next one.
//
// Why not slices.SortFunc: a snapshot sorts every directory's children,
// and a comparison sort of a directory with hundreds of thousands of
// children (queues of sequential nodes, the benchmark's create cell) took
// a fifth of the server's CPU under write load, once per snapCount txns.
//
// Why windows: the names live in their nodes, scattered over the heap, so
// reading a byte of one is a cache miss on a big tree. The MSD radix sort
// this replaces read every name once per byte it sorted on, and moved
// 32-byte keys at every level: BenchmarkSortKeys (980,000 names in their
// nodes) 900-1000 ms, now 550-620 ms. This one sorts 24-byte items
// holding the next 8 bytes of each key (its window) and the 8 after, by an
// LSD radix sort on the window, and reads a name again only for keys that
// tie on all 16 bytes: names such as "lock-0000000042" or the bench's
// "1a2b3c4d-7-1234" are read once.
type keySorter struct {
	items, spare []sortItem
	first        [][2]uint64   // by key index: the windows at 0 and 8
	keys         []capturedKey // the keys in sorted order, then copied back
	recs         []capturedRec // the records of the keys at hand
	n            int           // keys in the last sort
}

// sortItem is a key in the sort: its window, the window after it (if
// loaded), its index in the directory's keys, and its length.
type sortItem struct {
	window, next uint64
	key, len     int32
}

// windowLen is how many key bytes a window holds.
const windowLen = 8

// insertionMax is the size up to which a group is sorted by insertion,
// comparing whole keys where the windows tie. Above it the radix sort
// wins, though it clears 16 KiB of counters per call: sorting directories
// of 1,000 by slices.SortFunc on the windows instead made
// BenchmarkWriteTo/1000000 take 400 ms rather than 240.
const insertionMax = 32

// sort sorts keys, reading their names from their records.
func (s *keySorter) sort(keys []capturedKey, recs []capturedRec) {
	n := len(keys)
	s.n = n
	if cap(s.items) < n {
		s.items = make([]sortItem, n)
		s.spare = make([]sortItem, n)
		s.first = make([][2]uint64, n)
		s.keys = make([]capturedKey, n)
	}
	items := s.items[:n]
	for k := range keys {
		name := recs[keys[k].i].node.name()
		items[k] = sortItem{
			window: keyWindow(name, keys[k].sub, 0),
			next:   keyWindow(name, keys[k].sub, windowLen),
			key:    int32(k),
			len:    int32(keyLen(name, keys[k].sub)),
		}
		s.first[k] = [2]uint64{items[k].window, items[k].next}
	}
	if n < 2 {
		return
	}
	s.recs = recs
	s.sortItems(keys, items, s.spare[:n], 0, true)
	s.recs = nil
	sorted := s.keys[:n]
	for j, it := range items {
		sorted[j] = keys[it.key]
	}
	copy(keys, sorted)
}

// name is the name of key k.
func (s *keySorter) name(keys []capturedKey, k int32) string {
	return s.recs[keys[k].i].node.name()
}

// windowsInOrder appends to dst the windows at 0 and 8 of the keys of
// the last sort, in their sorted order.
func (s *keySorter) windowsInOrder(dst [][2]uint64) [][2]uint64 {
	for _, it := range s.items[:s.n] {
		dst = append(dst, s.first[it.key])
	}
	return dst
}

// sortItems sorts items, whose keys agree on their first depth bytes and
// whose windows hold the bytes from depth on (and their next windows the
// bytes after, if haveNext), with spare as scratch of the same length.
func (s *keySorter) sortItems(keys []capturedKey, items, spare []sortItem, depth int, haveNext bool) {
	if len(items) <= insertionMax {
		s.insertionSort(keys, items, haveNext)
		return
	}
	radixSortWindows(items, spare)
	for i := 0; i < len(items); {
		j := i + 1
		for j < len(items) && items[j].window == items[i].window {
			j++
		}
		if j-i > 1 {
			s.sortTies(keys, items[i:j], spare[i:j], depth, haveNext)
		}
		i = j
	}
}

// sortTies sorts items with equal windows: the keys that end within the
// window come first, shortest first (each is a prefix of the longer ones:
// a byte 0 in a name and the zeros past its end look alike in a window);
// the keys going on past it sort by their next window.
func (s *keySorter) sortTies(keys []capturedKey, items, spare []sortItem, depth int, haveNext bool) {
	if len(items) <= insertionMax {
		s.insertionSort(keys, items, haveNext)
		return
	}
	next := depth + windowLen
	ended := 0
	for _, it := range items {
		if int(it.len) <= next {
			ended++
		}
	}
	if ended > 0 {
		// A stable partition, then the ended few by length.
		e, g := 0, ended
		for _, it := range items {
			if int(it.len) <= next {
				spare[e] = it
				e++
			} else {
				spare[g] = it
				g++
			}
		}
		copy(items, spare)
		insertionByLen(items[:ended])
	}
	rest := items[ended:]
	if len(rest) < 2 {
		return
	}
	if haveNext {
		for k := range rest {
			rest[k].window = rest[k].next
		}
		s.sortItems(keys, rest, spare[ended:], next, false)
		return
	}
	for k := range rest {
		it := &rest[k]
		name, sub := s.name(keys, it.key), keys[it.key].sub
		it.window, it.next = keyWindow(name, sub, next), keyWindow(name, sub, next+windowLen)
	}
	s.sortItems(keys, rest, spare[ended:], next, true)
}

// radixSortWindows sorts items by window, least significant byte first,
// skipping the bytes all windows share: one pass over the items counts
// every byte position, then each position left is one stable pass.
func radixSortWindows(items, spare []sortItem) {
	var counts [windowLen][256]int
	first := items[0].window
	var differ uint64 // the bits in which some window differs from the first
	for _, it := range items {
		w := it.window
		differ |= w ^ first
		for b := range windowLen {
			counts[b][byte(w>>(8*b))]++
		}
	}
	if differ == 0 {
		return
	}
	src, dst := items, spare
	for b := bits.TrailingZeros64(differ) / 8; b < windowLen-bits.LeadingZeros64(differ)/8; b++ {
		if byte(differ>>(8*b)) == 0 {
			continue
		}
		var next [256]int
		sum := 0
		for v, c := range counts[b] {
			next[v] = sum
			sum += c
		}
		for _, it := range src {
			v := byte(it.window >> (8 * b))
			dst[next[v]] = it
			next[v]++
		}
		src, dst = dst, src
	}
	if &src[0] != &items[0] {
		copy(items, src)
	}
}

// insertionSort sorts a few items by window, then next window (if
// loaded), then by their whole keys.
func (s *keySorter) insertionSort(keys []capturedKey, items []sortItem, haveNext bool) {
	for i := 1; i < len(items); i++ {
		for j := i; j > 0 && s.compare(keys, &items[j-1], &items[j], haveNext) > 0; j-- {
			items[j-1], items[j] = items[j], items[j-1]
		}
	}
}

func (s *keySorter) compare(keys []capturedKey, a, b *sortItem, haveNext bool) int {
	if c := cmp.Compare(a.window, b.window); c != 0 {
		return c
	}
	if haveNext {
		if c := cmp.Compare(a.next, b.next); c != 0 {
			return c
		}
	}
	return compareKeys(s.name(keys, a.key), keys[a.key].sub, s.name(keys, b.key), keys[b.key].sub)
}

// insertionByLen sorts a few items by length.
func insertionByLen(items []sortItem) {
	for i := 1; i < len(items); i++ {
		for j := i; j > 0 && items[j-1].len > items[j].len; j-- {
			items[j-1], items[j] = items[j], items[j-1]
		}
	}
}

// keyWindow is bytes depth..depth+7 of a key (the name, then '/' for a
// subtree) as a big-endian number, zeros past the key's end: so windows
// compare as the bytes do, where they differ.
func keyWindow(name string, sub bool, depth int) uint64 {
	var b [windowLen]byte
	n := 0
	if depth < len(name) {
		n = copy(b[:], name[depth:])
	}
	if sub && n < windowLen && depth+n == len(name) {
		b[n] = '/'
	}
	return binary.BigEndian.Uint64(b[:])
}

// keyLen is the length of a key: its name, and '/' for a subtree.
func keyLen(name string, sub bool) int {
	if sub {
		return len(name) + 1
	}
	return len(name)
}
