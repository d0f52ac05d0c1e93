// Command zkcli is a native ZooKeeper client shell for people who know
// zkCli.sh: the same commands, options and output, without a JVM.
//
//	zkcli -server host:port[,host:port...] [-timeout ms] [cmd args...]
//	zkcli [-server host:port] 4lw <word>
//
// With a command it runs it once and exits (status 1 if it failed);
// without, it is interactive, with line editing, history and Tab
// completion of commands and znode paths when stdin is a terminal.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is main with its streams passed in, returning the exit status.
func run(args []string, stdin *os.File, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("zkcli", flag.ContinueOnError)
	fs.SetOutput(stderr)
	server := fs.String("server", "localhost:2181", "host:port[,host:port...] to connect to")
	timeoutMs := fs.Int("timeout", 30000, "session timeout in milliseconds")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	rest := fs.Args()
	if len(rest) > 0 && rest[0] == "4lw" {
		if len(rest) != 2 {
			fmt.Fprintln(stderr, "usage: zkcli [-server host:port] 4lw <word>")
			return 2
		}
		return fourLetter(*server, rest[1], stdout, stderr)
	}

	sh := &shell{
		server:  *server,
		timeout: time.Duration(*timeoutMs) * time.Millisecond,
		out:     stdout,
		errw:    stderr,
		oneShot: len(rest) > 0,
	}
	sh.printWatch.Store(true)
	sh.async = func(s string) { io.WriteString(stdout, s) }

	if sh.oneShot {
		if err := sh.connect(); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		defer sh.close()
		switch err := sh.run(joinArgs(rest)); {
		case err == nil, errors.Is(err, errQuit):
			return 0
		case errors.Is(err, errNotFound):
			return 127 // as zkCli.sh, like a shell's "command not found"
		default:
			return 1
		}
	}
	return interactive(sh, stdin, stdout, stderr)
}

// joinArgs rebuilds a command line from argv, quoting words with blanks so
// splitLine gives them back whole.
func joinArgs(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		if a == "" || strings.ContainsAny(a, " \t") {
			a = "'" + a + "'"
		}
		q[i] = a
	}
	return strings.Join(q, " ")
}

// interactive runs the read-eval-print loop until quit or end of input.
func interactive(sh *shell, stdin *os.File, stdout, stderr io.Writer) int {
	fmt.Fprintf(stdout, "Connecting to %s\n", sh.server)
	fmt.Fprintln(stdout, "Welcome to ZooKeeper!")
	var readLine func(prompt string) (string, error)
	if term.IsTerminal(int(stdin.Fd())) {
		ed := newEditor(stdin, stdout, func(head string) (int, []string) { return completeLine(sh, head) })
		sh.async = ed.Print
		readLine = ed.ReadLine
		fmt.Fprintln(stdout, "JLine support is enabled")
	} else {
		br := bufio.NewReader(stdin)
		readLine = func(prompt string) (string, error) {
			io.WriteString(stdout, prompt)
			line, err := br.ReadString('\n')
			if err != nil && line == "" {
				return "", err
			}
			return strings.TrimRight(line, "\r\n"), nil
		}
	}
	if err := sh.connect(); err != nil {
		fmt.Fprintln(stderr, err)
	}
	defer sh.close()
	for {
		line, err := readLine(sh.prompt())
		if err != nil {
			return 0
		}
		if errors.Is(sh.run(line), errQuit) {
			return 0
		}
	}
}
