package server

import (
	"sort"
	"sync"
	"time"
)

// sessionTracker knows when each session was last heard from. It is the
// only place with clocks for sessions: expiry leaves here as a closeSession
// txn. (In an ensemble only the leader's tracker expires sessions.)
type sessionTracker struct {
	mu       sync.Mutex
	sessions map[int64]*liveness
}

type liveness struct {
	timeout  time.Duration
	deadline time.Time
	expiring bool // closeSession proposed, not yet applied
}

func newSessionTracker() *sessionTracker {
	return &sessionTracker{sessions: map[int64]*liveness{}}
}

func (t *sessionTracker) add(id int64, timeout time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sessions[id] = &liveness{timeout: timeout, deadline: time.Now().Add(timeout)}
}

func (t *sessionTracker) touch(id int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if l := t.sessions[id]; l != nil && !l.expiring {
		l.deadline = time.Now().Add(l.timeout)
	}
}

func (t *sessionTracker) remove(id int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.sessions, id)
}

// expired returns sessions past their deadline, marking them so they are
// proposed for closing once.
func (t *sessionTracker) expired(now time.Time) []int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []int64
	for id, l := range t.sessions {
		if !l.expiring && now.After(l.deadline) {
			l.expiring = true
			out = append(out, id)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func (t *sessionTracker) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.sessions)
}
