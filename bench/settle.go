package bench

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Settling: zkd and ZooKeeper run side by side on the same cores and the
// same disk, and their runs alternate. What one kind leaves behind after
// its run (a JVM's compiler and collector threads, minutes of its log in
// the page cache waiting to be written back) must not be charged to the
// other kind's run. So, before a measured run, the filesystem of the data
// directories is synced and the servers of every kind are given time to go
// idle.

// SettleConfig is what Settle waits for.
type SettleConfig struct {
	// Pids are the server processes (of every kind) that must go idle.
	Pids []int
	// SyncDir, when set, names a directory on the filesystem whose dirty
	// pages are written back first (syncfs).
	SyncDir string
	// Window is the span over which CPU use is measured (default 500ms).
	Window time.Duration
	// Idle is the most CPU, as a fraction of one core, all Pids together
	// may use over a Window to count as idle (default 0.1).
	Idle float64
	// Max bounds the whole wait (default 10s); past it Settle returns with
	// Quiet false rather than an error: a busy box is reported, not fatal.
	Max time.Duration
}

// SettleResult is how the wait went.
type SettleResult struct {
	Waited time.Duration
	Quiet  bool
	// Busy is the last window's CPU use, as a fraction of one core.
	Busy float64
}

func (r SettleResult) String() string {
	if r.Quiet {
		return fmt.Sprintf("servers idle after %v", r.Waited.Round(time.Millisecond))
	}
	return fmt.Sprintf("servers still busy (%.0f%% of a core) after %v", r.Busy*100, r.Waited.Round(time.Millisecond))
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's times: 100 on
// every Linux architecture Go supports.
const clockTicks = 100

// Settle syncs c.SyncDir's filesystem, then waits until c.Pids together
// use at most c.Idle of a core over one c.Window, or c.Max has passed.
// A pid that is gone counts as idle.
func Settle(ctx context.Context, c SettleConfig) (SettleResult, error) {
	if c.Window <= 0 {
		c.Window = 500 * time.Millisecond
	}
	if c.Idle <= 0 {
		c.Idle = 0.1
	}
	if c.Max <= 0 {
		c.Max = 10 * time.Second
	}
	start := time.Now()
	if c.SyncDir != "" {
		if err := syncFS(c.SyncDir); err != nil {
			return SettleResult{}, err
		}
	}
	var res SettleResult
	prev := cpuTicks(c.Pids)
	t := time.NewTicker(c.Window)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-t.C:
		}
		cur := cpuTicks(c.Pids)
		res.Busy = float64(cur-prev) / clockTicks / c.Window.Seconds()
		prev = cur
		res.Waited = time.Since(start)
		if res.Busy <= c.Idle {
			res.Quiet = true
			return res, nil
		}
		if res.Waited >= c.Max {
			return res, nil
		}
	}
}

// syncFS writes back the dirty pages of the filesystem holding dir.
func syncFS(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("bench: settle: %w", err)
	}
	defer f.Close()
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		return fmt.Errorf("bench: settle: syncfs %s: %w", dir, err)
	}
	return nil
}

// cpuTicks is the user plus system CPU time, in clock ticks, the live
// processes among pids have used (all their threads).
func cpuTicks(pids []int) int64 {
	var sum int64
	for _, pid := range pids {
		n, err := processTicks(pid)
		if err == nil {
			sum += n
		}
	}
	return sum
}

// processTicks reads utime+stime from /proc/<pid>/stat.
func processTicks(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	return parseStatTicks(string(b))
}

// parseStatTicks takes utime and stime (fields 14 and 15) from a
// /proc/<pid>/stat line. The command name (field 2) is in parentheses and
// may hold spaces or parentheses itself, so fields count from the last ')'.
func parseStatTicks(stat string) (int64, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("bench: /proc stat line without a command: %.40q", stat)
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state); utime is field 14, stime 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("bench: short /proc stat line: %.80q", stat)
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("bench: bad times in /proc stat line: %.80q", stat)
	}
	return u + s, nil
}
