package bench

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// On a virtual machine the cores are shared with other guests: the time
// the hypervisor gives to them instead (steal) makes every rate of a run
// lower, whichever server it measures. A load run therefore also reports
// how much was stolen during its window and how much CPU the servers
// themselves used per op, which steal does not inflate: the cost of an op
// can be compared across runs that the neighbours slowed down differently.

// MachineReport is what the machine's cores did during a load run's
// measurement window (Linux /proc; absent elsewhere).
type MachineReport struct {
	// StealPct is the share of the window's CPU time the hypervisor gave
	// to other guests, in percent of all cores.
	StealPct float64 `json:"steal_pct"`
	// BusyPct is the share of the cores' time spent running anything
	// (user, system, interrupts), in percent of all cores.
	BusyPct float64 `json:"busy_pct"`
	// ServerCPUSec is the user plus system CPU time of Config.ServerPids
	// over the window (0 without ServerPids).
	ServerCPUSec float64 `json:"server_cpu_s,omitempty"`
	// ServerCPUPerOpUs is ServerCPUSec per op of the window (Total), in µs.
	ServerCPUPerOpUs float64 `json:"server_cpu_per_op_us,omitempty"`
}

// cpuSample is one reading of the machine's and the servers' CPU counters.
type cpuSample struct {
	ok      bool
	busy    int64 // ticks spent running anything, all cores
	steal   int64
	total   int64 // busy + idle + iowait + steal
	servers int64 // user+system ticks of the server processes
}

func sampleCPU(pids []int) cpuSample {
	s, err := readProcStat()
	if err != nil {
		return cpuSample{}
	}
	s.servers = cpuTicks(pids)
	return s
}

// readProcStat reads the "cpu" line of /proc/stat.
func readProcStat() (cpuSample, error) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return cpuSample{}, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return cpuSample{}, fmt.Errorf("bench: empty /proc/stat: %w", sc.Err())
	}
	return parseCPULine(sc.Text())
}

// parseCPULine parses /proc/stat's first line: "cpu user nice system idle
// iowait irq softirq steal [guest guest_nice]" in clock ticks. Guest time
// is already counted in user and nice.
func parseCPULine(line string) (cpuSample, error) {
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return cpuSample{}, fmt.Errorf("bench: unexpected /proc/stat line %.80q", line)
	}
	var v [8]int64
	for i := range v {
		n, err := strconv.ParseInt(f[i+1], 10, 64)
		if err != nil {
			return cpuSample{}, fmt.Errorf("bench: bad /proc/stat line %.80q", line)
		}
		v[i] = n
	}
	user, nice, system, idle, iowait, irq, softirq, steal := v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]
	busy := user + nice + system + irq + softirq
	return cpuSample{ok: true, busy: busy, steal: steal, total: busy + idle + iowait + steal}, nil
}

// machineReport is the difference between two samples, with ops the ops
// completed between them; nil if either sample failed.
func machineReport(from, to cpuSample, ops int64, withServers bool) *MachineReport {
	if !from.ok || !to.ok || to.total <= from.total {
		return nil
	}
	total := float64(to.total - from.total)
	m := &MachineReport{
		StealPct: 100 * float64(to.steal-from.steal) / total,
		BusyPct:  100 * float64(to.busy-from.busy) / total,
	}
	if withServers {
		m.ServerCPUSec = float64(to.servers-from.servers) / clockTicks
		if ops > 0 {
			m.ServerCPUPerOpUs = m.ServerCPUSec / float64(ops) * 1e6
		}
	}
	return m
}

// windowMeter samples the CPU counters at the start of a measurement
// window (from a timer, while the load runs) and at its end.
type windowMeter struct {
	pids       []int
	start      chan cpuSample
	timer      *time.Timer
	from, to   cpuSample
	notStarted bool
}

func newWindowMeter(pids []int, windowStart time.Time) *windowMeter {
	m := &windowMeter{pids: pids, start: make(chan cpuSample, 1)}
	m.timer = time.AfterFunc(time.Until(windowStart), func() { m.start <- sampleCPU(pids) })
	return m
}

// stop samples the end of the window; call it as soon as the load stops.
func (m *windowMeter) stop() {
	m.to = sampleCPU(m.pids)
	if m.timer.Stop() {
		m.notStarted = true // the run ended before its window began
		return
	}
	m.from = <-m.start
}

// report is the window's MachineReport, with ops the ops completed in it;
// nil when the run ended before the window began or /proc was unreadable.
func (m *windowMeter) report(ops int64) *MachineReport {
	if m.notStarted {
		return nil
	}
	return machineReport(m.from, m.to, ops, len(m.pids) > 0)
}
