package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"zkd/zkd/quorum"
)

// The in-process ensemble tests cover what is decided inside one member:
// who serves, whose clock expires sessions, what a leaderless member
// answers. test/ensemble runs real processes and faults.

const testElection = 300 * time.Millisecond

// freePort returns a port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// ensembleConfigs returns the configs of n members (observers among them
// by id) that know each other; start them with startServer.
func ensembleConfigs(t *testing.T, n int, observers map[int]bool, tweak func(*Config)) []Config {
	t.Helper()
	peers := make([]quorum.Peer, n)
	for i := range peers {
		peers[i] = quorum.Peer{ID: uint64(i + 1), Addr: fmt.Sprintf("127.0.0.1:%d", freePort(t)), Observer: observers[i+1]}
	}
	cfgs := make([]Config, n)
	for i := range cfgs {
		cfgs[i] = Config{
			ServerID:        uint64(i + 1),
			Peers:           peers,
			PeerAddr:        peers[i].Addr,
			LeaderServes:    true,
			ElectionTimeout: testElection,
			TickTime:        200 * time.Millisecond,
		}
		if tweak != nil {
			tweak(&cfgs[i])
		}
	}
	return cfgs
}

// startMembers starts a server for each config, in order.
func startMembers(t *testing.T, cfgs []Config) []*Server {
	t.Helper()
	ss := make([]*Server, len(cfgs))
	for i := range cfgs {
		ss[i] = startServer(t, cfgs[i])
	}
	return ss
}

// waitFor polls cond until it holds or the bound passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func leaderOf(ss []*Server) *Server {
	for _, s := range ss {
		if s.node.IsLeader() {
			return s
		}
	}
	return nil
}

// TestEnsembleMemberWithoutQuorum: a member started alone answers as
// ZooKeeper's does while it has no quorum (4lw "not currently serving",
// isro null, client connections closed without an answer), then serves
// once a second member makes a majority.
func TestEnsembleMemberWithoutQuorum(t *testing.T) {
	cfgs := ensembleConfigs(t, 3, nil, nil)
	first := startServer(t, cfgs[0])
	addr := first.Addr().String()
	out, err := fourLetterAt(addr, "srvr")
	if err != nil || out != "This ZooKeeper instance is not currently serving requests\n" {
		t.Errorf("srvr without quorum: %q, %v", out, err)
	}
	if out, _ := fourLetterAt(addr, "isro"); out != "null" {
		t.Errorf("isro without quorum: %q, want null", out)
	}
	if out, _ := fourLetterAt(addr, "ruok"); out != "imok" {
		t.Errorf("ruok without quorum: %q, want imok", out)
	}
	// A client gets no session: the connection is closed.
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(5 * time.Second)) //nolint:errcheck
	req := make([]byte, 4+44)
	req[3] = 44 // length; a zero ConnectRequest (protocol 0, no session)
	if _, err := conn.Write(req); err != nil {
		t.Fatal(err)
	}
	var b [1]byte
	if n, err := conn.Read(b[:]); n != 0 || err == nil {
		t.Errorf("a member without quorum answered a connect request (%d bytes, %v)", n, err)
	}
	conn.Close()

	second := startServer(t, cfgs[1])
	ss := []*Server{first, second}
	waitFor(t, 10*time.Second, "a leader among two of three", func() bool { return leaderOf(ss) != nil })
	c := connect(t, first)
	if _, err := c.Create("/q", []byte("x"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("create on a member with a quorum: %v", err)
	}
	modes := map[string]int{}
	for _, s := range ss {
		out, err := fourLetterAt(s.Addr().String(), "srvr")
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(out, "\n") {
			if m, ok := strings.CutPrefix(l, "Mode: "); ok {
				modes[m]++
			}
		}
	}
	if modes["leader"] != 1 || modes["follower"] != 1 {
		t.Errorf("modes %v, want one leader and one follower", modes)
	}
}

// TestEnsembleSessionKeptAliveThroughFollower: a client of a follower
// pings only its follower; the leader, whose clock expires sessions,
// must hear of it and keep the session for far longer than its timeout.
// A client that goes silent is expired by the leader, and its ephemeral
// disappears on every member.
func TestEnsembleSessionKeptAliveThroughFollower(t *testing.T) {
	cfgs := ensembleConfigs(t, 3, nil, nil)
	ss := startMembers(t, cfgs)
	waitFor(t, 10*time.Second, "a leader", func() bool { return leaderOf(ss) != nil })
	leader := leaderOf(ss)
	var follower *Server
	for _, s := range ss {
		if s != leader {
			follower = s
			break
		}
	}
	live := connect(t, follower) // 4 s timeout, pings every ~1.3 s
	if _, err := live.Create("/live", nil, zk.FlagEphemeral, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	// A second session on the follower that goes silent: its client stops
	// without closing (the socket stays open but nothing is sent).
	silent := rawSession(t, follower.Addr().String(), 2000)
	_ = silent
	time.Sleep(6 * time.Second) // well past both timeouts
	for _, s := range ss {
		s.db.mu.RLock()
		liveThere := s.db.tree.Get("/live") != nil
		sessions := s.db.tree.SessionCount()
		s.db.mu.RUnlock()
		if !liveThere {
			t.Errorf("member %d: the pinging session's ephemeral is gone", s.cfg.ServerID)
		}
		if sessions != 1 {
			t.Errorf("member %d has %d sessions, want 1 (the silent one expired by the leader)", s.cfg.ServerID, sessions)
		}
	}
	if _, _, err := live.Get("/live"); err != nil {
		t.Errorf("the pinging session no longer works: %v", err)
	}
}

// rawSession opens a session with the given timeout over a bare socket
// and then sends nothing more, like a client that froze.
func rawSession(t *testing.T, addr string, timeoutMs int32) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	req := make([]byte, 4+44)
	req[3] = 44
	req[4+12], req[4+13], req[4+14], req[4+15] = byte(timeoutMs>>24), byte(timeoutMs>>16), byte(timeoutMs>>8), byte(timeoutMs)
	req[4+20+3] = 16 // password length 16, zeros
	if _, err := conn.Write(req); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second)) //nolint:errcheck
	var b [4]byte
	if _, err := conn.Read(b[:]); err != nil {
		t.Fatalf("no connect response: %v", err)
	}
	return conn
}

// TestEnsembleLeaderServesNo: with leaderServes=no the leader refuses
// clients and the followers take them.
func TestEnsembleLeaderServesNo(t *testing.T) {
	cfgs := ensembleConfigs(t, 3, nil, func(c *Config) { c.LeaderServes = false })
	ss := startMembers(t, cfgs)
	waitFor(t, 10*time.Second, "a leader", func() bool { return leaderOf(ss) != nil })
	leader := leaderOf(ss)
	_, _, err := zk.Connect([]string{leader.Addr().String()}, 4*time.Second, zk.WithLogger(quiet{}))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range ss {
		if s == leader {
			continue
		}
		c := connect(t, s)
		if _, err := c.Create(fmt.Sprintf("/via%d", s.cfg.ServerID), nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Errorf("create through follower %d: %v", s.cfg.ServerID, err)
		}
	}
	if got := len(leader.connections()); got != 0 {
		// The refused client keeps retrying; none is ever attached.
		for _, c := range leader.connections() {
			if c.session != 0 {
				t.Errorf("the leader attached a session with leaderServes=no")
			}
		}
	}
}

// TestEnsembleObserverForwardsWrites: an observer serves reads, forwards
// writes, says so in srvr, and does not count for the quorum.
func TestEnsembleObserverForwardsWrites(t *testing.T) {
	cfgs := ensembleConfigs(t, 4, map[int]bool{4: true}, nil)
	ss := startMembers(t, cfgs)
	waitFor(t, 10*time.Second, "a leader", func() bool { return leaderOf(ss) != nil })
	obs := ss[3]
	waitFor(t, 5*time.Second, "the observer to know the leader", func() bool { return obs.serves() })
	if m := obs.mode(); m != "observer" {
		t.Errorf("observer's mode %q", m)
	}
	c := connect(t, obs)
	if _, err := c.Create("/from-observer", []byte("v"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatalf("create through the observer: %v", err)
	}
	leader := leaderOf(ss)
	leader.db.mu.RLock()
	ok := leader.db.tree.Get("/from-observer") != nil
	leader.db.mu.RUnlock()
	if !ok {
		t.Error("the observer's write is not on the leader")
	}
	mntr := leader.monitor()
	got := map[string]string{}
	for _, kv := range mntr {
		got[kv.Key] = kv.Value
	}
	if got["learners"] != "3" || got["followers"] != "2" {
		t.Errorf("leader mntr learners=%q followers=%q, want 3 and 2", got["learners"], got["followers"])
	}
	if got["peer_state"] != "leading - broadcast" {
		t.Errorf("leader peer_state %q", got["peer_state"])
	}
}

// TestEnsembleLeaderlessMemberDropsClients: a member whose quorum is
// gone closes its clients after the grace, so they can move on.
func TestEnsembleLeaderlessMemberDropsClients(t *testing.T) {
	cfgs := ensembleConfigs(t, 3, nil, nil)
	ss := startMembers(t, cfgs)
	waitFor(t, 10*time.Second, "a leader", func() bool { return leaderOf(ss) != nil })
	last := ss[2]
	c := connect(t, last)
	if _, _, err := c.Exists("/"); err != nil {
		t.Fatal(err)
	}
	for _, s := range ss[:2] {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		s.Shutdown(sctx)
		cancel()
	}
	waitFor(t, 10*time.Second, "the lone member to close its clients", func() bool {
		return len(last.connections()) == 0
	})
	// And a sync fails there rather than pretending.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := last.node.Sync(ctx); err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("sync on a member without quorum: %v, want a timeout", err)
	}
}

// fourLetterAt sends a four-letter word and reads the whole answer.
func fourLetterAt(addr, word string) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second)) //nolint:errcheck
	if _, err := conn.Write([]byte(word)); err != nil {
		return "", err
	}
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := conn.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return b.String(), nil
		}
	}
}
