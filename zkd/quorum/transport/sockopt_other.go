//go:build !linux

package transport

import (
	"syscall"
	"time"
)

// userTimeoutControl is a no-op off Linux: a silent partition is then
// noticed only when writes time out (Config.WriteTimeout).
func userTimeoutControl(time.Duration) func(network, address string, c syscall.RawConn) error {
	return nil
}
