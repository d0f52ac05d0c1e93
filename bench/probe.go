package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"zkd/zkd/proto"
)

// Failover probes: how soon after a fault an ensemble takes a write again,
// as a client sees it. Both kinds create <path>-1, <path>-2, ... until one
// create succeeds, with the same bounds on every try (ProbeOptions) and the
// same pause between tries, and neither has any back-off of its own (a
// real client library adds its own: go-zookeeper sleeps a second after
// each round of its server list):
//
//   - FreshWrite opens a new session for every try, with each server in
//     turn: it shows when the ensemble serves new clients and their writes.
//   - Session.FirstWrite uses a session opened before the fault: on a
//     broken connection or a try that times out it resumes the same
//     session (id, password, last zxid seen) with the next server, as a
//     client library does; a server's error reply is retried on the same
//     connection.

// ProbeOptions bound every try of a probe. Zero fields take the defaults.
type ProbeOptions struct {
	// SessionTimeout is what each session asks for (DefaultProbeSessionTimeout).
	SessionTimeout time.Duration
	// DialTimeout bounds connecting and the handshake of one try
	// (DefaultProbeDialTimeout).
	DialTimeout time.Duration
	// ReplyTimeout bounds the create of one try (DefaultProbeReplyTimeout).
	ReplyTimeout time.Duration
	// Pause is the wait after a failed try (DefaultProbePause).
	Pause time.Duration
}

// Defaults of ProbeOptions: those of the ensemble failover tests
// (internal/ztest) whose Apache numbers docs/ensemble-reference.md records.
const (
	DefaultProbeSessionTimeout = 10 * time.Second
	DefaultProbeDialTimeout    = 2 * time.Second
	DefaultProbeReplyTimeout   = 3 * time.Second
	DefaultProbePause          = 20 * time.Millisecond
)

func (o *ProbeOptions) defaults() {
	setDefault(&o.SessionTimeout, DefaultProbeSessionTimeout)
	setDefault(&o.DialTimeout, DefaultProbeDialTimeout)
	setDefault(&o.ReplyTimeout, DefaultProbeReplyTimeout)
	setDefault(&o.Pause, DefaultProbePause)
}

// ProbeResult is what a probe found.
type ProbeResult struct {
	// At is when the reply of the first successful create was read, and
	// Path what it created.
	At   time.Time
	Path string
	// Tries counts the creates sent (FreshWrite: the sessions tried, with
	// or without a create).
	Tries int
	// Reconnects counts the times a pre-opened session moved to a new
	// connection.
	Reconnects int
	// Errors holds the distinct errors of failed tries, the first few, in
	// order, with how often each came.
	Errors []string
}

// maxProbeErrors bounds ProbeResult.Errors.
const maxProbeErrors = 6

// probeErrors counts the distinct errors of a probe.
type probeErrors struct {
	order []string
	count map[string]int
}

func (p *probeErrors) add(err error) {
	msg := err.Error()
	if p.count == nil {
		p.count = map[string]int{}
	}
	if p.count[msg] == 0 && len(p.order) < maxProbeErrors {
		p.order = append(p.order, msg)
	}
	p.count[msg]++
}

func (p *probeErrors) list() []string {
	out := make([]string, len(p.order))
	for i, m := range p.order {
		out[i] = m
		if n := p.count[m]; n > 1 {
			out[i] += " (x" + strconv.Itoa(n) + ")"
		}
	}
	return out
}

// ErrProbeGaveUp is returned by a probe whose context ended before a
// create succeeded.
var ErrProbeGaveUp = errors.New("bench: no successful write")

func gaveUp(ctx context.Context, res ProbeResult) error {
	last := "none"
	if len(res.Errors) > 0 {
		last = res.Errors[len(res.Errors)-1]
	}
	return fmt.Errorf("%w after %d tries (%v); errors seen: %d distinct, last: %s",
		ErrProbeGaveUp, res.Tries, context.Cause(ctx), len(res.Errors), last)
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// createOnce sends one create of path on c, bounded by timeout.
func createOnce(ctx context.Context, c *Conn, path string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := c.Call(ctx, proto.OpCreate, &proto.CreateRequest{Path: path, Data: []byte{}, ACL: openACL}, nil)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("create %s: no reply within %v", path, timeout)
	}
	return err
}

// FreshWrite opens a new session with addrs[0], addrs[1], ... in turn and
// creates path-N through it, until a create succeeds or ctx ends. Each
// session is closed (politely, in the background) after its try.
func FreshWrite(ctx context.Context, addrs []string, path string, o ProbeOptions) (ProbeResult, error) {
	o.defaults()
	var res ProbeResult
	var errs probeErrors
	for i := 0; ctx.Err() == nil; i++ {
		addr := addrs[i%len(addrs)]
		p := path + "-" + strconv.Itoa(i+1)
		res.Tries++
		err := freshTry(ctx, addr, p, o)
		if err == nil {
			res.At, res.Path, res.Errors = time.Now(), p, errs.list()
			return res, nil
		}
		if ctx.Err() != nil {
			break
		}
		errs.add(fmt.Errorf("%s: %w", addr, err))
		sleepCtx(ctx, o.Pause)
	}
	res.Errors = errs.list()
	return res, gaveUp(ctx, res)
}

func freshTry(ctx context.Context, addr, path string, o ProbeOptions) error {
	dctx, cancel := context.WithTimeout(ctx, o.DialTimeout)
	c, err := Dial(dctx, addr, o.SessionTimeout)
	cancel()
	if err != nil {
		return err
	}
	defer func() { go c.Close() }() // Close waits for the server; the next try need not
	return createOnce(ctx, c, path, o.ReplyTimeout)
}

// Session is a session opened before a fault, for Session.FirstWrite. It
// is used by one goroutine at a time.
type Session struct {
	addrs []string
	o     ProbeOptions
	c     *Conn // nil between a broken connection and the next
	next  int   // index in addrs of the server to resume with next
	// id, passwd and lastZxid name the session to resume.
	id       int64
	passwd   []byte
	lastZxid int64
}

// OpenSession opens a session with the first of addrs that grants one
// (each bounded by o.DialTimeout); a Session resumes it with the others
// in turn when its connection breaks.
func OpenSession(ctx context.Context, addrs []string, o ProbeOptions) (*Session, error) {
	o.defaults()
	if len(addrs) == 0 {
		return nil, errors.New("bench: a session needs a server")
	}
	var errs []error
	for i, addr := range addrs {
		dctx, cancel := context.WithTimeout(ctx, o.DialTimeout)
		c, err := Dial(dctx, addr, o.SessionTimeout)
		cancel()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		return &Session{addrs: addrs, o: o, c: c, next: (i + 1) % len(addrs),
			id: c.SessionID, passwd: c.Passwd}, nil
	}
	return nil, errors.Join(errs...)
}

// ID is the session id.
func (s *Session) ID() int64 { return s.id }

// Addr is the server the session is connected to now ("" between
// connections).
func (s *Session) Addr() string {
	if s.c == nil {
		return ""
	}
	return s.c.nc.RemoteAddr().String()
}

// FirstWrite creates path-1, path-2, ... through the session until a
// create succeeds or ctx ends. A broken connection, or a create without a
// reply within ReplyTimeout, moves the session to the next server (the
// same session id and password, lastZxidSeen as seen so far); an error
// reply (the server's answer) is retried on the same connection.
func (s *Session) FirstWrite(ctx context.Context, path string) (ProbeResult, error) {
	var res ProbeResult
	var errs probeErrors
	for i := 1; ctx.Err() == nil; i++ {
		if s.c == nil {
			addr := s.addrs[s.next]
			s.next = (s.next + 1) % len(s.addrs)
			dctx, cancel := context.WithTimeout(ctx, s.o.DialTimeout)
			c, err := DialSession(dctx, addr, s.o.SessionTimeout,
				Resume{SessionID: s.id, Passwd: s.passwd, LastZxid: s.lastZxid})
			cancel()
			if err != nil {
				if ctx.Err() != nil {
					break
				}
				errs.add(fmt.Errorf("resume with %s: %w", addr, err))
				sleepCtx(ctx, s.o.Pause)
				continue
			}
			if c.SessionID != s.id {
				c.Abort()
				errs.add(fmt.Errorf("resume with %s: got session %#x, want %#x", addr, c.SessionID, s.id))
				sleepCtx(ctx, s.o.Pause)
				continue
			}
			s.c = c
			res.Reconnects++
		}
		p := path + "-" + strconv.Itoa(i)
		res.Tries++
		err := createOnce(ctx, s.c, p, s.o.ReplyTimeout)
		s.lastZxid = max(s.lastZxid, s.c.LastZxid)
		if err == nil {
			res.At, res.Path, res.Errors = time.Now(), p, errs.list()
			return res, nil
		}
		if ctx.Err() != nil {
			break
		}
		errs.add(fmt.Errorf("%s: %w", s.Addr(), err))
		if code := proto.ErrCode(0); !errors.As(err, &code) {
			s.c.Abort() // no answer: move to the next server
			s.c = nil
		}
		sleepCtx(ctx, s.o.Pause)
	}
	res.Errors = errs.list()
	return res, gaveUp(ctx, res)
}

// Create creates path (persistent, empty) through the session's current
// connection, once, bounded by ReplyTimeout; it does not reconnect. It is
// for checking the session before a fault (and making the parent of the
// probe's paths); an existing node is not an error.
func (s *Session) Create(ctx context.Context, path string) error {
	if s.c == nil {
		return errors.New("bench: the session has no connection")
	}
	err := createOnce(ctx, s.c, path, s.o.ReplyTimeout)
	s.lastZxid = max(s.lastZxid, s.c.LastZxid)
	if errors.Is(err, proto.ErrNodeExists) {
		return nil
	}
	return err
}

// Close ends the session (closeSession on its connection, if it has one;
// the session then expires on its own otherwise).
func (s *Session) Close() {
	if s.c != nil {
		s.c.Close()
		s.c = nil
	}
}
