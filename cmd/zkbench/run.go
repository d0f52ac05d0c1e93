package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"

	"zkd/bench"
)

// runFlags are the flags of zkbench run.
type runFlags struct {
	cfg        bench.Config
	servers    string
	serverPids string
	mix        string
	json       bool
	cpuprofile string
}

func (f *runFlags) register(fs *flag.FlagSet) {
	c := &f.cfg
	fs.StringVar(&f.servers, "servers", "127.0.0.1:2181", "comma-separated host:port client addresses; sessions are spread over them")
	fs.IntVar(&c.Sessions, "sessions", bench.DefaultSessions, "sessions (connections) issuing load")
	fs.IntVar(&c.Inflight, "inflight", bench.DefaultInflight, "requests in flight per session")
	fs.DurationVar(&c.Duration, "duration", bench.DefaultDuration, "measurement window, after the warm-up")
	fs.DurationVar(&c.Warmup, "warmup", bench.DefaultWarmup, "load run before the window, not measured")
	fs.Int64Var(&c.MaxOps, "max-ops", 0, "stop after this many requests in all (0: no bound but the duration)")
	fs.StringVar(&f.mix, "mix", bench.DefaultMix,
		"ops and weights: create, set, get, exists, children, multi, e.g. set or read=90,write=10 (read=getData, write=setData)")
	fs.IntVar(&c.ValueSize, "value-size", bench.DefaultValueSize, "bytes of data per create and setData, and per key")
	fs.IntVar(&c.Keys, "keys", bench.DefaultKeys, "key-space size: <root>/k/0000000.. picked uniformly")
	fs.StringVar(&c.Root, "root", bench.DefaultRoot, "znode under which the run works")
	fs.IntVar(&c.Populate, "populate", 0, "populate mode: create this many znodes under <root>/p, pipelined, then exit")
	fs.StringVar(&f.serverPids, "server-pids", "", "load mode: comma-separated pids of the server processes, to report their CPU time per op")
	fs.IntVar(&c.RSSPid, "rss-pid", 0, "populate mode: report this server process's RSS before and after (bytes per znode)")
	fs.DurationVar(&c.RSSSettle, "rss-settle", bench.DefaultRSSSettle, "pause before the second RSS sample")
	fs.IntVar(&c.Watch, "watch", 0, "watch fan-out mode: one writer, this many watcher sessions holding a getData watch (-sessions, -inflight unused); notification latency")
	fs.DurationVar(&c.SessionTimeout, "session-timeout", bench.DefaultSessionTimeout, "session timeout to ask for")
	fs.DurationVar(&c.ReplyTimeout, "reply-timeout", bench.DefaultReplyTimeout, "longest wait for any reply before the run fails")
	fs.Uint64Var(&c.Seed, "seed", 0, "seed of the key and op choices (0: from the clock)")
	fs.DurationVar(&c.Timeline, "timeline", 0, "load mode: also record the worst latency per step of this length (e.g. 100ms): the worst steps are printed, every step is in -json")
	fs.BoolVar(&f.json, "json", false, "print the report as JSON")
	fs.StringVar(&f.cpuprofile, "cpuprofile", "", "write zkbench's own CPU profile to this file")
}

func runBench(args []string, stdout, stderr io.Writer) int {
	var f runFlags
	fs := flag.NewFlagSet("zkbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	f.register(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: zkbench [flags]\n       zkbench summarize [flags] DIR\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "zkbench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	mix, err := bench.ParseMix(f.mix)
	if err != nil {
		fmt.Fprintf(stderr, "zkbench: -mix: %v\n", err)
		return 2
	}
	f.cfg.Mix = mix
	for _, s := range strings.Split(f.servers, ",") {
		if s = strings.TrimSpace(s); s != "" {
			f.cfg.Servers = append(f.cfg.Servers, s)
		}
	}
	pids, err := parsePids(f.serverPids)
	if err != nil {
		fmt.Fprintf(stderr, "zkbench: -server-pids: %v\n", err)
		return 2
	}
	f.cfg.ServerPids = pids
	if err := f.cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "zkbench: %v\n", err)
		return 2
	}

	if f.cpuprofile != "" {
		stop, err := startProfile(f.cpuprofile)
		if err != nil {
			fmt.Fprintf(stderr, "zkbench: %v\n", err)
			return 1
		}
		defer stop()
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	rep, err := bench.Run(ctx, f.cfg)
	if err != nil {
		fmt.Fprintf(stderr, "zkbench: %v\n", err)
		return 1
	}
	if f.json {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "zkbench: %v\n", err)
		return 1
	}
	return 0
}

// startProfile starts a CPU profile into path; stop ends it.
func startProfile(path string) (stop func(), err error) {
	out, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(out); err != nil {
		out.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		out.Close()
	}, nil
}
