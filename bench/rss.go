package bench

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// readRSS returns the resident set size of process pid in bytes, from the
// VmRSS line of /proc/<pid>/status (Linux only).
func readRSS(pid int) (int64, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("bench: read RSS of %d: %w", pid, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("bench: read RSS of %d: bad VmRSS line %q", pid, sc.Text())
		}
		return kb << 10, nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("bench: read RSS of %d: %w", pid, err)
	}
	return 0, fmt.Errorf("bench: read RSS of %d: no VmRSS line (a kernel thread?)", pid)
}
