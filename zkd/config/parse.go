package config

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/ini.v1"
)

// Load reads zoo.cfg (and the dynamic config file and dataDir/myid it points
// at) and validates it. Relative paths in it are resolved against the
// directory of path.
func Load(path string) (*Config, []Warning, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("config: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, nil, fmt.Errorf("config: %w", err)
	}
	return parse(bytes.NewReader(data), path, filepath.Dir(abs), nil)
}

// Parse reads a zoo.cfg from r; name is used in messages and its directory
// is the base for relative paths. The dynamic config file and myid are read
// from the real filesystem.
func Parse(r io.Reader, name string) (*Config, []Warning, error) {
	return parse(r, name, filepath.Dir(name), nil)
}

// parse is Parse with the filesystem as a parameter, for tests.
func parse(r io.Reader, name, baseDir string, readFile func(string) ([]byte, error)) (*Config, []Warning, error) {
	c := Default()
	c.File, c.BaseDir, c.readFile = name, baseDir, readFile
	entries, warns, err := readProperties(r, name)
	c.parseWarnings = warns
	if err != nil {
		return nil, c.Warnings(), err
	}
	err = c.apply(entries, true)
	// Warnings come from two passes (lines, then keys); show them in file order.
	sort.SliceStable(c.parseWarnings, func(i, j int) bool { return c.parseWarnings[i].Line < c.parseWarnings[j].Line })
	if err != nil {
		return nil, c.Warnings(), err
	}
	if err := c.loadDynamic(); err != nil {
		return nil, c.Warnings(), err
	}
	if err := c.Validate(); err != nil {
		return nil, c.Warnings(), err
	}
	return c, c.Warnings(), nil
}

// entry is one key=value of a properties file.
type entry struct {
	File  string
	Line  int    // first physical line
	Key   string // as written
	Value string
}

// iniOptions make gopkg.in/ini.v1 read one Java-properties line: values may
// hold ':', ';', '=', ',' and '#' (no inline comments), keys are
// case-sensitive and may hold dots, and key=value or key:value both work.
var iniOptions = ini.LoadOptions{
	IgnoreInlineComment:     true,
	SkipUnrecognizableLines: true,
	KeyValueDelimiters:      "=:",
	AllowShadows:            false,
}

// inlineComment finds a " #..." tail. Java properties have no inline
// comments, so Apache ZooKeeper reads "tickTime=2000 #ms" as the number
// "2000 #ms" and fails; zkd drops the tail and warns.
var inlineComment = regexp.MustCompile(`\s#.*$`)

// readProperties splits a properties file into logical lines itself (so it
// knows every key's line number) and hands each to gopkg.in/ini.v1 for the
// key and value. Comments start with '#' or '!' (and ';', which ini treats
// so); a line ending in '\' continues on the next.
func readProperties(r io.Reader, name string) ([]entry, []Warning, error) {
	var (
		entries []entry
		warns   []Warning
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	n := 0
	for sc.Scan() {
		n++
		first := n
		text := strings.TrimSuffix(sc.Text(), "\r")
		if n == 1 {
			text = strings.TrimPrefix(text, "\uFEFF")
		}
		block := text
		for endsInContinuation(text) && sc.Scan() {
			n++
			text = strings.TrimSuffix(sc.Text(), "\r")
			block += "\n" + text
		}
		trimmed := strings.TrimSpace(block)
		switch {
		case trimmed == "":
			continue
		case trimmed[0] == '#' || trimmed[0] == '!' || trimmed[0] == ';':
			continue
		case trimmed[0] == '[':
			warns = append(warns, Warning{File: name, Line: first,
				Message: fmt.Sprintf("%q: zoo.cfg has no sections; line ignored", trimmed)})
			continue
		}
		e, w, ok, err := readLine(trimmed, name, first)
		if err != nil {
			return nil, warns, err
		}
		warns = append(warns, w...)
		if ok {
			entries = append(entries, e)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, warns, &Error{File: name, Line: n + 1, Msg: err.Error(), Err: ErrSyntax}
	}
	return entries, warns, nil
}

// endsInContinuation reports an odd number of trailing backslashes, the
// Java rule for a line that goes on.
func endsInContinuation(s string) bool {
	s = strings.TrimRight(s, " \t")
	k := 0
	for k < len(s) && s[len(s)-1-k] == '\\' {
		k++
	}
	return k%2 == 1
}

// readLine parses one logical line with gopkg.in/ini.v1.
func readLine(block, name string, line int) (entry, []Warning, bool, error) {
	var warns []Warning
	if i := strings.IndexAny(block, "=:"); i > 0 {
		value := strings.TrimSpace(block[i+1:])
		if value != "" && value[0] != '"' && value[0] != '\'' {
			if loc := inlineComment.FindStringIndex(value); loc != nil {
				key := strings.TrimSpace(block[:i])
				warns = append(warns, Warning{File: name, Line: line, Key: key,
					Message: fmt.Sprintf("%q: '#' starts a comment only at the start of a line; "+
						"using %q (Apache ZooKeeper would refuse this value)",
						value, strings.TrimSpace(value[:loc[0]]))})
				block = block[:i+1] + value[:loc[0]]
			}
		}
	}
	f, err := ini.LoadSources(iniOptions, []byte(block))
	if err != nil {
		return entry{}, warns, false, &Error{File: name, Line: line, Msg: err.Error(), Err: ErrSyntax}
	}
	var keys []*ini.Key
	for _, s := range f.Sections() {
		keys = append(keys, s.Keys()...)
	}
	if len(keys) == 0 {
		warns = append(warns, Warning{File: name, Line: line,
			Message: fmt.Sprintf("%q is not a key=value line; ignored", block)})
		return entry{}, warns, false, nil
	}
	k := keys[0]
	return entry{
		File:  name,
		Line:  line,
		Key:   k.Name(),
		Value: strings.TrimSpace(unescapeJava(joinContinuation(k.Value()))),
	}, warns, true, nil
}

// joinContinuation removes what is left of continuation breaks: Java drops
// the leading blanks of every continued line.
func joinContinuation(v string) string {
	if !strings.Contains(v, "\n") {
		return v
	}
	lines := strings.Split(v, "\n")
	for i := 1; i < len(lines); i++ {
		lines[i] = strings.TrimLeft(lines[i], " \t")
	}
	return strings.Join(lines, "")
}

// apply sets each entry on c in order; fromFile marks zoo.cfg (and the
// dynamic file) entries, which win over system properties. Every bad value
// is reported, not just the first.
func (c *Config) apply(entries []entry, fromFile bool) error {
	var errs []error
	seen := map[string]entry{}
	servers := map[int]Server{}
	for _, s := range c.Servers {
		servers[s.ID] = s
	}
	for _, e := range entries {
		k := canonical(e.Key)
		if prev, dup := seen[k]; dup {
			c.parseWarnings = append(c.parseWarnings, Warning{File: e.File, Line: e.Line, Key: e.Key,
				Message: fmt.Sprintf("also set on line %d (%s=%s); this later value wins", prev.Line, prev.Key, prev.Value)})
		}
		seen[k] = e
		c.origin[k] = origin{File: e.File, Line: e.Line, Key: e.Key, FromFile: fromFile}
		bad := func(err error) {
			errs = append(errs, &Error{File: e.File, Line: e.Line, Key: e.Key, Msg: err.Error(), Err: ErrBadValue})
		}
		switch {
		case isServerKey(k):
			id, err := parseServerKey(k)
			if err != nil {
				bad(err)
				continue
			}
			s, err := ParseServer(id, e.Value)
			if err != nil {
				bad(err)
				continue
			}
			servers[id] = s
		case strings.HasPrefix(k, "group."):
			c.Groups[strings.TrimPrefix(k, "group.")] = e.Value
		case strings.HasPrefix(k, "weight."):
			c.Weights[strings.TrimPrefix(k, "weight.")] = e.Value
		case settings[k] != nil:
			if err := settings[k](c, e.Value); err != nil {
				bad(err)
			}
		default:
			c.Extra[k] = e.Value
			if !isKnown(k) {
				msg := "not an Apache ZooKeeper setting; kept but unused"
				if s := suggest(k); s != "" {
					msg += fmt.Sprintf(" (did you mean %s? keys are case-sensitive)", s)
				}
				c.parseWarnings = append(c.parseWarnings, Warning{File: e.File, Line: e.Line, Key: e.Key, Message: msg})
			}
		}
	}
	c.Servers = c.Servers[:0]
	for _, s := range servers {
		c.Servers = append(c.Servers, s)
	}
	sort.Slice(c.Servers, func(i, j int) bool { return c.Servers[i].ID < c.Servers[j].ID })
	return errors.Join(errs...)
}
