package main

import (
	"bufio"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"unicode/utf8"

	"golang.org/x/term"
)

// errInterrupted is ReadLine's answer to Ctrl-D on an empty line.
var errInterrupted = errors.New("eof")

// completer proposes completions for the word ending at the cursor: it gets
// the line up to the cursor and returns the start of the word it completes
// and the candidate replacements for it.
type completer func(head string) (start int, candidates []string)

// editor is a small line editor on a raw-mode terminal: insert and delete,
// cursor movement, history with up/down, Tab completion, and output from
// other goroutines (watch events) printed above the line being edited.
type editor struct {
	fd       int
	in       *bufio.Reader
	out      io.Writer
	complete completer

	mu      sync.Mutex // guards the fields below and writes to out
	active  bool       // a line is being edited in raw mode
	prompt  string
	line    []rune
	pos     int
	history []string
}

func newEditor(in *os.File, out io.Writer, c completer) *editor {
	return &editor{fd: int(in.Fd()), in: bufio.NewReader(in), out: out, complete: c}
}

// Print writes s; during editing it clears the line, prints s with CRLF
// line ends (raw mode does not translate) and redraws the prompt.
func (e *editor) Print(s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.active {
		io.WriteString(e.out, s)
		return
	}
	io.WriteString(e.out, "\r\x1b[K"+strings.ReplaceAll(s, "\n", "\r\n"))
	e.redraw()
}

// redraw repaints prompt and line and puts the cursor back; e.mu held.
func (e *editor) redraw() {
	var b strings.Builder
	b.WriteString("\r\x1b[K")
	b.WriteString(e.prompt)
	b.WriteString(string(e.line))
	if back := len(e.line) - e.pos; back > 0 {
		b.WriteString("\x1b[" + itoa(back) + "D")
	}
	io.WriteString(e.out, b.String())
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// ReadLine edits one line after prompt. It returns errInterrupted on
// Ctrl-D at an empty line and io.EOF when input ends.
func (e *editor) ReadLine(prompt string) (string, error) {
	old, err := term.MakeRaw(e.fd)
	if err != nil {
		return "", err
	}
	defer term.Restore(e.fd, old)

	e.mu.Lock()
	e.active, e.prompt, e.line, e.pos = true, prompt, nil, 0
	e.redraw()
	e.mu.Unlock()
	hist := len(e.history) // index into history; len = the new line
	saved := ""

	finish := func() string {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.active = false
		io.WriteString(e.out, "\r\n")
		return string(e.line)
	}
	for {
		r, _, err := e.in.ReadRune()
		if err != nil {
			finish()
			return "", io.EOF
		}
		e.mu.Lock()
		switch r {
		case '\r', '\n':
			e.mu.Unlock()
			line := finish()
			if strings.TrimSpace(line) != "" {
				e.history = append(e.history, line)
			}
			return line, nil
		case 3: // Ctrl-C: drop the line
			e.line, e.pos = nil, 0
			io.WriteString(e.out, "^C\r\n")
		case 4: // Ctrl-D
			if len(e.line) == 0 {
				e.mu.Unlock()
				finish()
				return "", errInterrupted
			}
			e.deleteAt(e.pos)
		case 1: // Ctrl-A
			e.pos = 0
		case 5: // Ctrl-E
			e.pos = len(e.line)
		case 2: // Ctrl-B
			e.pos = max(0, e.pos-1)
		case 6: // Ctrl-F
			e.pos = min(len(e.line), e.pos+1)
		case 11: // Ctrl-K
			e.line = e.line[:e.pos]
		case 21: // Ctrl-U
			e.line, e.pos = append([]rune{}, e.line[e.pos:]...), 0
		case 23: // Ctrl-W: delete the word before the cursor
			start := e.pos
			for start > 0 && e.line[start-1] == ' ' {
				start--
			}
			for start > 0 && e.line[start-1] != ' ' {
				start--
			}
			e.line = append(e.line[:start], e.line[e.pos:]...)
			e.pos = start
		case 127, 8: // Backspace
			if e.pos > 0 {
				e.pos--
				e.deleteAt(e.pos)
			}
		case '\t':
			e.mu.Unlock()
			e.tab()
			e.mu.Lock()
		case 16, 14: // Ctrl-P, Ctrl-N
			hist, saved = e.walkHistory(hist, saved, r == 16)
		case 27:
			e.mu.Unlock()
			key := e.escape()
			e.mu.Lock()
			switch key {
			case 'A', 'B':
				hist, saved = e.walkHistory(hist, saved, key == 'A')
			case 'C':
				e.pos = min(len(e.line), e.pos+1)
			case 'D':
				e.pos = max(0, e.pos-1)
			case 'H':
				e.pos = 0
			case 'F':
				e.pos = len(e.line)
			case '3':
				e.deleteAt(e.pos)
			}
		default:
			if r >= ' ' && r != utf8.RuneError {
				e.line = append(e.line[:e.pos], append([]rune{r}, e.line[e.pos:]...)...)
				e.pos++
			}
		}
		e.redraw()
		e.mu.Unlock()
	}
}

// deleteAt removes the rune at i, if any; e.mu held.
func (e *editor) deleteAt(i int) {
	if i < len(e.line) {
		e.line = append(e.line[:i], e.line[i+1:]...)
	}
}

// walkHistory moves one entry up or down; the line being typed is kept in
// saved so coming back down restores it. e.mu held.
func (e *editor) walkHistory(hist int, saved string, up bool) (int, string) {
	if hist == len(e.history) {
		saved = string(e.line)
	}
	switch {
	case up && hist > 0:
		hist--
	case !up && hist < len(e.history):
		hist++
	default:
		return hist, saved
	}
	if hist == len(e.history) {
		e.line = []rune(saved)
	} else {
		e.line = []rune(e.history[hist])
	}
	e.pos = len(e.line)
	return hist, saved
}

// escape reads the rest of an escape sequence and names the key: A/B/C/D
// arrows, H/F home/end, '3' delete, 0 unknown.
func (e *editor) escape() byte {
	b, err := e.in.ReadByte()
	if err != nil || (b != '[' && b != 'O') {
		return 0
	}
	c, err := e.in.ReadByte()
	if err != nil {
		return 0
	}
	if c >= '0' && c <= '9' {
		// ESC [ n ~ : 1/7 home, 4/8 end, 3 delete.
		for {
			t, err := e.in.ReadByte()
			if err != nil || t == '~' || t < '0' || t > '9' {
				break
			}
		}
		switch c {
		case '1', '7':
			return 'H'
		case '4', '8':
			return 'F'
		case '3':
			return '3'
		}
		return 0
	}
	return c
}

// tab completes the word at the cursor: a unique candidate replaces it, many
// extend it to their common prefix, and if that adds nothing they are
// listed under the line.
func (e *editor) tab() {
	e.mu.Lock()
	head := string(e.line[:e.pos])
	e.mu.Unlock()
	start, cands := e.complete(head) // may talk to the server: unlocked
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(cands) == 0 {
		return
	}
	word := []rune(head)[len([]rune(head[:start])):]
	repl := cands[0]
	if len(cands) > 1 {
		repl = commonPrefix(cands)
		if utf8.RuneCountInString(repl) <= len(word) {
			io.WriteString(e.out, "\r\n"+strings.Join(cands, "  ")+"\r\n")
			return
		}
	}
	rs := []rune(repl)
	rest := append([]rune{}, e.line[e.pos:]...)
	e.line = append(append(append([]rune{}, e.line[:e.pos-len(word)]...), rs...), rest...)
	e.pos = e.pos - len(word) + len(rs)
}

func commonPrefix(v []string) string {
	p := v[0]
	for _, s := range v[1:] {
		for !strings.HasPrefix(s, p) {
			p = p[:len(p)-1]
		}
	}
	return p
}
