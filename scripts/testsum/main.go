// Command testsum reads `go test -json` on stdin and prints what a person
// (and CI) wants from it: the package result lines go test prints without
// -v (ok / FAIL / no test files), build errors, the full output of every
// failed test, every skipped test with its reason, and a closing
// line "go test: N passed, N failed, N skipped".
//
// With -counts FILE, the counts are also added to FILE (created if absent),
// so several go test runs of one `make test` can be summed; -total FILE
// prints the summed closing line and exits 1 if any test failed.
//
// It exits 1 if any test or package failed.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// event is the part of test2json's TestEvent that testsum reads.
type event struct {
	Action     string
	Package    string
	ImportPath string // build-output events
	Test       string
	Output     string
}

// counts are the tests seen per outcome.
type counts struct{ passed, failed, skipped int }

func (c counts) String() string {
	return fmt.Sprintf("%d passed, %d failed, %d skipped", c.passed, c.failed, c.skipped)
}

func main() {
	countsFile := flag.String("counts", "", "add this run's counts to `file`")
	totalFile := flag.String("total", "", "print the closing line for the counts summed in `file`, then exit")
	flag.Parse()
	if *totalFile != "" {
		c, err := readCounts(*totalFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "testsum:", err)
			os.Exit(2)
		}
		fmt.Printf("tests: %v\n", c)
		if c.failed > 0 {
			os.Exit(1)
		}
		return
	}
	c, pkgFailed, err := summarize(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testsum:", err)
		os.Exit(2)
	}
	fmt.Printf("go test: %v\n", c)
	if *countsFile != "" {
		if err := addCounts(*countsFile, c); err != nil {
			fmt.Fprintln(os.Stderr, "testsum:", err)
			os.Exit(2)
		}
	}
	if c.failed > 0 || pkgFailed {
		os.Exit(1)
	}
}

// summarize streams the events from r to w and returns the counts and
// whether any package failed (a build failure has no failed test).
func summarize(r io.Reader, w io.Writer) (counts, bool, error) {
	var (
		c         counts
		pkgFailed bool
		outputs   = map[string]*strings.Builder{} // package + test -> output so far
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil {
			// go test writes some errors (e.g. a bad flag) as plain text.
			fmt.Fprintln(w, string(line))
			continue
		}
		key := e.Package + " " + e.Test
		switch {
		case e.Action == "build-output":
			fmt.Fprint(w, e.Output)
		case e.Test == "" && e.Action == "output":
			if out := e.Output; out != "PASS\n" && out != "FAIL\n" && !strings.HasPrefix(out, "=== ") {
				fmt.Fprint(w, out)
			}
		case e.Test == "":
			// A package's own pass, skip (no test files) or fail.
			pkgFailed = pkgFailed || e.Action == "fail"
		case e.Action == "output":
			b := outputs[key]
			if b == nil {
				b = &strings.Builder{}
				outputs[key] = b
			}
			b.WriteString(e.Output)
		case e.Action == "pass":
			c.passed++
			delete(outputs, key)
		case e.Action == "fail":
			c.failed++
			if b := outputs[key]; b != nil {
				fmt.Fprint(w, dropRunLines(b.String()))
			}
			delete(outputs, key)
		case e.Action == "skip":
			c.skipped++
			if b := outputs[key]; b != nil {
				fmt.Fprint(w, dropRunLines(b.String()))
			}
			delete(outputs, key)
		}
	}
	return c, pkgFailed, sc.Err()
}

// dropRunLines removes go test -v's "=== RUN/PAUSE/CONT/NAME" lines.
func dropRunLines(s string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		if !strings.HasPrefix(strings.TrimLeft(l, " "), "=== ") {
			b.WriteString(l)
		}
	}
	return b.String()
}

func readCounts(path string) (counts, error) {
	var c counts
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("read counts: %w", err)
	}
	if strings.TrimSpace(string(b)) == "" {
		return c, nil // a fresh (mktemp) file
	}
	if _, err := fmt.Sscanf(string(b), "%d %d %d", &c.passed, &c.failed, &c.skipped); err != nil {
		return c, fmt.Errorf("parse counts in %s: %w", path, err)
	}
	return c, nil
}

func addCounts(path string, c counts) error {
	old, err := readCounts(path)
	if err != nil {
		return err
	}
	old.passed += c.passed
	old.failed += c.failed
	old.skipped += c.skipped
	s := fmt.Sprintf("%d %d %d\n", old.passed, old.failed, old.skipped)
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		return fmt.Errorf("write counts: %w", err)
	}
	return nil
}
