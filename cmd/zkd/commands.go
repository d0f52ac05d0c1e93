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
