package snap

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// logBuffer collects log lines for assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

// openDir opens a Dir in a fresh temporary directory.
func openDir(t *testing.T, fs FS) (*Dir, *logBuffer) {
	t.Helper()
	var logs logBuffer
	d, err := Open(t.TempDir(), Options{FS: fs, Logger: logs.logger()})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return d, &logs
}

// bodyOf streams b.
func bodyOf(b []byte) func(io.Writer) error {
	return func(w io.Writer) error { _, err := w.Write(b); return err }
}

// patterned returns n bytes that differ from one offset to the next.
func patterned(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	return b
}

// mustSave saves body as index and returns the path.
func mustSave(t *testing.T, d *Dir, index uint64, body []byte) string {
	t.Helper()
	path, err := d.Save(Meta{Index: index, Term: index / 10, LastZxid: int64(index) * 3}, bodyOf(body))
	if err != nil {
		t.Fatalf("Save %d: %v", index, err)
	}
	return path
}

// readAll loads path and returns its meta and body.
func readAll(t *testing.T, d *Dir, path string) (Meta, []byte, error) {
	t.Helper()
	m, r, err := d.Load(path)
	if err != nil {
		return m, nil, err
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return m, b, nil
}

// dirNames lists the directory.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// corruptFunc damages the file at path.
type corruptFunc func(t *testing.T, path string)

// flipBit returns a corruptFunc that flips one bit at offset off (from the
// end if negative).
func flipBit(off int64, bit uint) corruptFunc {
	return func(t *testing.T, path string) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if off < 0 {
			off += int64(len(b))
		}
		b[off] ^= 1 << bit
		if err := os.WriteFile(path, b, 0o640); err != nil {
			t.Fatal(err)
		}
	}
}

// truncateTo returns a corruptFunc that cuts the file to n bytes.
func truncateTo(n int64) corruptFunc {
	return func(t *testing.T, path string) {
		if err := os.Truncate(path, n); err != nil {
			t.Fatal(err)
		}
	}
}

// wantCorrupt checks err is a *CorruptError for path at offset off.
func wantCorrupt(t *testing.T, err error, path string, off int64, reason string) {
	t.Helper()
	var ce *CorruptError
	if !errors.Is(err, ErrCorrupt) || !errors.As(err, &ce) {
		t.Fatalf("got %v, want ErrCorrupt", err)
	}
	if ce.File != path || ce.Offset != off || !strings.Contains(ce.Reason, reason) {
		t.Fatalf("got %s at %d (%q), want %s at %d (%q)", filepath.Base(ce.File), ce.Offset, ce.Reason, filepath.Base(path), off, reason)
	}
	if !strings.Contains(err.Error(), path) {
		t.Fatalf("message %q does not name the file", err)
	}
}
