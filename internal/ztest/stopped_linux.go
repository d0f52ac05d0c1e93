package ztest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// waitStopped waits until every thread of pid is stopped by a signal:
// kill(SIGSTOP) returns before a thread running on another core has
// stopped, and a test that sends a request "to a frozen server" right
// after Pause could otherwise have it served in that moment.
func waitStopped(pid int, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		running, err := runningThreads(pid)
		if err != nil {
			return err
		}
		if running == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("ztest: %d threads of pid %d still not stopped after %v", running, pid, d)
		}
		time.Sleep(time.Millisecond)
	}
}

// runningThreads counts the threads of pid that are not in the stopped
// state ('T' in /proc/PID/task/TID/stat).
func runningThreads(pid int) (int, error) {
	stats, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
	if err != nil || len(stats) == 0 {
		return 0, fmt.Errorf("ztest: threads of pid %d: %v", pid, err)
	}
	n := 0
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // the thread exited
		}
		// The state follows the command name, which is in parentheses
		// and may itself hold spaces or parentheses.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 || i+2 >= len(s) {
			return 0, fmt.Errorf("ztest: unreadable %s", p)
		}
		if s[i+2] != 'T' {
			n++
		}
	}
	return n, nil
}
