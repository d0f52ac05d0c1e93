package ztest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// ensembleKinds are the kinds the ensemble tests run against: ZK_TARGET's
// when set, else both.
func ensembleKinds() []string {
	if k := os.Getenv("ZK_TARGET"); k != "" {
		return []string{k}
	}
	return []string{KindApache, KindZkd}
}

// The limits of the seeds (zoo_sample.cfg): the failover times logged are
// the ones an operator with the default config would see.
const (
	seedTick, seedInit, seedSync = 2000, 10, 5
	// failoverTimeout bounds every wait for a new leader or a write.
	failoverTimeout = 60 * time.Second
)

// TestEnsembleLoopback: a 3-member ensemble on loopback comes up with one
// leader and two followers; a write through one member is read after sync
// through another; a paused follower does not stop writes and follows again
// once resumed; killing the leader gives a new one among the other two (the
// time to the first write is logged); the killed member rejoins as a
// follower and takes a new session's write; the data survives a restart of
// the whole ensemble; a follower restarted under the same leader (a rolling
// restart) takes a new session's write.
func TestEnsembleLoopback(t *testing.T) {
	for _, kind := range ensembleKinds() {
		t.Run(kind, func(t *testing.T) {
			e := StartEnsemble(t, EnsembleOptions{Kind: kind, Members: 3})
			leader, err := e.WaitLeader(failoverTimeout)
			if err != nil {
				t.Fatal(err)
			}
			if l := e.Leader(); l != leader {
				t.Errorf("Leader() = member %v, WaitLeader found %d", l, leader.ID)
			}
			followers := e.Others(leader)
			for _, m := range followers {
				if mode, err := m.Mode(); err != nil || mode != ModeFollower {
					t.Errorf("member %d: Mode = %q, %v; want follower", m.ID, mode, err)
				}
			}
			if got := e.ConnectString(); strings.Count(got, ",") != 2 || !strings.HasPrefix(got, "127.0.0.1:") {
				t.Errorf("ConnectString = %q", got)
			}

			// Write through a follower, read through the other after sync.
			c1 := connectTo(t, []string{followers[0].ClientAddr})
			if _, err := c1.Create("/replicated", []byte("v1"), 0, zk.WorldACL(zk.PermAll)); err != nil {
				t.Fatalf("create through member %d: %v", followers[0].ID, err)
			}
			c2 := connectTo(t, []string{followers[1].ClientAddr})
			if _, err := c2.Sync("/replicated"); err != nil {
				t.Fatalf("sync through member %d: %v", followers[1].ID, err)
			}
			if data, _, err := c2.Get("/replicated"); err != nil || string(data) != "v1" {
				t.Fatalf("get through member %d = %q, %v; want v1", followers[1].ID, data, err)
			}
			c1.Close()
			c2.Close()

			// A paused follower: the other two still form a quorum.
			paused := followers[1]
			if err := paused.Pause(); err != nil {
				t.Fatal(err)
			}
			c := connectTo(t, Addrs(e.Others(paused)))
			if _, err := c.Create("/while-paused", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
				t.Fatalf("create with member %d paused: %v", paused.ID, err)
			}
			c.Close()
			if err := paused.Resume(); err != nil {
				t.Fatal(err)
			}
			if _, err := e.WaitLeader(failoverTimeout); err != nil {
				t.Fatalf("after resuming member %d: %v", paused.ID, err)
			}

			// Kill the leader; the client knows only the other two.
			c = connectTo(t, Addrs(followers))
			killed := time.Now()
			leader.Kill()
			f := measureFailover(t, e, followers, c, killed, "/after-kill")
			newLeader := f.leader
			t.Logf("%s loopback failover, SIGKILL leader %d: %v", kind, leader.ID, f)

			// The old leader rejoins as a follower.
			leader.Restart(t)
			if l, err := e.WaitLeader(failoverTimeout); err != nil {
				t.Fatal(err)
			} else if l == leader {
				t.Errorf("restarted member %d leads again; want it to follow %d", leader.ID, newLeader.ID)
			}
			cr := connectTo(t, []string{leader.ClientAddr})
			if _, err := cr.Create("/via-restarted", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
				t.Fatalf("create through the restarted member %d: %v", leader.ID, err)
			}
			cr.Close()

			e.RestartAll(t)
			if _, err := e.WaitLeader(failoverTimeout); err != nil {
				t.Fatal(err)
			}
			c = connectTo(t, e.Servers())
			for _, p := range []string{"/replicated", "/while-paused"} {
				if ok, _, err := c.Exists(p); err != nil || !ok {
					t.Errorf("after RestartAll: exists %s = %v, %v", p, ok, err)
				}
			}

			// A follower restarted under the same leader (a rolling restart)
			// serves new sessions and their writes.
			l, err := e.WaitLeader(failoverTimeout)
			if err != nil {
				t.Fatal(err)
			}
			restarted := e.Others(l)[0]
			restarted.Restart(t)
			cf := connectTo(t, []string{restarted.ClientAddr})
			if _, err := cf.Create("/via-restarted-follower", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
				t.Fatalf("create through the restarted follower %d: %v", restarted.ID, err)
			}
		})
	}
}

// TestEnsembleNetNS: a 3-member ensemble, one network namespace each.
// Isolating the leader makes the other two elect a leader and take writes
// (the time from the isolation to the first write is logged); healed, the
// old leader follows. Partitioning a follower from the other two leaves it
// reachable by clients but not serving, and the majority writable; healed,
// it follows again.
func TestEnsembleNetNS(t *testing.T) {
	for _, kind := range ensembleKinds() {
		t.Run(kind, func(t *testing.T) {
			e := StartEnsemble(t, EnsembleOptions{Kind: kind, Members: 3, NetNS: true})
			for _, m := range e.Members {
				if !strings.HasPrefix(m.ClientAddr, "10.213.") || !strings.HasSuffix(m.ClientAddr, ":2181") || m.NetNS == "" {
					t.Errorf("member %d: ClientAddr %q NetNS %q", m.ID, m.ClientAddr, m.NetNS)
				}
			}
			leader, err := e.WaitLeader(failoverTimeout)
			if err != nil {
				t.Fatal(err)
			}
			others := e.Others(leader)
			c := connectTo(t, Addrs(others))
			if _, err := c.Create("/before", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
				t.Fatal(err)
			}

			cut := time.Now()
			if err := e.Isolate(leader); err != nil {
				t.Fatal(err)
			}
			f := measureFailover(t, e, others, c, cut, "/after-isolation")
			isoPath := f.path
			t.Logf("%s netns failover, leader %d isolated: %v", kind, leader.ID, f)
			if _, err := fourLetterWithin(leader.ClientAddr, "srvr", time.Second); err == nil {
				t.Errorf("isolated member %d still answers srvr", leader.ID)
			}

			healed := time.Now()
			if err := e.Heal(leader); err != nil {
				t.Fatal(err)
			}
			l, err := e.WaitLeader(failoverTimeout)
			if err != nil {
				t.Fatal(err)
			}
			if mode, err := leader.Mode(); err != nil || mode != ModeFollower {
				t.Errorf("healed member %d: Mode = %q, %v; want follower", leader.ID, mode, err)
			}
			t.Logf("healed member %d follows %d after %v", leader.ID, l.ID, time.Since(healed).Round(time.Millisecond))

			// Cut one follower off from the other two; clients still reach it.
			minority := e.Others(l)[0]
			majority := e.Others(minority)
			if err := e.Partition([]*Member{minority}, majority); err != nil {
				t.Fatal(err)
			}
			if err := waitNotServing(minority, failoverTimeout); err != nil {
				t.Fatal(err)
			}
			if _, err := e.WaitLeaderAmong(majority, failoverTimeout); err != nil {
				t.Fatal(err)
			}
			partPath, _, err := firstWrite(c, Addrs(majority), "/during-partition", time.Now().Add(failoverTimeout))
			if err != nil {
				t.Fatal(err)
			}
			if err := e.HealAll(); err != nil {
				t.Fatal(err)
			}
			if _, err := e.WaitLeader(failoverTimeout); err != nil {
				t.Fatal(err)
			}
			c2 := connectTo(t, []string{minority.ClientAddr})
			if _, err := c2.Sync("/"); err != nil {
				t.Fatal(err)
			}
			for _, p := range []string{"/before", isoPath, partPath} {
				if ok, _, err := c2.Exists(p); err != nil || !ok {
					t.Errorf("member %d after heal: exists %s = %v, %v", minority.ID, p, ok, err)
				}
			}
		})
	}
}

// TestEnsembleObserver: 3 participants and 1 observer; the observer says
// observer, takes a write that a participant serves, and observes again
// after a stop and a fresh launch.
func TestEnsembleObserver(t *testing.T) {
	for _, kind := range ensembleKinds() {
		t.Run(kind, func(t *testing.T) {
			e := StartEnsemble(t, EnsembleOptions{Kind: kind, Members: 3, Observers: 1})
			if len(e.Members) != 4 || !e.Members[3].Observer || e.Members[0].Observer {
				t.Fatalf("members: %d, observer flags wrong", len(e.Members))
			}
			obs := e.Members[3]
			if mode, err := obs.Mode(); err != nil || mode != ModeObserver {
				t.Fatalf("member 4: Mode = %q, %v; want observer", mode, err)
			}
			cfg, err := os.ReadFile(obs.CfgPath)
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"peerType=observer\n", ":observer;" + obs.ClientAddr + "\n"} {
				if !strings.Contains(string(cfg), want) {
					t.Errorf("observer zoo.cfg lacks %q:\n%s", want, cfg)
				}
			}
			leader, err := e.WaitLeader(failoverTimeout)
			if err != nil {
				t.Fatal(err)
			}
			co := connectTo(t, []string{obs.ClientAddr})
			if _, err := co.Create("/via-observer", []byte("o"), 0, zk.WorldACL(zk.PermAll)); err != nil {
				t.Fatalf("create through the observer: %v", err)
			}
			cl := connectTo(t, []string{leader.ClientAddr})
			if data, _, err := cl.Get("/via-observer"); err != nil || string(data) != "o" {
				t.Fatalf("get through the leader = %q, %v", data, err)
			}

			// Stopped and launched again, the observer catches up and observes.
			obs.Stop()
			if err := obs.Launch(); err != nil {
				t.Fatal(err)
			}
			if err := obs.WaitServing(failoverTimeout); err != nil {
				t.Fatal(err)
			}
			if mode, err := obs.Mode(); err != nil || mode != ModeObserver {
				t.Fatalf("member 4 relaunched: Mode = %q, %v; want observer", mode, err)
			}
			co2 := connectTo(t, []string{obs.ClientAddr})
			if ok, _, err := co2.Exists("/via-observer"); err != nil || !ok {
				t.Errorf("relaunched observer: exists /via-observer = %v, %v", ok, err)
			}
		})
	}
}

// TestEnsembleNeedsNetNS: the fault helpers refuse a loopback ensemble
// instead of doing nothing.
func TestEnsembleNeedsNetNS(t *testing.T) {
	e := &Ensemble{Members: []*Member{{ID: 1}}}
	e.Members[0].e = e
	for name, err := range map[string]error{
		"Isolate":   e.Isolate(e.Members[0]),
		"Heal":      e.Heal(e.Members[0]),
		"HealAll":   e.HealAll(),
		"Partition": e.Partition(e.Members[:1], nil),
	} {
		if err == nil || !strings.Contains(err.Error(), "NetNS") {
			t.Errorf("%s on loopback: %v", name, err)
		}
	}
}

func TestEnsembleMemberEntries(t *testing.T) {
	e := &Ensemble{}
	for i, host := range []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"} {
		e.Members = append(e.Members, &Member{ID: i + 1, Host: host, ClientAddr: host + ":2181",
			QuorumPort: 2888, ElectionPort: 3888, Observer: i == 2, e: e})
	}
	o := EnsembleOptions{TickTime: 200, Extra: map[string]string{"syncLimit": "2", "zz": "1"}}
	var got []string
	for _, en := range e.memberEntries(o, e.Members[2], "/d") {
		got = append(got, en.key+"="+en.value)
	}
	want := []string{
		"tickTime=200", "initLimit=10", "syncLimit=2", "dataDir=/d", "clientPort=2181",
		"clientPortAddress=10.0.0.3", "4lw.commands.whitelist=*", "admin.enableServer=false",
		"peerType=observer",
		"server.1=10.0.0.1:2888:3888;10.0.0.1:2181",
		"server.2=10.0.0.2:2888:3888;10.0.0.2:2181",
		"server.3=10.0.0.3:2888:3888:observer;10.0.0.3:2181",
		"zz=1",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]string{
		"Zookeeper version: 3.8.0\nZxid: 0x1\nMode: follower\nNode count: 5\n": "follower",
		"Zookeeper version: 3.8.0\nMode: leader\n":                             "leader",
	} {
		if got, err := parseMode(in); err != nil || got != want {
			t.Errorf("parseMode(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := parseMode("This ZooKeeper instance is not currently serving requests\n"); !errors.Is(err, ErrNotServing) {
		t.Errorf("not serving: %v, want ErrNotServing", err)
	}
	if _, err := parseMode("imok"); err == nil || errors.Is(err, ErrNotServing) {
		t.Errorf("garbage: %v", err)
	}
}

func TestBPFPrograms(t *testing.T) {
	if got, want := bpfString(dropAllButARP()), "4,40 0 0 12,21 0 1 2054,6 0 0 4294967295,6 0 0 2"; got != want {
		t.Errorf("dropAllButARP = %q, want %q", got, want)
	}
	a, b := string(net.IPv4(10, 213, 7, 1).To4()), string(net.IPv4(10, 213, 7, 2).To4())
	// ldh [12]; jeq IPv4 else → pass; ld [30]; jeq a → drop; jeq b → drop; pass; drop.
	want := "7,40 0 0 12,21 0 3 2048,32 0 0 30,21 2 0 181733121,21 1 0 181733122,6 0 0 4294967295,6 0 0 2"
	if got := bpfString(dropIPv4Field(offIPv4Dst, []string{a, b})); got != want {
		t.Errorf("dropIPv4Field = %q, want %q", got, want)
	}
	// The interpreter below runs the programs on frames, as the kernel would.
	frame := func(etherType uint16, src, dst string) []byte {
		f := make([]byte, 14+20)
		f[12], f[13] = byte(etherType>>8), byte(etherType)
		copy(f[offIPv4Src:], src)
		copy(f[offIPv4Dst:], dst)
		return f
	}
	other := string(net.IPv4(10, 213, 7, 254).To4())
	prog := dropIPv4Field(offIPv4Dst, []string{a, b})
	for _, tc := range []struct {
		f    []byte
		want uint32
	}{
		{frame(etherTypeIPv4, other, a), tcActShot},
		{frame(etherTypeIPv4, other, b), tcActShot},
		{frame(etherTypeIPv4, a, other), tcActNone},
		{frame(etherTypeARP, other, a), tcActNone},
	} {
		if got := runBPF(t, prog, tc.f); got != tc.want {
			t.Errorf("frame % x: verdict %d, want %d", tc.f[12:], got, tc.want)
		}
	}
	if got := runBPF(t, dropAllButARP(), frame(etherTypeARP, a, b)); got != tcActNone {
		t.Errorf("ARP dropped by dropAllButARP")
	}
	if got := runBPF(t, dropAllButARP(), frame(etherTypeIPv4, a, b)); got != tcActShot {
		t.Errorf("IPv4 kept by dropAllButARP")
	}
}

// runBPF interprets the few classic BPF instructions the programs use.
func runBPF(t *testing.T, prog []bpfInsn, pkt []byte) uint32 {
	t.Helper()
	var acc uint32
	for pc := 0; pc < len(prog); pc++ {
		in := prog[pc]
		switch in.code {
		case bpfLdhAbs:
			acc = uint32(pkt[in.k])<<8 | uint32(pkt[in.k+1])
		case bpfLdwAbs:
			acc = uint32(pkt[in.k])<<24 | uint32(pkt[in.k+1])<<16 | uint32(pkt[in.k+2])<<8 | uint32(pkt[in.k+3])
		case bpfJeqK:
			if acc == in.k {
				pc += int(in.jt)
			} else {
				pc += int(in.jf)
			}
		case bpfRetK:
			return in.k
		default:
			t.Fatalf("unknown opcode %#x", in.code)
		}
	}
	t.Fatal("program ran off its end")
	return 0
}

func TestLabNames(t *testing.T) {
	// The longest names: the largest PID Linux allows, a two-digit counter
	// and member.
	tag := "zk" + "2lkcg" + "x" + "zz" // 4194304 in base 36 is 2lkcg
	for _, name := range []string{tag + "b", tag + "v9", tag + "n9"} {
		if len(name) > 15 {
			t.Errorf("%s: %d bytes, longer than an interface name may be", name, len(name))
		}
		if !labNamePattern.MatchString(name) {
			t.Errorf("%s does not match the stale-lab pattern", name)
		}
	}
	for _, name := range []string{"eth0", "docker0", "zkb", "zk1x1", "zkd", "br-zk"} {
		if labNamePattern.MatchString(name) {
			t.Errorf("%s matches the stale-lab pattern", name)
		}
	}
}

// connectTo opens a go-zookeeper session with one of addrs, waits for it,
// and closes it when the test ends.
func connectTo(t *testing.T, addrs []string) *zk.Conn {
	t.Helper()
	c, ev, err := zk.Connect(addrs, 10*time.Second, zk.WithLogInfo(false), zk.WithLogger(discard{}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	timeout := time.After(30 * time.Second)
	for {
		select {
		case e := <-ev:
			if e.State == zk.StateHasSession {
				go func() {
					for range ev {
					}
				}()
				return c
			}
		case <-timeout:
			t.Fatalf("no session with %v after 30s", addrs)
		}
	}
}

// failover is what measureFailover found.
type failover struct {
	leader *Member
	path   string // the path the existing session created
	// From the fault to: srvr showing one leader among the survivors and
	// the others following; the first write by a fresh session; the first
	// write by a session opened before the fault.
	elected, fresh, existing time.Duration
}

func (f failover) String() string {
	r := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	return fmt.Sprintf("new leader %d in srvr after %v, first write by a fresh session after %v, "+
		"by the session opened before after %v (tickTime=%d initLimit=%d syncLimit=%d)",
		f.leader.ID, r(f.elected), r(f.fresh), r(f.existing), seedTick, seedInit, seedSync)
}

// measureFailover measures, all at once, how long after the fault at start
// the survivors have a leader, a fresh session can write, and c (a session
// with the survivors opened before the fault) can write. A fresh session
// shows when the ensemble takes writes again; c adds its client's
// reconnect backoff (go-zookeeper sleeps 1s after each round of its
// server list).
func measureFailover(t *testing.T, e *Ensemble, survivors []*Member, c *zk.Conn, start time.Time, prefix string) failover {
	t.Helper()
	var f failover
	deadline := start.Add(failoverTimeout)
	var errElected, errFresh, errExisting error
	var wg sync.WaitGroup
	wg.Go(func() {
		f.leader, errElected = e.WaitLeaderAmong(survivors, failoverTimeout)
		f.elected = time.Since(start)
	})
	wg.Go(func() {
		var at time.Time
		at, errFresh = freshWrite(Addrs(survivors), prefix+"-fresh", deadline)
		f.fresh = at.Sub(start)
	})
	wg.Go(func() {
		var at time.Time
		f.path, at, errExisting = firstWrite(c, Addrs(survivors), prefix, deadline)
		f.existing = at.Sub(start)
	})
	wg.Wait()
	if err := errors.Join(errElected, errFresh, errExisting); err != nil {
		t.Fatal(err)
	}
	return f
}

// freshWrite opens a new session with one of addrs after the other and
// creates path-1, path-2... until a create succeeds; it returns when. A
// member that does not serve closes the connection at once, so each try
// costs little; a create is given 3s.
func freshWrite(addrs []string, path string, deadline time.Time) (time.Time, error) {
	var last error
	for i := 0; time.Now().Before(deadline); i++ {
		at, err := freshWriteOnce(addrs[i%len(addrs)], fmt.Sprintf("%s-%d", path, i+1))
		if err == nil {
			return at, nil
		}
		last = err
		time.Sleep(20 * time.Millisecond)
	}
	return time.Time{}, fmt.Errorf("no write by a fresh session with %v before the deadline: %v", addrs, last)
}

func freshWriteOnce(addr, path string) (time.Time, error) {
	c, ev, err := zk.Connect([]string{addr}, 4*time.Second, zk.WithLogInfo(false), zk.WithLogger(discard{}))
	if err != nil {
		return time.Time{}, err
	}
	defer func() { go c.Close() }() // Close waits for the server; the next try need not
	timeout := time.After(2 * time.Second)
	for has := false; !has; {
		select {
		case e := <-ev:
			switch e.State {
			case zk.StateHasSession:
				has = true
			case zk.StateDisconnected, zk.StateExpired:
				return time.Time{}, fmt.Errorf("%s: no session (%v)", addr, e.State)
			}
		case <-timeout:
			return time.Time{}, fmt.Errorf("%s: no session within 2s", addr)
		}
	}
	res := make(chan error, 1)
	go func() {
		_, err := c.Create(path, nil, 0, zk.WorldACL(zk.PermAll))
		res <- err
	}()
	select {
	case err := <-res:
		if err != nil {
			return time.Time{}, fmt.Errorf("%s: create %s: %w", addr, path, err)
		}
		return time.Now(), nil
	case <-time.After(3 * time.Second):
		return time.Time{}, fmt.Errorf("%s: create %s hung for 3s", addr, path)
	}
}

// firstWrite creates path-1, path-2... through c until one create
// succeeds, and returns that path and when it was created. When an attempt hangs for 15s, or the
// session expired, it goes on with a new session with addrs, which it
// closes before it returns; c stays open, the caller's. It gives up at
// deadline.
func firstWrite(c *zk.Conn, addrs []string, path string, deadline time.Time) (string, time.Time, error) {
	var opened []*zk.Conn
	defer func() {
		for _, o := range opened {
			o.Close()
		}
	}()
	renew := func() error {
		nc, _, err := zk.Connect(addrs, 10*time.Second, zk.WithLogInfo(false), zk.WithLogger(discard{}))
		if err != nil {
			return err
		}
		opened = append(opened, nc)
		c = nc
		return nil
	}
	var last error
	for i := 1; time.Now().Before(deadline); i++ {
		res := make(chan error, 1)
		p := fmt.Sprintf("%s-%d", path, i)
		go func(c *zk.Conn) {
			_, err := c.Create(p, nil, 0, zk.WorldACL(zk.PermAll))
			res <- err
		}(c)
		select {
		case err := <-res:
			if err == nil {
				return p, time.Now(), nil
			}
			last = err
			if errors.Is(err, zk.ErrSessionExpired) {
				if err := renew(); err != nil {
					return "", time.Time{}, err
				}
			}
			time.Sleep(20 * time.Millisecond)
		case <-time.After(15 * time.Second):
			last = fmt.Errorf("create %s hung for 15s", p)
			if err := renew(); err != nil {
				return "", time.Time{}, err
			}
		}
	}
	return "", time.Time{}, fmt.Errorf("no write through %v before the deadline: %v", addrs, last)
}

// waitNotServing waits until m answers srvr that it does not serve.
func waitNotServing(m *Member, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		_, last = m.Mode()
		if errors.Is(last, ErrNotServing) {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("member %d still serving (or unreachable) after %v: %v", m.ID, timeout, last)
}
