package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestLogsToZooLogDir runs the binary with ZOO_LOG_DIR set, as zkServer.sh
// users do, and expects the server's log in a file there, not on stderr.
func TestLogsToZooLogDir(t *testing.T) {
	bin := buildZkd(t)
	dir := t.TempDir()
	logDir := filepath.Join(dir, "logs")
	port := freeLoopbackPort(t)
	cfg := filepath.Join(dir, "zoo.cfg")
	text := fmt.Sprintf("tickTime=200\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n", dir, port)
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, cfg)
	cmd.Env = append(os.Environ(), "ZOO_LOG_DIR="+logDir, "USER=zk")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill() //nolint:errcheck
			<-done
		}
	}()
	host, _ := os.Hostname()
	path := filepath.Join(logDir, fmt.Sprintf("zookeeper-zk-server-%s.log", host))
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, _ := os.ReadFile(path)
		if strings.Contains(string(b), "serving clients") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s has no \"serving clients\" line after 30s; file:\n%s\nstderr:\n%s", path, b, stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if s := stderr.String(); strings.Contains(s, "serving clients") || !strings.Contains(s, path) {
		t.Fatalf("stderr should only say where the log goes; got:\n%s", s)
	}
}
