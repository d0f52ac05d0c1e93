package tree

import (
	"fmt"
	"strings"

	"zkd/zkd/acl"
	"zkd/zkd/proto"
)

// Emit receives each watch-triggering change in the order ZooKeeper fires
// them.
type Emit func(path string, ev proto.EventType)

// Result is what applying one txn decided.
type Result struct {
	Err  proto.ErrCode
	Path string     // the created path (with its sequence suffix)
	Stat proto.Stat // stat after create2/setData/setACL
	// Multi holds per-op results of a multi, in op order.
	Multi []OpResult
	// Closed lists ephemerals removed by closeSession (for logging).
	Closed []string
}

// OpResult is one op's outcome inside a multi.
type OpResult struct {
	Type proto.OpCode
	Err  proto.ErrCode
	Path string
	Stat proto.Stat
}

// Apply applies txn as zxid and reports its changes through emit (which may
// be nil). Zxids must increase; every txn consumes its zxid, failed or not.
func (t *Tree) Apply(zxid int64, txn *Txn, emit Emit) Result {
	if zxid > t.lastZxid {
		t.lastZxid = zxid
	}
	if emit == nil {
		emit = func(string, proto.EventType) {}
	}
	ctx := applyCtx{t: t, zxid: zxid, txn: txn, emit: emit}
	switch txn.Type {
	case proto.OpCreateSession:
		return ctx.createSession()
	case proto.OpCloseSession:
		return ctx.closeSession()
	case OpMoveSession:
		return ctx.moveSession()
	case proto.OpMulti:
		return ctx.multi()
	case proto.OpDeleteContainer:
		var b PathBody
		if err := proto.Decode(txn.Body, &b); err != nil {
			return Result{Err: proto.ErrMarshallingError}
		}
		return ctx.deleteContainer(b.Path)
	}
	req := proto.RequestFor(txn.Type)
	if req == nil || !isWriteOp(txn.Type) {
		return Result{Err: proto.ErrUnimplemented}
	}
	if err := proto.Decode(txn.Body, req); err != nil {
		return Result{Err: proto.ErrMarshallingError}
	}
	r := ctx.op(txn.Type, req)
	return Result{Err: r.Err, Path: r.Path, Stat: r.Stat}
}

func isWriteOp(op proto.OpCode) bool {
	switch op {
	case proto.OpCreate, proto.OpCreate2, proto.OpCreateContainer, proto.OpCreateTTL,
		proto.OpDelete, proto.OpSetData, proto.OpSetACL, proto.OpCheck:
		return true
	}
	return false
}

// IsWrite reports whether op changes state and so goes through the log.
func IsWrite(op proto.OpCode) bool {
	switch op {
	case proto.OpMulti, proto.OpCreateSession, proto.OpCloseSession, proto.OpDeleteContainer:
		return true
	}
	return isWriteOp(op)
}

// applyCtx carries one txn's fixed inputs through the op handlers.
type applyCtx struct {
	t    *Tree
	zxid int64
	txn  *Txn
	emit Emit

	// While a multi runs: events held back until it succeeds, and steps
	// that only make sense once it has (releasing ACL refs).
	pending  []pendingEvent
	onCommit []func()
}

type pendingEvent struct {
	path string
	ev   proto.EventType
}

func (c *applyCtx) op(op proto.OpCode, req proto.Record) OpResult {
	// Creates check their mode and TTL before the session, as ZooKeeper's
	// validateCreateRequest runs before checkSession.
	switch r := req.(type) {
	case *proto.CreateRequest:
		if code := checkMode(op, r.Flags, 0); code != proto.ErrOK {
			return fail(op, code)
		}
	case *proto.CreateTTLRequest:
		if code := checkMode(op, r.Flags, r.TTL); code != proto.ErrOK {
			return fail(op, code)
		}
	}
	// Every op comes from a session, and ZooKeeper refuses it once the
	// session is gone or has moved to another server's connection
	// (SessionTracker.checkSession).
	switch s := c.t.sessions[c.txn.Session]; {
	case s == nil:
		return fail(op, proto.ErrSessionExpired)
	case s.Owner != 0 && s.Owner != c.txn.Origin:
		return fail(op, proto.ErrSessionMoved)
	}
	switch r := req.(type) {
	case *proto.CreateRequest:
		return c.create(op, r.Path, r.Data, r.ACL, r.Flags, 0)
	case *proto.CreateTTLRequest:
		return c.create(op, r.Path, r.Data, r.ACL, r.Flags, r.TTL)
	case *proto.DeleteRequest:
		return c.delete(r.Path, r.Version)
	case *proto.SetDataRequest:
		return c.setData(r.Path, r.Data, r.Version)
	case *proto.SetACLRequest:
		return c.setACL(r.Path, r.ACL, r.Version)
	case *proto.CheckVersionRequest:
		return c.check(r.Path, r.Version)
	}
	return OpResult{Type: op, Err: proto.ErrUnimplemented}
}

func (c *applyCtx) allowed(n *Node, perm int32) bool {
	return acl.Check(c.t.acls.Get(n.acl), perm, c.txn.Auth, c.t.opts.SkipACL)
}

func fail(op proto.OpCode, err proto.ErrCode) OpResult { return OpResult{Type: op, Err: err} }

// checkMode validates a create's flags and TTL against its opcode
// (CreateMode.fromFlag, EphemeralType.validateTTL).
func checkMode(op proto.OpCode, flags int32, ttl int64) proto.ErrCode {
	if flags < proto.ModePersistent || flags > proto.ModePersistentSequentialWithTTL {
		return proto.ErrBadArguments
	}
	isTTL := flags == proto.ModePersistentWithTTL || flags == proto.ModePersistentSequentialWithTTL
	switch {
	case op == proto.OpCreateTTL && !isTTL, op != proto.OpCreateTTL && isTTL:
		return proto.ErrBadArguments
	case isTTL && (ttl <= 0 || ttl > MaxTTL):
		return proto.ErrBadArguments
	}
	return proto.ErrOK
}

// create follows PrepRequestProcessor's order of checks for create,
// create2, createContainer and createTTL.
func (c *applyCtx) create(op proto.OpCode, path string, data []byte, acls []proto.ACL, flags int32, ttl int64) OpResult {
	t := c.t
	sequential := flags == proto.ModePersistentSequential || flags == proto.ModeEphemeralSequential ||
		flags == proto.ModePersistentSequentialWithTTL
	// The opcode, not the mode, decides the kind (pRequest2TxnCreate picks
	// the txn type by opcode): create with the container mode makes a
	// persistent node, createContainer always makes a container.
	kind := kindPersistent
	switch {
	case op == proto.OpCreateContainer:
		kind = kindContainer
	case op == proto.OpCreateTTL:
		kind = kindTTL
	case flags == proto.ModeEphemeral || flags == proto.ModeEphemeralSequential:
		kind = kindEphemeral
	}
	// The parent is looked up before the full path is validated, so
	// "/a/./b" is NoNode and "a/b" too: ZooKeeper's order, kept exactly.
	if strings.LastIndexByte(path, '/') < 0 || strings.IndexByte(path, 0) >= 0 {
		return fail(op, proto.ErrBadArguments)
	}
	fixed, err := acl.Fixup(acls, c.txn.Auth)
	if err != nil {
		return fail(op, proto.ErrInvalidACL)
	}
	parentPath := ParentPath(path)
	parent := t.lookup(parentPath)
	if parent == nil {
		return fail(op, proto.ErrNoNode)
	}
	if !c.allowed(parent, proto.PermCreate) {
		return fail(op, proto.ErrNoAuth)
	}
	if sequential {
		path = fmt.Sprintf("%s%010d", path, parent.cversion)
	}
	if ValidatePath(path, false) != nil {
		return fail(op, proto.ErrBadArguments)
	}
	if path == RootPath || parent.child(childName(path)) != nil {
		return fail(op, proto.ErrNodeExists)
	}
	if ownerKind(parent.ephemeralOwner) == kindEphemeral {
		return fail(op, proto.ErrNoChildrenForEphemerals)
	}
	var owner int64
	switch kind {
	case kindEphemeral:
		owner = c.txn.Session
	case kindContainer:
		owner = ContainerOwner
	case kindTTL:
		owner = TTLOwner(ttl)
	}
	n := newNode(childName(path), data)
	n.czxid, n.mzxid, n.pzxid = c.zxid, c.zxid, c.zxid
	n.ctime, n.mtime = c.txn.Time, c.txn.Time
	n.ephemeralOwner = owner
	n.acl = t.acls.Intern(fixed)
	c.insert(path, parentPath, parent, n)
	var st proto.Stat
	n.Stat(&st)
	return OpResult{Type: op, Path: path, Stat: st}
}

// insert links a new node under a new version of its parent (cversion
// and pzxid change) and records its undo.
func (c *applyCtx) insert(path, parentPath string, parent *Node, n *Node) {
	t := c.t
	t.saveForCapture(parentPath, parent)
	t.saveForCapture(path, nil)
	name := n.name()
	p := parent.clone()
	p.cversion++
	p.pzxid = c.zxid
	// p shares parent's child set (if it has one): parent is no longer in
	// the tree, and snapshots never read children.
	p.addChild(n)
	if t.fresh != nil {
		t.fresh[n] = struct{}{}
	}
	t.replace(parentPath, p)
	t.count++
	t.dataSize += nodeSize(path, n.data)
	var sess *Session
	if ownerKind(n.ephemeralOwner) == kindEphemeral {
		sess = t.sessions[n.ephemeralOwner]
		sess.ephemerals[path] = struct{}{}
		t.ephemerals++
	}
	c.event(path, proto.EventNodeCreated)
	c.event(parentPath, proto.EventNodeChildrenChanged)
	if t.journal != nil {
		t.journal = append(t.journal, func() {
			p.children.remove(name)
			t.replace(parentPath, parent)
			t.count--
			t.dataSize -= nodeSize(path, n.data)
			t.acls.Release(n.acl)
			if sess != nil {
				delete(sess.ephemerals, path)
				t.ephemerals--
			}
		})
	}
}

// event emits now, or after the multi commits.
func (c *applyCtx) event(path string, ev proto.EventType) {
	if c.t.journal != nil {
		c.pending = append(c.pending, pendingEvent{path, ev})
		return
	}
	c.emit(path, ev)
}

func (c *applyCtx) delete(path string, version int32) OpResult {
	op := proto.OpDelete
	t := c.t
	// No full path validation for delete, as in ZooKeeper: a malformed
	// path simply names no node.
	if strings.LastIndexByte(path, '/') < 0 || strings.IndexByte(path, 0) >= 0 || isSpecial(path) {
		return fail(op, proto.ErrBadArguments)
	}
	parentPath := ParentPath(path)
	parent := t.lookup(parentPath)
	if parent == nil {
		return fail(op, proto.ErrNoNode)
	}
	if !c.allowed(parent, proto.PermDelete) {
		return fail(op, proto.ErrNoAuth)
	}
	n := parent.child(childName(path))
	if n == nil {
		return fail(op, proto.ErrNoNode)
	}
	if version != -1 && version != n.version {
		return fail(op, proto.ErrBadVersion)
	}
	if n.NumChildren() > 0 {
		return fail(op, proto.ErrNotEmpty)
	}
	c.remove(path, parentPath, parent, n)
	return OpResult{Type: op}
}

// remove unlinks a childless node from a new version of its parent
// (pzxid changes) and records its undo.
func (c *applyCtx) remove(path, parentPath string, parent, n *Node) {
	t := c.t
	t.saveForCapture(parentPath, parent)
	t.saveForCapture(path, n)
	p := parent.clone()
	p.pzxid = c.zxid
	// The set is parent's too; parent is no longer in the tree.
	p.children.remove(n.name())
	if p.children.n == 0 {
		p.children = nil
	}
	t.replace(parentPath, p)
	t.count--
	t.dataSize -= nodeSize(path, n.data)
	var sess *Session
	if ownerKind(n.ephemeralOwner) == kindEphemeral {
		if sess = t.sessions[n.ephemeralOwner]; sess != nil {
			delete(sess.ephemerals, path)
		}
		t.ephemerals--
	}
	c.event(path, proto.EventNodeDeleted)
	c.event(parentPath, proto.EventNodeChildrenChanged)
	if t.journal != nil {
		t.journal = append(t.journal, func() {
			parent.children.add(n) // into the set p had, or had until empty
			t.replace(parentPath, parent)
			t.count++
			t.dataSize += nodeSize(path, n.data)
			if ownerKind(n.ephemeralOwner) == kindEphemeral {
				if sess != nil {
					sess.ephemerals[path] = struct{}{}
				}
				t.ephemerals++
			}
		})
		c.onCommit = append(c.onCommit, func() { t.acls.Release(n.acl) })
	} else {
		t.acls.Release(n.acl)
	}
}

func (c *applyCtx) setData(path string, data []byte, version int32) OpResult {
	op := proto.OpSetData
	t := c.t
	if ValidatePath(path, false) != nil {
		return fail(op, proto.ErrBadArguments)
	}
	old := t.lookup(path)
	if old == nil {
		return fail(op, proto.ErrNoNode)
	}
	if !c.allowed(old, proto.PermWrite) {
		return fail(op, proto.ErrNoAuth)
	}
	if version != -1 && version != old.version {
		return fail(op, proto.ErrBadVersion)
	}
	n := c.update(path, old, old.withData(data))
	n.version++
	n.mzxid = c.zxid
	n.mtime = c.txn.Time
	t.dataSize += int64(len(n.data) - len(old.data))
	c.event(path, proto.EventNodeDataChanged)
	if t.journal != nil {
		t.journal = append(t.journal, func() { t.dataSize -= int64(len(n.data) - len(old.data)) })
	}
	var st proto.Stat
	n.Stat(&st)
	return OpResult{Type: op, Stat: st}
}

// update puts n, a new version of old (the node at path), in its place
// and returns it for the caller to change before anyone else sees it,
// recording the undo: old back in its place.
func (c *applyCtx) update(path string, old, n *Node) *Node {
	t := c.t
	t.saveForCapture(path, old)
	t.replace(path, n)
	if t.journal != nil {
		t.journal = append(t.journal, func() { t.replace(path, old) })
	}
	return n
}

func (c *applyCtx) setACL(path string, acls []proto.ACL, version int32) OpResult {
	op := proto.OpSetACL
	t := c.t
	if ValidatePath(path, false) != nil {
		return fail(op, proto.ErrBadArguments)
	}
	fixed, err := acl.Fixup(acls, c.txn.Auth)
	if err != nil {
		return fail(op, proto.ErrInvalidACL)
	}
	old := t.lookup(path)
	if old == nil {
		return fail(op, proto.ErrNoNode)
	}
	if !c.allowed(old, proto.PermAdmin) {
		return fail(op, proto.ErrNoAuth)
	}
	if version != -1 && version != old.aversion {
		return fail(op, proto.ErrBadVersion)
	}
	n := c.update(path, old, old.clone())
	n.acl = t.acls.Intern(fixed)
	n.aversion++
	if t.journal != nil {
		t.journal = append(t.journal, func() { t.acls.Release(n.acl) })
		c.onCommit = append(c.onCommit, func() { t.acls.Release(old.acl) })
	} else {
		t.acls.Release(old.acl)
	}
	var st proto.Stat
	n.Stat(&st)
	return OpResult{Type: op, Stat: st}
}

func (c *applyCtx) check(path string, version int32) OpResult {
	op := proto.OpCheck
	if ValidatePath(path, false) != nil {
		return fail(op, proto.ErrBadArguments)
	}
	n := c.t.lookup(path)
	if n == nil {
		return fail(op, proto.ErrNoNode)
	}
	if !c.allowed(n, proto.PermRead) {
		return fail(op, proto.ErrNoAuth)
	}
	if version != -1 && version != n.version {
		return fail(op, proto.ErrBadVersion)
	}
	return OpResult{Type: op}
}

func isSpecial(path string) bool {
	switch path {
	case RootPath, ProcPath, QuotaPath, ConfigPath:
		return true
	}
	return false
}

func cloneBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}
