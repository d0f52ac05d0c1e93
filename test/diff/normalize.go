package diff

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Normalizer turns one client's raw output into a transcript that two
// correct servers produce identically. The zero value only trims trailing
// blanks and drops empty lines.
type Normalizer struct {
	// Drop removes every line that matches (start-up banners, timings,
	// client log lines).
	Drop []*regexp.Regexp
	// Aside lists output written by other threads of the client than the one
	// printing results: its position among the other lines is a race, its
	// order among its own kind is not. From the first match to the end of
	// the line, such text moves to a section of its own; what stood before
	// it on the line stays (a partial line that the other thread cut).
	Aside []Aside
	// Values masks or renames values inside the remaining lines.
	Values []Value
	// SortRuns sorts every run of consecutive lines that match: children
	// lists that the server returns in hash order.
	SortRuns *regexp.Regexp
	// SortList sorts the ", "-separated items of submatch 1 in every line
	// that matches.
	SortList *regexp.Regexp
}

// Aside names one kind of line moved out of the main transcript.
type Aside struct {
	Name  string
	Match *regexp.Regexp
}

// ValueKind says what becomes of a value.
type ValueKind int

const (
	// Mask replaces the value with <Name>: wall-clock times.
	Mask ValueKind = iota
	// Zxid renames a hex zxid to Z1, Z2, ... in order of first appearance.
	Zxid
	// Session renames a hex session id to S1, S2, ... likewise.
	Session
)

// Value finds values in a line: submatch 1 of Match is the value. Zxid and
// Session values are hex, with or without 0x; zero stays 0, because "no
// owner" and "zxid 0" are facts worth comparing.
type Value struct {
	Kind  ValueKind
	Name  string
	Match *regexp.Regexp
}

// Normalize returns the stable transcript of raw: the main lines, then one
// "-- <name>" section per Aside, in the order of n.Aside.
func (n Normalizer) Normalize(raw string) string {
	main, asides := n.split(raw)
	sections := append([][]string{main}, asides...)
	for _, lines := range sections {
		n.sortRuns(lines)
		n.sortLists(lines)
	}
	l := newLabels()
	var b strings.Builder
	for i, lines := range sections {
		if i > 0 {
			b.WriteString("-- " + n.Aside[i-1].Name + "\n")
		}
		for _, line := range lines {
			b.WriteString(n.values(line, l))
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// split drops noise and separates the main lines from the aside lines.
func (n Normalizer) split(raw string) (main []string, asides [][]string) {
	asides = make([][]string, len(n.Aside))
	keep := func(dst *[]string, line string) {
		line = strings.TrimRight(line, " \t\r")
		if line == "" || n.dropped(line) {
			return
		}
		*dst = append(*dst, line)
	}
	for _, line := range strings.Split(raw, "\n") {
		moved := false
		for i, a := range n.Aside {
			loc := a.Match.FindStringIndex(line)
			if loc == nil {
				continue
			}
			keep(&asides[i], line[loc[0]:])
			keep(&main, line[:loc[0]])
			moved = true
			break
		}
		if !moved {
			keep(&main, line)
		}
	}
	return main, asides
}

func (n Normalizer) dropped(line string) bool {
	for _, re := range n.Drop {
		if re.MatchString(line) {
			return true
		}
	}
	return false
}

func (n Normalizer) sortRuns(lines []string) {
	if n.SortRuns == nil {
		return
	}
	for i := 0; i < len(lines); {
		j := i
		for j < len(lines) && n.SortRuns.MatchString(lines[j]) {
			j++
		}
		if j > i {
			sort.Strings(lines[i:j])
			i = j
		} else {
			i++
		}
	}
}

func (n Normalizer) sortLists(lines []string) {
	if n.SortList == nil {
		return
	}
	for i, line := range lines {
		m := n.SortList.FindStringSubmatchIndex(line)
		if m == nil || m[2] < 0 || m[3] == m[2] {
			continue
		}
		items := strings.Split(line[m[2]:m[3]], ", ")
		sort.Strings(items)
		lines[i] = line[:m[2]] + strings.Join(items, ", ") + line[m[3]:]
	}
}

// values applies every Value rule to line, left to right per rule.
func (n Normalizer) values(line string, l *labels) string {
	for _, v := range n.Values {
		ms := v.Match.FindAllStringSubmatchIndex(line, -1)
		if ms == nil {
			continue
		}
		var b strings.Builder
		last := 0
		for _, m := range ms {
			if m[2] < 0 {
				continue
			}
			b.WriteString(line[last:m[2]])
			b.WriteString(l.replace(v, line[m[2]:m[3]]))
			last = m[3]
		}
		b.WriteString(line[last:])
		line = b.String()
	}
	return line
}

// labels renames zxids and session ids by order of first appearance; one
// labels value covers one transcript.
type labels struct {
	byKind map[ValueKind]map[uint64]string
}

func newLabels() *labels {
	return &labels{byKind: map[ValueKind]map[uint64]string{}}
}

var labelPrefix = map[ValueKind]string{Zxid: "Z", Session: "S"}

func (l *labels) replace(v Value, raw string) string {
	if v.Kind == Mask {
		return "<" + v.Name + ">"
	}
	x, err := strconv.ParseUint(strings.TrimPrefix(raw, "0x"), 16, 64)
	if err != nil {
		return "<bad " + v.Name + " " + raw + ">"
	}
	if x == 0 {
		return "0"
	}
	m := l.byKind[v.Kind]
	if m == nil {
		m = map[uint64]string{}
		l.byKind[v.Kind] = m
	}
	if s, ok := m[x]; ok {
		return s
	}
	s := labelPrefix[v.Kind] + strconv.Itoa(len(m)+1)
	m[x] = s
	return s
}
