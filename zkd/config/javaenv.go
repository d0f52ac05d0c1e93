package config

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// LoadJavaEnv reads an Apache ZooKeeper conf/java.env (a shell fragment that
// zkEnv.sh sources) and returns the -D system properties and the -Xmx heap
// limit (bytes, 0 when not set) the server's JVM would get.
//
// The file is not run. Assignments to JVMFLAGS, SERVER_JVMFLAGS and
// ZK_SERVER_HEAP are evaluated in order, with single and double quotes,
// backslash escapes, "export", "+=" and $VAR / ${VAR} / ${VAR:-default}
// expansion (variables the file did not set expand to nothing, so
// JVMFLAGS="$JVMFLAGS -Dx=y" works). Other commands are skipped, and so are
// if/case conditions: assignments inside them count as if taken.
//
// The flags are then combined as zkServer.sh does for the server:
// -Xmx${ZK_SERVER_HEAP}m (only when the file sets ZK_SERVER_HEAP; zkEnv.sh
// would otherwise use 1000 MB), then SERVER_JVMFLAGS, then JVMFLAGS, split
// on blanks; for -D and -Xmx the last one wins, as in the JVM.
func LoadJavaEnv(path string) (map[string]string, int64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, fmt.Errorf("config: %w", err)
	}
	return parseJavaEnv(string(data), path)
}

func parseJavaEnv(text, name string) (map[string]string, int64, error) {
	env, err := evalShell(text, name)
	if err != nil {
		return nil, 0, err
	}
	flags := env["SERVER_JVMFLAGS"] + " " + env["JVMFLAGS"]
	if heap, ok := env["ZK_SERVER_HEAP"]; ok && heap != "" {
		flags = "-Xmx" + heap + "m " + flags
	}
	props := map[string]string{}
	var xmx int64
	for _, f := range strings.Fields(flags) {
		switch {
		case strings.HasPrefix(f, "-D") && len(f) > 2:
			k, v, _ := strings.Cut(f[2:], "=")
			props[k] = v
		case strings.HasPrefix(f, "-Xmx"):
			n, err := parseJavaSize(f[len("-Xmx"):])
			if err != nil {
				return nil, 0, &Error{File: name, Key: f, Msg: err.Error(), Err: ErrBadValue}
			}
			xmx = n
		}
	}
	return props, xmx, nil
}

// parseJavaSize reads a JVM memory size: a number with an optional k, m, g
// or t suffix (either case).
func parseJavaSize(s string) (int64, error) {
	mult := int64(1)
	if s != "" {
		switch s[len(s)-1] {
		case 'k', 'K':
			mult = 1 << 10
		case 'm', 'M':
			mult = 1 << 20
		case 'g', 'G':
			mult = 1 << 30
		case 't', 'T':
			mult = 1 << 40
		}
		if mult != 1 {
			s = s[:len(s)-1]
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is not a heap size (want e.g. 512m or 2g)", s)
	}
	return n * mult, nil
}

// assignment matches the NAME= or NAME+= that starts an assignment word.
var assignment = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)(\+?)=`)

// evalShell runs the assignments of a shell fragment and returns the
// variables they set.
func evalShell(text, name string) (map[string]string, error) {
	env := map[string]string{}
	l := &shellLexer{s: text, name: name, line: 1}
	for {
		words, eof, err := l.command()
		if err != nil {
			return nil, err
		}
		if len(words) > 0 && words[0].assign == "" && words[0].raw == "export" {
			words = words[1:]
		}
		allAssign := len(words) > 0
		for _, w := range words {
			if w.assign == "" {
				allAssign = false
			}
		}
		if allAssign {
			for _, w := range words {
				v := w.expand(env)
				if w.appendOp {
					v = env[w.assign] + v
				}
				env[w.assign] = v
			}
		}
		if eof {
			return env, nil
		}
	}
}

// segment is a piece of a shell word: literal text or a variable reference.
type segment struct {
	lit   string
	name  string // variable name when isVar
	def   string // ${name:-def}
	isVar bool
}

type shellWord struct {
	segs     []segment
	raw      string // the word's text when it is a plain literal
	assign   string // NAME of NAME=value
	appendOp bool   // NAME+=value
}

func (w shellWord) expand(env map[string]string) string {
	var b strings.Builder
	for _, s := range w.segs {
		if !s.isVar {
			b.WriteString(s.lit)
			continue
		}
		v := env[s.name]
		if v == "" {
			v = s.def
		}
		b.WriteString(v)
	}
	return b.String()
}

// shellLexer splits a POSIX shell fragment into commands and words, enough
// for the assignments found in java.env files.
type shellLexer struct {
	s    string
	i    int
	name string
	line int
}

func (l *shellLexer) errorf(format string, args ...any) error {
	return &Error{File: l.name, Line: l.line, Msg: fmt.Sprintf(format, args...), Err: ErrSyntax}
}

// command returns the words of the next command; eof is true at the end.
func (l *shellLexer) command() (words []shellWord, eof bool, err error) {
	for {
		for l.i < len(l.s) && (l.s[l.i] == ' ' || l.s[l.i] == '\t' || l.s[l.i] == '\r') {
			l.i++
		}
		if l.i >= len(l.s) {
			return words, true, nil
		}
		switch c := l.s[l.i]; {
		case c == '\\' && l.i+1 < len(l.s) && l.s[l.i+1] == '\n':
			l.i += 2
			l.line++
		case c == '\n' || c == ';' || c == '&' || c == '|':
			if c == '\n' {
				l.line++
			}
			l.i++
			if len(words) > 0 {
				return words, false, nil
			}
		case c == '#':
			for l.i < len(l.s) && l.s[l.i] != '\n' {
				l.i++
			}
		default:
			w, err := l.word()
			if err != nil {
				return nil, false, err
			}
			words = append(words, w)
		}
	}
}

func (l *shellLexer) word() (shellWord, error) {
	var w shellWord
	if m := assignment.FindStringSubmatch(l.s[l.i:]); m != nil {
		w.assign, w.appendOp = m[1], m[2] == "+"
		l.i += len(m[0])
	}
	var lit strings.Builder
	plain := true
	flush := func() {
		if lit.Len() > 0 {
			w.segs = append(w.segs, segment{lit: lit.String()})
			lit.Reset()
		}
	}
	for l.i < len(l.s) {
		c := l.s[l.i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ';' || c == '&' || c == '|':
			flush()
			if plain && len(w.segs) == 1 {
				w.raw = w.segs[0].lit
			}
			return w, nil
		case c == '\'':
			plain = false
			end := strings.IndexByte(l.s[l.i+1:], '\'')
			if end < 0 {
				return w, l.errorf("unterminated single quote")
			}
			q := l.s[l.i+1 : l.i+1+end]
			l.line += strings.Count(q, "\n")
			lit.WriteString(q)
			l.i += end + 2
		case c == '"':
			plain = false
			l.i++
			closed, start := false, l.line
			for l.i < len(l.s) && !closed {
				d := l.s[l.i]
				switch {
				case d == '"':
					closed = true
					l.i++
				case d == '\\' && l.i+1 < len(l.s) && strings.IndexByte("$`\"\\\n", l.s[l.i+1]) >= 0:
					if l.s[l.i+1] == '\n' {
						l.line++
					} else {
						lit.WriteByte(l.s[l.i+1])
					}
					l.i += 2
				case d == '$':
					flush()
					l.dollar(&w, &lit)
				default:
					if d == '\n' {
						l.line++
					}
					lit.WriteByte(d)
					l.i++
				}
			}
			if !closed {
				l.line = start
				return w, l.errorf("unterminated double quote")
			}
		case c == '\\':
			plain = false
			if l.i+1 < len(l.s) {
				if l.s[l.i+1] == '\n' {
					l.line++
				} else {
					lit.WriteByte(l.s[l.i+1])
				}
			}
			l.i += 2
		case c == '$':
			plain = false
			flush()
			l.dollar(&w, &lit)
		case c == '`':
			plain = false
			end := strings.IndexByte(l.s[l.i+1:], '`')
			if end < 0 {
				return w, l.errorf("unterminated backquote")
			}
			l.i += end + 2 // command substitution is not run; it expands to nothing
		default:
			lit.WriteByte(c)
			l.i++
		}
	}
	flush()
	if plain && len(w.segs) == 1 {
		w.raw = w.segs[0].lit
	}
	return w, nil
}

// dollar reads $NAME, ${NAME}, ${NAME:-def} or ${NAME-def} at l.i. $(...)
// is skipped (not run); a lone '$' is literal.
func (l *shellLexer) dollar(w *shellWord, lit *strings.Builder) {
	rest := l.s[l.i+1:]
	switch {
	case strings.HasPrefix(rest, "{"):
		end := strings.IndexByte(rest, '}')
		if end < 0 {
			lit.WriteByte('$')
			l.i++
			return
		}
		body := rest[1:end]
		seg := segment{isVar: true, name: body}
		if i := strings.Index(body, ":-"); i >= 0 {
			seg.name, seg.def = body[:i], body[i+2:]
		} else if i := strings.IndexByte(body, '-'); i >= 0 {
			seg.name, seg.def = body[:i], body[i+1:]
		}
		w.segs = append(w.segs, seg)
		l.i += 1 + end + 1
	case strings.HasPrefix(rest, "("):
		depth, j := 0, 0
		for ; j < len(rest); j++ {
			if rest[j] == '(' {
				depth++
			} else if rest[j] == ')' {
				depth--
				if depth == 0 {
					break
				}
			}
		}
		l.i += 1 + j + 1
	default:
		j := 0
		for j < len(rest) && (rest[j] == '_' || isAlnum(rest[j])) {
			j++
		}
		if j == 0 {
			lit.WriteByte('$')
			l.i++
			return
		}
		w.segs = append(w.segs, segment{isVar: true, name: rest[:j]})
		l.i += 1 + j
	}
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
