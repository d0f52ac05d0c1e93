package ztest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A netLab is the network of an ensemble in NetNS mode: one network
// namespace per member, each with a veth pair whose other end is a port of a
// bridge in the root namespace. The bridge has the address .254 of the
// lab's /24, so the test process reaches every member at its own address;
// the members reach each other through the bridge.
//
//	root ns:  bridge zk<pid>x<n>b 10.213.S.254/24
//	            ├── veth zk<pid>x<n>v1 ── ns zk<pid>x<n>n1: eth0 10.213.S.1/24, lo
//	            ├── veth zk<pid>x<n>v2 ── ns zk<pid>x<n>n2: eth0 10.213.S.2/24, lo
//	            └── ...
//
// <pid> is the test binary's PID and <n> a counter, both in base 36, so
// names are unique per run and the longest, a veth, stays within the 15
// bytes of an interface name. Faults are tc filters on the root-side veths
// (a clsact qdisc with classic BPF programs in direct-action mode: this
// kernel has neither netem nor the gact action, and iptables is not
// installed). The packets are dropped between the namespaces, so neither
// side's stack notices anything but silence: no RST, no ICMP, no error on
// send. ARP is let through, so the neighbour entries stay valid and a
// dropped connection times out as it would across a real partition.
type netLab struct {
	tag     string // "zk<pid>x<n>"
	subnet  int    // the S of 10.213.S.0/24
	bridge  string
	members []*labMember

	mu sync.Mutex // guards the fault state of the members
}

// labMember is one member's namespace and veth, and the faults applied.
type labMember struct {
	ns   string
	veth string // root-side end; the namespace end is eth0
	ip   net.IP
	// isolated drops every non-ARP packet to and from the member.
	isolated bool
	// blocked holds the addresses (as 4-byte strings) whose packets to and
	// from the member are dropped: the other side of a Partition.
	blocked map[string]bool
	// installed records which directions carry a filter now.
	installed map[string]bool
}

// labCounter numbers the labs of one test binary.
var labCounter atomic.Int64

// labNamePattern matches every name a lab creates; the first group is the
// PID of the test binary that made it, in base 36.
var labNamePattern = regexp.MustCompile(`^zk([0-9a-z]{1,6})x[0-9a-z]{1,4}[nbv][0-9]*$`)

// ipTimeout bounds one ip or tc command.
const ipTimeout = 20 * time.Second

// netnsAvailable reports why NetNS mode cannot run here, or nil: it needs
// root (CAP_NET_ADMIN and the mounts of "ip netns") and iproute2's ip and tc.
func netnsAvailable() error {
	if os.Geteuid() != 0 {
		return errors.New("network namespaces need root (euid is " + strconv.Itoa(os.Geteuid()) + ")")
	}
	for _, tool := range []string{"ip", "tc"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s not found (apt-get install -y iproute2): %w", tool, err)
		}
	}
	return nil
}

// runIP runs one ip or tc command, bounded in time, and returns its output.
func runIP(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), ipTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// newNetLab builds the namespaces, bridge and veths for n members. On an
// error it removes what it made.
func newNetLab(n int) (*netLab, error) {
	if n < 1 || n > 99 {
		return nil, fmt.Errorf("ztest: a lab holds 1..99 members, not %d", n)
	}
	removeStaleLabs()
	tag := "zk" + strconv.FormatInt(int64(os.Getpid()), 36) + "x" + strconv.FormatInt(labCounter.Add(1), 36)
	subnet, err := freeSubnet()
	if err != nil {
		return nil, err
	}
	l := &netLab{tag: tag, subnet: subnet, bridge: tag + "b"}
	for i := 1; i <= n; i++ {
		l.members = append(l.members, &labMember{
			ns:        tag + "n" + strconv.Itoa(i),
			veth:      tag + "v" + strconv.Itoa(i),
			ip:        net.IPv4(10, 213, byte(subnet), byte(i)).To4(),
			blocked:   map[string]bool{},
			installed: map[string]bool{},
		})
	}
	if err := l.build(); err != nil {
		if cerr := l.close(); cerr != nil {
			err = fmt.Errorf("%w (and while removing the lab: %v)", err, cerr)
		}
		return nil, err
	}
	return l, nil
}

func (l *netLab) build() error {
	cidr := func(ip net.IP) string { return ip.String() + "/24" }
	bridgeIP := net.IPv4(10, 213, byte(l.subnet), 254)
	steps := [][]string{
		{"ip", "link", "add", l.bridge, "type", "bridge"},
		{"ip", "addr", "add", cidr(bridgeIP), "dev", l.bridge},
		{"ip", "link", "set", l.bridge, "up"},
	}
	for _, m := range l.members {
		steps = append(steps,
			[]string{"ip", "netns", "add", m.ns},
			[]string{"ip", "-n", m.ns, "link", "set", "lo", "up"},
			[]string{"ip", "link", "add", m.veth, "type", "veth", "peer", "name", "eth0", "netns", m.ns},
			[]string{"ip", "link", "set", m.veth, "master", l.bridge},
			[]string{"ip", "link", "set", m.veth, "up"},
			[]string{"ip", "-n", m.ns, "addr", "add", cidr(m.ip), "dev", "eth0"},
			[]string{"ip", "-n", m.ns, "link", "set", "eth0", "up"},
			[]string{"tc", "qdisc", "add", "dev", m.veth, "clsact"},
		)
	}
	for _, s := range steps {
		if _, err := runIP(s[0], s[1:]...); err != nil {
			return fmt.Errorf("ztest: build the network of %s: %w", l.tag, err)
		}
	}
	return nil
}

// close removes the veths, the bridge and the namespaces. It tries every
// step and returns the errors of those that failed for another reason than
// the thing being gone already.
func (l *netLab) close() error {
	var errs []error
	del := func(args ...string) {
		out, err := runIP("ip", args...)
		if err != nil && !strings.Contains(out, "Cannot find device") &&
			!strings.Contains(out, "No such file or directory") {
			errs = append(errs, err)
		}
	}
	for _, m := range l.members {
		del("link", "del", m.veth) // removes both ends
	}
	del("link", "del", l.bridge)
	for _, m := range l.members {
		del("netns", "del", m.ns)
	}
	return errors.Join(errs...)
}

// freeSubnet picks S for 10.213.S.0/24 that no address in the root
// namespace uses yet, starting at a place derived from the PID so that test
// binaries running at once rarely even try the same one.
func freeSubnet() (int, error) {
	out, err := runIP("ip", "-o", "-4", "addr", "show")
	if err != nil {
		return 0, fmt.Errorf("ztest: list addresses: %w", err)
	}
	used := map[int]bool{}
	for _, f := range strings.Fields(out) {
		if !strings.HasPrefix(f, "10.213.") {
			continue
		}
		parts := strings.Split(strings.SplitN(f, "/", 2)[0], ".")
		if len(parts) == 4 {
			if s, err := strconv.Atoi(parts[2]); err == nil {
				used[s] = true
			}
		}
	}
	start := (os.Getpid()*7 + int(labCounter.Load())) % 250
	for i := 0; i < 250; i++ {
		s := 1 + (start+i)%250
		if !used[s] {
			return s, nil
		}
	}
	return 0, errors.New("ztest: every 10.213.S.0/24 is in use")
}

// removeStaleLabs deletes the namespaces and links a lab of an earlier test
// binary left behind when it died without its cleanup (a go test timeout
// kills the binary; the servers die with it, the network stays). Only names
// of the lab pattern whose PID no longer runs are touched.
func removeStaleLabs() {
	stale := func(name string) bool {
		m := labNamePattern.FindStringSubmatch(name)
		if m == nil {
			return false
		}
		pid, err := strconv.ParseInt(m[1], 36, 64)
		if err != nil || pid == int64(os.Getpid()) {
			return false
		}
		_, err = os.Stat("/proc/" + strconv.FormatInt(pid, 10))
		return errors.Is(err, os.ErrNotExist)
	}
	if out, err := runIP("ip", "-o", "link", "show"); err == nil {
		for _, line := range strings.Split(out, "\n") {
			// "12: zk2n9cx1v1@if11: <BROADCAST,..." → zk2n9cx1v1
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			name := strings.SplitN(strings.TrimSuffix(f[1], ":"), "@", 2)[0]
			if stale(name) {
				_, _ = runIP("ip", "link", "del", name)
			}
		}
	}
	if out, err := runIP("ip", "netns", "list"); err == nil {
		for _, line := range strings.Split(out, "\n") {
			f := strings.Fields(line) // "name (id: 3)" or "name"
			if len(f) > 0 && stale(f[0]) {
				_, _ = runIP("ip", "netns", "del", f[0])
			}
		}
	}
}

// Classic BPF as tc's "bytecode" option takes it: "count,code jt jf k,...".
// The program sees the frame from its Ethernet header on both hooks.
type bpfInsn struct {
	code   uint16
	jt, jf uint8
	k      uint32
}

const (
	bpfLdhAbs = 0x28 // ldh [k]
	bpfLdwAbs = 0x20 // ld [k]
	bpfJeqK   = 0x15 // jeq #k, jt, jf
	bpfRetK   = 0x06 // ret #k

	// In direct-action mode the return value is the verdict.
	tcActShot = 2          // TC_ACT_SHOT: drop
	tcActNone = 0xffffffff // TC_ACT_UNSPEC: no verdict, the packet goes on

	etherTypeIPv4 = 0x0800
	etherTypeARP  = 0x0806
	offEtherType  = 12
	offIPv4Src    = 14 + 12
	offIPv4Dst    = 14 + 16
)

func bpfString(prog []bpfInsn) string {
	parts := []string{strconv.Itoa(len(prog))}
	for _, in := range prog {
		parts = append(parts, fmt.Sprintf("%d %d %d %d", in.code, in.jt, in.jf, in.k))
	}
	return strings.Join(parts, ",")
}

// dropAllButARP drops every frame that is not ARP.
func dropAllButARP() []bpfInsn {
	return []bpfInsn{
		{bpfLdhAbs, 0, 0, offEtherType},
		{bpfJeqK, 0, 1, etherTypeARP},
		{bpfRetK, 0, 0, tcActNone},
		{bpfRetK, 0, 0, tcActShot},
	}
}

// dropIPv4Field drops IPv4 packets whose address at offset off (the source
// or the destination) is one of addrs (4-byte strings).
func dropIPv4Field(off uint32, addrs []string) []bpfInsn {
	n := len(addrs)
	// 0 ldh [12]; 1 jeq IPv4 else pass; 2 ld [off]; 3.. jeq addr → drop;
	// 3+n ret pass; 4+n ret drop.
	prog := []bpfInsn{
		{bpfLdhAbs, 0, 0, offEtherType},
		{bpfJeqK, 0, uint8(n + 1), etherTypeIPv4},
		{bpfLdwAbs, 0, 0, off},
	}
	for i, a := range addrs {
		ip := []byte(a)
		k := uint32(ip[0])<<24 | uint32(ip[1])<<16 | uint32(ip[2])<<8 | uint32(ip[3])
		prog = append(prog, bpfInsn{bpfJeqK, uint8(n - i), 0, k})
	}
	return append(prog, bpfInsn{bpfRetK, 0, 0, tcActNone}, bpfInsn{bpfRetK, 0, 0, tcActShot})
}

// programs returns the filter for each direction of m's root-side veth
// ("ingress" carries what m sends, "egress" what m receives), nil where
// nothing is to be dropped.
func (m *labMember) programs() map[string][]bpfInsn {
	if m.isolated {
		return map[string][]bpfInsn{"ingress": dropAllButARP(), "egress": dropAllButARP()}
	}
	if len(m.blocked) == 0 {
		return map[string][]bpfInsn{"ingress": nil, "egress": nil}
	}
	addrs := make([]string, 0, len(m.blocked))
	for a := range m.blocked {
		addrs = append(addrs, a)
	}
	sort.Strings(addrs)
	return map[string][]bpfInsn{
		"ingress": dropIPv4Field(offIPv4Dst, addrs),
		"egress":  dropIPv4Field(offIPv4Src, addrs),
	}
}

// apply brings m's filters in line with its fault state. Caller holds l.mu.
func (l *netLab) apply(m *labMember) error {
	for _, dir := range []string{"ingress", "egress"} {
		prog := m.programs()[dir]
		switch {
		case prog != nil:
			if _, err := runIP("tc", "filter", "replace", "dev", m.veth, dir, "protocol", "all",
				"prio", "1", "handle", "1", "bpf", "da", "bytecode", bpfString(prog)); err != nil {
				return fmt.Errorf("ztest: fault filter on %s: %w", m.veth, err)
			}
			m.installed[dir] = true
		case m.installed[dir]:
			if _, err := runIP("tc", "filter", "del", "dev", m.veth, dir, "prio", "1"); err != nil {
				return fmt.Errorf("ztest: remove fault filter on %s: %w", m.veth, err)
			}
			m.installed[dir] = false
		}
	}
	return nil
}

// isolate drops every packet to and from member i (0-based); heal undoes
// isolate and every partition rule involving i.
func (l *netLab) isolate(i int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.members[i]
	m.isolated = true
	return l.apply(m)
}

func (l *netLab) heal(i int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.members[i]
	m.isolated = false
	clear(m.blocked)
	errs := []error{l.apply(m)}
	for _, o := range l.members {
		if o.blocked[string(m.ip)] {
			delete(o.blocked, string(m.ip))
			errs = append(errs, l.apply(o))
		}
	}
	return errors.Join(errs...)
}

// partition drops the packets between every member of a and every member
// of b (0-based indexes), in both directions. Traffic inside each group and
// to the root namespace (the test's clients) is untouched.
func (l *netLab) partition(a, b []int) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	touched := map[int]bool{}
	for _, i := range a {
		for _, j := range b {
			if i == j {
				return fmt.Errorf("ztest: member %d is on both sides of the partition", i+1)
			}
			l.members[i].blocked[string(l.members[j].ip)] = true
			l.members[j].blocked[string(l.members[i].ip)] = true
			touched[i], touched[j] = true, true
		}
	}
	var errs []error
	for i := range l.members {
		if touched[i] {
			errs = append(errs, l.apply(l.members[i]))
		}
	}
	return errors.Join(errs...)
}
