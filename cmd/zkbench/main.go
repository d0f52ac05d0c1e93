// Command zkbench generates ZooKeeper-protocol load and measures it, and
// summarizes the results of scripts/bench.sh.
//
//	zkbench [flags]                   run load, populate or watch fan-out (see -help)
//	zkbench summarize [flags] DIR     compare two servers' results in DIR as markdown
//	zkbench ensemble -results DIR     the ensemble cells of scripts/bench.sh, results into DIR
//	zkbench settle -pids P1,P2        sync, then wait for the servers to go idle
//
// The load generator itself is package zkd/bench; this command is flags and
// output only.
package main

import (
	"fmt"
	"io"
	"os"
)

// command is one subcommand: its name, a line of help, and its run
// function taking the arguments after the name.
type command struct {
	name  string
	short string
	run   func(args []string, stdout, stderr io.Writer) int
}

// commands lists the subcommands; the first is the default when the first
// argument is a flag or missing.
var commands = []command{
	{"run", "generate load and report throughput and latency (the default)", runBench},
	{"summarize", "compare two servers in a scripts/bench.sh results directory", runSummarize},
	{"ensemble", "run the ensemble cells of scripts/bench.sh (3-member zkd and Apache ensembles)", runEnsemble},
	{"settle", "sync the data filesystem and wait for the servers to go idle (between runs)", runSettle},
}

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		for _, c := range commands {
			if args[0] == c.name {
				return c.run(args[1:], stdout, stderr)
			}
		}
		if args[0] == "help" {
			for _, c := range commands {
				fmt.Fprintf(stdout, "zkbench %-10s %s\n", c.name, c.short)
			}
			return 0
		}
	}
	return commands[0].run(args, stdout, stderr)
}
