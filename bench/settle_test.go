package bench

import (
	"context"
	"os/exec"
	"testing"
	"time"
)

func TestParseStatTicks(t *testing.T) {
	tests := []struct {
		name, stat string
		want       int64
		wantErr    bool
	}{
		{"plain", "123 (zkd) S 1 123 123 0 -1 4194560 100 0 0 0 250 40 0 0 20 0 9 0 5 0 0", 290, false},
		{"name with spaces and parens", "7 (a) b (c)) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 5 0 0", 7, false},
		{"no command", "7 a R 1", 0, true},
		{"short", "7 (java) S 1 2 3", 0, true},
		{"bad number", "7 (java) S 1 7 7 0 -1 0 0 0 0 0 x 4 0 0", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatTicks(tt.stat)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("parseStatTicks = %d, %v; want %d, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

// TestSettle: a process spinning a core is not idle and Settle gives up at
// Max; a sleeping one is idle at once; a pid that is gone counts as idle.
// (Child processes, not this one: other tests of the package run loads.)
func TestSettle(t *testing.T) {
	spin := startChild(t, "sh", "-c", "while :; do :; done")
	c := SettleConfig{Pids: []int{spin}, SyncDir: t.TempDir(), Window: 200 * time.Millisecond, Idle: 0.3, Max: 700 * time.Millisecond}
	res, err := Settle(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if res.Quiet || res.Busy < 0.5 || res.Waited < c.Max {
		t.Errorf("spinning child: %+v, want busy until Max", res)
	}
	c.Pids, c.Max = []int{startChild(t, "sleep", "60")}, 5*time.Second
	res, err = Settle(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Quiet || res.Waited > time.Second {
		t.Errorf("sleeping child: %+v, want quiet after one window", res)
	}
	res, err = Settle(context.Background(), SettleConfig{Pids: []int{1 << 30}, Window: 50 * time.Millisecond})
	if err != nil || !res.Quiet {
		t.Errorf("gone pid: %+v, %v; want quiet", res, err)
	}
	if _, err := Settle(context.Background(), SettleConfig{SyncDir: "/nonexistent/dir"}); err == nil {
		t.Error("Settle with a missing SyncDir: no error")
	}
}

// startChild starts a command that the test kills when it ends.
func startChild(t *testing.T, name string, args ...string) int {
	t.Helper()
	cmd := exec.Command(name, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd.Process.Pid
}
