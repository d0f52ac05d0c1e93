package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"zkd/zkd/acl"
	"zkd/zkd/proto"
	"zkd/zkd/tree"
	"zkd/zkd/watch"
)

// prepare runs in the reader, in arrival order: it starts what must start
// at once (writes into the log, syncs, auth) so a session's writes are
// proposed in order and pipelined. It returns false to stop reading.
func (c *conn) prepare(ctx context.Context, r *request) bool {
	op := r.hdr.Type
	switch {
	case op == proto.OpPing, op == proto.OpWhoAmI:
		r.read = true
		c.readsQueued.Add(1)
		return true
	case op == proto.OpReconfig:
		// reconfigEnabled=false is ZooKeeper's default; dynamic
		// membership comes with the ensemble.
		r.reply = proto.AppendReply(nil, proto.ReplyHeader{Xid: r.hdr.Xid, Zxid: c.srv.lastZxid(), Err: proto.ErrReconfigDisabled}, nil)
		return true
	case !known(op):
		// As ZooKeeper's UnimplementedRequestProcessor: answer, then close.
		c.log.Warn("closing connection: request of unknown type", "op", int32(op), "xid", r.hdr.Xid)
		r.reply = proto.AppendReply(nil, proto.ReplyHeader{Xid: r.hdr.Xid, Zxid: c.srv.lastZxid(), Err: proto.ErrUnimplemented}, nil)
		r.after = func() { c.close(reasonBadPacket) }
		return true
	case op == proto.OpAuth:
		c.authenticate(r)
		return true
	case op == proto.OpCloseSession:
		if !c.waitForReads(ctx) {
			return false
		}
		r.prop = c.srv.db.submit(&tree.Txn{Type: proto.OpCloseSession, Session: c.session})
		r.after = func() { c.close(reasonSessionClosed) }
		return true
	case op == proto.OpSync:
		r.syncErr = make(chan error, 1)
		go func() {
			sctx, cancel := context.WithTimeout(ctx, c.srv.syncTimeout())
			defer cancel()
			c.srv.stats.pendingSyncs.Add(1)
			defer c.srv.stats.pendingSyncs.Add(-1)
			r.syncErr <- c.srv.node.Sync(sctx)
		}()
		return true
	case tree.IsWrite(op):
		req := proto.RequestFor(op)
		if req == nil {
			return true // answered as unimplemented in turn
		}
		if err := proto.Decode(r.body, req); err != nil {
			if errors.Is(err, proto.ErrBadMultiOp) || errors.Is(err, proto.ErrMixedMultiOps) {
				// Well-formed but not allowed: ZooKeeper answers
				// MarshallingError and keeps the connection.
				r.reply = proto.AppendReply(nil, proto.ReplyHeader{Xid: r.hdr.Xid, Zxid: c.srv.lastZxid(), Err: proto.ErrMarshallingError}, nil)
				return true
			}
			c.logBad("decoding "+op.String()+" request", err)
			c.close(reasonBadPacket)
			return false
		}
		if m, ok := req.(*proto.MultiRequest); ok && m.ReadOnly() {
			r.reply = proto.AppendReply(nil, proto.ReplyHeader{Xid: r.hdr.Xid, Zxid: c.srv.lastZxid(), Err: proto.ErrMarshallingError}, nil)
			return true
		}
		if code := c.srv.precheck(op, req); code != proto.ErrOK {
			r.reply = proto.AppendReply(nil, proto.ReplyHeader{Xid: r.hdr.Xid, Zxid: c.srv.lastZxid(), Err: code}, nil)
			return true
		}
		if !c.waitForReads(ctx) {
			return false
		}
		r.prop = c.srv.db.submit(&tree.Txn{
			Type: op, Session: c.session, Cxid: r.hdr.Xid, Auth: c.ids(), Body: r.body,
		})
		return true
	}
	r.read = true
	c.readsQueued.Add(1)
	return true
}

// waitForReads blocks the reader until every read queued before this
// point has run, so a later write cannot overtake an earlier read. Writes
// still pipeline behind writes.
func (c *conn) waitForReads(ctx context.Context) bool {
	for c.readsQueued.Load() > 0 {
		select {
		case <-c.readsRan:
		case <-c.closeCh:
			return false
		case <-ctx.Done():
			return false
		}
	}
	return true
}

// known reports whether op is a request a client may send.
func known(op proto.OpCode) bool {
	switch op {
	case proto.OpPing, proto.OpWhoAmI, proto.OpAuth, proto.OpCloseSession, proto.OpSync:
		return true
	case proto.OpNotification, proto.OpError, proto.OpCreateSession, proto.OpDeleteContainer, proto.OpSASL:
		return false
	}
	return proto.RequestFor(op) != nil
}

// precheck rejects, before the log, what a server configured like this one
// never accepts (so the log does not carry it).
func (s *Server) precheck(op proto.OpCode, req proto.Record) proto.ErrCode {
	ttl := func(flags int32) bool {
		return flags == proto.ModePersistentWithTTL || flags == proto.ModePersistentSequentialWithTTL
	}
	check := func(op proto.OpCode, req proto.Record) proto.ErrCode {
		switch r := req.(type) {
		case *proto.CreateTTLRequest:
			if !s.cfg.ExtendedTypes {
				return proto.ErrUnimplemented
			}
		case *proto.CreateRequest:
			if ttl(r.Flags) {
				if !s.cfg.ExtendedTypes {
					return proto.ErrUnimplemented
				}
			}
		}
		return proto.ErrOK
	}
	if m, ok := req.(*proto.MultiRequest); ok {
		for _, o := range m.Ops {
			if code := check(o.Type, o.Request); code != proto.ErrOK {
				return code
			}
		}
		return proto.ErrOK
	}
	return check(op, req)
}

// authenticate handles an auth packet at once: later requests of the
// session are proposed with the new identities.
func (c *conn) authenticate(r *request) {
	var pkt proto.AuthPacket
	if err := proto.Decode(r.body, &pkt); err != nil {
		r.reply = proto.AppendReply(nil, proto.ReplyHeader{Xid: r.hdr.Xid, Err: proto.ErrAuthFailed}, nil)
		r.after = func() { c.close(reasonAuthFailed) }
		return
	}
	ids, err := acl.Authenticate(pkt.Scheme, pkt.Auth, c.remote, c.srv.cfg.SuperDigest)
	if err != nil {
		c.srv.stats.authFailed.Add(1)
		c.log.Warn("authentication failed", "scheme", pkt.Scheme, "err", err)
		r.reply = proto.AppendReply(nil, proto.ReplyHeader{Xid: r.hdr.Xid, Err: proto.ErrAuthFailed}, nil)
		// ZooKeeper tells the client (state AuthFailed) and closes.
		r.after = func() {
			we := proto.WatcherEvent{Type: proto.EventNone, State: proto.StateAuthFailed}
			c.send(proto.AppendNotification(nil, &we))
			c.close(reasonAuthFailed)
		}
		return
	}
	c.addIDs(ids)
	r.reply = proto.AppendReply(nil, proto.ReplyHeader{Xid: r.hdr.Xid, Err: proto.ErrOK}, nil)
}

// answer runs in the pipeline, in request order, and queues the reply.
func (c *conn) answer(r *request, buf []byte) []byte {
	var (
		hdr  = proto.ReplyHeader{Xid: r.hdr.Xid}
		body proto.Record
	)
	write := false
	switch {
	case r.reply != nil:
		c.finishReply(r, r.reply, false)
		return buf
	case r.prop != nil:
		write = true
		<-r.prop.done
		if r.prop.res.Err == proto.ErrSessionMoved {
			// The client has moved to another server and left this
			// connection behind. As ZooKeeper, close it without an answer:
			// the error belongs to the connection, not to the request.
			c.log.Info("closing a connection whose session moved to another server",
				"session", fmt.Sprintf("0x%x", c.session), "op", r.hdr.Type.String())
			c.close(reasonMovedAway)
			return buf
		}
		hdr.Zxid, hdr.Err = r.prop.zxid, r.prop.res.Err
		if hdr.Zxid == 0 {
			hdr.Zxid = c.srv.lastZxid()
		}
		body = writeResponse(r.hdr.Type, &r.prop.res)
		if r.hdr.Type == proto.OpCloseSession {
			hdr.Err = proto.ErrOK
		}
	case r.syncErr != nil:
		err := <-r.syncErr
		hdr.Zxid = c.srv.lastZxid()
		if err != nil {
			c.log.Warn("sync failed", "err", err)
			hdr.Err = proto.ErrOperationTimeout
		} else {
			var sr proto.SyncRequest
			_ = proto.Decode(r.body, &sr)
			body = &proto.SyncResponse{Path: sr.Path}
		}
	default:
		hdr.Zxid, hdr.Err, body = c.read(r)
	}
	switch {
	case r.hdr.Type == proto.OpMulti && body != nil:
		// A multi's header says OK; its ops carry the errors.
		hdr.Err = proto.ErrOK
	case hdr.Err != proto.ErrOK:
		body = nil
	}
	buf = proto.AppendReply(buf, hdr, body)
	c.finishReply(r, buf, write)
	c.st.lastZxid.Store(hdr.Zxid)
	if r.read {
		// Only now may a later write of the session go to the log: its
		// apply can fire the watch this read set, and the event must not
		// reach the connection's queue before this reply (a client that
		// gets an event for a watch it has not seen registered drops it).
		c.readsQueued.Add(-1)
		select {
		case c.readsRan <- struct{}{}:
		default:
		}
	}
	return buf
}

// finishReply counts the reply, then queues it: a client that has its
// reply and then reads mntr or /monitor must find the request counted.
func (c *conn) finishReply(r *request, frame []byte, write bool) {
	lat := time.Since(r.start).Milliseconds()
	if r.hdr.Xid != proto.XidPing && r.hdr.Xid != proto.XidAuth {
		c.srv.stats.observe(lat, len(frame), write)
		c.st.observe(lat)
		c.st.lastOp.Store(shortOp(r.hdr.Type))
		c.st.lastCxid.Store(int64(r.hdr.Xid))
	}
	c.st.lastResp.Store(time.Now().UnixMilli())
	c.send(frame)
}

func (s *connStats) observe(lat int64) {
	s.lastLatency.Store(lat)
	s.mu.Lock()
	s.lat.add(lat)
	s.mu.Unlock()
}

// writeResponse turns an apply result into the op's response record.
func writeResponse(op proto.OpCode, res *tree.Result) proto.Record {
	switch op {
	case proto.OpCreate:
		return &proto.CreateResponse{Path: res.Path}
	case proto.OpCreate2, proto.OpCreateContainer, proto.OpCreateTTL:
		return &proto.Create2Response{Path: res.Path, Stat: res.Stat}
	case proto.OpSetData:
		return &proto.SetDataResponse{Stat: res.Stat}
	case proto.OpSetACL:
		return &proto.SetACLResponse{Stat: res.Stat}
	case proto.OpMulti:
		return multiResponse(res)
	}
	return nil
}

func multiResponse(res *tree.Result) *proto.MultiResponse {
	out := &proto.MultiResponse{Results: make([]proto.MultiResult, len(res.Multi))}
	for i, r := range res.Multi {
		if res.Err != proto.ErrOK {
			out.Results[i] = proto.MultiResult{Type: proto.OpError, Err: r.Err}
			continue
		}
		mr := proto.MultiResult{Type: r.Type}
		switch r.Type {
		case proto.OpCreate, proto.OpCreate2:
			// Inside a multi, create2 is answered as a plain create (3.8).
			mr.Type = proto.OpCreate
			mr.Response = &proto.CreateResponse{Path: r.Path}
		case proto.OpCreateContainer, proto.OpCreateTTL:
			mr.Response = &proto.Create2Response{Path: r.Path, Stat: r.Stat}
		case proto.OpSetData:
			mr.Response = &proto.SetDataResponse{Stat: r.Stat}
		}
		out.Results[i] = mr
	}
	return out
}

// read answers a request from the local tree. Reads of a session run after
// its earlier writes have applied (the pipeline waited for them).
func (c *conn) read(r *request) (int64, proto.ErrCode, proto.Record) {
	s := c.srv
	op := r.hdr.Type
	if op == proto.OpPing {
		return s.lastZxid(), proto.ErrOK, nil
	}
	if op == proto.OpWhoAmI {
		return s.lastZxid(), proto.ErrOK, c.whoAmI()
	}
	req := proto.RequestFor(op)
	if req == nil {
		c.log.Warn("unsupported request", "op", op.String(), "xid", r.hdr.Xid)
		return s.lastZxid(), proto.ErrUnimplemented, nil
	}
	if err := proto.Decode(r.body, req); err != nil {
		if errors.Is(err, proto.ErrBadMultiOp) || errors.Is(err, proto.ErrMixedMultiOps) {
			return s.lastZxid(), proto.ErrMarshallingError, nil
		}
		c.logBad("decoding "+op.String()+" request", err)
		c.close(reasonBadPacket)
		return s.lastZxid(), proto.ErrMarshallingError, nil
	}
	ids := c.ids()
	s.db.mu.RLock()
	defer s.db.mu.RUnlock()
	t := s.db.tree
	zxid := t.LastZxid()
	switch q := req.(type) {
	case *proto.ExistsRequest:
		// Reads do not validate paths (only writes do): a malformed path
		// names no node, as in ZooKeeper.
		n := t.Get(q.Path)
		if q.Watch {
			s.db.watches.Add(q.Path, watch.Data, c)
		}
		if n == nil {
			return zxid, proto.ErrNoNode, nil
		}
		resp := &proto.ExistsResponse{}
		n.Stat(&resp.Stat)
		return zxid, proto.ErrOK, resp
	case *proto.GetDataRequest:
		n, code := c.readable(t, q.Path, ids)
		if code != proto.ErrOK {
			return zxid, code, nil
		}
		if q.Watch {
			s.db.watches.Add(q.Path, watch.Data, c)
		}
		resp := &proto.GetDataResponse{Data: nonNil(n.Data())}
		n.Stat(&resp.Stat)
		return zxid, proto.ErrOK, resp
	case *proto.GetChildrenRequest:
		n, code := c.readable(t, q.Path, ids)
		if code != proto.ErrOK {
			return zxid, code, nil
		}
		if q.Watch {
			s.db.watches.Add(q.Path, watch.Child, c)
		}
		return zxid, proto.ErrOK, &proto.GetChildrenResponse{Children: n.Children()}
	case *proto.GetChildren2Request:
		n, code := c.readable(t, q.Path, ids)
		if code != proto.ErrOK {
			return zxid, code, nil
		}
		if q.Watch {
			s.db.watches.Add(q.Path, watch.Child, c)
		}
		resp := &proto.GetChildren2Response{Children: n.Children()}
		n.Stat(&resp.Stat)
		return zxid, proto.ErrOK, resp
	case *proto.GetACLRequest:
		return c.getACL(t, zxid, q.Path, ids)
	case *proto.GetAllChildrenNumberRequest:
		if _, code := c.readable(t, q.Path, ids); code != proto.ErrOK {
			return zxid, code, nil
		}
		return zxid, proto.ErrOK, &proto.GetAllChildrenNumberResponse{TotalNumber: int32(t.CountDescendants(q.Path))}
	case *proto.GetEphemeralsRequest:
		return zxid, proto.ErrOK, &proto.GetEphemeralsResponse{Ephemerals: t.EphemeralsWithPrefix(c.session, q.PrefixPath)}
	case *proto.MultiRequest:
		if op != proto.OpMultiRead {
			return zxid, proto.ErrUnimplemented, nil
		}
		return zxid, proto.ErrOK, c.multiRead(t, q, ids)
	case *proto.SetWatches:
		c.setWatches(t, q.RelativeZxid, q.DataWatches, q.ExistWatches, q.ChildWatches, nil, nil)
		return zxid, proto.ErrOK, nil
	case *proto.SetWatches2:
		c.setWatches(t, q.RelativeZxid, q.DataWatches, q.ExistWatches, q.ChildWatches,
			q.PersistentWatches, q.PersistentRecursiveWatches)
		return zxid, proto.ErrOK, nil
	case *proto.AddWatchRequest:
		if tree.ValidatePath(q.Path, false) != nil {
			return zxid, proto.ErrBadArguments, nil
		}
		switch q.Mode {
		case proto.AddWatchPersistent, proto.AddWatchPersistentRecursive:
			s.db.watches.AddPersistent(q.Path, c, q.Mode == proto.AddWatchPersistentRecursive)
		default:
			return zxid, proto.ErrBadArguments, nil
		}
		// 3.8 answers addWatch with an ErrorResponse{0} body.
		return zxid, proto.ErrOK, &proto.ErrorResponse{Err: proto.ErrOK}
	case *proto.RemoveWatchesRequest:
		if op == proto.OpCheckWatches {
			if !s.db.watches.Has(q.Path, c, q.Type) {
				return zxid, proto.ErrNoWatcher, nil
			}
			return zxid, proto.ErrOK, nil
		}
		if len(s.db.watches.Remove(q.Path, c, q.Type)) == 0 {
			return zxid, proto.ErrNoWatcher, nil
		}
		return zxid, proto.ErrOK, nil
	}
	c.log.Warn("unsupported request", "op", op.String(), "xid", r.hdr.Xid)
	return zxid, proto.ErrUnimplemented, nil
}

// readable finds path and checks READ on it.
func (c *conn) readable(t *tree.Tree, path string, ids []proto.ID) (*tree.Node, proto.ErrCode) {
	n := t.Get(path)
	if n == nil {
		return nil, proto.ErrNoNode
	}
	if !acl.Check(t.ACL(n), proto.PermRead, ids, c.srv.cfg.SkipACL) {
		return nil, proto.ErrNoAuth
	}
	return n, proto.ErrOK
}

// getACL needs READ or ADMIN; without ADMIN the digest hashes are masked,
// as ZooKeeper 3.8 does, so READ does not leak crackable hashes.
func (c *conn) getACL(t *tree.Tree, zxid int64, path string, ids []proto.ID) (int64, proto.ErrCode, proto.Record) {
	n := t.Get(path)
	if n == nil {
		return zxid, proto.ErrNoNode, nil
	}
	list := t.ACL(n)
	skip := c.srv.cfg.SkipACL
	if !acl.Check(list, proto.PermRead|proto.PermAdmin, ids, skip) {
		return zxid, proto.ErrNoAuth, nil
	}
	out := append([]proto.ACL(nil), list...)
	if !acl.Check(list, proto.PermAdmin, ids, skip) {
		for i := range out {
			if out[i].ID.Scheme == "digest" {
				if j := strings.IndexByte(out[i].ID.ID, ':'); j >= 0 {
					out[i].ID.ID = out[i].ID.ID[:j] + ":x"
				}
			}
		}
	}
	resp := &proto.GetACLResponse{ACL: out}
	n.Stat(&resp.Stat)
	return zxid, proto.ErrOK, resp
}

// multiRead answers each op on its own; a failing op does not stop others.
func (c *conn) multiRead(t *tree.Tree, m *proto.MultiRequest, ids []proto.ID) *proto.MultiResponse {
	out := &proto.MultiResponse{Results: make([]proto.MultiResult, 0, len(m.Ops))}
	for _, o := range m.Ops {
		var path string
		switch q := o.Request.(type) {
		case *proto.GetDataRequest:
			path = q.Path
		case *proto.GetChildrenRequest:
			path = q.Path
		default:
			out.Results = append(out.Results, proto.MultiResult{Type: proto.OpError, Err: proto.ErrBadArguments})
			continue
		}
		n, code := c.readable(t, path, ids)
		if code != proto.ErrOK {
			out.Results = append(out.Results, proto.MultiResult{Type: proto.OpError, Err: code})
			continue
		}
		if o.Type == proto.OpGetData {
			resp := &proto.GetDataResponse{Data: nonNil(n.Data())}
			n.Stat(&resp.Stat)
			out.Results = append(out.Results, proto.MultiResult{Type: o.Type, Response: resp})
		} else {
			out.Results = append(out.Results, proto.MultiResult{Type: o.Type,
				Response: &proto.GetChildrenResponse{Children: n.Children()}})
		}
	}
	return out
}

// setWatches re-registers a reconnecting client's watches, firing at once
// those whose node changed after relZxid (what the client last saw).
func (c *conn) setWatches(t *tree.Tree, relZxid int64, data, exist, child, persistent, recursive []string) {
	w := c.srv.db.watches
	var st proto.Stat
	for _, p := range data {
		n := t.Get(p)
		switch {
		case n == nil:
			c.Notify(p, proto.EventNodeDeleted, -1)
		case stat(n, &st).Mzxid > relZxid:
			c.Notify(p, proto.EventNodeDataChanged, -1)
		default:
			w.Add(p, watch.Data, c)
		}
	}
	for _, p := range exist {
		if t.Get(p) != nil {
			c.Notify(p, proto.EventNodeCreated, -1)
		} else {
			w.Add(p, watch.Data, c)
		}
	}
	for _, p := range child {
		n := t.Get(p)
		switch {
		case n == nil:
			c.Notify(p, proto.EventNodeDeleted, -1)
		case stat(n, &st).Pzxid > relZxid:
			c.Notify(p, proto.EventNodeChildrenChanged, -1)
		default:
			w.Add(p, watch.Child, c)
		}
	}
	for _, p := range persistent {
		w.AddPersistent(p, c, false)
	}
	for _, p := range recursive {
		w.AddPersistent(p, c, true)
	}
}

// nonNil makes empty data an empty buffer: ZooKeeper never answers null
// data, and clients tell the two apart (kazoo b” vs None, zkCli "null").
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func stat(n *tree.Node, st *proto.Stat) *proto.Stat {
	n.Stat(st)
	return st
}

func (c *conn) whoAmI() *proto.WhoAmIResponse {
	ids := c.ids()
	resp := &proto.WhoAmIResponse{ClientInfo: make([]proto.ClientInfo, 0, len(ids))}
	for _, id := range ids {
		resp.ClientInfo = append(resp.ClientInfo, proto.ClientInfo{AuthScheme: id.Scheme, User: acl.UserName(id)})
	}
	return resp
}

// shortOp is the abbreviation cons prints for the last operation
// (Request.op2String).
func shortOp(op proto.OpCode) string {
	switch op {
	case proto.OpCreate, proto.OpCreate2, proto.OpCreateContainer, proto.OpCreateTTL:
		return "CREA"
	case proto.OpDelete:
		return "DELE"
	case proto.OpExists:
		return "EXIS"
	case proto.OpGetData:
		return "GETD"
	case proto.OpSetData:
		return "SETD"
	case proto.OpGetACL:
		return "GETA"
	case proto.OpSetACL:
		return "SETA"
	case proto.OpGetChildren:
		return "GETC"
	case proto.OpGetChildren2:
		return "GETC"
	case proto.OpSync:
		return "SYNC"
	case proto.OpPing:
		return "PING"
	case proto.OpMulti:
		return "MULT"
	case proto.OpCheck:
		return "CHEC"
	case proto.OpCloseSession:
		return "CLOS"
	case proto.OpSetWatches, proto.OpSetWatches2:
		return "SETW"
	case proto.OpAuth:
		return "AUTH"
	}
	return fmt.Sprintf("%.4s", strings.ToUpper(op.String()))
}
