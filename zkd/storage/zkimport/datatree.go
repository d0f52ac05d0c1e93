package zkimport

import (
	"fmt"
	"strings"

	"zkd/zkd/proto"
	"zkd/zkd/tree"
)

// dataTree is ZooKeeper's DataTree as far as the served state goes: nodes
// keyed by ZooKeeper's paths (the root is ""), the open sessions with
// their timeouts, and each session's ephemerals. Its methods change it
// exactly as DataTree's do on replay, fuzzy-snapshot quirks included.
type dataTree struct {
	nodes      map[string]*znode
	sessions   map[int64]int32
	ephemerals map[int64]map[string]struct{}
	lastZxid   int64
}

// znode is a DataNode. acl is shared and never modified; a snapshot node
// whose ACL reference the snapshot's table lacks has acl nil and badRef
// set, until a replayed create of the same path sets its ACL (as 3.9's
// DataTree.createNode does for ZOOKEEPER-4846).
type znode struct {
	data     []byte
	acl      []proto.ACL
	badRef   *int64
	stat     tree.PersistedStat
	children map[string]struct{}
}

// openACL is OPEN_ACL_UNSAFE, shared by every node that has it.
var openACL = proto.OpenACLUnsafe()

func newDataTree() *dataTree {
	return &dataTree{
		nodes:      map[string]*znode{},
		sessions:   map[int64]int32{},
		ephemerals: map[int64]map[string]struct{}{},
	}
}

// freshDataTree is a DataTree as ZooKeeper builds it before any snapshot:
// the root, /zookeeper and /zookeeper/quota.
func freshDataTree() *dataTree {
	dt := newDataTree()
	dt.nodes[""] = &znode{acl: openACL}
	dt.nodes["/zookeeper"] = &znode{acl: openACL}
	dt.nodes["/zookeeper/quota"] = &znode{acl: openACL}
	dt.nodes[""].addChild("zookeeper")
	dt.nodes["/zookeeper"].addChild("quota")
	return dt
}

func (n *znode) addChild(name string) {
	if n.children == nil {
		n.children = map[string]struct{}{}
	}
	n.children[name] = struct{}{}
}

// isEphemeral reports whether owner is a session (not 0, not a container's
// or a TTL node's marker), as zkd's tree classifies owners.
func isEphemeral(owner int64) bool {
	return owner != 0 && owner != tree.ContainerOwner && owner&ttlMask != ttlMask
}

const ttlMask int64 = -1 << 56 // 0xFF in the high byte: a TTL node

// errBadPath is a txn whose path has no '/': ZooKeeper's replay dies on it
// (an index error, not a KeeperException), so the import refuses it too.
type errBadPath string

func (e errBadPath) Error() string { return fmt.Sprintf("txn path %q is not absolute", string(e)) }

func splitPath(path string) (parent, child string, err error) {
	i := strings.LastIndexByte(path, '/')
	if i < 0 {
		return "", "", errBadPath(path)
	}
	return path[:i], path[i+1:], nil
}

// addEphemeral and dropEphemeral keep the per-session index.
func (dt *dataTree) addEphemeral(owner int64, path string) {
	set := dt.ephemerals[owner]
	if set == nil {
		set = map[string]struct{}{}
		dt.ephemerals[owner] = set
	}
	set[path] = struct{}{}
}

func (dt *dataTree) dropEphemeral(owner int64, path string) {
	if set := dt.ephemerals[owner]; set != nil {
		delete(set, path)
	}
}

// createNode is DataTree.createNode. parentCVersion -1 means "one more
// than the parent's"; a lower one than the parent has (a replay of a
// create the snapshot already holds) leaves cversion and pzxid alone.
func (dt *dataTree) createNode(path string, data []byte, acl []proto.ACL, owner int64, parentCVersion int32, zxid, time int64) (proto.ErrCode, error) {
	parentName, childName, err := splitPath(path)
	if err != nil {
		return 0, err
	}
	parent := dt.nodes[parentName]
	if parent == nil {
		return proto.ErrNoNode, nil
	}
	if acl == nil {
		acl = openACL // convertAcls(null) is OPEN_UNSAFE_ACL_ID
	}
	if existing := dt.nodes[path]; existing != nil {
		existing.acl, existing.badRef = acl, nil
		return proto.ErrNodeExists, nil
	}
	if parentCVersion == -1 {
		parentCVersion = parent.stat.Cversion + 1
	}
	if parentCVersion > parent.stat.Cversion {
		parent.stat.Cversion = parentCVersion
		parent.stat.Pzxid = zxid
	}
	dt.nodes[path] = &znode{
		data: data,
		acl:  acl,
		stat: tree.PersistedStat{Czxid: zxid, Mzxid: zxid, Pzxid: zxid, Ctime: time, Mtime: time, EphemeralOwner: owner},
	}
	parent.addChild(childName)
	if isEphemeral(owner) {
		dt.addEphemeral(owner, path)
	}
	return proto.ErrOK, nil
}

// deleteNode is DataTree.deleteNode: the parent's pzxid rises even when
// the child is already gone (a fuzzy snapshot taken after the delete).
func (dt *dataTree) deleteNode(path string, zxid int64) (proto.ErrCode, error) {
	parentName, childName, err := splitPath(path)
	if err != nil {
		return 0, err
	}
	parent := dt.nodes[parentName]
	if parent == nil {
		return proto.ErrNoNode, nil
	}
	delete(parent.children, childName)
	if zxid > parent.stat.Pzxid {
		parent.stat.Pzxid = zxid
	}
	n := dt.nodes[path]
	if n == nil {
		return proto.ErrNoNode, nil
	}
	delete(dt.nodes, path)
	if owner := n.stat.EphemeralOwner; isEphemeral(owner) {
		dt.dropEphemeral(owner, path)
	}
	return proto.ErrOK, nil
}

// setData is DataTree.setData: the version is the txn's, not one more.
func (dt *dataTree) setData(path string, data []byte, version int32, zxid, time int64) proto.ErrCode {
	n := dt.nodes[path]
	if n == nil {
		return proto.ErrNoNode
	}
	n.data = data
	n.stat.Mtime = time
	n.stat.Mzxid = zxid
	n.stat.Version = version
	return proto.ErrOK
}

// setACL is DataTree.setACL: the aversion is the txn's.
func (dt *dataTree) setACL(path string, acl []proto.ACL, version int32) proto.ErrCode {
	n := dt.nodes[path]
	if n == nil {
		return proto.ErrNoNode
	}
	if acl == nil {
		acl = openACL
	}
	n.stat.Aversion = version
	n.acl, n.badRef = acl, nil
	return proto.ErrOK
}

// setCversionPzxid is DataTree.setCversionPzxid, the repair a failed
// replayed create makes to its parent.
func (dt *dataTree) setCversionPzxid(path string, cversion int32, zxid int64) proto.ErrCode {
	path = strings.TrimSuffix(path, "/")
	n := dt.nodes[path]
	if n == nil {
		return proto.ErrNoNode
	}
	if cversion == -1 {
		cversion = n.stat.Cversion + 1
	}
	if cversion > n.stat.Cversion {
		n.stat.Cversion = cversion
		n.stat.Pzxid = zxid
	}
	return proto.ErrOK
}

// killSession is DataTree.killSession: the paths the closeSession txn
// lists (3.6+), then whatever else the session still owns here.
func (dt *dataTree) killSession(session, zxid int64, listed []string) error {
	local := dt.ephemerals[session]
	delete(dt.ephemerals, session)
	for _, p := range listed {
		if _, err := dt.deleteNode(p, zxid); err != nil {
			return err
		}
		delete(local, p)
	}
	for p := range local {
		if _, err := dt.deleteNode(p, zxid); err != nil {
			return err
		}
	}
	return nil
}

// processTxn applies one logged txn as DataTree.processTxn does (and, for
// session txns, FileTxnSnapLog.processTransaction before it). It returns
// the txn's result code, which a replay ignores as ZooKeeper does; an
// error is a txn ZooKeeper itself could not replay.
func (dt *dataTree) processTxn(h TxnHeader, txn Txn, sub bool) (proto.ErrCode, error) {
	rc, path, err := dt.apply(h, txn)
	if err != nil {
		return rc, err
	}
	// A create of a node the fuzzy snapshot already holds still moves the
	// parent's counter (only for the create opcode, as in ZooKeeper).
	if h.Type == proto.OpCreate && rc == proto.ErrNodeExists {
		if c, ok := txn.(*CreateTxn); ok {
			parentName, _, _ := splitPath(path)
			if code := dt.setCversionPzxid(parentName, c.ParentCVersion, h.Zxid); code != proto.ErrOK {
				rc = code
			}
		}
	}
	if !sub && h.Zxid > dt.lastZxid {
		dt.lastZxid = h.Zxid
	}
	return rc, nil
}

// apply is processTxn's switch.
func (dt *dataTree) apply(h TxnHeader, txn Txn) (rc proto.ErrCode, path string, err error) {
	switch t := txn.(type) {
	case *CreateTxn:
		owner := int64(0)
		if t.Ephemeral {
			owner = h.ClientID
		}
		rc, err = dt.createNode(t.Path, t.Data, t.ACL, owner, t.ParentCVersion, h.Zxid, h.Time)
		return rc, t.Path, err
	case *CreateTTLTxn:
		rc, err = dt.createNode(t.Path, t.Data, t.ACL, tree.TTLOwner(t.TTL), t.ParentCVersion, h.Zxid, h.Time)
		return rc, t.Path, err
	case *CreateContainerTxn:
		rc, err = dt.createNode(t.Path, t.Data, t.ACL, tree.ContainerOwner, t.ParentCVersion, h.Zxid, h.Time)
		return rc, t.Path, err
	case *DeleteTxn:
		rc, err = dt.deleteNode(t.Path, h.Zxid)
		return rc, t.Path, err
	case *SetDataTxn:
		return dt.setData(t.Path, t.Data, t.Version, h.Zxid, h.Time), t.Path, nil
	case *SetACLTxn:
		return dt.setACL(t.Path, t.ACL, t.Version), t.Path, nil
	case *CheckVersionTxn:
		return proto.ErrOK, t.Path, nil
	case *ErrorTxn:
		return t.Err, "", nil
	case *CreateSessionTxn:
		dt.sessions[h.ClientID] = t.Timeout
		return proto.ErrOK, "", nil
	case *CloseSessionTxn:
		delete(dt.sessions, h.ClientID)
		return proto.ErrOK, "", dt.killSession(h.ClientID, h.Zxid, t.Paths)
	case *MultiTxn:
		return dt.multi(h, t)
	}
	return 0, "", fmt.Errorf("txn type %s cannot be replayed", h.Type)
}

// multi replays a multi's ops as ZooKeeper does: if any op is an error
// (the multi failed), every op becomes an error and nothing changes;
// otherwise each op applies in turn, and an op that fails on replay does
// not undo the others.
func (dt *dataTree) multi(h TxnHeader, m *MultiTxn) (proto.ErrCode, string, error) {
	failed := false
	for _, op := range m.Ops {
		if op.Type == proto.OpError {
			failed = true
			break
		}
	}
	rc := proto.ErrOK
	for _, op := range m.Ops {
		sh, txn := h, op.Txn
		sh.Type = op.Type
		if op.Type == proto.OpCreate2 {
			sh.Type = proto.OpCreate
		}
		if failed && op.Type != proto.OpError {
			sh.Type, txn = proto.OpError, &ErrorTxn{}
		}
		code, err := dt.processTxn(sh, txn, true)
		if err != nil {
			return code, "", err
		}
		if code != proto.ErrOK && rc == proto.ErrOK {
			rc = code
		}
	}
	return rc, "", nil
}

// ClientEphemeralOwner is the ephemeralOwner clients see for a stored
// owner: the session of an ephemeral, 0 for containers and TTL nodes
// (DataNode.getClientEphemeralOwner).
func ClientEphemeralOwner(owner int64) int64 {
	if isEphemeral(owner) {
		return owner
	}
	return 0
}
