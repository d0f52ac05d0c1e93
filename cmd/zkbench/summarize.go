package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"

	"zkd/bench"
)

func runSummarize(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("zkbench summarize", flag.ContinueOnError)
	fs.SetOutput(stderr)
	a := fs.String("a", "zkd", "first server's name in the result files")
	b := fs.String("b", "apache", "second server's name in the result files")
	nameA := fs.String("name-a", "zkd", "first server's name in the table")
	nameB := fs.String("name-b", "ZooKeeper 3.8", "second server's name in the table")
	title := fs.String("title", "zkd vs Apache ZooKeeper 3.8", "the table's heading")
	out := fs.String("o", "", "also write the markdown to this file")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: zkbench summarize [flags] DIR\n\nDIR is a results directory of scripts/bench.sh (see package zkd/bench, summary.go).\n\nflags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	s, err := bench.Summarize(fs.Arg(0), *a, *b)
	if err != nil {
		fmt.Fprintf(stderr, "zkbench summarize: %v\n", err)
		return 1
	}
	var md bytes.Buffer
	if err := s.WriteMarkdown(&md, *title, *nameA, *nameB); err != nil {
		fmt.Fprintf(stderr, "zkbench summarize: %v\n", err)
		return 1
	}
	if *out != "" {
		if err := os.WriteFile(*out, md.Bytes(), 0o644); err != nil {
			fmt.Fprintf(stderr, "zkbench summarize: %v\n", err)
			return 1
		}
	}
	if _, err := stdout.Write(md.Bytes()); err != nil {
		return 1
	}
	return 0
}
