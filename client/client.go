package client

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"zkd/zkd/proto"
)

// ErrClosed is returned by calls on a Client after Close or after its
// session expired.
var ErrClosed = errors.New("client: closed")

// Event is a watch notification or a change of connection state (Type
// EventNone with an empty Path).
type Event struct {
	Type  proto.EventType
	State proto.KeeperState
	Path  string
}

// Watcher receives every Event of a Client, one at a time and in order, on
// a goroutine of its own: a slow Watcher delays later events, not replies.
type Watcher func(Event)

// Options tune Connect; zero values take the defaults noted.
type Options struct {
	SessionTimeout time.Duration // asked of the server; 0 → 30s (zkCli's default)
	Watcher        Watcher       // nil → events are dropped
	// SessionID and Passwd resume an existing session instead of creating one.
	SessionID int64
	Passwd    []byte
}

// Client is one ZooKeeper session, safe for concurrent use.
type Client struct {
	servers []string
	opts    Options

	mu        sync.Mutex
	cond      *sync.Cond // signalled when state or conn changes
	state     proto.KeeperState
	conn      *conn // nil while not connected
	sessionID int64
	passwd    []byte
	timeout   time.Duration // negotiated
	lastZxid  int64
	auths     []proto.AuthPacket
	watches   watchSet
	closed    bool
	next      int // index of the next server to try

	xidSeq atomic.Int32
	events chan Event
	quit   chan struct{} // closed by stop
	once   sync.Once
	done   chan struct{} // closed when the session loop has ended
}

// Connect starts a session on one of servers ("host:port" each, or one
// comma-separated string as zkCli takes it) and waits, up to the session
// timeout, for the first connection.
func Connect(servers []string, opts Options) (*Client, error) {
	var list []string
	for _, s := range servers {
		for _, h := range strings.Split(s, ",") {
			if h = strings.TrimSpace(h); h != "" {
				list = append(list, h)
			}
		}
	}
	if len(list) == 0 {
		return nil, errors.New("client: no servers given")
	}
	if opts.SessionTimeout <= 0 {
		opts.SessionTimeout = 30 * time.Second
	}
	c := &Client{
		servers:   list,
		opts:      opts,
		state:     proto.StateDisconnected,
		sessionID: opts.SessionID,
		passwd:    opts.Passwd,
		timeout:   opts.SessionTimeout,
		watches:   newWatchSet(),
		events:    make(chan Event, 256),
		quit:      make(chan struct{}),
		done:      make(chan struct{}),
	}
	c.cond = sync.NewCond(&c.mu)
	go c.deliver()
	go c.loop()
	if err := c.waitConnected(opts.SessionTimeout); err != nil {
		c.Close()
		return nil, fmt.Errorf("client: connecting to %s: %w", strings.Join(list, ","), err)
	}
	return c, nil
}

// State is the connection state as zkCli's prompt shows it.
func (c *Client) State() proto.KeeperState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Connected reports whether the session is connected to a server now.
func (c *Client) Connected() bool { return c.State() == proto.StateSyncConnected }

// SessionID returns the session id and password, to resume it elsewhere.
func (c *Client) SessionID() (int64, []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sessionID, append([]byte(nil), c.passwd...)
}

// Server returns the address of the server connected to, or "".
func (c *Client) Server() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		return ""
	}
	return c.conn.addr
}

// waitConnected blocks until connected, closed, or d has passed.
func (c *Client) waitConnected(d time.Duration) error {
	deadline := time.Now().Add(d)
	t := time.AfterFunc(d, func() {
		c.mu.Lock()
		c.cond.Broadcast()
		c.mu.Unlock()
	})
	defer t.Stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.conn == nil {
		if c.closed {
			switch c.state {
			case proto.StateExpired:
				return proto.ErrSessionExpired
			case proto.StateAuthFailed:
				return proto.ErrAuthFailed
			}
			return ErrClosed
		}
		if !time.Now().Before(deadline) {
			return proto.ErrConnectionLoss
		}
		c.cond.Wait()
	}
	return nil
}

// Close ends the session (closeSession) and stops the client. It is safe
// to call more than once.
func (c *Client) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	// Mark closed first so the session loop does not reconnect when the
	// server drops the connection after closeSession.
	c.stopLocked()
	cn := c.conn
	c.mu.Unlock()
	if cn != nil {
		ch := c.send(cn, proto.OpCloseSession, nil, nil)
		select {
		case <-ch:
		case <-time.After(2 * time.Second):
		}
	}
	c.mu.Lock()
	c.state = proto.StateClosed
	if c.conn != nil {
		c.conn.nc.Close()
	}
	c.cond.Broadcast()
	c.mu.Unlock()
	<-c.done
	return nil
}

// stopLocked marks the client finished so the session loop ends instead of
// reconnecting; c.mu held.
func (c *Client) stopLocked() {
	c.closed = true
	c.once.Do(func() { close(c.quit) })
	c.cond.Broadcast()
}

// emit queues an event for the Watcher; it never blocks the reader for
// long: a full queue drops the event rather than wedge the session.
func (c *Client) emit(ev Event) {
	select {
	case c.events <- ev:
	case <-time.After(time.Second):
	}
}

// deliver runs the Watcher, one event at a time, until the session ends.
func (c *Client) deliver() {
	for {
		select {
		case ev := <-c.events:
			if c.opts.Watcher != nil {
				c.opts.Watcher(ev)
			}
		case <-c.done:
			for {
				select {
				case ev := <-c.events:
					if c.opts.Watcher != nil {
						c.opts.Watcher(ev)
					}
				default:
					return
				}
			}
		}
	}
}
