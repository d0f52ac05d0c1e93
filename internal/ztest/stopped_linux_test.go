package ztest

import (
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// TestWaitStopped: a process counts as stopped only once SIGSTOP has taken
// effect on its threads, and no longer after SIGCONT.
func TestWaitStopped(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	if n, err := runningThreads(pid); err != nil || n == 0 {
		t.Fatalf("a sleeping process: %d threads not stopped, %v; want 1", n, err)
	}
	if err := waitStopped(pid, 50*time.Millisecond); err == nil {
		t.Fatal("waitStopped returned for a process nobody stopped")
	}
	if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	if err := waitStopped(pid, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, err := runningThreads(pid)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("still stopped 5 s after SIGCONT")
		}
		time.Sleep(time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if _, err := runningThreads(pid); err == nil {
		t.Error("runningThreads of a process that is gone: no error")
	}
}
