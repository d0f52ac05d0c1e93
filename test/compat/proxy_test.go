package compat

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
)

// proxy is a loopback TCP relay between clients and the server. A test
// points a client at it to cut the client's connection (sever) or to make
// the network silently lose everything (blackhole) without touching the
// client or the server.
type proxy struct {
	ln     net.Listener
	target string
	holed  atomic.Bool // drop every byte, both ways

	mu    sync.Mutex
	conns map[net.Conn]struct{} // both ends of every live relay
}

// newProxy listens on a free loopback port and relays to target until the
// test ends.
func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy listen: %v", err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.sever()
	})
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // listener closed at cleanup
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[s] = struct{}{}, struct{}{}
		p.mu.Unlock()
		go p.relay(c, s)
		go p.relay(s, c)
	}
}

// relay copies from src to dst, dropping the bytes while the proxy is a
// black hole, and closes both ends when either fails.
func (p *proxy) relay(src, dst net.Conn) {
	defer p.drop(src, dst)
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !p.holed.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

func (p *proxy) drop(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		c.Close()
		delete(p.conns, c)
	}
}

// sever closes every relayed connection, both ends, at once: the client and
// the server each see their connection closed.
func (p *proxy) sever() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.severLocked()
}

// severLocked is sever. REQUIRES: p.mu held.
func (p *proxy) severLocked() {
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]struct{}{}
}

// blackhole starts (on) or ends (off) losing all traffic. Connections stay
// open and new ones are accepted, but no byte gets through. Ending it severs
// the connections that were black-holed (a half-relayed packet must not
// reach the other side), so clients reconnect.
func (p *proxy) blackhole(on bool) {
	if on {
		p.holed.Store(true)
		return
	}
	// Under p.mu no connection can be registered between closing the old
	// ones and letting bytes through again.
	p.mu.Lock()
	defer p.mu.Unlock()
	p.severLocked()
	p.holed.Store(false)
}
