package tree

import (
	"iter"
	"math"
)

// Capturing is a capture taken in steps while the tree keeps changing, so
// a snapshot stops the write path only for as long as one step holds the
// lock, not for a walk of the whole tree.
//
// Nodes are immutable (Apply puts changed copies in their place), so a
// capture records pointers, not copies. How it stays a picture of one
// moment (the zxid at Begin):
//
//  1. Begin, under the lock, records the sessions, the ACL lists and the
//     counters, and starts a copy-on-write log in the tree.
//  2. While it runs, every change Apply makes to a path first logs the
//     node the path had at Begin (once per path; "absent" for a node
//     created since). Parents count too: their cversion and pzxid change.
//  3. Each Step, under the lock, walks on through the tree (depth first,
//     one coroutine paused between steps) and records each node and where
//     its subtree ends; a node put in the tree since Begin is recorded as
//     not to be written (the log has its path's state at Begin, or it had
//     none). The walk goes by node, not by path: it builds no paths and
//     reads no names, and those are the cache misses of a big tree.
//  4. Finish, under the lock, stops the log and keeps the nodes it saved.
//     Everything else (a node recorded before its path changed is also in
//     the log: it is written once) happens off the lock, in WriteTo.
type Capturing struct {
	c      *Capture
	root   *Node // the root at Begin
	next   func() (struct{}, bool)
	stop   func()
	pre    map[string]*Node   // path -> node at Begin (nil: did not exist)
	fresh  map[*Node]struct{} // nodes Apply put in the tree since Begin
	budget int                // nodes left to record in this step
	kids   [][]*Node          // per depth, the children the walk goes through
	done   bool
}

// BeginCapture starts a stepwise capture into c (nil or reused).
// REQUIRES: the tree locked (read or write); only one capture at a time.
func (t *Tree) BeginCapture(c *Capture) *Capturing {
	g := &Capturing{c: t.startCapture(c), root: t.root, pre: map[string]*Node{}, fresh: map[*Node]struct{}{}}
	g.next, g.stop = iter.Pull(g.walk)
	t.cow, t.fresh = g.pre, g.fresh
	return g
}

// LastZxid is the zxid the capture pictures.
func (g *Capturing) LastZxid() int64 { return g.c.lastZxid }

// Step records up to n more nodes and reports whether the walk is done.
// REQUIRES: the tree locked (read or write).
func (g *Capturing) Step(n int) bool {
	if g.done {
		return true
	}
	g.budget = max(n, 1)
	if _, ok := g.next(); !ok {
		g.done = true
	}
	return g.done
}

// Finish ends the capture and returns it, ready for WriteTo.
// REQUIRES: the tree locked (read or write), and Step having returned true.
func (g *Capturing) Finish(t *Tree) *Capture {
	g.stop()
	t.cow, t.fresh = nil, nil
	c := g.c
	for p, n := range g.pre {
		if n != nil {
			c.saved = append(c.saved, savedNode{path: p, node: n})
		}
	}
	return c
}

// walk records the tree below the root at Begin, depth first, pausing
// (yielding) whenever the step's budget is spent.
func (g *Capturing) walk(yield func(struct{}) bool) {
	g.visit(g.root, 0, yield)
	g.kids = nil
}

func (g *Capturing) visit(n *Node, depth int, yield func(struct{}) bool) bool {
	rec := capturedRec{node: n}
	if len(g.fresh) > 0 {
		if _, changed := g.fresh[n]; changed {
			rec.skip = true // its path's state at Begin, if any, is in the log
		}
	}
	i := len(g.c.recs)
	g.c.recs = append(g.c.recs, rec)
	if g.budget--; g.budget <= 0 && !yield(struct{}{}) {
		return false
	}
	if n.children != nil {
		// The set is shared by n's later versions and changes between
		// steps: go through the children it has now. Whatever it gains
		// later is in the log as absent, whatever it loses as it was.
		if depth == len(g.kids) {
			g.kids = append(g.kids, nil)
		}
		kids := n.children.nodes(g.kids[depth][:0])
		g.kids[depth] = kids
		if g.c.sorts != nil && len(kids) >= g.c.sorts.minKeys {
			g.c.stamps[int32(i)] = g.c.sorts.stamp(n.children, len(kids))
		}
		for _, child := range kids {
			if !g.visit(child, depth+1, yield) {
				return false
			}
		}
		clear(kids)
	}
	g.c.recs[i].end = int32(len(g.c.recs))
	return true
}

// saveForCapture records path's state at the start of a running capture,
// before Apply changes it. n is nil for a path about to be created.
func (t *Tree) saveForCapture(path string, n *Node) {
	if t.cow == nil {
		return
	}
	if _, seen := t.cow[path]; seen {
		return
	}
	t.cow[path] = n
}

// captureAll records the whole tree at once. REQUIRES: the tree locked.
func (t *Tree) captureAll(c *Capture) *Capture {
	g := &Capturing{c: t.startCapture(c), root: t.root, budget: math.MaxInt}
	g.walk(func(struct{}) bool { return true })
	return g.c
}
