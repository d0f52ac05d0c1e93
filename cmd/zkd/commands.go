package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// command is one `zkd COMMAND` besides running the server.
type command struct {
	name  string
	usage string // one line: arguments and what it does
	run   func(args []string, stderr io.Writer) int
}

// commands lists every subcommand once; each lives in its own file.
func commands() []command {
	return []command{
		{"version", "print the version", runVersion},
		{"check-config", "[zoo.cfg]  validate a config and print the effective settings", checkConfig},
		{"status", "[zoo.cfg]  print the server's mode as zkServer.sh status does; exit 1 when it is down", runStatus},
		{"purge", "[-n N] [zoo.cfg]  keep the newest N (3) snapshots and the log they need; zkd stopped", runPurge},
		{"import", "[-data-log-dir DIR] [-force] ZK_DATA_DIR [zoo.cfg]  import Apache ZooKeeper's data into zkd storage", runImport},
		{"snapshot-dump", "[-data] FILE  print a zkd snapshot: meta, sessions, every node's stat and ACL", runSnapshotDump},
		{"log-dump", "DIR  print a zkd transaction log (dataLogDir/zkd): entries and their txns", runLogDump},
		{"zk-snapshot-dump", "[-data] FILE  print an Apache ZooKeeper snapshot (version-2/snapshot.*)", runZKSnapshotDump},
		{"zk-log-dump", "FILE  print an Apache ZooKeeper transaction log (version-2/log.*)", runZKLogDump},
	}
}

func lookupCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name || "-"+c.name == name || "--"+c.name == name {
			return c, true
		}
	}
	return command{}, false
}

func commandUsage() string {
	var b strings.Builder
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-14s %s\n", c.name, c.usage)
	}
	return b.String()
}

func runVersion([]string, io.Writer) int {
	fmt.Fprintf(os.Stdout, "zkd %s (ZooKeeper 3.8 wire protocol)\n", version)
	return 0
}
