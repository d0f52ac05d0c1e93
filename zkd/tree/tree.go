package tree

import (
	"sort"
	"strings"
	"time"
	"zkd/zkd/acl"

	"zkd/zkd/proto"
)

// Special paths every ZooKeeper server has.
const (
	RootPath   = "/"
	ProcPath   = "/zookeeper"
	QuotaPath  = "/zookeeper/quota"
	ConfigPath = "/zookeeper/config"
)

// Session is a session as the replicated state knows it: created and closed
// only through the log. Liveness (timers, pings) lives outside the tree.
type Session struct {
	ID      int64
	Timeout int32
	Passwd  []byte
	// Owner is the server whose client connection speaks for the session:
	// the one that created it, then the last one it moved to (OpMoveSession).
	// Writes proposed by any other server fail with SESSIONMOVED, so a
	// request left behind in a connection the client abandoned can never
	// apply after the writes the client made since. 0 accepts any server
	// (sessions from snapshots older than owners, or imported).
	Owner      uint64
	ephemerals map[string]struct{}
}

// Ephemerals returns the session's ephemeral paths, sorted.
func (s *Session) Ephemerals() []string {
	paths := make([]string, 0, len(s.ephemerals))
	for p := range s.ephemerals {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	return paths
}

// Options are settings that change what Apply decides. They must be the
// same on every replica (they come from zoo.cfg, which the ensemble shares).
type Options struct {
	SkipACL bool // skipACL=yes: no ACL checks at all
	// Config, when not nil, is /zookeeper/config's data: an ensemble's
	// membership as ZooKeeper writes it there (server.N lines, then
	// version=, joined by newlines). Each member sets it from its own
	// zoo.cfg when its tree is made or restored, as ZooKeeper does; it is
	// not a txn.
	Config []byte
}

// Tree is the znode tree plus the sessions table.
type Tree struct {
	opts     Options
	root     *Node // the current version of "/"; every node hangs below it
	count    int   // nodes in the tree, the root included
	sessions map[int64]*Session
	acls     *acl.ACLCache

	lastZxid   int64
	ephemerals int   // number of ephemeral znodes
	dataSize   int64 // sum of path and data lengths, as ZooKeeper approximates it

	journal []func() // undo steps while applying a multi; nil otherwise

	// cow holds, while a stepwise capture runs, each changed path's node
	// at the capture's start (capture_cow.go); nil otherwise.
	cow map[string]*Node
	// sorts keeps each big directory's sorted order between snapshots.
	sorts *sortCache
	// fresh holds, while a stepwise capture runs, every node Apply put in
	// the tree since it started: the walk skips those without building
	// their paths (each one's path is in cow).
	fresh map[*Node]struct{}
}

// New returns a tree holding only ZooKeeper's special nodes.
func New(opts Options) *Tree {
	t := &Tree{
		opts:     opts,
		sorts:    newSortCache(),
		sessions: make(map[int64]*Session),
		acls:     acl.NewACLCache(),
	}
	t.root = newNode("", nil)
	t.root.acl = t.acls.Intern(proto.OpenACLUnsafe())
	t.count = 1
	t.dataSize = nodeSize(RootPath, "")
	t.insertSpecial(ProcPath, proto.OpenACLUnsafe())
	t.insertSpecial(QuotaPath, proto.OpenACLUnsafe())
	t.insertSpecial(ConfigPath, []proto.ACL{{Perms: proto.PermRead, ID: proto.WorldAnyone}})
	// ZooKeeper creates the config node with aversion -1 (addConfigNode).
	cfg := t.Get(ConfigPath).clone()
	cfg.aversion = -1
	t.replace(ConfigPath, cfg)
	t.setConfig()
	return t
}

// setConfig puts Options.Config into /zookeeper/config the way ZooKeeper's
// static ensembles show it: version -1, mtime when the member set it, the
// zxids 0.
func (t *Tree) setConfig() {
	old := t.Get(ConfigPath)
	if t.opts.Config == nil || old == nil {
		return
	}
	n := old.withData(t.opts.Config)
	t.dataSize += int64(len(n.data)) - int64(len(old.data))
	n.version = -1
	n.mtime = time.Now().UnixMilli()
	t.replace(ConfigPath, n)
}

// insertSpecial adds one of ZooKeeper's own nodes to a tree being built.
func (t *Tree) insertSpecial(path string, acl []proto.ACL) {
	n := newNode(childName(path), nil)
	n.acl = t.acls.Intern(acl)
	t.Get(ParentPath(path)).addChild(n)
	t.count++
	t.dataSize += nodeSize(path, "")
}

// addChild adds child to n's children, in place: for trees being built,
// and for Apply on a version it has just made.
func (n *Node) addChild(child *Node) {
	if n.children == nil {
		n.children = &dir{}
	}
	n.children.add(child)
}

// lookup returns the node at path, or nil. Paths are not validated: a
// malformed one (empty, relative, with an empty segment or a trailing
// slash) names no node, since no node has an empty name.
func (t *Tree) lookup(path string) *Node {
	if len(path) == 0 || path[0] != '/' {
		return nil
	}
	if path == RootPath {
		return t.root
	}
	n, rest := t.root, path[1:]
	for {
		i := strings.IndexByte(rest, '/')
		if i < 0 {
			return n.child(rest)
		}
		if n = n.child(rest[:i]); n == nil {
			return nil
		}
		rest = rest[i+1:]
	}
}

// replace puts n, a new version of the node at path, in its place.
func (t *Tree) replace(path string, n *Node) {
	if t.fresh != nil {
		t.fresh[n] = struct{}{}
	}
	if path == RootPath {
		t.root = n
		return
	}
	t.lookup(ParentPath(path)).children.set(n)
}

// nodeSize is a node's share of approximate_data_size as ZooKeeper's
// DataTree.getNodeSize counts it: the path in Java chars (UTF-16 units)
// plus the data in bytes.
func nodeSize(path string, data string) int64 {
	n := 0
	for _, r := range path {
		if r > 0xffff {
			n += 2
		} else {
			n++
		}
	}
	return int64(n + len(data))
}

// Get returns the node at path, or nil. The node is the path's current
// version: it never changes, but a later Apply may replace it.
func (t *Tree) Get(path string) *Node { return t.lookup(path) }

// ACL returns the ACL list of n. Callers must not modify it.
func (t *Tree) ACL(n *Node) []proto.ACL { return t.acls.Get(n.acl) }

// LastZxid is the zxid of the last applied txn.
func (t *Tree) LastZxid() int64 { return t.lastZxid }

// NodeCount is mntr's zk_znode_count. ZooKeeper's node map holds the root
// twice (as "" and "/"), so a fresh 3.8 server reports 5; tools and alerts
// built on it expect that, so count the same way.
func (t *Tree) NodeCount() int { return t.count + 1 }

// EphemeralCount is the number of ephemeral znodes.
func (t *Tree) EphemeralCount() int { return t.ephemerals }

// DataSize approximates the tree's size as ZooKeeper does: paths plus data.
func (t *Tree) DataSize() int64 { return t.dataSize }

// Session returns a live session, or nil.
func (t *Tree) Session(id int64) *Session { return t.sessions[id] }

// Sessions returns the ids of all sessions, sorted.
func (t *Tree) Sessions() []int64 {
	ids := make([]int64, 0, len(t.sessions))
	for id := range t.sessions {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// SessionCount is the number of live sessions.
func (t *Tree) SessionCount() int { return len(t.sessions) }

// CountDescendants counts every node below path (getAllChildrenNumber).
func (t *Tree) CountDescendants(path string) int {
	n := t.lookup(path)
	if n == nil {
		return 0
	}
	return countBelow(n)
}

func countBelow(n *Node) int {
	if n.children == nil {
		return 0
	}
	total := n.children.n
	for c := range n.children.all {
		total += countBelow(c)
	}
	return total
}

// EphemeralsWithPrefix returns a session's ephemerals whose path starts with
// prefix, sorted (getEphemerals).
func (t *Tree) EphemeralsWithPrefix(session int64, prefix string) []string {
	s := t.sessions[session]
	if s == nil {
		return []string{}
	}
	// A blank prefix or "/" (after trimming) means all, as in 3.8.
	all := strings.TrimSpace(prefix) == "" || strings.TrimSpace(prefix) == "/"
	out := []string{}
	for _, p := range s.Ephemerals() {
		if all || strings.HasPrefix(p, prefix) {
			out = append(out, p)
		}
	}
	return out
}

// Walk visits every node in path order (parents before children).
func (t *Tree) Walk(fn func(path string, n *Node)) {
	c := t.CaptureInto(nil)
	c.prepare()
	c.each(nil, func(path []byte, n *Node) bool { fn(string(path), n); return true })
}

// ContainerCandidates lists containers and TTL nodes that a deleteContainer
// txn proposed at time now would remove. Apply checks again; this is only
// the leader's guess of what is worth proposing (ContainerManager).
func (t *Tree) ContainerCandidates(now int64, limit int) []string {
	var out []string
	var walk func(path []byte, n *Node)
	walk = func(path []byte, n *Node) {
		if n.children == nil {
			return
		}
		for c := range n.children.all {
			p := appendChild(path, c.name())
			if c.NumChildren() > 0 {
				walk(p, c)
			} else if removable(c, now) {
				out = append(out, string(p))
			}
		}
	}
	walk(append(make([]byte, 0, 256), '/'), t.root)
	sort.Strings(out)
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// appendChild appends "/name" to the path of a node (held in path with
// spare capacity), or just name after the root's "/".
func appendChild(path []byte, name string) []byte {
	if len(path) > 1 {
		path = append(path, '/')
	}
	return append(path, name...)
}

func removable(n *Node, now int64) bool {
	if n.NumChildren() > 0 {
		return false
	}
	switch ownerKind(n.ephemeralOwner) {
	case kindContainer:
		return n.cversion > 0
	case kindTTL:
		return now-n.mtime > ttlOf(n.ephemeralOwner)
	}
	return false
}
