package bench

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrBadMix is returned by ParseMix for a mix it cannot read.
var ErrBadMix = errors.New("bench: bad mix")

// mixAliases maps every name a mix may use to its kind. "read" and "write"
// are the halves of a read/write ratio: getData and setData on existing
// keys.
var mixAliases = map[string]OpKind{
	"create": KindCreate,
	"set":    KindSet, "setdata": KindSet, "write": KindSet,
	"get": KindGet, "getdata": KindGet, "read": KindGet,
	"exists":   KindExists,
	"children": KindChildren, "getchildren": KindChildren,
	"multi": KindMulti,
}

// Mix is a weighted choice of op kinds. The zero Mix is empty; build one
// with ParseMix.
type Mix struct {
	weights [numKinds]int
	total   int
}

// ParseMix reads a mix: comma-separated terms, each an op name with an
// optional "=weight" (a positive integer, 1 if left out). Names are create,
// set, get, exists, children, multi, with the aliases read (get), write
// (set), setData, getData and getChildren, in any case. Examples: "set",
// "read=90,write=10", "get=2,exists=1,children=1". A kind may appear once.
func ParseMix(s string) (Mix, error) {
	var m Mix
	if strings.TrimSpace(s) == "" {
		return m, fmt.Errorf("%w: empty", ErrBadMix)
	}
	for _, term := range strings.Split(s, ",") {
		name, weight, hasWeight := strings.Cut(strings.TrimSpace(term), "=")
		name = strings.TrimSpace(name)
		kind, ok := mixAliases[strings.ToLower(name)]
		if !ok {
			return Mix{}, fmt.Errorf("%w: unknown op %q in %q (want create, set, get, exists, children, multi, read or write)",
				ErrBadMix, name, s)
		}
		w := 1
		if hasWeight {
			n, err := strconv.Atoi(strings.TrimSpace(weight))
			if err != nil || n <= 0 {
				return Mix{}, fmt.Errorf("%w: weight %q of %s in %q is not a positive integer", ErrBadMix, weight, name, s)
			}
			w = n
		}
		if m.weights[kind] != 0 {
			return Mix{}, fmt.Errorf("%w: %s given twice in %q", ErrBadMix, kind, s)
		}
		m.weights[kind] = w
		m.total += w
	}
	return m, nil
}

// MustParseMix is ParseMix for mixes written in code; it panics on error.
func MustParseMix(s string) Mix {
	m, err := ParseMix(s)
	if err != nil {
		panic(err)
	}
	return m
}

// Weight is k's weight in m; 0 when m never picks k.
func (m Mix) Weight(k OpKind) int {
	if k >= numKinds {
		return 0
	}
	return m.weights[k]
}

// Total is the sum of the weights; 0 for an empty mix.
func (m Mix) Total() int { return m.total }

// Pick maps n, uniform in [0, Total()), to a kind with probability
// weight/Total.
func (m Mix) Pick(n int) OpKind {
	for k, w := range m.weights {
		if n < w {
			return OpKind(k)
		}
		n -= w
	}
	panic("bench: Mix.Pick out of range")
}

// needsKeys reports whether any kind in m works on the key space.
func (m Mix) needsKeys() bool {
	for k, w := range m.weights {
		if w > 0 && OpKind(k).needsKeys() {
			return true
		}
	}
	return false
}

// String is the canonical form ParseMix reads back: the kinds in a fixed
// order, a lone kind without its weight.
func (m Mix) String() string {
	var parts []string
	for k, w := range m.weights {
		if w > 0 {
			parts = append(parts, OpKind(k).String()+"="+strconv.Itoa(w))
		}
	}
	if len(parts) == 1 {
		return strings.TrimSuffix(parts[0], "="+strconv.Itoa(m.total))
	}
	return strings.Join(parts, ",")
}

// kinds lists the kinds m picks, in kind order.
func (m Mix) kinds() []OpKind {
	var ks []OpKind
	for k, w := range m.weights {
		if w > 0 {
			ks = append(ks, OpKind(k))
		}
	}
	return ks
}
