package ztest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// EnsembleOptions shape an ensemble and the zoo.cfg of its members.
type EnsembleOptions struct {
	// Kind is KindZkd or KindApache; "" follows ZK_TARGET as Start does.
	Kind string
	// Members is the number of participants (voters), 1..9; 0 → 3.
	Members int
	// Observers are extra members with the observer role: ":observer" on
	// their server.N line and peerType=observer in their own zoo.cfg.
	Observers int
	// TickTime in ms; 0 → 2000. InitLimit and SyncLimit in ticks; 0 → 10
	// and 5, the values of zoo_sample.cfg and of the install guides.
	TickTime, InitLimit, SyncLimit int
	// NetNS runs every member in its own network namespace, on a bridge in
	// the root namespace (see netns.go), so Isolate and Partition can cut
	// it off. It needs root and iproute2; the test skips otherwise.
	NetNS bool
	// Extra zoo.cfg keys for every member, written verbatim (a key equal
	// to a base key replaces it). Keys with a dot also become -D
	// properties for Apache, as with Options.Extra.
	Extra map[string]string
	// ZkdBinary, for zkd, is the binary to run; "" builds ./cmd/zkd once
	// per process, as Start does.
	ZkdBinary string
	// JavaFlags, for Apache, replace the JVM flags tuned for a quick test
	// start (see Options.JavaFlags).
	JavaFlags []string
}

// Ensemble is a replicated set of servers started by StartEnsemble.
type Ensemble struct {
	Kind    string
	Members []*Member // by ID: Members[i].ID == i+1; participants first

	lab *netLab // NetNS mode only
}

// Member is one server of an ensemble. Stop, Kill, Restart, Pause, Resume,
// FourLetter and LogTail come from Server; Restart waits until the member
// serves again (has a Mode), which needs a quorum.
type Member struct {
	*Server
	ID           int
	Host         string // the address peers and clients use: 127.0.0.1 or the namespace's
	ClientAddr   string // Host:client port, the same as Server.Addr
	QuorumPort   int
	ElectionPort int
	Observer     bool
	NetNS        string // the member's network namespace; "" on loopback

	e *Ensemble
}

const (
	// ensembleReadyTimeout bounds the wait for a fresh ensemble: every JVM
	// starting at once on a small machine, then an election.
	ensembleReadyTimeout = 90 * time.Second
	// modeTimeout bounds one srvr exchange when polling for modes, shorter
	// than FourLetter's so that a member cut off costs little.
	modeTimeout = 2 * time.Second
	// NetNS mode ports: every namespace has its own stack.
	nsClientPort, nsQuorumPort, nsElectionPort = 2181, 2888, 3888
)

// Modes srvr and mntr report for a member that serves.
const (
	ModeLeader     = "leader"
	ModeFollower   = "follower"
	ModeObserver   = "observer"
	ModeStandalone = "standalone"
)

// ErrNotServing is what Mode returns for a member that answers srvr with
// "This ZooKeeper instance is not currently serving requests": it runs but
// has no quorum (it is looking for a leader, or syncing with one).
var ErrNotServing = errors.New("not currently serving requests")

// StartEnsemble starts an ensemble of o.Members participants and
// o.Observers observers, all at once (a member only serves once a quorum
// formed), and returns when every member answers srvr with a Mode: leader,
// follower or observer. The members are stopped, and in NetNS mode the
// network removed, by t.Cleanup; when the test failed, the last lines of
// every member's log are printed.
//
// Each member has its own data dir with a myid file and its own zoo.cfg:
//
//	tickTime, initLimit, syncLimit, dataDir, clientPort, clientPortAddress,
//	4lw.commands.whitelist=*, admin.enableServer=false, [peerType=observer],
//	server.N=host:quorumPort:electionPort[:observer];host:clientPort ...
//
// then o.Extra. On loopback every port is a free port of 127.0.0.1; in
// NetNS mode member N is 10.213.S.N with ports 2181, 2888 and 3888.
//
// A kind that cannot run here skips the test, as Start does; so does NetNS
// mode without root or ip and tc. Any other failure fails the test.
//
// t is a TB (any testing.TB will do), so that a program that is not a
// test can start ensembles too: cmd/zkbench's ensemble bench does.
func StartEnsemble(t TB, o EnsembleOptions) *Ensemble {
	t.Helper()
	kind := o.Kind
	if kind == "" {
		kind = os.Getenv("ZK_TARGET")
		if kind == "" {
			kind = KindZkd
		}
	}
	if kind == KindZkd && o.ZkdBinary != "" {
		if _, err := os.Stat(o.ZkdBinary); err != nil {
			t.Fatalf("ztest: zkd binary: %v", err)
		}
	} else if err := Available(kind); err != nil {
		t.Skipf("ztest: %s cannot run here: %v", kind, err)
	}
	if o.Members == 0 {
		o.Members = 3
	}
	n := o.Members + o.Observers
	if o.Members < 1 || o.Observers < 0 || n > 9 {
		t.Fatalf("ztest: ensemble of %d participants and %d observers: want 1..9 members in all", o.Members, o.Observers)
	}
	var mkCommand func(*Server) func() (*exec.Cmd, error)
	switch kind {
	case KindZkd:
		bin := o.ZkdBinary
		if bin == "" {
			var err error
			if bin, err = buildZkd(); err != nil {
				t.Fatalf("ztest: %v", err)
			}
		}
		mkCommand = func(s *Server) func() (*exec.Cmd, error) {
			return func() (*exec.Cmd, error) { return exec.Command(bin, s.CfgPath), nil }
		}
	case KindApache:
		opts := Options{Extra: o.Extra, JavaFlags: o.JavaFlags}
		mkCommand = func(s *Server) func() (*exec.Cmd, error) {
			return func() (*exec.Cmd, error) { return apacheCommand(s, opts) }
		}
	}

	e := &Ensemble{Kind: kind}
	if o.NetNS {
		if err := netnsAvailable(); err != nil {
			t.Skipf("ztest: NetNS mode cannot run here: %v", err)
		}
		lab, err := newNetLab(n)
		if err != nil {
			t.Fatal(err)
		}
		e.lab = lab
		t.Cleanup(func() {
			if err := lab.close(); err != nil {
				t.Errorf("ztest: remove the network of the ensemble: %v", err)
			}
		})
	}
	// Every port of the ensemble must differ: pick them all from one set
	// of listeners held open until the last is chosen (picking one at a
	// time and closing it lets the kernel hand the same port out twice).
	var held []net.Listener
	pick := func() int {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("ztest: pick a free port: %v", err)
		}
		held = append(held, l)
		return l.Addr().(*net.TCPAddr).Port
	}
	for i := 1; i <= n; i++ {
		m := &Member{ID: i, Observer: i > o.Members, e: e}
		if e.lab != nil {
			lm := e.lab.members[i-1]
			m.Host, m.NetNS = lm.ip.String(), lm.ns
			m.QuorumPort, m.ElectionPort = nsQuorumPort, nsElectionPort
			m.ClientAddr = m.Host + ":" + strconv.Itoa(nsClientPort)
		} else {
			ports := [3]int{pick(), pick(), pick()}
			m.Host = "127.0.0.1"
			m.ClientAddr = m.Host + ":" + strconv.Itoa(ports[0])
			m.QuorumPort, m.ElectionPort = ports[1], ports[2]
		}
		e.Members = append(e.Members, m)
	}
	for _, l := range held {
		l.Close()
	}
	for _, m := range e.Members {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "myid"), []byte(strconv.Itoa(m.ID)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := writeConfig(dir, e.memberEntries(o, m, dir))
		if err != nil {
			t.Fatal(err)
		}
		_, port, _ := strings.Cut(m.ClientAddr, ":")
		p, _ := strconv.Atoi(port)
		m.Server = &Server{
			Kind:     kind,
			Addr:     m.ClientAddr,
			Port:     p,
			DataDir:  dir,
			CfgPath:  cfg,
			logPath:  filepath.Join(dir, "server.log"),
			netns:    m.NetNS,
			wantMode: true,
		}
		m.command = mkCommand(m.Server)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, m := range e.Members {
				t.Logf("ztest: last lines of member %d (%s, %s) log %s:\n%s",
					m.ID, kind, m.ClientAddr, m.logPath, m.LogTail(logTailLines))
			}
		}
		e.StopAll()
	})
	if err := e.startAll(); err != nil {
		t.Fatalf("ztest: start a %s ensemble of %d+%d: %v", kind, o.Members, o.Observers, err)
	}
	return e
}

// memberEntries returns the zoo.cfg lines of m.
func (e *Ensemble) memberEntries(o EnsembleOptions, m *Member, dataDir string) []cfgEntry {
	def := func(v, d int) string {
		if v == 0 {
			v = d
		}
		return strconv.Itoa(v)
	}
	_, port, _ := strings.Cut(m.ClientAddr, ":")
	base := []cfgEntry{
		{"tickTime", def(o.TickTime, 2000)},
		{"initLimit", def(o.InitLimit, 10)},
		{"syncLimit", def(o.SyncLimit, 5)},
		{"dataDir", dataDir},
		{"clientPort", port},
		{"clientPortAddress", m.Host},
		{"4lw.commands.whitelist", "*"},
		{"admin.enableServer", "false"},
	}
	if m.Observer {
		base = append(base, cfgEntry{"peerType", "observer"})
	}
	for _, s := range e.Members {
		base = append(base, cfgEntry{"server." + strconv.Itoa(s.ID), s.serverLine()})
	}
	return mergeExtra(base, o.Extra)
}

// serverLine is m's server.N value: host:quorumPort:electionPort, the
// role when it observes, and the client address after ';'.
func (m *Member) serverLine() string {
	s := fmt.Sprintf("%s:%d:%d", m.Host, m.QuorumPort, m.ElectionPort)
	if m.Observer {
		s += ":observer"
	}
	return s + ";" + m.ClientAddr
}

// startAll launches every member, then waits for all to serve.
func (e *Ensemble) startAll() error {
	for _, m := range e.Members {
		if err := m.launch(); err != nil {
			return fmt.Errorf("member %d: %w", m.ID, err)
		}
	}
	return e.waitServing(e.Members, ensembleReadyTimeout)
}

// waitServing waits, for all of ms at once, until each serves.
func (e *Ensemble) waitServing(ms []*Member, timeout time.Duration) error {
	errs := make([]error, len(ms))
	var wg sync.WaitGroup
	for i, m := range ms {
		wg.Go(func() {
			if err := m.WaitServing(timeout); err != nil {
				errs[i] = fmt.Errorf("member %d (%s): %w", m.ID, m.ClientAddr, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Launch starts m's process (after a Kill or Stop) without waiting for it
// to serve: a member alone, without a quorum, never does.
func (m *Member) Launch() error {
	if m.Running() {
		return fmt.Errorf("ztest: member %d is running", m.ID)
	}
	return m.launch()
}

// WaitServing waits until m answers srvr with a Mode, its process exits, or
// the timeout passes.
func (m *Member) WaitServing(timeout time.Duration) error {
	return m.waitReady(timeout)
}

// Mode asks srvr and returns the Mode line's value ("leader", "follower",
// "observer"), ErrNotServing when the member runs without a quorum, or the
// error of the exchange (a stopped or cut off member).
func (m *Member) Mode() (string, error) {
	out, err := fourLetterWithin(m.ClientAddr, "srvr", modeTimeout)
	if err != nil {
		return "", err
	}
	return parseMode(out)
}

// parseMode reads the Mode line of a srvr (or stat) answer.
func parseMode(srvr string) (string, error) {
	for _, line := range strings.Split(srvr, "\n") {
		if v, ok := strings.CutPrefix(line, "Mode: "); ok {
			return strings.TrimSpace(v), nil
		}
	}
	if strings.Contains(srvr, "not currently serving requests") {
		return "", ErrNotServing
	}
	return "", fmt.Errorf("no Mode line in srvr answer %q", srvr)
}

// Isolated reports whether m is cut off by Isolate.
func (m *Member) Isolated() bool {
	if m.e.lab == nil {
		return false
	}
	m.e.lab.mu.Lock()
	defer m.e.lab.mu.Unlock()
	return m.e.lab.members[m.ID-1].isolated
}

// reachable reports whether m can be asked for its mode: running, not
// paused, not isolated.
func (m *Member) reachable() bool {
	return m.Running() && !m.Paused() && !m.Isolated()
}

// ConnectString is "host:port,host:port,..." of every member's client port,
// observers included, in ID order.
func (e *Ensemble) ConnectString() string {
	return strings.Join(e.Servers(), ",")
}

// Servers returns every member's client address, for zk.Connect.
func (e *Ensemble) Servers() []string {
	out := make([]string, len(e.Members))
	for i, m := range e.Members {
		out[i] = m.ClientAddr
	}
	return out
}

// Addrs returns the client addresses of ms.
func Addrs(ms []*Member) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ClientAddr
	}
	return out
}

// Others returns the members other than the given ones, in ID order.
func (e *Ensemble) Others(not ...*Member) []*Member {
	var out []*Member
	for _, m := range e.Members {
		skip := false
		for _, x := range not {
			skip = skip || x == m
		}
		if !skip {
			out = append(out, m)
		}
	}
	return out
}

// Leader asks every reachable member once and returns the first that says
// it leads, or nil.
func (e *Ensemble) Leader() *Member {
	for _, m := range e.Members {
		if !m.reachable() {
			continue
		}
		if mode, err := m.Mode(); err == nil && mode == ModeLeader {
			return m
		}
	}
	return nil
}

// WaitLeader waits until, among the members that run and are neither
// paused nor isolated, exactly one leads and every other follows or
// observes, and returns the leader.
func (e *Ensemble) WaitLeader(timeout time.Duration) (*Member, error) {
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		var ms []*Member
		for _, m := range e.Members {
			if m.reachable() {
				ms = append(ms, m)
			}
		}
		leader, status := checkModes(ms)
		if leader != nil {
			return leader, nil
		}
		last = status
		time.Sleep(100 * time.Millisecond)
	}
	return nil, fmt.Errorf("ztest: no single leader with the others following within %v: %s", timeout, last)
}

// WaitLeaderAmong waits until, among ms, exactly one leads and every other
// follows or observes (the majority side of a partition, say), and returns
// the leader.
func (e *Ensemble) WaitLeaderAmong(ms []*Member, timeout time.Duration) (*Member, error) {
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) {
		leader, status := checkModes(ms)
		if leader != nil {
			return leader, nil
		}
		last = status
		time.Sleep(100 * time.Millisecond)
	}
	return nil, fmt.Errorf("ztest: no single leader among members %v within %v: %s", ids(ms), timeout, last)
}

// checkModes asks each of ms for its mode at once and returns the leader
// if there is exactly one and all others follow or observe; otherwise nil
// and what each said.
func checkModes(ms []*Member) (*Member, string) {
	modes := make([]string, len(ms))
	var wg sync.WaitGroup
	for i, m := range ms {
		wg.Go(func() {
			mode, err := m.Mode()
			if err != nil {
				modes[i] = err.Error()
			} else {
				modes[i] = mode
			}
		})
	}
	wg.Wait()
	var leader *Member
	leaders, others := 0, 0
	var parts []string
	for i, m := range ms {
		parts = append(parts, fmt.Sprintf("%d: %s", m.ID, modes[i]))
		switch modes[i] {
		case ModeLeader:
			leader = m
			leaders++
		case ModeFollower, ModeObserver:
			others++
		}
	}
	if len(ms) == 0 {
		return nil, "no member to ask"
	}
	if leaders == 1 && others == len(ms)-1 {
		return leader, ""
	}
	return nil, strings.Join(parts, "; ")
}

func ids(ms []*Member) []int {
	out := make([]int, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

// StopAll stops every member at once (SIGTERM, then SIGKILL after a while;
// paused members are resumed to act on it).
func (e *Ensemble) StopAll() {
	var wg sync.WaitGroup
	for _, m := range e.Members {
		if m.Server != nil {
			wg.Go(m.Stop)
		}
	}
	wg.Wait()
}

// RestartAll stops every member, starts them all again at once with the
// same zoo.cfg and data, and waits until all serve.
func (e *Ensemble) RestartAll(t testing.TB) {
	t.Helper()
	e.StopAll()
	if err := e.startAll(); err != nil {
		t.Fatalf("ztest: restart the %s ensemble: %v", e.Kind, err)
	}
}

// Isolate drops every packet to and from m (NetNS mode only): its peers
// and the test's clients see it go silent, it sees them go silent.
func (e *Ensemble) Isolate(m *Member) error {
	if err := e.needLab("Isolate"); err != nil {
		return err
	}
	return e.lab.isolate(m.ID - 1)
}

// Heal undoes Isolate of m and every Partition rule involving m.
func (e *Ensemble) Heal(m *Member) error {
	if err := e.needLab("Heal"); err != nil {
		return err
	}
	return e.lab.heal(m.ID - 1)
}

// HealAll undoes every Isolate and Partition.
func (e *Ensemble) HealAll() error {
	if err := e.needLab("HealAll"); err != nil {
		return err
	}
	var errs []error
	for i := range e.lab.members {
		errs = append(errs, e.lab.heal(i))
	}
	return errors.Join(errs...)
}

// Partition drops the packets between every member of a and every member
// of b, both ways (NetNS mode only). Members of one group still reach each
// other, and the test's clients reach both groups. Partitions add up until
// healed.
func (e *Ensemble) Partition(a, b []*Member) error {
	if err := e.needLab("Partition"); err != nil {
		return err
	}
	ia, ib := make([]int, len(a)), make([]int, len(b))
	for i, m := range a {
		ia[i] = m.ID - 1
	}
	for i, m := range b {
		ib[i] = m.ID - 1
	}
	return e.lab.partition(ia, ib)
}

func (e *Ensemble) needLab(what string) error {
	if e.lab == nil {
		return fmt.Errorf("ztest: %s needs an ensemble started with NetNS", what)
	}
	return nil
}
