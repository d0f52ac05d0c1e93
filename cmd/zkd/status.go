package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"zkd/zkd/config"
)

// statusTimeout bounds the srvr exchange, as FourLetterWordMain's 5 s.
const statusTimeout = 5 * time.Second

// runStatus is `zkd status [zoo.cfg]`: what `zkServer.sh status` prints,
// found the same way (srvr on the configured client port, its Mode line).
func runStatus(args []string, stderr io.Writer) int {
	return status(args, os.Stdout, stderr)
}

func status(args []string, stdout, stderr io.Writer) int {
	path := defaultConfig
	if len(args) > 0 {
		path = args[0]
	}
	fmt.Fprintf(stderr, "Using config: %s\n", path)
	cfg, _, err := config.Load(path)
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 1
	}
	host, port, ssl := cfg.ClientPortAddress, cfg.ClientPort, false
	if port == 0 && cfg.SecureClientPort != 0 {
		fmt.Fprintln(stdout, "Client port not found. Looking for secureClientPort in the static config.")
		host, port, ssl = cfg.SecureClientPortAddress, cfg.SecureClientPort, true
	}
	if port == 0 {
		fmt.Fprintln(stdout, "Unable to find either secure or unsecure client port in any configs. Terminating.")
		return 1
	}
	if host == "" {
		host = "localhost"
	}
	fmt.Fprintf(stdout, "Client port found: %d. Client address: %s. Client SSL: %t.\n", port, host, ssl)
	mode, err := srvrMode(net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil || ssl {
		// zkd has no TLS listener yet, so a secure port cannot answer srvr.
		fmt.Fprintln(stdout, "Error contacting service. It is probably not running.")
		return 1
	}
	fmt.Fprintln(stdout, mode)
	return 0
}

// srvrMode sends srvr to addr and returns its "Mode: ..." line.
func srvrMode(addr string) (string, error) {
	c, err := net.DialTimeout("tcp", addr, statusTimeout)
	if err != nil {
		return "", fmt.Errorf("status: connecting to %s: %w", addr, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(statusTimeout)) //nolint:errcheck
	if _, err := c.Write([]byte("srvr")); err != nil {
		return "", fmt.Errorf("status: sending srvr to %s: %w", addr, err)
	}
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "Mode:") {
			return line, nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("status: reading srvr from %s: %w", addr, err)
	}
	return "", fmt.Errorf("status: %s answered srvr without a Mode line", addr)
}
