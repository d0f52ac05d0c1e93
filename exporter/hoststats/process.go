package hoststats

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/shirou/gopsutil/v3/process"
)

// rlimitNoFile is RLIMIT_NOFILE on Linux.
const rlimitNoFile = 7

// Process is what the host tells about a server process. A negative count
// is unknown (not readable by the exporter's user).
type Process struct {
	PID     int
	RSS     uint64 // resident set size, bytes
	OpenFDs int64
	MaxFDs  int64
	// Heap is the JVM heap from hsperfdata; nil for a process that is no
	// JVM, runs with -XX:-UsePerfData, or whose file we may not read.
	Heap *JVMHeap
}

// ReadProcess reads pid's memory, fds and, for a JVM, its heap.
func ReadProcess(ctx context.Context, procRoot string, pid int) (Process, error) {
	p, err := process.NewProcessWithContext(ctx, int32(pid))
	if err != nil {
		return Process{}, fmt.Errorf("hoststats: process %d: %w", pid, err)
	}
	mem, err := p.MemoryInfoWithContext(ctx)
	if err != nil {
		return Process{}, fmt.Errorf("hoststats: memory of process %d: %w", pid, err)
	}
	out := Process{PID: pid, RSS: mem.RSS, OpenFDs: -1, MaxFDs: -1}
	if n, err := p.NumFDsWithContext(ctx); err == nil {
		out.OpenFDs = int64(n)
	}
	if limits, err := p.RlimitWithContext(ctx); err == nil {
		for _, l := range limits {
			if l.Resource == rlimitNoFile {
				out.MaxFDs = int64(l.Soft)
			}
		}
	}
	if h, err := readJVMHeap(procRoot, pid); err == nil {
		out.Heap = &h
	}
	return out, nil
}

// readJVMHeap reads the heap of JVM pid from its hsperfdata file, looked up
// through the process' own root and under its own PID namespace's pid.
func readJVMHeap(procRoot string, pid int) (JVMHeap, error) {
	nspid, err := namespacePID(procRoot, pid)
	if err != nil {
		return JVMHeap{}, err
	}
	pattern := filepath.Join(procRoot, strconv.Itoa(pid), "root", "tmp", "hsperfdata_*", strconv.Itoa(nspid))
	files, _ := filepath.Glob(pattern)
	if len(files) == 0 {
		return JVMHeap{}, fmt.Errorf("hoststats: no readable hsperfdata for process %d (not a JVM, -XX:-UsePerfData, or another user's)", pid)
	}
	b, err := readBounded(files[0], hsperfMaxFile)
	if err != nil {
		return JVMHeap{}, err
	}
	counters, err := parseHsperfLongs(b)
	if err != nil {
		return JVMHeap{}, fmt.Errorf("%s: %w", files[0], err)
	}
	h, ok := heapFromCounters(counters)
	if !ok {
		return JVMHeap{}, fmt.Errorf("hoststats: %s has no generation counters (a collector without them, e.g. ZGC)", files[0])
	}
	return h, nil
}

// namespacePID is pid as the process itself sees it: the last field of
// NSpid in /proc/PID/status (a JVM in a container names its hsperfdata
// file after that one).
func namespacePID(procRoot string, pid int) (int, error) {
	f, err := os.Open(filepath.Join(procRoot, strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, fmt.Errorf("hoststats: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "NSpid:"); ok {
			fields := strings.Fields(rest)
			if len(fields) == 0 {
				break
			}
			if n, err := strconv.Atoi(fields[len(fields)-1]); err == nil {
				return n, nil
			}
		}
	}
	return pid, nil // kernels before 4.1 have no NSpid
}

func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("hoststats: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit))
	if err != nil {
		return nil, fmt.Errorf("hoststats: read %s: %w", path, err)
	}
	return b, nil
}
