package tree

import (
	"fmt"

	"zkd/zkd/acl"
	"zkd/zkd/proto"
)

// PersistedStat is a znode's stored metadata, as ZooKeeper's
// StatPersisted keeps it: Cversion is the number of children ever created
// (the sequence counter), not the value clients see, and EphemeralOwner is
// raw (container and TTL markers included).
type PersistedStat struct {
	Czxid, Mzxid, Pzxid         int64
	Ctime, Mtime                int64
	Version, Cversion, Aversion int32
	EphemeralOwner              int64
}

// RestoreNode sets path's node as another source (a ZooKeeper snapshot
// being imported) describes it, replacing the fields of an existing node
// (the root, /zookeeper) and keeping its children. Parents must be
// restored before children, and the owner of an ephemeral before the
// node (RestoreSession). It bypasses Apply: no events, no ACL or version
// checks, no parent counters; use it only to build a tree that no replica
// has applied anything to yet.
func (t *Tree) RestoreNode(path string, data []byte, st PersistedStat, acls []proto.ACL) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: restore %q: %s", ErrBadSnapshot, path, fmt.Sprintf(format, args...))
	}
	if ValidatePath(path, false) != nil {
		return bad("invalid path")
	}
	var sess *Session
	if ownerKind(st.EphemeralOwner) == kindEphemeral {
		if sess = t.sessions[st.EphemeralOwner]; sess == nil {
			return bad("ephemeral of unknown session %#x", st.EphemeralOwner)
		}
	}
	n := t.lookup(path)
	if n == nil {
		parentPath := ParentPath(path)
		parent := t.lookup(parentPath)
		switch {
		case parent == nil:
			return bad("parent %s missing", parentPath)
		case ownerKind(parent.ephemeralOwner) == kindEphemeral:
			return bad("parent %s is ephemeral", parentPath)
		}
		n = newNode(childName(path), nil)
		n.acl = acl.OpenACLUnsafeRef
		parent.addChild(n)
		t.count++
		t.dataSize += nodeSize(path, "")
	} else if sess != nil && n.NumChildren() > 0 {
		return bad("an ephemeral cannot have children")
	}
	if ownerKind(n.ephemeralOwner) == kindEphemeral {
		if old := t.sessions[n.ephemeralOwner]; old != nil {
			delete(old.ephemerals, path)
		}
		t.ephemerals--
	}
	if sess != nil {
		sess.ephemerals[path] = struct{}{}
		t.ephemerals++
	}
	t.dataSize += int64(len(data) - len(n.data))
	ref := t.acls.Intern(acls)
	t.acls.Release(n.acl)
	r := n.withData(data)
	r.czxid, r.mzxid, r.pzxid = st.Czxid, st.Mzxid, st.Pzxid
	r.ctime, r.mtime = st.Ctime, st.Mtime
	r.version, r.cversion, r.aversion = st.Version, st.Cversion, st.Aversion
	r.ephemeralOwner = st.EphemeralOwner
	r.acl = ref
	t.replace(path, r)
	return nil
}

// RestoreSession adds a session (or resets the timeout and password of an
// existing one, keeping its ephemerals) for a tree being built from
// another source. It bypasses Apply, like RestoreNode.
func (t *Tree) RestoreSession(id int64, timeout int32, passwd []byte) {
	if s := t.sessions[id]; s != nil {
		s.Timeout, s.Passwd = timeout, cloneBytes(passwd)
		return
	}
	t.sessions[id] = &Session{ID: id, Timeout: timeout, Passwd: cloneBytes(passwd), ephemerals: map[string]struct{}{}}
}

// SetLastZxid sets the zxid of the last txn the restored state includes.
// It bypasses Apply, like RestoreNode.
func (t *Tree) SetLastZxid(zxid int64) { t.lastZxid = zxid }
