package bench

import (
	"math"
	"os"
	"testing"
	"time"
)

func TestParseCPULine(t *testing.T) {
	tests := []struct {
		name, line string
		want       cpuSample
		wantErr    bool
	}{
		{"with guest", "cpu  100 5 50 800 20 3 2 20 7 0", cpuSample{ok: true, busy: 160, steal: 20, total: 1000}, false},
		{"no guest fields", "cpu 1 0 1 8 0 0 0 0", cpuSample{ok: true, busy: 2, total: 10}, false},
		{"a core's line", "cpu0 1 0 1 8 0 0 0 0", cpuSample{}, true},
		{"short", "cpu 1 2 3", cpuSample{}, true},
		{"not a number", "cpu 1 0 1 x 0 0 0 0", cpuSample{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseCPULine(tt.line)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("parseCPULine = %+v, %v; want %+v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestMachineReport(t *testing.T) {
	from := cpuSample{ok: true, busy: 1000, steal: 100, total: 5000, servers: 300}
	to := cpuSample{ok: true, busy: 1600, steal: 300, total: 6000, servers: 700}
	m := machineReport(from, to, 20000, true)
	want := MachineReport{StealPct: 20, BusyPct: 60, ServerCPUSec: 4, ServerCPUPerOpUs: 200}
	if m == nil || math.Abs(m.StealPct-want.StealPct) > 1e-9 || math.Abs(m.BusyPct-want.BusyPct) > 1e-9 ||
		math.Abs(m.ServerCPUSec-want.ServerCPUSec) > 1e-9 || math.Abs(m.ServerCPUPerOpUs-want.ServerCPUPerOpUs) > 1e-9 {
		t.Fatalf("machineReport = %+v, want %+v", m, want)
	}
	if m := machineReport(from, to, 20000, false); m == nil || m.ServerCPUSec != 0 || m.ServerCPUPerOpUs != 0 {
		t.Errorf("without servers: %+v", m)
	}
	if m := machineReport(cpuSample{}, to, 1, true); m != nil {
		t.Errorf("failed sample: %+v, want nil", m)
	}
	if m := machineReport(to, to, 1, true); m != nil {
		t.Errorf("empty window: %+v, want nil", m)
	}
}

// TestWindowMeter: a window that began is reported with this process's
// CPU (it spins in the window); one that never began is not.
func TestWindowMeter(t *testing.T) {
	m := newWindowMeter([]int{os.Getpid()}, time.Now().Add(20*time.Millisecond))
	time.Sleep(40 * time.Millisecond)
	for end := time.Now().Add(300 * time.Millisecond); time.Now().Before(end); {
	}
	m.stop()
	r := m.report(1000)
	if r == nil || r.ServerCPUSec <= 0.05 || math.Abs(r.ServerCPUPerOpUs-r.ServerCPUSec*1000) > 1e-6 {
		t.Errorf("report after a busy window = %+v", r)
	}
	m = newWindowMeter(nil, time.Now().Add(time.Hour))
	m.stop()
	if r := m.report(10); r != nil {
		t.Errorf("window that never began: %+v, want nil", r)
	}
}
