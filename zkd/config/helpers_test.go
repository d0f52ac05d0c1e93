package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeFS serves myid and dynamic config files from a map, so tests need no
// real /data directories.
func fakeFS(files map[string]string) func(string) ([]byte, error) {
	return func(p string) ([]byte, error) {
		if s, ok := files[p]; ok {
			return []byte(s), nil
		}
		return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
	}
}

// parseText parses a zoo.cfg text named "zoo.cfg" that lives in /etc/zk.
func parseText(text string, files map[string]string) (*Config, []Warning, error) {
	return parse(strings.NewReader(text), "zoo.cfg", "/etc/zk", fakeFS(files))
}

// parseFile parses a file from testdata under its base name.
func parseFile(t *testing.T, name string, files map[string]string) (*Config, []Warning, error) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return parse(strings.NewReader(string(data)), name, "/etc/zk", fakeFS(files))
}

// mustParse fails the test on any error.
func mustParse(t *testing.T, text string, files map[string]string) (*Config, []Warning) {
	t.Helper()
	c, w, err := parseText(text, files)
	if err != nil {
		t.Fatalf("parse:\n%s\nerror: %v", text, err)
	}
	return c, w
}

// hasWarning reports whether some warning is on line (0: any line), names
// key (""= any) and contains msg.
func hasWarning(ws []Warning, line int, key, msg string) bool {
	for _, w := range ws {
		if (line == 0 || w.Line == line) && (key == "" || w.Key == key) && strings.Contains(w.Message, msg) {
			return true
		}
	}
	return false
}

// findError returns the *Error in err (possibly joined) for key.
func findError(err error, key string) *Error {
	var all []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		all = j.Unwrap()
	} else {
		all = []error{err}
	}
	for _, e := range all {
		var ce *Error
		if errors.As(e, &ce) && ce.Key == key {
			return ce
		}
	}
	return nil
}
