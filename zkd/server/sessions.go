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
	// touched are the sessions heard from since takeTouched last ran: what
	// a follower reports to the leader. nil for a standalone server, which
	// reports to nobody (nothing would ever drain it).
	touched map[int64]struct{}
}

type liveness struct {
	timeout  time.Duration
	deadline time.Time
	expiring bool // closeSession proposed, not yet applied
}

func newSessionTracker() *sessionTracker {
	return &sessionTracker{sessions: map[int64]*liveness{}}
}

// reportTouches makes the tracker remember touched sessions for
// takeTouched (ensemble members).
func (t *sessionTracker) reportTouches() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.touched = map[int64]struct{}{}
}

// add starts tracking a session (created, or resumed with a timeout).
func (t *sessionTracker) add(id int64, timeout time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sessions[id] = &liveness{timeout: timeout, deadline: time.Now().Add(timeout)}
	if t.touched != nil {
		t.touched[id] = struct{}{}
	}
}

func (t *sessionTracker) touch(id int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if l := t.sessions[id]; l != nil && !l.expiring {
		l.deadline = time.Now().Add(l.timeout)
		if t.touched != nil {
			t.touched[id] = struct{}{}
		}
	}
}

// takeTouched returns and forgets the sessions touched since last time.
func (t *sessionTracker) takeTouched() []int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.touched) == 0 {
		return nil
	}
	out := make([]int64, 0, len(t.touched))
	for id := range t.touched {
		out = append(out, id)
	}
	clear(t.touched)
	return out
}

// refresh gives every session a full timeout from now and forgets
// expiries in flight (a new leader's clock). It returns the count.
func (t *sessionTracker) refresh(now time.Time) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, l := range t.sessions {
		l.deadline, l.expiring = now.Add(l.timeout), false
	}
	return len(t.sessions)
}

// unexpire lets a session whose expiry did not take effect expire again.
func (t *sessionTracker) unexpire(id int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if l := t.sessions[id]; l != nil {
		l.expiring = false
	}
}

// reset replaces every tracked session (after a snapshot install).
func (t *sessionTracker) reset(ids []int64, timeouts []time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	clear(t.sessions)
	now := time.Now()
	for i, id := range ids {
		t.sessions[id] = &liveness{timeout: timeouts[i], deadline: now.Add(timeouts[i])}
	}
}

func (t *sessionTracker) remove(id int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.sessions, id)
	delete(t.touched, id)
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
