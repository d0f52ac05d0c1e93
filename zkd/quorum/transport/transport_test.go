package transport

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

func TestConfigValidation(t *testing.T) {
	h := func(context.Context, *pb.Message) error { return nil }
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no id", Config{ListenAddr: ":0", Handler: h}, "id must not be 0"},
		{"no listen", Config{ID: 1, Handler: h}, "listen address"},
		{"no handler", Config{ID: 1, ListenAddr: ":0"}, "handler"},
		{"peer without addr", Config{ID: 1, ListenAddr: ":0", Handler: h, Peers: []Peer{{ID: 2}}}, "no address"},
		{"peer id 0", Config{ID: 1, ListenAddr: ":0", Handler: h, Peers: []Peer{{Addr: "x:1"}}}, "must not be 0"},
		{"duplicate peer", Config{ID: 1, ListenAddr: ":0", Handler: h, Peers: []Peer{{2, "a:1"}, {2, "b:1"}}}, "twice"},
		{"self is skipped", Config{ID: 1, ListenAddr: ":0", Handler: h, Peers: []Peer{{1, "a:1"}, {2, "b:1"}}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, err := New(tt.cfg)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if s := tr.Stats(); len(s) != 1 || s[0].ID != 2 {
					t.Fatalf("peers = %+v, want only 2", s)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

// TestOrderPerSender sends many batches both ways and checks every message
// arrives once, in order.
func TestOrderPerSender(t *testing.T) {
	a, b := pair(t, func(c *Config) { c.MaxQueue = 1 << 16 })
	const total = 10000
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := uint64(0); i < total; {
			var batch []*pb.Message
			for j := 0; j < 1+int(i%97) && i < total; j++ {
				batch = append(batch, app(2, 1, i))
				i++
			}
			b.tr.Send(batch)
		}
	}()
	for i := uint64(0); i < total; i++ {
		a.tr.Send([]*pb.Message{app(1, 2, i)})
	}
	<-done
	for _, n := range []*node{a, b} {
		waitFor(t, 10*time.Second, "all messages delivered", func() bool { return n.in.len() == total })
		for i, m := range n.in.all() {
			if m.GetIndex() != uint64(i) {
				t.Fatalf("message %d has index %d: reordered or lost", i, m.GetIndex())
			}
		}
	}
	sa, sb := a.stats(2), b.stats(1)
	if sa.Sent != total || sb.Received != total || sa.Dropped != 0 {
		t.Fatalf("stats: a->b sent %d dropped %d, b received %d; want %d, 0, %d", sa.Sent, sa.Dropped, sb.Received, total, total)
	}
}

// rawPeer dials tr as member from and completes a handshake to member to.
func rawPeer(t *testing.T, tr *Transport, hs handshake) (net.Conn, byte) {
	t.Helper()
	conn, err := net.Dial("tcp", tr.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write(appendHandshake(nil, hs)); err != nil {
		t.Fatal(err)
	}
	var status [1]byte
	if _, err := io.ReadFull(conn, status[:]); err != nil {
		return conn, 0xff // closed without an answer
	}
	return conn, status[0]
}

// expectClosed asserts the transport closes conn (a read sees EOF).
func expectClosed(t *testing.T, conn net.Conn) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var b [1]byte
	_, err := conn.Read(b[:])
	if err == nil {
		t.Fatal("the transport wrote on a one-way stream")
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the transport did not close the connection")
	}
}

func TestBadFramesCloseTheConnection(t *testing.T) {
	good, err := appendFrame(nil, app(2, 1, 5), DefaultMaxFrameSize)
	if err != nil {
		t.Fatal(err)
	}
	frame := func(payload []byte, crcXor uint32, length uint32) []byte {
		b := binary.BigEndian.AppendUint32(nil, length)
		b = binary.BigEndian.AppendUint32(b, crc(payload)^crcXor)
		return append(b, payload...)
	}
	wrongFrom, _ := proto.Marshal(app(3, 1, 0))
	wrongTo, _ := proto.Marshal(app(2, 9, 0))
	garbage := []byte{0xff, 0xff, 0xff, 0xff, 0xff}
	tests := []struct {
		name  string
		bytes []byte
		log   string
	}{
		{"corrupt crc", frame(good[8:], 1, uint32(len(good)-8)), "checksum mismatch"},
		{"oversize length", frame(nil, 0, 1<<20+1), "longer than the limit"},
		{"not a raft message", frame(garbage, 0, uint32(len(garbage))), "not a raft message"},
		{"relayed message", frame(wrongFrom, 0, uint32(len(wrongFrom))), "does not match its connection"},
		{"misaddressed message", frame(wrongTo, 0, uint32(len(wrongTo))), "does not match its connection"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNode(t, 1, []Peer{{ID: 2, Addr: "127.0.0.1:1"}}, func(c *Config) { c.MaxFrameSize = 1 << 20 })
			conn, status := rawPeer(t, n.tr, handshake{version: Version, kind: kindStream, from: 2, to: 1})
			if status != statusOK {
				t.Fatalf("handshake status %d", status)
			}
			// A good frame first: it is delivered, the bad one is not.
			if _, err := conn.Write(append(append([]byte(nil), good...), tt.bytes...)); err != nil {
				t.Fatal(err)
			}
			expectClosed(t, conn)
			waitFor(t, 5*time.Second, "the warning", func() bool {
				return containsAll(n.logs.String(), "bad frame", "peer=2", tt.log)
			})
			if n.in.len() != 1 {
				t.Fatalf("delivered %d messages, want only the good one", n.in.len())
			}
			if s := n.stats(2); s.ProtocolErrors != 1 || s.Received != 1 {
				t.Fatalf("stats %+v: want 1 protocol error, 1 received", s)
			}
		})
	}
}

func TestHandshakeRejected(t *testing.T) {
	tests := []struct {
		name   string
		hs     []byte
		status byte
		log    string
	}{
		{"wrong to-id", appendHandshake(nil, handshake{Version, kindStream, 2, 7, 0}), statusWrongTo, "dialled member 7 but this is member 1"},
		{"unknown from-id", appendHandshake(nil, handshake{Version, kindStream, 5, 1, 0}), statusUnknownFrom, "member 5 is not in this member's server list"},
		{"from self", appendHandshake(nil, handshake{Version, kindStream, 1, 1, 0}), statusUnknownFrom, "member 1 is not in"},
		{"future version", appendHandshake(nil, handshake{Version + 1, kindStream, 2, 1, 0}), statusBadVersion, "protocol version 3"},
		{"bad kind", appendHandshake(nil, handshake{Version, 9, 2, 1, 0}), statusBadKind, "unknown connection kind 9"},
		{"other membership", appendHandshake(nil, handshake{Version, kindStream, 2, 1, 0xbad}), statusMembership, "member 2 has another server list"},
		{"bad magic", []byte("GET / HTTP/1.1\r\nHost: zk01.example\r\n\r\n"), 0xff, "not a zkd peer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNode(t, 1, []Peer{{ID: 2, Addr: "127.0.0.1:1"}}, nil)
			conn, err := net.Dial("tcp", n.addr())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			conn.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := conn.Write(tt.hs); err != nil {
				t.Fatal(err)
			}
			var b [1]byte
			got := byte(0xff)
			if _, err := io.ReadFull(conn, b[:]); err == nil {
				got = b[0]
			}
			if got != tt.status {
				t.Fatalf("status %d, want %d", got, tt.status)
			}
			expectClosed(t, conn)
			waitFor(t, 5*time.Second, "the rejection logged", func() bool {
				return containsAll(n.logs.String(), "level=WARN", "rejected", tt.log)
			})
		})
	}
}

// TestDialerSeesRejection: a peer whose myid differs from our server list
// refuses us; we log why, count it, and report it unreachable.
func TestDialerSeesRejection(t *testing.T) {
	b := newNode(t, 2, []Peer{{ID: 1, Addr: "127.0.0.1:1"}}, nil)
	a := newNode(t, 1, []Peer{{ID: 3, Addr: b.addr()}}, nil) // we think member 3 is there
	waitFor(t, 5*time.Second, "the dialer's warning", func() bool {
		return containsAll(a.logs.String(), "peer unreachable", "handshake rejected", "wrong member id")
	})
	if a.cb.count(a.cb.unreachable, 3) == 0 || a.stats(3).ConnectFailures == 0 {
		t.Fatalf("rejection not reported: unreachable %d, stats %+v", a.cb.count(a.cb.unreachable, 3), a.stats(3))
	}
	if !strings.Contains(b.logs.String(), "dialled member 3 but this is member 2") {
		t.Fatalf("acceptor did not log the rejection:\n%s", b.logs.String())
	}
}

// TestMembershipMismatch: two members whose server lists differ (another
// digest) never exchange a message, and both say why.
func TestMembershipMismatch(t *testing.T) {
	b := newNode(t, 2, []Peer{{ID: 1, Addr: "127.0.0.1:1"}}, func(c *Config) { c.Membership = 0x1111 })
	a := newNode(t, 1, []Peer{{ID: 2, Addr: b.addr()}}, func(c *Config) { c.Membership = 0x2222 })
	a.tr.Send([]*pb.Message{heartbeat(1, 2)})
	waitFor(t, 5*time.Second, "the dialer's warning", func() bool {
		return containsAll(a.logs.String(), "handshake rejected", "server list differs")
	})
	if !strings.Contains(b.logs.String(), "member 1 has another server list") {
		t.Fatalf("acceptor did not log the rejection:\n%s", b.logs.String())
	}
	if got := b.in.len(); got != 0 {
		t.Fatalf("%d messages delivered across differing server lists", got)
	}
}

// TestReconnectAfterRestart stops the peer, sends into the void, restarts
// the peer on the same address and expects delivery to resume.
func TestReconnectAfterRestart(t *testing.T) {
	a, b := pair(t, nil)
	a.tr.Send([]*pb.Message{app(1, 2, 0)})
	waitFor(t, 5*time.Second, "first delivery", func() bool { return b.in.len() == 1 })
	addr := b.addr()
	b.tr.Stop()
	waitFor(t, 5*time.Second, "a notices the peer is gone", func() bool { return !a.stats(2).Connected })
	a.tr.Send([]*pb.Message{app(1, 2, 1), app(1, 2, 2)})
	waitFor(t, 5*time.Second, "unreachable reported", func() bool { return a.cb.count(a.cb.unreachable, 2) > 0 })

	var b2 *node
	waitFor(t, 5*time.Second, "restart on the same address", func() bool {
		in := &inbox{}
		tr, err := New(Config{ID: 2, ListenAddr: addr, Peers: []Peer{{ID: 1, Addr: a.addr()}}, Handler: in.handle, Logger: (&logBuffer{}).logger()})
		if err != nil {
			t.Fatal(err)
		}
		if tr.Start(context.Background()) != nil {
			return false
		}
		t.Cleanup(tr.Stop)
		b2 = &node{tr: tr, in: in}
		return true
	})
	waitFor(t, 5*time.Second, "reconnected", func() bool { return a.stats(2).Connected })
	a.tr.Send([]*pb.Message{app(1, 2, 3)})
	waitFor(t, 5*time.Second, "delivery after restart", func() bool {
		for _, m := range b2.in.all() {
			if m.GetIndex() == 3 {
				return true
			}
		}
		return false
	})
	s := a.stats(2)
	if s.ConnectFailures == 0 || s.Dropped+s.Sent != 4 {
		t.Fatalf("stats %+v: want failures counted and sent+dropped = 4", s)
	}
}

// TestQueueOverflow fills a queue before the writer runs: the excess is
// dropped and counted, the rest delivered, and the peer reported.
func TestQueueOverflow(t *testing.T) {
	b := newNode(t, 2, nil, nil)
	logs := &logBuffer{}
	cb := newCallbacks()
	a, err := New(Config{
		ID: 1, ListenAddr: "127.0.0.1:0", Peers: []Peer{{ID: 2, Addr: b.addr()}},
		Handler: (&inbox{}).handle, OnUnreachable: cb.onUnreachable, Logger: logs.logger(), MaxQueue: 10,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.tr.AddPeer(Peer{ID: 1, Addr: "127.0.0.1:1"}); err != nil {
		t.Fatal(err)
	}
	var msgs []*pb.Message
	for i := range uint64(100) {
		msgs = append(msgs, app(1, 2, i))
	}
	a.Send(msgs) // before Start: the writer is not draining yet
	if s := a.Stats()[0]; s.Queued != 10 || s.Dropped != 90 {
		t.Fatalf("after Send: %+v, want 10 queued and 90 dropped", s)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer a.Stop()
	waitFor(t, 5*time.Second, "the queued ten delivered", func() bool { return b.in.len() == 10 })
	waitFor(t, 5*time.Second, "overflow reported", func() bool { return cb.count(cb.unreachable, 2) > 0 })
	for i, m := range b.in.all() {
		if m.GetIndex() != uint64(i) {
			t.Fatalf("delivered index %d at %d: the oldest messages should be the ones kept", m.GetIndex(), i)
		}
	}
	if s := a.Stats()[0]; s.Sent != 10 || s.Dropped != 90 {
		t.Fatalf("final stats %+v", s)
	}
}

func TestSnapshots(t *testing.T) {
	tests := []struct {
		name       string
		size       int
		peerDown   bool
		refuse     bool
		maxSnap    int
		wantFailed bool
	}{
		{name: "accepted", size: 3 << 20},
		{name: "empty data", size: 0},
		{name: "refused by handler", size: 1000, refuse: true, wantFailed: true},
		{name: "peer down", size: 1000, peerDown: true, wantFailed: true},
		{name: "over the sender's limit", size: 2 << 20, maxSnap: 1 << 20, wantFailed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := pair(t, func(c *Config) {
				if tt.maxSnap > 0 {
					c.MaxSnapshotSize = tt.maxSnap
				}
			})
			if tt.refuse {
				b.in.fail = func(m *pb.Message) error {
					if m.GetType() == pb.MsgSnap {
						return errors.New("busy")
					}
					return nil
				}
			}
			if tt.peerDown {
				b.tr.Stop()
			}
			a.tr.Send([]*pb.Message{snapMsg(1, 2, tt.size)})
			waitFor(t, 10*time.Second, "the snapshot status", func() bool {
				return a.cb.count(a.cb.snapOK, 2)+a.cb.count(a.cb.snapFailed, 2) > 0
			})
			ok, failed := a.cb.count(a.cb.snapOK, 2), a.cb.count(a.cb.snapFailed, 2)
			if tt.wantFailed && (failed != 1 || ok != 0) || !tt.wantFailed && (ok != 1 || failed != 0) {
				t.Fatalf("snapshot reports ok=%d failed=%d, want failed=%v", ok, failed, tt.wantFailed)
			}
			s := a.stats(2)
			if tt.wantFailed {
				if s.SnapshotsFailed != 1 || a.cb.count(a.cb.unreachable, 2) == 0 {
					t.Fatalf("stats %+v: failure not counted or unreachable not reported", s)
				}
				return
			}
			msgs := b.in.all()
			if len(msgs) != 1 || len(msgs[0].GetSnapshot().GetData()) != tt.size || msgs[0].GetSnapshot().GetMetadata().GetIndex() != 100 {
				t.Fatalf("received %d messages, want the one snapshot intact", len(msgs))
			}
			if s.SnapshotsSent != 1 || b.stats(1).SnapshotsReceived != 1 {
				t.Fatalf("stats: sent %d received %d", s.SnapshotsSent, b.stats(1).SnapshotsReceived)
			}
		})
	}
}

// TestSnapshotDoesNotBlockHeartbeats holds the receiver's Handler on a
// snapshot and checks heartbeats keep arriving meanwhile.
func TestSnapshotDoesNotBlockHeartbeats(t *testing.T) {
	a, b := pair(t, nil)
	release := make(chan struct{})
	b.in.fail = func(m *pb.Message) error {
		if m.GetType() == pb.MsgSnap {
			<-release
		}
		return nil
	}
	a.tr.Send([]*pb.Message{snapMsg(1, 2, 8<<20)})
	waitFor(t, 5*time.Second, "snapshot in the handler", func() bool { return b.stats(1).SnapshotsReceived == 1 })
	for range 10 {
		a.tr.Send([]*pb.Message{heartbeat(1, 2)})
	}
	waitFor(t, 5*time.Second, "heartbeats during the snapshot", func() bool { return b.in.len() == 10 })
	if a.cb.count(a.cb.snapOK, 2) != 0 {
		t.Fatal("snapshot reported before the handler took it")
	}
	close(release)
	waitFor(t, 5*time.Second, "snapshot reported", func() bool { return a.cb.count(a.cb.snapOK, 2) == 1 })
}

func TestPeerMembershipChanges(t *testing.T) {
	a, b := pair(t, nil)
	c := newNode(t, 2, []Peer{{ID: 1, Addr: a.addr()}}, nil) // member 2 moved to a new address

	if err := a.tr.AddPeer(Peer{ID: 2, Addr: "x:1"}); !errors.Is(err, ErrPeerExists) {
		t.Fatalf("AddPeer of a known id: %v", err)
	}
	if err := a.tr.UpdatePeer(Peer{ID: 9, Addr: "x:1"}); !errors.Is(err, ErrUnknownPeer) {
		t.Fatalf("UpdatePeer of an unknown id: %v", err)
	}
	if err := a.tr.UpdatePeer(Peer{ID: 2, Addr: c.addr()}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "stream to the new address", func() bool { return c.stats(1).Inbound })
	a.tr.Send([]*pb.Message{app(1, 2, 1)})
	waitFor(t, 5*time.Second, "delivery to the new address", func() bool { return c.in.len() == 1 })
	if b.in.len() != 0 {
		t.Fatal("the old address still receives")
	}

	if err := a.tr.RemovePeer(2); err != nil {
		t.Fatal(err)
	}
	if len(a.tr.Stats()) != 0 {
		t.Fatalf("stats still list the removed peer: %+v", a.tr.Stats())
	}
	a.tr.Send([]*pb.Message{app(1, 2, 2)}) // dropped: unknown member
	// The removed member's stream to us is closed and its redials refused.
	waitFor(t, 5*time.Second, "the removed member is refused", func() bool {
		return strings.Contains(c.logs.String(), "we are not in the peer's server list")
	})
	if err := a.tr.RemovePeer(2); !errors.Is(err, ErrUnknownPeer) {
		t.Fatalf("second RemovePeer: %v", err)
	}
	time.Sleep(50 * time.Millisecond)
	if c.in.len() != 1 {
		t.Fatalf("a removed peer received %d messages, want 1", c.in.len())
	}
}

// TestStopIsFinal: after Stop, Send is a no-op, AddPeer fails, and the
// listener is closed.
func TestStopIsFinal(t *testing.T) {
	a, b := pair(t, nil)
	addr := b.addr()
	b.tr.Stop()
	b.tr.Stop() // idempotent
	b.tr.Send([]*pb.Message{app(2, 1, 0)})
	if err := b.tr.AddPeer(Peer{ID: 3, Addr: "x:1"}); !errors.Is(err, ErrStopped) {
		t.Fatalf("AddPeer after Stop: %v", err)
	}
	if err := b.tr.Start(context.Background()); err == nil {
		t.Fatal("Start after Stop succeeded")
	}
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Fatal("listener still open after Stop")
	}
	if a.in.len() != 0 {
		t.Fatal("message delivered after Stop")
	}
}

// TestWriteTimeoutClosesStream: a peer that accepts but stops reading (a
// frozen process) fills the socket buffers; the blocked write times out,
// the stream is closed, the batch counted as dropped and the peer
// reported unreachable.
func TestWriteTimeoutClosesStream(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	held := make(chan net.Conn, 4)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			var hs [handshakeSize]byte
			if _, err := io.ReadFull(conn, hs[:]); err == nil {
				conn.Write([]byte{statusOK})
			}
			held <- conn // never read again
		}
	}()
	defer func() {
		for len(held) > 0 {
			(<-held).Close()
		}
	}()
	a := newNode(t, 1, []Peer{{ID: 2, Addr: ln.Addr().String()}}, func(c *Config) { c.WriteTimeout = 300 * time.Millisecond })
	waitFor(t, 5*time.Second, "connected", func() bool { return a.stats(2).Connected })
	big := app(1, 2, 0)
	big.Entries[0].Data = make([]byte, 1<<20)
	var msgs []*pb.Message
	for range 64 {
		msgs = append(msgs, big)
	}
	a.tr.Send(msgs)
	waitFor(t, 10*time.Second, "the write to time out", func() bool {
		return a.stats(2).ConnectFailures > 0 && a.cb.count(a.cb.unreachable, 2) > 0
	})
	s := a.stats(2)
	if s.Dropped == 0 || s.Sent+s.Dropped != 64 {
		t.Fatalf("stats %+v: want the unwritten messages dropped", s)
	}
	if !strings.Contains(a.logs.String(), "i/o timeout") {
		t.Fatalf("no timeout logged:\n%s", a.logs.String())
	}
}
