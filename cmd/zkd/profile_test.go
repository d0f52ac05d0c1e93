package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestProfileFlags runs the binary with -cpuprofile and -memprofile, stops
// it with SIGTERM and expects both files to hold a gzipped profile.
func TestProfileFlags(t *testing.T) {
	bin := buildZkd(t)
	cfg := writeCfg(t, freeLoopbackPort(t))
	dir := t.TempDir()
	cpu, heap := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "heap.pprof")

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-cpuprofile", cpu, "-memprofile", heap, cfg.path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(cfg.port))
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("zkd never listened on %s: %v\n%s", addr, err, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("zkd exited with %v\n%s", err, stderr.String())
	}
	for _, p := range []string{cpu, heap} {
		f, err := os.Open(p)
		if err != nil {
			t.Fatalf("profile not written: %v\n%s", err, stderr.String())
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			f.Close()
			t.Fatalf("%s is not a gzipped profile: %v", p, err)
		}
		n, err := io.Copy(io.Discard, zr)
		f.Close()
		if err != nil || n == 0 {
			t.Fatalf("%s: %d bytes of profile, err %v", p, n, err)
		}
	}
}

// TestProfileFlagsBadPath: a profile that cannot be created stops the start
// with a message naming it, before anything listens.
func TestProfileFlagsBadPath(t *testing.T) {
	cfg := writeCfg(t, freeLoopbackPort(t))
	var stderr bytes.Buffer
	code := run([]string{"-cpuprofile", filepath.Join(t.TempDir(), "no", "such", "dir", "cpu.pprof"), cfg.path}, &stderr)
	if code != 1 || !bytes.Contains(stderr.Bytes(), []byte("cpu profile")) {
		t.Fatalf("exit %d, stderr %q; want exit 1 naming the cpu profile", code, stderr.String())
	}
}
