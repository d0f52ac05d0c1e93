package tree

import (
	"crypto/subtle"

	"zkd/zkd/proto"
)

func (c *applyCtx) createSession() Result {
	var b CreateSessionBody
	if err := proto.Decode(c.txn.Body, &b); err != nil {
		return Result{Err: proto.ErrMarshallingError}
	}
	if c.t.sessions[c.txn.Session] != nil {
		// A replayed or duplicate create keeps the first one's password.
		return Result{}
	}
	c.t.sessions[c.txn.Session] = &Session{
		ID:         c.txn.Session,
		Timeout:    b.Timeout,
		Passwd:     cloneBytes(b.Passwd),
		Owner:      c.txn.Origin,
		ephemerals: map[string]struct{}{},
	}
	return Result{}
}

// moveSession makes the txn's origin the session's owner, if the client
// gave the session's password: from here on only writes that server
// proposes apply for the session.
func (c *applyCtx) moveSession() Result {
	var b MoveSessionBody
	if err := proto.Decode(c.txn.Body, &b); err != nil {
		return Result{Err: proto.ErrMarshallingError}
	}
	s := c.t.sessions[c.txn.Session]
	switch {
	case s == nil:
		return Result{Err: proto.ErrSessionExpired}
	case subtle.ConstantTimeCompare(s.Passwd, b.Passwd) != 1:
		return Result{Err: proto.ErrAuthFailed}
	}
	s.Owner = c.txn.Origin
	return Result{}
}

// closeSession removes the session and its ephemerals, in path order so
// that every replica fires the same events in the same order. Any server
// may propose it: the leader expires sessions it does not own.
func (c *applyCtx) closeSession() Result {
	t := c.t
	s := t.sessions[c.txn.Session]
	if s == nil {
		return Result{Err: proto.ErrSessionExpired}
	}
	closed := s.Ephemerals()
	for _, p := range closed {
		parentPath := ParentPath(p)
		parent := t.lookup(parentPath)
		if parent == nil {
			continue
		}
		n := parent.child(childName(p))
		if n == nil {
			continue
		}
		c.remove(p, parentPath, parent, n)
	}
	delete(t.sessions, c.txn.Session)
	return Result{Closed: closed}
}

// deleteContainer removes an empty container whose last child has gone, or
// an empty TTL node whose TTL has passed since its last change, judged at the
// txn's time. Anything else is left alone with an error result.
func (c *applyCtx) deleteContainer(path string) Result {
	t := c.t
	if ValidatePath(path, false) != nil || isSpecial(path) {
		return Result{Err: proto.ErrBadArguments}
	}
	parentPath := ParentPath(path)
	parent := t.lookup(parentPath)
	if parent == nil {
		return Result{Err: proto.ErrNoNode}
	}
	n := parent.child(childName(path))
	if n == nil {
		return Result{Err: proto.ErrNoNode}
	}
	if n.NumChildren() > 0 {
		return Result{Err: proto.ErrNotEmpty}
	}
	if !removable(n, c.txn.Time) {
		return Result{Err: proto.ErrBadArguments}
	}
	c.remove(path, parentPath, parent, n)
	return Result{}
}

// multi applies every op or none. On the first failure the journal is
// unwound; earlier ops report OK, the failing op its error, later ops
// RuntimeInconsistency, as ZooKeeper's PrepRequestProcessor reports them.
func (c *applyCtx) multi() Result {
	var req proto.MultiRequest
	if err := proto.Decode(c.txn.Body, &req); err != nil {
		return Result{Err: proto.ErrMarshallingError}
	}
	t := c.t
	t.journal = make([]func(), 0, 2*len(req.Ops))
	defer func() { t.journal = nil }()
	results := make([]OpResult, 0, len(req.Ops))
	failed := -1
	for i, op := range req.Ops {
		var r OpResult
		if !isWriteOp(op.Type) {
			r = fail(op.Type, proto.ErrBadArguments)
		} else {
			r = c.op(multiOpType(op), op.Request)
		}
		results = append(results, r)
		if r.Err != proto.ErrOK {
			failed = i
			break
		}
	}
	if failed < 0 {
		t.journal = nil
		for _, f := range c.onCommit {
			f()
		}
		for _, e := range c.pending {
			c.emit(e.path, e.ev)
		}
		return Result{Multi: results}
	}
	for i := len(t.journal) - 1; i >= 0; i-- {
		t.journal[i]()
	}
	failErr := results[failed].Err
	for i := range req.Ops {
		switch {
		case i < failed:
			results[i] = OpResult{Type: req.Ops[i].Type, Err: proto.ErrOK}
		case i > failed:
			results = append(results, OpResult{Type: req.Ops[i].Type, Err: proto.ErrRuntimeInconsistency})
		}
	}
	return Result{Err: failErr, Multi: results}
}

// multiOpType is the op a multi really runs: inside a multi the create
// mode, not the wire opcode, picks the kind (ZooKeeper rebuilds each op
// with Op.create(path, data, acl, flags[, ttl])), so create2 runs as create,
// a container mode as createContainer and a TTL mode as createTTL.
func multiOpType(op proto.MultiOp) proto.OpCode {
	var flags int32
	switch r := op.Request.(type) {
	case *proto.CreateRequest:
		flags = r.Flags
	case *proto.CreateTTLRequest:
		flags = r.Flags
	default:
		return op.Type
	}
	switch flags {
	case proto.ModeContainer:
		return proto.OpCreateContainer
	case proto.ModePersistentWithTTL, proto.ModePersistentSequentialWithTTL:
		return proto.OpCreateTTL
	}
	return proto.OpCreate
}
