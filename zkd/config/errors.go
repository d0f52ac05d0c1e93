package config

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinels for errors.Is. Every error this package returns wraps one of them
// inside an *Error that says where the problem is.
var (
	// ErrBadValue: a value does not parse, is out of range or contradicts
	// another setting.
	ErrBadValue = errors.New("config: bad value")
	// ErrMissing: a required setting is absent (dataDir, clientPort, and in a
	// quorum initLimit and syncLimit).
	ErrMissing = errors.New("config: required setting missing")
	// ErrMyID: dataDir/myid is missing, not a number, out of 1..255 or not
	// one of the server.N lines.
	ErrMyID = errors.New("config: bad myid")
	// ErrSyntax: a line of a configuration file cannot be read at all.
	ErrSyntax = errors.New("config: syntax error")
)

// Error names the file, line and key of a configuration problem, in the form
// operators know from compilers:
//
//	zoo.cfg:7: clientPort: "abc" is not a number
//
// Line is 0 when the setting has no line (a default, a -D flag, a field set
// by code); Key is empty when the problem is not about one key.
type Error struct {
	File string
	Line int
	Key  string
	Msg  string
	Err  error // one of the sentinels above
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
		}
		b.WriteString(": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Warning is a problem that does not stop the server: an unknown key, a
// duplicate key, a value Apache ZooKeeper would silently correct.
type Warning struct {
	File    string
	Line    int
	Key     string
	Message string
}

func (w Warning) String() string {
	return (&Error{File: w.File, Line: w.Line, Key: w.Key, Msg: w.Message}).Error()
}

// origin records where a setting was given, so that checks made long after
// parsing can still point at the line.
type origin struct {
	File string
	Line int
	Key  string // as written: "zookeeper.snapCount", "-Dzookeeper.snapCount"
	// FromFile is true for zoo.cfg (and the dynamic file), false for -D
	// system properties; zoo.cfg wins over a system property.
	FromFile bool
}

// errAt builds an *Error for the canonical key k, using where it was set when
// known.
func (c *Config) errAt(k string, sentinel error, format string, args ...any) *Error {
	e := &Error{File: c.File, Key: k, Msg: fmt.Sprintf(format, args...), Err: sentinel}
	if o, ok := c.origin[k]; ok {
		e.File, e.Line, e.Key = o.File, o.Line, o.Key
	}
	return e
}

// warnAt is errAt for warnings.
func (c *Config) warnAt(k string, format string, args ...any) Warning {
	e := c.errAt(k, nil, format, args...)
	return Warning{File: e.File, Line: e.Line, Key: e.Key, Message: e.Msg}
}
