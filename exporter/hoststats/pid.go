package hoststats

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrNoListener means no local socket listens on the port asked for.
var ErrNoListener = errors.New("hoststats: no local listener on that port")

// listener is one LISTEN socket of /proc/net/tcp or tcp6.
type listener struct {
	IP    net.IP
	Port  int
	Inode uint64
}

// parseListeners reads /proc/net/tcp or tcp6 and returns its LISTEN
// sockets. Addresses are hex in host byte order, 4 bytes at a time:
//
//	sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
//	 0: 0100007F:0885 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 41873 ...
func parseListeners(r io.Reader) ([]listener, error) {
	var out []listener
	sc := bufio.NewScanner(r)
	first := true
	for sc.Scan() {
		if first { // header
			first = false
			continue
		}
		f := strings.Fields(sc.Text())
		if len(f) < 10 || f[3] != "0A" { // 0A = TCP_LISTEN
			continue
		}
		ipHex, portHex, ok := strings.Cut(f[1], ":")
		if !ok {
			continue
		}
		port, err1 := strconv.ParseUint(portHex, 16, 16)
		inode, err2 := strconv.ParseUint(f[9], 10, 64)
		ip, err3 := procIP(ipHex)
		if err1 != nil || err2 != nil || err3 != nil {
			continue
		}
		out = append(out, listener{IP: ip, Port: int(port), Inode: inode})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("hoststats: read socket table: %w", err)
	}
	return out, nil
}

// procIP decodes the kernel's address: groups of 4 bytes, each printed as
// a little-endian word on the machines this runs on (x86, arm64).
func procIP(s string) (net.IP, error) {
	b, err := hex.DecodeString(s)
	if err != nil || (len(b) != 4 && len(b) != 16) {
		return nil, fmt.Errorf("hoststats: bad address %q", s)
	}
	for i := 0; i < len(b); i += 4 {
		b[i], b[i+1], b[i+2], b[i+3] = b[i+3], b[i+2], b[i+1], b[i]
	}
	return net.IP(b), nil
}

// matches reports whether a socket listening on l serves clients of
// host:port whose host resolved to ips (an empty ips matches any address).
func (l listener) matches(port int, ips []net.IP) bool {
	if l.Port != port {
		return false
	}
	if len(ips) == 0 || l.IP.IsUnspecified() {
		return true
	}
	for _, ip := range ips {
		if l.IP.Equal(ip) {
			return true
		}
	}
	return false
}

// findListenInode returns the inode of the socket listening on port at one
// of ips, from the socket tables under procRoot.
func findListenInode(procRoot string, port int, ips []net.IP) (uint64, error) {
	for _, table := range []string{"net/tcp", "net/tcp6"} {
		f, err := os.Open(filepath.Join(procRoot, table))
		if err != nil {
			continue // no IPv6 here
		}
		ls, err := parseListeners(f)
		f.Close()
		if err != nil {
			return 0, err
		}
		for _, l := range ls {
			if l.matches(port, ips) {
				return l.Inode, nil
			}
		}
	}
	return 0, fmt.Errorf("%w: %d", ErrNoListener, port)
}

// pidOfSocket finds the process holding socket inode by reading every
// /proc/PID/fd link it may read. Processes of other users are skipped,
// which is why the exporter needs the server's user (or root) for this.
func pidOfSocket(procRoot string, inode uint64) (int, error) {
	want := fmt.Sprintf("socket:[%d]", inode)
	entries, err := os.ReadDir(procRoot)
	if err != nil {
		return 0, fmt.Errorf("hoststats: list processes: %w", err)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if hasFD(filepath.Join(procRoot, e.Name(), "fd"), want) {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("hoststats: no readable process holds %s (the exporter needs the server's user or root to see its fds; or use --zk.pid-file)", want)
}

func hasFD(dir, want string) bool {
	fds, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, fd := range fds {
		if link, err := os.Readlink(filepath.Join(dir, fd.Name())); err == nil && link == want {
			return true
		}
	}
	return false
}

// socketHeldBy reports whether pid still holds socket inode: the cheap
// check that lets a cached PID be reused.
func socketHeldBy(procRoot string, pid int, inode uint64) bool {
	return hasFD(filepath.Join(procRoot, strconv.Itoa(pid), "fd"), fmt.Sprintf("socket:[%d]", inode))
}

// ReadPIDFile reads a pid file as zkServer.sh and systemd write it.
func ReadPIDFile(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("hoststats: pid file: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("hoststats: pid file %s: %q is not a pid", path, strings.TrimSpace(string(b)))
	}
	return pid, nil
}
