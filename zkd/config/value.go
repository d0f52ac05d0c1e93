package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Value parsers. Each returns an error that names only the value; the caller
// adds file, line and key.

// parseInt reads a 32-bit decimal integer, as Java's Integer.parseInt does.
// A 0x prefix is accepted too, since system properties are read with
// Integer.decode.
func parseInt(v string) (int, error) {
	n, err := parseInt64(v)
	if err != nil {
		return 0, err
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		return 0, fmt.Errorf("%q is out of range", v)
	}
	return int(n), nil
}

func parseInt64(v string) (int64, error) {
	s := strings.TrimSpace(v)
	base := 10
	if t, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok {
		s, base = t, 16
	}
	n, err := strconv.ParseInt(s, base, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, fmt.Errorf("%q is out of range", v)
		}
		return 0, fmt.Errorf("%q is not a number", v)
	}
	return n, nil
}

// parsePort reads a port number; 0 is allowed (it means "not set").
func parsePort(v string) (int, error) {
	n, err := parseInt(v)
	if err != nil {
		return 0, err
	}
	if n < 0 || n > 65535 {
		return 0, fmt.Errorf("%d is not a port (want 1..65535)", n)
	}
	return n, nil
}

// parseBool accepts true/false (ZooKeeper's own parseBoolean) and yes/no
// (what forceSync and skipACL take), in any case. Anything else is an error
// rather than ZooKeeper's silent false: a typo should not turn a safety
// setting off.
func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes":
		return true, nil
	case "false", "no":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean (want true or false)", v)
}

// unescapeJava undoes the backslash escapes of the Java properties format
// (java.util.Properties.load): \t \n \r \f, \uXXXX, and \c for any other c.
func unescapeJava(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch c := s[i]; c {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+4 < len(s) {
				if r, err := strconv.ParseUint(s[i+1:i+5], 16, 32); err == nil {
					b.WriteRune(rune(r))
					i += 4
					continue
				}
			}
			b.WriteByte('u')
		default:
			b.WriteByte(c) // a UTF-8 lead byte here is copied like any other byte
		}
	}
	return b.String()
}
