package server

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"zkd/zkd/proto"
	"zkd/zkd/quorum"
	"zkd/zkd/tree"
)

// What this file adds for an ensemble, beside the log itself (quorum):
//
//   - Serving: a member serves clients only while it knows a leader that
//     it heard from within an election timeout. A member that has not
//     served for LeaderGrace closes its clients' connections so they move
//     to a member in the majority, as ZooKeeper's followers do when they
//     lose their leader; new sessions are refused meanwhile.
//   - Writes in flight when the leader changes may or may not commit: their
//     connections are closed (the client sees a connection loss and
//     reconnects, as with ZooKeeper), never answered with a guess. The same
//     happens to a write that has not applied after ProposalTimeout.
//   - Sessions are global: every member applies createSession and
//     closeSession, but only the leader's clock expires them. Followers and
//     observers send the leader the ids of the sessions their clients
//     touched, every touchInterval; a new leader gives every session a
//     fresh timeout.

// ensemble reports whether this server has peers.
func (s *Server) ensemble() bool { return len(s.cfg.Peers) > 0 }

// serves reports whether clients may use this server now: it is started
// and, in an ensemble, knows a leader.
func (s *Server) serves() bool {
	if !s.serving.Load() {
		return false
	}
	return !s.ensemble() || s.node.LeaderSilence() < s.cfg.ElectionTimeout
}

// refuseSession says why a new client connection cannot be served here,
// or "" when it can.
func (s *Server) refuseSession() string {
	switch {
	case !s.serves():
		return "this member knows no leader (no quorum)"
	case s.ensemble() && !s.cfg.LeaderServes && s.node.IsLeader():
		return "leaderServes=no and this member leads"
	}
	return ""
}

// leaderChanged runs on the raft loop whenever the known leader changes.
func (s *Server) leaderChanged(lead uint64) {
	if lead == s.cfg.ServerID {
		s.mu.Lock()
		s.leadingSince = time.Now()
		s.mu.Unlock()
	}
	s.abandonPending("the leader changed")
	if lead == s.cfg.ServerID {
		// ZooKeeper gives every session a fresh timeout on a new leader:
		// the old leader's clock is gone, and clients of members that
		// lost contact need the time to reconnect.
		n := s.tracker.refresh(time.Now())
		s.log.Info("leading: every session gets a fresh timeout", "sessions", n)
	}
}

// abandonPending closes the connections of writes that are waiting for
// the log and fails those writes. They may still commit; the client learns
// the outcome by reading after it reconnects, as with ZooKeeper.
func (s *Server) abandonPending(why string) {
	s.abandon(why, func(*proposal) bool { return true })
}

func (s *Server) abandon(why string, which func(*proposal) bool) {
	s.db.waitMu.Lock()
	var ps []*proposal
	for _, p := range s.db.waiters {
		if which(p) {
			ps = append(ps, p)
		}
	}
	s.db.waitMu.Unlock()
	if len(ps) == 0 {
		return
	}
	s.log.Info("closing the connections of writes whose outcome is unknown", "why", why, "writes", len(ps))
	for _, p := range ps {
		s.abandonConn(p.txn.Session)
		s.db.fail(p, proto.ErrConnectionLoss)
	}
}

// abandonConn closes the connection of a session whose write has an
// unknown or failed outcome.
func (s *Server) abandonConn(session int64) {
	if c := s.connOf(session); c != nil {
		c.close(reasonLeaderChanged)
	}
}

// servingLoop watches an ensemble member's state: it drops the clients of
// a member without a leader, and abandons writes that never applied.
func (s *Server) servingLoop(ctx context.Context) {
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	dropped := false
	lastSweep := time.Now()
	var since time.Time // when this member stopped serving; zero while it serves
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			switch {
			case s.serves():
				since, dropped = time.Time{}, false
			case since.IsZero():
				since = now
			case !dropped && now.Sub(since) > s.cfg.LeaderGrace:
				dropped = true
				s.log.Warn("no leader for a while: closing client connections so clients move to a member that has one",
					"for", now.Sub(since).Round(time.Millisecond), "connections", len(s.connections()))
				for _, c := range s.connections() {
					c.close(reasonNotServing)
				}
			}
			if now.Sub(lastSweep) >= time.Second {
				lastSweep = now
				deadline := now.Add(-s.cfg.ProposalTimeout)
				s.abandon("a write did not apply within the proposal timeout", func(p *proposal) bool {
					return p.since.Before(deadline)
				})
			}
		}
	}
}

// touchInterval is how often a follower tells the leader which sessions
// its clients used: a few times per minimum session timeout.
func (s *Server) touchInterval() time.Duration {
	return min(max(s.cfg.TickTime/2, 50*time.Millisecond), time.Second)
}

// touchLoop sends the leader the sessions touched here since last time.
func (s *Server) touchLoop(ctx context.Context) {
	t := time.NewTicker(s.touchInterval())
	defer t.Stop()
	var buf []byte
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ids := s.tracker.takeTouched()
		lead := s.node.Leader()
		if len(ids) == 0 || lead == 0 || lead == s.cfg.ServerID {
			continue
		}
		buf = appendTouches(buf[:0], ids)
		s.node.Send(lead, buf)
	}
}

// reportTouch tells the leader at once that a session is alive here: a
// client that just moved to this member must not be expired by a leader
// that has not heard of it since it left its old member.
func (s *Server) reportTouch(id int64) {
	if !s.ensemble() || s.node == nil {
		return
	}
	if lead := s.node.Leader(); lead != 0 && lead != s.cfg.ServerID {
		s.node.Send(lead, appendTouches(nil, []int64{id}))
	}
}

// The touch message: kind, then session ids, big-endian.
const msgTouch = 1

func appendTouches(b []byte, ids []int64) []byte {
	b = append(b, msgTouch)
	for _, id := range ids {
		b = binary.BigEndian.AppendUint64(b, uint64(id))
	}
	return b
}

// peerMessage is quorum's OnMessage: another member's session touches.
func (s *Server) peerMessage(from uint64, data []byte) {
	if len(data) == 0 || data[0] != msgTouch || (len(data)-1)%8 != 0 {
		s.log.Warn("ignoring a malformed message from a member", "from", from, "bytes", len(data))
		return
	}
	if !s.node.IsLeader() {
		return
	}
	for b := data[1:]; len(b) >= 8; b = b[8:] {
		s.tracker.touch(int64(binary.BigEndian.Uint64(b)))
	}
}

// expires reports whether this member's clock may expire sessions.
func (s *Server) expires() bool { return !s.ensemble() || s.node.IsLeader() }

// proposeExpiry puts a session's expiry in the log; if it does not take
// effect (the leader changed, the disk is full) the session may be
// expired again later.
func (s *Server) proposeExpiry(id int64) {
	p := s.db.submit(&tree.Txn{Type: proto.OpCloseSession, Session: id})
	go func() {
		<-p.done
		if p.res.Err == proto.ErrOK {
			return
		}
		s.db.mu.RLock()
		live := s.db.tree.Session(id) != nil
		s.db.mu.RUnlock()
		if live {
			s.tracker.unexpire(id)
		} else {
			s.tracker.remove(id)
		}
	}()
}

// sessionCreated runs on the apply loop of every member for each new
// session, so whichever member leads later knows its timeout.
func (s *Server) sessionCreated(id int64, timeout int32) {
	s.tracker.add(id, time.Duration(timeout)*time.Millisecond)
}

// restored runs after the state was replaced by a snapshot from the
// leader: the sessions are the snapshot's, and clients must re-register
// their watches against the new state, so they reconnect.
func (s *Server) restored() {
	s.db.mu.RLock()
	ids := s.db.tree.Sessions()
	timeouts := make([]time.Duration, len(ids))
	for i, id := range ids {
		timeouts[i] = time.Duration(s.db.tree.Session(id).Timeout) * time.Millisecond
	}
	s.db.mu.RUnlock()
	s.tracker.reset(ids, timeouts)
	s.abandonPending("the state was replaced by the leader's snapshot")
	for _, c := range s.connections() {
		c.close(reasonNotServing)
	}
}

// ensembleStatus is one line about this member's place in the ensemble,
// for logs and systemd's STATUS=.
func (s *Server) ensembleStatus() string {
	if !s.ensemble() {
		return "standalone"
	}
	lead := s.node.Leader()
	switch {
	case lead == 0:
		return "waiting for quorum (no leader)"
	case lead == s.cfg.ServerID:
		c := countFollowers(s.node.Followers())
		return fmt.Sprintf("leading with %d/%d followers in sync", c.synced, c.followers)
	case s.node.IsLearner():
		return fmt.Sprintf("observing leader %d", lead)
	}
	return fmt.Sprintf("following leader %d", lead)
}

// followerCounts sum up the leader's view of the other members.
type followerCounts struct {
	learners        int // followers and observers
	followers       int // voters other than the leader
	synced          int // followers in sync
	syncedObservers int
}

func countFollowers(fs []quorum.FollowerStatus) followerCounts {
	c := followerCounts{learners: len(fs)}
	for _, f := range fs {
		switch {
		case f.Observer && f.Synced:
			c.syncedObservers++
		case !f.Observer:
			c.followers++
			if f.Synced {
				c.synced++
			}
		}
	}
	return c
}
