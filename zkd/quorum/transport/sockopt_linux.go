package transport

import (
	"syscall"
	"time"
)

// tcpUserTimeout is TCP_USER_TIMEOUT (linux/tcp.h; 18 on every Linux
// architecture, missing from package syscall on some).
const tcpUserTimeout = 0x12

// userTimeoutControl returns a net.Dialer Control that sets
// TCP_USER_TIMEOUT: a stream whose written data stays unacknowledged for d
// (a silent partition, a frozen peer) is closed by the kernel instead of
// retransmitting with a backoff that grows to minutes. The writer then
// redials, so a healed partition resumes within a backoff, not after the
// kernel's next retransmission.
func userTimeoutControl(d time.Duration) func(network, address string, c syscall.RawConn) error {
	return func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, tcpUserTimeout, int(d.Milliseconds()))
		})
		if err != nil {
			return err
		}
		return serr
	}
}
