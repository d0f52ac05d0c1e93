package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"zkd/bench"
)

// runSettle is zkbench settle: before a measured run, sync the data
// filesystem and wait for the servers of every kind to go idle, so that a
// run is not charged with what the run before it, of the other server,
// left behind (scripts/bench.sh calls it between runs).
func runSettle(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("zkbench settle", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pids := fs.String("pids", "", "comma-separated pids of the server processes that must go idle")
	dir := fs.String("dir", "", "a directory on the filesystem to sync first (syncfs)")
	maxWait := fs.Duration("max", 10*time.Second, "longest wait; past it the servers are reported busy (exit status 0)")
	idle := fs.Float64("idle", 0.1, "CPU, as a fraction of one core, the servers together may use over a window and count as idle")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: zkbench settle -pids P1,P2 [-dir DIR] [-max 10s]\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ps, err := parsePids(*pids)
	if err != nil || len(ps) == 0 || fs.NArg() > 0 {
		if err == nil {
			err = fmt.Errorf("want -pids and no arguments")
		}
		fmt.Fprintf(stderr, "zkbench settle: %v\n", err)
		return 2
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	res, err := bench.Settle(ctx, bench.SettleConfig{Pids: ps, SyncDir: *dir, Max: *maxWait, Idle: *idle})
	if err != nil {
		fmt.Fprintf(stderr, "zkbench settle: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, res)
	return 0
}

// parsePids parses a comma-separated list of process ids.
func parsePids(list string) ([]int, error) {
	var pids []int
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		pid, err := strconv.Atoi(s)
		if err != nil || pid <= 0 {
			return nil, fmt.Errorf("%q is not a process id", s)
		}
		pids = append(pids, pid)
	}
	return pids, nil
}
