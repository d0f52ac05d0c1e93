package main

import (
	"fmt"
	"strings"
)

// splitLine splits a command line on blanks, keeping quoted strings ("a b"
// or 'a b') together, as zkCli's MyCommandOptions does.
func splitLine(line string) []string {
	var out []string
	var cur strings.Builder
	in, quote := false, rune(0)
	for _, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '"' || r == '\'':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

// parsed is a command line split into options and positional arguments.
type parsed struct {
	flags map[string]string // "-s" → "" ; "-v" → "3"
	args  []string          // positional, command name excluded
}

func (p parsed) has(f string) bool { _, ok := p.flags[f]; return ok }

// parseArgs separates options from positional arguments the way commons-cli
// does for zkCli: options may appear anywhere; spec lists the option letters,
// a trailing ':' marking one that takes a value ("s", "v:").
func parseArgs(argv []string, spec ...string) (parsed, error) {
	takes := map[string]bool{}
	for _, s := range spec {
		name := "-" + strings.TrimSuffix(s, ":")
		takes[name] = strings.HasSuffix(s, ":")
	}
	p := parsed{flags: map[string]string{}}
	for i := 0; i < len(argv); i++ {
		a := argv[i]
		if len(a) < 2 || a[0] != '-' {
			p.args = append(p.args, a)
			continue
		}
		withValue, ok := takes[a]
		if !ok {
			return p, fmt.Errorf("Unrecognized option: %s", a)
		}
		if withValue {
			if i+1 >= len(argv) {
				return p, fmt.Errorf("Missing argument for option: %s", a[1:])
			}
			i++
			p.flags[a] = argv[i]
			continue
		}
		p.flags[a] = ""
	}
	return p, nil
}
