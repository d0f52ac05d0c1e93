package mntr

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Label is one name="value" pair from a labelled mntr key.
type Label struct {
	Name, Value string
}

// Sample is one numeric mntr line.
type Sample struct {
	// Key is the name without the "zk_" prefix and without labels:
	// "fsynctime_count" for `zk_fsynctime_count`.
	Key string
	// Labels are the pairs between braces, in their order on the line.
	Labels []Label
	Value  float64
}

// Label returns the value of the label called name, or "".
func (s Sample) Label(name string) string {
	for _, l := range s.Labels {
		if l.Name == name {
			return l.Value
		}
	}
	return ""
}

// Report is a parsed mntr reply.
type Report struct {
	// Samples are the numeric lines in reply order.
	Samples []Sample
	// Strings holds the lines whose value is not a number, by key
	// (version, server_state, peer_state).
	Strings map[string]string
	// Skipped are the lines that were not understood, verbatim, so the
	// caller can log them; they never fail a parse.
	Skipped []string
}

// Parse reads an mntr reply. It only fails when r does; every line it
// cannot read goes to Report.Skipped.
func Parse(r io.Reader) (*Report, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("mntr: read reply: %w", err)
	}
	return ParseString(string(b)), nil
}

// ParseString is Parse on a string.
func ParseString(text string) *Report {
	rep := &Report{Strings: map[string]string{}}
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\r\n")
		if strings.TrimSpace(line) == "" {
			continue
		}
		if !parseLine(rep, line) {
			rep.Skipped = append(rep.Skipped, line)
		}
	}
	return rep
}

// parseLine adds one line to rep and reports whether it was understood.
func parseLine(rep *Report, line string) bool {
	rest, ok := strings.CutPrefix(line, "zk_")
	if !ok {
		return false
	}
	key, labels, rest, ok := splitKey(rest)
	if !ok || !validKey(key) {
		return false
	}
	value := strings.TrimSpace(rest)
	if value == "" {
		return false
	}
	if v, err := parseNumber(value); err == nil {
		rep.Samples = append(rep.Samples, Sample{Key: key, Labels: labels, Value: v})
		return true
	}
	if labels != nil {
		// A labelled string has no place in Prometheus or in _info.
		return false
	}
	rep.Strings[key] = value
	return true
}

// splitKey cuts "name{a="b"}<ws>value" (or "name<ws>value") into the name,
// its labels and what follows. The separator is a tab in every server
// version, but spaces are accepted too since people paste mntr output
// through terminals.
func splitKey(s string) (key string, labels []Label, rest string, ok bool) {
	end := strings.IndexAny(s, "{\t ")
	if end <= 0 {
		return "", nil, "", false
	}
	key = s[:end]
	if s[end] != '{' {
		return key, nil, s[end:], true
	}
	labels, n, ok := parseLabels(s[end:])
	if !ok {
		return "", nil, "", false
	}
	rest = s[end+n:]
	if rest == "" || (rest[0] != '\t' && rest[0] != ' ') {
		return "", nil, "", false
	}
	return key, labels, rest, true
}

// parseLabels reads `{a="x",b="y"}` at the start of s and returns the pairs
// and the number of bytes consumed. ZooKeeper writes label values raw (no
// escaping), so a value ends at the first quote followed by ',' or '}'.
func parseLabels(s string) ([]Label, int, bool) {
	i := 1 // past '{'
	labels := []Label{}
	for {
		if i < len(s) && s[i] == '}' {
			return labels, i + 1, true
		}
		eq := strings.IndexByte(s[i:], '=')
		if eq <= 0 || i+eq+1 >= len(s) || s[i+eq+1] != '"' {
			return nil, 0, false
		}
		name := strings.TrimSpace(s[i : i+eq])
		if !validLabelName(name) {
			return nil, 0, false
		}
		j := i + eq + 2 // first byte of the value
		end := -1
		for k := j; k < len(s); k++ {
			if s[k] == '"' && k+1 < len(s) && (s[k+1] == ',' || s[k+1] == '}') {
				end = k
				break
			}
		}
		if end < 0 {
			return nil, 0, false
		}
		labels = append(labels, Label{Name: name, Value: s[j:end]})
		i = end + 1
		if s[i] == ',' {
			i++
		}
	}
}

// validKey reports whether k can be part of a Prometheus name: ASCII
// letters, digits and underscores.
func validKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// validLabelName is validKey without a leading digit or the "__" that
// Prometheus reserves.
func validLabelName(n string) bool {
	return validKey(n) && !(n[0] >= '0' && n[0] <= '9') && !strings.HasPrefix(n, "__")
}

// parseNumber reads the numbers mntr prints: Java longs, Java doubles
// ("0.0714", "1.6308337E7", "NaN", "Infinity", "-Infinity"). Go's
// ParseFloat reads all of those; hexadecimal and underscores, which it
// would also take, are refused since Java never prints them and a string
// value such as a version could look like one.
func parseNumber(s string) (float64, error) {
	if strings.ContainsAny(s, "_xXpP") {
		return 0, strconv.ErrSyntax
	}
	return strconv.ParseFloat(s, 64)
}
