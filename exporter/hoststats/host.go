package hoststats

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
)

// Host reads the host stats of the servers on this machine. It is safe for
// concurrent use; the only state is a cache of which PID listens where.
type Host struct {
	dirs     []Dir
	pidFile  string
	procRoot string

	mu    sync.Mutex
	cache map[string]listenerPID // by target address
}

type listenerPID struct {
	pid   int
	inode uint64
}

// New returns a Host for the given directories. pidFile, when set, names
// the server process instead of a lookup by port; it is meant for one
// target, and for exporters that may not read the server's fds.
func New(dirs []Dir, pidFile string) *Host {
	return &Host{dirs: dirs, pidFile: pidFile, procRoot: "/proc", cache: map[string]listenerPID{}}
}

// Disks reads the filesystems under the configured directories and the
// I/O of their block devices. It returns what it could read along with
// the errors of what it could not.
func (h *Host) Disks(ctx context.Context) ([]Filesystem, []DeviceIO, error) {
	var (
		fss     []Filesystem
		devices []string
		errs    []error
		seen    = map[string]bool{}
	)
	for _, d := range h.dirs {
		fs, err := StatFilesystem(ctx, d)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fss = append(fss, fs)
		if fs.Device != "" && !seen[fs.Device] {
			seen[fs.Device] = true
			devices = append(devices, fs.Device)
		}
	}
	ios, err := ReadDeviceIO(ctx, devices)
	if err != nil {
		errs = append(errs, err)
	}
	return fss, ios, errors.Join(errs...)
}

// Process finds and reads the server process that serves addr. ok is false
// when addr is not an address of this host (nothing to read here).
func (h *Host) Process(ctx context.Context, addr string) (p Process, ok bool, err error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return Process{}, false, fmt.Errorf("hoststats: target %q: %w", addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return Process{}, false, fmt.Errorf("hoststats: target %q: bad port", addr)
	}
	ips, local, err := localIPs(ctx, host)
	if err != nil || !local {
		return Process{}, false, err
	}
	pid, err := h.pid(addr, port, ips)
	if err != nil {
		return Process{}, true, err
	}
	p, err = ReadProcess(ctx, h.procRoot, pid)
	return p, true, err
}

// pid returns the PID serving addr: the pid file's, the cached one if it
// still holds the listening socket, or a fresh scan of /proc.
func (h *Host) pid(addr string, port int, ips []net.IP) (int, error) {
	if h.pidFile != "" {
		return ReadPIDFile(h.pidFile)
	}
	inode, err := findListenInode(h.procRoot, port, ips)
	if err != nil {
		return 0, err
	}
	h.mu.Lock()
	c, ok := h.cache[addr]
	h.mu.Unlock()
	if ok && c.inode == inode && socketHeldBy(h.procRoot, c.pid, inode) {
		return c.pid, nil
	}
	pid, err := pidOfSocket(h.procRoot, inode)
	if err != nil {
		return 0, err
	}
	h.mu.Lock()
	h.cache[addr] = listenerPID{pid: pid, inode: inode}
	h.mu.Unlock()
	return pid, nil
}

// localIPs resolves host and reports whether it is this machine: a
// loopback address or one of its interfaces' addresses.
func localIPs(ctx context.Context, host string) ([]net.IP, bool, error) {
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return nil, false, fmt.Errorf("hoststats: resolve %s: %w", host, err)
	}
	ifaces, err := net.InterfaceAddrs()
	if err != nil {
		return nil, false, fmt.Errorf("hoststats: interface addresses: %w", err)
	}
	var ips []net.IP
	local := false
	for _, a := range addrs {
		ips = append(ips, a.IP)
		if a.IP.IsLoopback() {
			local = true
		}
		for _, ia := range ifaces {
			if n, ok := ia.(*net.IPNet); ok && n.IP.Equal(a.IP) {
				local = true
			}
		}
	}
	return ips, local, nil
}
