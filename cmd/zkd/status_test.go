package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"zkd/internal/ztest"
)

// TestStatus runs `zkd status` against a running zkd and against a port
// nothing listens on: zkServer.sh status's lines and exit codes.
func TestStatus(t *testing.T) {
	srv := ztest.StartZkd(t, ztest.Options{Whitelist: "ruok"})
	down := writeCfg(t, freeLoopbackPort(t))
	tests := []struct {
		name string
		cfg  string
		code int
		want string
	}{
		{"running", srv.CfgPath, 0, fmt.Sprintf("Client port found: %d. Client address: 127.0.0.1. Client SSL: false.\nMode: standalone\n", srv.Port)},
		{"down", down.path, 1, fmt.Sprintf("Client port found: %d. Client address: localhost. Client SSL: false.\nError contacting service. It is probably not running.\n", down.port)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := status([]string{tc.cfg}, &stdout, &stderr)
			if code != tc.code || stdout.String() != tc.want {
				t.Errorf("exit %d, stdout:\n%s\nwant exit %d, stdout:\n%s\nstderr: %s", code, stdout.String(), tc.code, tc.want, stderr.String())
			}
			if !strings.Contains(stderr.String(), "Using config: "+tc.cfg) {
				t.Errorf("stderr %q lacks the config path", stderr.String())
			}
		})
	}
}

type cfgFile struct {
	path string
	port int
}

// writeCfg writes a minimal zoo.cfg with no clientPortAddress.
func writeCfg(t *testing.T, port int) cfgFile {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "zoo.cfg")
	text := fmt.Sprintf("tickTime=2000\ndataDir=%s\nclientPort=%d\n", dir, port)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfgFile{p, port}
}

// freeLoopbackPort returns a port nothing listens on (at the time asked).
func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
