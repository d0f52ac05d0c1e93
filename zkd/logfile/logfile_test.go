package logfile

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

func TestRotation(t *testing.T) {
	tests := []struct {
		name       string
		maxSize    int64
		maxBackups int
		writes     int
		wantFiles  int
	}{
		{"fits in one file", 1000, 3, 10, 1},
		{"rolls and keeps backups", 100, 3, 50, 4},
		{"no backups", 100, 0, 50, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "zookeeper.log")
			l, err := Open(path, tc.maxSize, tc.maxBackups)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < tc.writes; i++ {
				if _, err := fmt.Fprintf(l, "line %03d 0123456789\n", i); err != nil {
					t.Fatal(err)
				}
			}
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			names, _ := filepath.Glob(path + "*")
			sort.Strings(names)
			if len(names) != tc.wantFiles {
				t.Fatalf("files %v, want %d", names, tc.wantFiles)
			}
			for _, n := range names {
				st, _ := os.Stat(n)
				if st.Size() > tc.maxSize && tc.maxSize >= 21 {
					t.Errorf("%s is %d bytes, over %d", n, st.Size(), tc.maxSize)
				}
			}
			// The newest line is in the live file, whole.
			b, _ := os.ReadFile(path)
			if want := fmt.Sprintf("line %03d 0123456789\n", tc.writes-1); !bytes.HasSuffix(b, []byte(want)) {
				t.Fatalf("live file ends %q, want the last line %q", b, want)
			}
		})
	}
}

func TestReopenAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "z.log")
	for i := 0; i < 2; i++ {
		l, err := Open(path, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(l, "run %d\n", i)
		l.Close()
	}
	if b, _ := os.ReadFile(path); string(b) != "run 0\nrun 1\n" {
		t.Fatalf("got %q", b)
	}
}
