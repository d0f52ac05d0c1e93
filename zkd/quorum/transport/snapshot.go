package transport

import (
	"context"
	"fmt"
	"io"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"
)

// sendSnapshot sends m on a connection of its own, so a snapshot of the
// whole tree never holds up heartbeats and appends on the stream, and
// reports the outcome through OnSnapshotStatus. Each MsgSnap gets its own
// goroutine and exactly one report: raft keeps a follower in its snapshot
// state until it hears one, so none may be lost. (raft emits a new MsgSnap
// for a follower only after the previous one was reported or answered, so
// these do not pile up.) REQUIRES: t.mu held, transport not stopped.
func (p *peer) sendSnapshot(m *pb.Message) {
	p.t.wg.Go(func() { p.runSnapshot(m) })
}

func (p *peer) runSnapshot(m *pb.Message) {
	meta := m.GetSnapshot().GetMetadata()
	log := p.t.log.With("peer", p.id, "index", meta.GetIndex(), "term", meta.GetTerm())
	start := time.Now()
	n, err := p.trySnapshot(m)
	if err != nil {
		p.snapshotsFailed.Add(1)
		p.dropped.Add(1)
		if p.ctx.Err() == nil {
			log.Warn("sending snapshot failed", "err", err, "took", time.Since(start))
		}
		p.t.unreachable(p.id)
		p.t.snapshotStatus(p.id, true)
		return
	}
	p.snapshotsSent.Add(1)
	p.sent.Add(1)
	p.bytesSent.Add(uint64(n))
	log.Info("snapshot sent", "bytes", n, "took", time.Since(start))
	p.t.snapshotStatus(p.id, false)
}

// trySnapshot dials, writes the one frame and waits for the acceptor's
// verdict (its Handler's result), all within SnapshotTimeout. It returns
// the frame's size.
func (p *peer) trySnapshot(m *pb.Message) (int, error) {
	frame, err := appendFrame(nil, m, p.t.cfg.MaxSnapshotSize)
	if err != nil {
		return 0, err
	}
	conn, err := p.dial(p.address(), kindSnapshot)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	stop := context.AfterFunc(p.ctx, func() { conn.Close() })
	defer stop()
	conn.SetDeadline(time.Now().Add(p.t.cfg.SnapshotTimeout))
	if _, err := conn.Write(frame); err != nil {
		return 0, fmt.Errorf("transport: writing snapshot to peer %d: %w", p.id, err)
	}
	var ack [1]byte
	if _, err := io.ReadFull(conn, ack[:]); err != nil {
		return 0, fmt.Errorf("transport: waiting for peer %d to accept the snapshot: %w", p.id, err)
	}
	if ack[0] != snapAccepted {
		return 0, fmt.Errorf("transport: peer %d refused the snapshot", p.id)
	}
	return len(frame), nil
}
