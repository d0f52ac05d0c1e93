package tree

import (
	"hash/maphash"
	"slices"
	"strings"
)

// dir is a node's set of children, keyed by their names (which the
// children hold themselves): 8 bytes a child, plus the slack of the slice
// or hash table. Up to 8 children are kept sorted by name; more, in an
// open-addressing hash table with linear probing, at most 3/4 full (and
// halved below 3/16). The order children are visited in never decides anything a
// replica does: what needs an order sorts.
//
// Each slot of the hash table has a tag byte, 8 bits of its child's name
// hash, beside it: a probe reads the child's name (a cache miss on a large
// tree) only when the tags match, so a lookup costs about one miss however
// many slots it passes.
type dir struct {
	list []*Node // sorted by name (small), or the hash table's slots (big)
	tags []uint8 // big: tags[i] is the tag of list[i]'s name
	n    int     // children
	big  bool
	// gen counts adds and removes: the order nodes yields the children in
	// changes only with it (set keeps a child's slot). dels counts the
	// removes: while it and the table's size stay, a child keeps its slot
	// (adds only fill empty ones). See sortCache.
	gen, dels uint64
}

const (
	// dirSmall is the most children kept in a sorted list, scanned to
	// find one.
	dirSmall = 8
	// dirMinSlots is the smallest hash table.
	dirMinSlots = 16
)

// dirSeed keys the hash of child names; per process, since the layout of
// a table is never seen outside it.
var dirSeed = maphash.MakeSeed()

func hashName(name string) uint64 { return maphash.String(dirSeed, name) }

// tagOf is a slot's tag: hash bits the slot index (the low bits) does not
// use.
func tagOf(h uint64) uint8 { return uint8(h >> 56) }

// get returns the child called name, or nil.
func (d *dir) get(name string) *Node {
	if !d.big {
		for _, c := range d.list {
			if int(c.nlen) == len(name) && c.name() == name {
				return c
			}
		}
		return nil
	}
	if i, ok := d.slot(name); ok {
		return d.list[i]
	}
	return nil
}

// search finds name in the sorted list: its index, or where it would go.
func (d *dir) search(name string) (int, bool) {
	lo, hi := 0, len(d.list)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if d.list[m].name() < name {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < len(d.list) && d.list[lo].name() == name
}

// slot finds name in the hash table: its slot, or the empty slot where it
// would go.
func (d *dir) slot(name string) (int, bool) {
	return d.slotHashed(name, hashName(name))
}

// slotHashed is slot with the name's hash h already computed.
func (d *dir) slotHashed(name string, h uint64) (int, bool) {
	mask := len(d.list) - 1
	tag := tagOf(h)
	i := int(h) & mask
	for {
		c := d.list[i]
		if c == nil {
			return i, false
		}
		if d.tags[i] == tag && c.name() == name {
			return i, true
		}
		i = (i + 1) & mask
	}
}

// put stores child, whose name hashes to h, in the empty slot i.
func (d *dir) put(i int, child *Node, h uint64) {
	d.list[i] = child
	d.tags[i] = tagOf(h)
}

// add adds child, whose name is not in the set.
func (d *dir) add(child *Node) {
	name := child.name()
	d.n++
	d.gen++
	if !d.big {
		if d.n <= dirSmall {
			i, _ := d.search(name)
			d.list = slices.Insert(d.list, i, child)
			return
		}
		d.rehash(dirMinSlots)
	} else if d.n*4 > len(d.list)*3 {
		d.rehash(2 * len(d.list))
	}
	h := hashName(name)
	i, _ := d.slotHashed(name, h)
	d.put(i, child, h)
}

// set puts child in place of the child with its name, which is in the set.
func (d *dir) set(child *Node) {
	name := child.name()
	var i int
	if !d.big {
		i, _ = d.search(name)
	} else {
		i, _ = d.slot(name)
	}
	d.list[i] = child
}

// remove removes the child called name, which is in the set.
func (d *dir) remove(name string) {
	d.n--
	d.gen++
	d.dels++
	if !d.big {
		i, _ := d.search(name)
		d.list = slices.Delete(d.list, i, i+1)
		return
	}
	i, _ := d.slot(name)
	// Backward-shift deletion: move up whatever would otherwise no longer
	// be found from its home slot, so no tombstones are needed.
	mask := len(d.list) - 1
	for j := i; ; {
		j = (j + 1) & mask
		c := d.list[j]
		if c == nil {
			break
		}
		home := int(hashName(c.name())) & mask
		// c stays unless its home is cyclically outside (i, j].
		if (i <= j && (home <= i || home > j)) || (i > j && home <= i && home > j) {
			d.list[i], d.tags[i] = c, d.tags[j]
			i = j
		}
	}
	d.list[i], d.tags[i] = nil, 0
	switch {
	case d.n <= dirSmall/2:
		d.unhash() // (from at least dirMinSlots/2 children: no thrashing)
	case len(d.list) > dirMinSlots && d.n*16 < len(d.list)*3:
		d.rehash(len(d.list) / 2)
	}
}

// rehash moves the children into a hash table of size slots.
func (d *dir) rehash(size int) {
	old := d.list
	d.list = make([]*Node, size)
	d.tags = make([]uint8, size)
	d.big = true
	for _, c := range old {
		if c != nil {
			name := c.name()
			h := hashName(name)
			i, _ := d.slotHashed(name, h)
			d.put(i, c, h)
		}
	}
}

// unhash moves the children of a hash table back into a sorted list.
func (d *dir) unhash() {
	list := make([]*Node, 0, d.n)
	for _, c := range d.list {
		if c != nil {
			list = append(list, c)
		}
	}
	slices.SortFunc(list, func(a, b *Node) int { return strings.Compare(a.name(), b.name()) })
	d.list, d.tags, d.big = list, nil, false
}

// all yields the children, in no particular order. The set must not
// change meanwhile.
func (d *dir) all(yield func(*Node) bool) {
	for _, c := range d.list {
		if c != nil && !yield(c) {
			return
		}
	}
}

// nodes appends the children to buf, in no particular order.
func (d *dir) nodes(buf []*Node) []*Node {
	if !d.big {
		return append(buf, d.list...)
	}
	for _, c := range d.list {
		if c != nil {
			buf = append(buf, c)
		}
	}
	return buf
}

// occupancy sets bit s of the returned bitmap (buf reused) for each slot s
// of a hash table that holds a child.
func (d *dir) occupancy(buf []uint64) []uint64 {
	words := (len(d.list) + 63) / 64
	if cap(buf) < words {
		buf = make([]uint64, words)
	}
	buf = buf[:words]
	clear(buf)
	for s, c := range d.list {
		if c != nil {
			buf[s/64] |= 1 << (s % 64)
		}
	}
	return buf
}

// names returns the children's names, sorted.
func (d *dir) names() []string {
	names := make([]string, 0, d.n)
	for _, c := range d.list {
		if c != nil {
			names = append(names, c.name())
		}
	}
	if d.big {
		slices.Sort(names)
	}
	return names
}
