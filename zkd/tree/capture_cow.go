package tree

import (
	"iter"
	"maps"
)

// Capturing is a capture taken in steps while the tree keeps changing, so
// a snapshot stops the write path only for as long as one step holds the
// lock, not for a copy of the whole tree.
//
// How it stays a picture of one moment (the zxid at Begin):
//
//  1. Begin, under the lock, records the sessions, the ACL lists and the
//     counters, and starts a copy-on-write log in the tree.
//  2. While it runs, every change Apply makes to a node first saves the
//     node as it was at Begin (once per path; "absent" for a node created
//     since). Parents count too: their cversion and pzxid change.
//  3. Each Step, under the lock, copies the next nodes of the node map; a
//     path the log knows is taken from the log instead (or skipped if it
//     did not exist at Begin).
//  4. Finish, under the lock, stops the log, adds the saved nodes the walk
//     did not produce (deleted since Begin), drops duplicates, and counts
//     ACL references over what was captured.
type Capturing struct {
	c    *Capture
	next func() (string, *Node, bool)
	stop func()
	pre  map[string]*Node // path -> node at Begin (nil: did not exist)
	done bool
}

// BeginCapture starts a stepwise capture into c (nil or reused).
// REQUIRES: the tree locked (read or write); only one capture at a time.
func (t *Tree) BeginCapture(c *Capture) *Capturing {
	if c == nil {
		c = &Capture{}
	}
	nodes := c.nodes[:0]
	*c = Capture{
		lastZxid:   t.lastZxid,
		ephemerals: int64(t.ephemerals),
		acls:       c.acls[:0],
		sessions:   c.sessions[:0],
		nodes:      nodes,
		order:      c.order[:0],
	}
	for ref, list := range t.acls.All {
		c.acls = append(c.acls, capturedACL{ref: ref, list: list})
	}
	for id, s := range t.sessions {
		c.sessions = append(c.sessions, capturedSession{id: id, timeout: s.Timeout, passwd: s.Passwd})
	}
	g := &Capturing{c: c, pre: map[string]*Node{}}
	g.next, g.stop = iter.Pull2(iter.Seq2[string, *Node](maps.All(t.nodes)))
	t.cow = g.pre
	return g
}

// LastZxid is the zxid the capture pictures.
func (g *Capturing) LastZxid() int64 { return g.c.lastZxid }

// Step copies up to n more nodes and reports whether the walk is done.
// REQUIRES: the tree locked (read or write).
func (g *Capturing) Step(n int) bool {
	for i := 0; i < n && !g.done; i++ {
		p, node, ok := g.next()
		if !ok {
			g.done = true
			break
		}
		if _, changed := g.pre[p]; changed {
			continue // Finish adds its state at Begin, if it had one
		}
		cp := *node
		cp.children = nil
		g.c.nodes = append(g.c.nodes, capturedNode{path: p, node: cp})
	}
	return g.done
}

// Finish ends the capture and returns it, ready for WriteTo.
// REQUIRES: the tree locked (read or write), and Step having returned true.
func (g *Capturing) Finish(t *Tree) *Capture {
	g.stop()
	t.cow = nil
	c := g.c
	// Walked copies of paths changed since Begin may predate or postdate
	// the change; the saved state is the one that counts.
	kept := c.nodes[:0]
	for _, cn := range c.nodes {
		if _, changed := g.pre[cn.path]; !changed {
			kept = append(kept, cn)
		}
	}
	c.nodes = kept
	for p, n := range g.pre {
		if n != nil {
			c.nodes = append(c.nodes, capturedNode{path: p, node: *n})
		}
	}
	counts := map[int64]int64{}
	for i := range c.nodes {
		counts[int64(c.nodes[i].node.acl)]++
	}
	acls := c.acls[:0]
	for _, a := range c.acls {
		if n := counts[int64(a.ref)]; n > 0 {
			a.count = n
			acls = append(acls, a)
		}
	}
	c.acls = acls
	return c
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
	if n == nil {
		t.cow[path] = nil
		return
	}
	cp := *n
	cp.children = nil
	t.cow[path] = &cp
}
