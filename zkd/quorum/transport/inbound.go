package transport

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"
)

// inStream is the live stream from one peer. A peer has at most one: a
// new stream from it closes the old one and waits for its reader, so
// Handler calls for that peer never overlap and stay in order.
type inStream struct {
	conn net.Conn
	done chan struct{} // closed after the reader's last Handler call
}

// acceptLoop accepts peer connections until the listener closes. Accept
// errors back off from 5 ms to 1 s.
func (t *Transport) acceptLoop(ln net.Listener) {
	var backoff time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || t.ctx.Err() != nil {
				return
			}
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			t.log.Warn("accepting a peer connection", "err", err, "retry_in", backoff)
			select {
			case <-t.ctx.Done():
				return
			case <-time.After(backoff):
			}
			continue
		}
		backoff = 0
		t.mu.Lock()
		if t.state == stateStopped {
			t.mu.Unlock()
			conn.Close()
			return
		}
		t.conns[conn] = struct{}{}
		t.wg.Go(func() { t.serveConn(conn) })
		t.mu.Unlock()
	}
}

// serveConn reads the handshake, judges it, and serves the connection as
// a stream or a snapshot. A panic closes only this connection.
func (t *Transport) serveConn(conn net.Conn) {
	remote := conn.RemoteAddr().String()
	defer func() {
		if r := recover(); r != nil {
			t.log.Error("peer connection panicked; closed it", "remote", remote, "panic", r)
		}
		conn.Close()
		t.mu.Lock()
		delete(t.conns, conn)
		t.mu.Unlock()
	}()
	conn.SetDeadline(time.Now().Add(t.cfg.DialTimeout))
	var b [handshakeSize]byte
	if _, err := io.ReadFull(conn, b[:]); err != nil {
		if t.ctx.Err() == nil {
			t.log.Warn("peer connection closed before its handshake", "remote", remote, "err", err)
		}
		return
	}
	hs, err := parseHandshake(b[:])
	if err != nil {
		t.log.Warn("rejected a connection on the quorum port", "remote", remote, "err", err)
		return
	}
	p, status, reason := t.judge(hs)
	if status != statusOK {
		conn.Write([]byte{status})
		if p != nil {
			p.protocolErrors.Add(1)
		}
		t.log.Warn("rejected a peer connection", "remote", remote, "from", hs.from, "to", hs.to, "reason", reason)
		return
	}
	switch hs.kind {
	case kindStream:
		t.serveStream(conn, p, remote)
	case kindSnapshot:
		t.serveSnapshot(conn, p, remote)
	}
}

// judge decides whether a handshake is acceptable, and why not.
func (t *Transport) judge(hs handshake) (*peer, byte, string) {
	if hs.version != Version {
		return nil, statusBadVersion, fmt.Sprintf("protocol version %d, this member speaks %d", hs.version, Version)
	}
	if hs.to != t.cfg.ID {
		return nil, statusWrongTo, fmt.Sprintf("the peer dialled member %d but this is member %d: check server.N lines and myid", hs.to, t.cfg.ID)
	}
	p := t.lookup(hs.from)
	if p == nil {
		return nil, statusUnknownFrom, fmt.Sprintf("member %d is not in this member's server list", hs.from)
	}
	if hs.kind != kindStream && hs.kind != kindSnapshot {
		return p, statusBadKind, fmt.Sprintf("unknown connection kind %d", hs.kind)
	}
	if hs.membership != t.cfg.Membership {
		return p, statusMembership, fmt.Sprintf("member %d has another server list (membership digest %016x, ours %016x): "+
			"every member must list the same server.N ids and roles, or their logs would disagree from the first entry",
			hs.from, hs.membership, t.cfg.Membership)
	}
	return p, statusOK, ""
}

// serveStream feeds the peer's messages to Handler in order until the
// connection ends.
func (t *Transport) serveStream(conn net.Conn, p *peer, remote string) {
	in := &inStream{conn: conn, done: make(chan struct{})}
	t.mu.Lock()
	if t.peers[p.id] != p || t.state == stateStopped {
		t.mu.Unlock()
		return // removed while we read its handshake
	}
	old := t.inbound[p.id]
	t.inbound[p.id] = in
	t.mu.Unlock()
	defer func() {
		t.mu.Lock()
		if t.inbound[p.id] == in {
			delete(t.inbound, p.id)
		}
		t.mu.Unlock()
		close(in.done)
	}()
	if old != nil {
		old.conn.Close()
		<-old.done
	}
	if _, err := conn.Write([]byte{statusOK}); err != nil {
		return
	}
	conn.SetDeadline(time.Time{})
	t.log.Debug("stream from peer open", "peer", p.id, "remote", remote)

	br := bufio.NewReaderSize(conn, 64<<10)
	var buf []byte
	for {
		payload, err := readFrame(br, &buf, t.cfg.MaxFrameSize)
		if err == nil {
			var m *pb.Message
			if m, err = decodeMessage(payload); err == nil {
				if err = checkOrigin(m, p.id, t.cfg.ID); err == nil {
					p.received.Add(1)
					p.bytesReceived.Add(uint64(len(payload) + frameHeaderSize))
					t.deliver(p, m)
					continue
				}
			}
		}
		t.streamEnded(p, remote, err)
		return
	}
}

// deliver hands m to Handler. An error is counted, not fatal to the
// stream: raft's Step fails only while the node stops.
func (t *Transport) deliver(p *peer, m *pb.Message) {
	if err := t.cfg.Handler(t.ctx, m); err != nil && t.ctx.Err() == nil {
		p.handlerErrors.Add(1)
		t.log.Debug("handler refused a message", "peer", p.id, "type", m.GetType().String(), "err", err)
	}
}

// streamEnded logs why a stream ended: protocol errors loudly, a peer
// going away quietly, our own shutdown not at all.
func (t *Transport) streamEnded(p *peer, remote string, err error) {
	switch {
	case t.ctx.Err() != nil:
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
		t.log.Debug("stream from peer closed", "peer", p.id, "remote", remote)
	case errors.Is(err, ErrChecksum), errors.Is(err, ErrFrameTooLarge), errors.Is(err, errBadOrigin), errors.Is(err, errDecode):
		p.protocolErrors.Add(1)
		t.log.Warn("closing the stream from a peer after a bad frame", "peer", p.id, "remote", remote, "err", err)
	default:
		t.log.Info("stream from peer broken", "peer", p.id, "remote", remote, "err", err)
	}
}

// serveSnapshot reads one MsgSnap, hands it to Handler and answers with
// the verdict, all within SnapshotTimeout.
func (t *Transport) serveSnapshot(conn net.Conn, p *peer, remote string) {
	conn.SetDeadline(time.Now().Add(t.cfg.SnapshotTimeout))
	if _, err := conn.Write([]byte{statusOK}); err != nil {
		return
	}
	var buf []byte
	payload, err := readFrame(bufio.NewReaderSize(conn, 64<<10), &buf, t.cfg.MaxSnapshotSize)
	var m *pb.Message
	if err == nil {
		if m, err = decodeMessage(payload); err == nil {
			err = checkOrigin(m, p.id, t.cfg.ID)
		}
	}
	if err == nil && m.GetType() != pb.MsgSnap {
		err = fmt.Errorf("%w: %s on a snapshot connection", errBadOrigin, m.GetType())
	}
	if err != nil {
		if t.ctx.Err() == nil {
			p.protocolErrors.Add(1)
			t.log.Warn("receiving a snapshot from a peer failed", "peer", p.id, "remote", remote, "err", err)
		}
		return
	}
	p.received.Add(1)
	p.snapshotsRecvd.Add(1)
	p.bytesReceived.Add(uint64(len(payload) + frameHeaderSize))
	ack := snapAccepted
	if err := t.cfg.Handler(t.ctx, m); err != nil {
		ack = snapRefused
		p.handlerErrors.Add(1)
		t.log.Warn("handler refused a snapshot", "peer", p.id, "err", err)
	}
	meta := m.GetSnapshot().GetMetadata()
	t.log.Info("snapshot received", "peer", p.id, "index", meta.GetIndex(), "term", meta.GetTerm(),
		"bytes", len(payload), "accepted", ack == snapAccepted)
	conn.Write([]byte{ack})
}

// errBadOrigin means a message's from/to disagree with its connection.
var errBadOrigin = errors.New("transport: message does not match its connection")

// checkOrigin insists that a message on from's connection to self says so:
// a peer never relays another's messages.
func checkOrigin(m *pb.Message, from, self uint64) error {
	if m.GetFrom() != from || m.GetTo() != self {
		return fmt.Errorf("%w: %s from %d to %d on the connection from %d to %d",
			errBadOrigin, m.GetType(), m.GetFrom(), m.GetTo(), from, self)
	}
	return nil
}
