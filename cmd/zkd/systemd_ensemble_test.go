package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"zkd/internal/ztest"
)

// TestSystemdEnsembleOneAtATime starts zk01..zk03 the way a careful
// operator (or `systemctl start` of Type=notify units in turn) does: each
// member only after the previous one said READY=1. A member that waited
// for a quorum before READY would hang this start for ever; zkd's READY
// comes once the data is loaded and the ports listen, with a STATUS line
// saying it waits for a quorum. Once all three run, the STATUS lines tell
// who leads and who follows.
func TestSystemdEnsembleOneAtATime(t *testing.T) {
	bin := buildZkd(t)
	const n = 3
	clientPorts := make([]int, n)
	var servers strings.Builder
	for i := range n {
		clientPorts[i] = freeLoopbackPort(t)
		fmt.Fprintf(&servers, "server.%d=127.0.0.1:%d:%d\n", i+1, freeLoopbackPort(t), freeLoopbackPort(t))
	}
	type member struct {
		cmd  *exec.Cmd
		msgs <-chan string
		log  string
		last string // newest STATUS line
	}
	members := make([]*member, n)
	for i := range n {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "myid"), []byte(fmt.Sprintf("%d\n", i+1)), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg := filepath.Join(dir, "zoo.cfg")
		text := fmt.Sprintf("tickTime=200\ninitLimit=10\nsyncLimit=5\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\n4lw.commands.whitelist=*\nadmin.enableServer=false\n%s",
			dir, clientPorts[i], servers.String())
		if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		sock, msgs := notifySocket(t)
		cmd := exec.Command(bin, cfg)
		cmd.Env = append(os.Environ(), "NOTIFY_SOCKET="+sock)
		logPath := filepath.Join(dir, "zkd.log")
		logf, err := os.Create(logPath)
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		logf.Close()
		m := &member{cmd: cmd, msgs: msgs, log: logPath}
		members[i] = m
		t.Cleanup(func() {
			cmd.Process.Kill() //nolint:errcheck
			cmd.Wait()         //nolint:errcheck
			if t.Failed() {
				b, _ := os.ReadFile(logPath)
				t.Logf("zk0%d log:\n%s", i+1, b)
			}
		})
		// The unit's start job ends at READY=1; only then does the next
		// member start.
		deadline := time.Now().Add(30 * time.Second)
		for {
			msg := next(t, msgs, time.Until(deadline), fmt.Sprintf("READY=1 from zk0%d", i+1))
			if strings.Contains(msg, "READY=1") {
				if i == 0 && !strings.Contains(msg, "waiting for quorum") {
					t.Errorf("zk01's READY=1 came alone, yet its STATUS does not say it waits for a quorum: %q", msg)
				}
				break
			}
		}
		addr := fmt.Sprintf("127.0.0.1:%d", clientPorts[i])
		if got, err := ztest.FourLetter(addr, "ruok"); err != nil || got != "imok" {
			t.Fatalf("zk0%d: ruok right after READY: %q, %v", i+1, got, err)
		}
	}
	// Everyone up: one leads with both followers in sync, two follow it.
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		leaders, followers := 0, 0
		for _, m := range members {
			for drained := false; !drained; {
				select {
				case msg := <-m.msgs:
					for _, line := range strings.Split(msg, "\n") {
						if s, ok := strings.CutPrefix(line, "STATUS="); ok {
							m.last = s
						}
					}
				default:
					drained = true
				}
			}
			switch {
			case strings.HasPrefix(m.last, "leading with 2/2 followers in sync"):
				leaders++
			case strings.HasPrefix(m.last, "following leader "):
				followers++
			}
		}
		if leaders == 1 && followers == 2 {
			for i, p := range clientPorts {
				out, err := ztest.FourLetter(fmt.Sprintf("127.0.0.1:%d", p), "srvr")
				if err != nil || !strings.Contains(out, "Mode: ") {
					t.Errorf("zk0%d srvr: %q, %v", i+1, out, err)
				}
			}
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	for i, m := range members {
		t.Errorf("zk0%d last STATUS: %q", i+1, m.last)
	}
	t.Fatal("the ensemble never reported one leader with 2/2 followers in sync and two followers")
}
