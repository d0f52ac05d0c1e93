package wal

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// BenchmarkSyncMethod compares the two ways to make an append durable, on a
// zero-filled preallocated file: pwrite then fdatasync (what the WAL does),
// or pwrite on a file opened with O_DSYNC.
func BenchmarkSyncMethod(b *testing.B) {
	for _, method := range []string{"fdatasync", "O_DSYNC"} {
		for _, size := range []int{128, 4096, 16 << 10, 256 << 10} {
			b.Run(fmt.Sprintf("%s/append=%d", method, size), func(b *testing.B) {
				path := filepath.Join(b.TempDir(), "seg")
				f, err := osFS{}.Create(path)
				if err != nil {
					b.Fatal(err)
				}
				if err := f.Allocate(0, DefaultSegmentSize); err != nil {
					b.Fatal(err)
				}
				if err := f.Sync(); err != nil {
					b.Fatal(err)
				}
				f.Close()
				flag := os.O_RDWR
				if method == "O_DSYNC" {
					flag |= syscall.O_DSYNC
				}
				raw, err := os.OpenFile(path, flag, 0)
				if err != nil {
					b.Fatal(err)
				}
				defer raw.Close()
				buf := make([]byte, size)
				off := int64(0)
				b.SetBytes(int64(size))
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if off+int64(size) > DefaultSegmentSize {
						off = 0
					}
					if _, err := raw.WriteAt(buf, off); err != nil {
						b.Fatal(err)
					}
					if method == "fdatasync" {
						if err := datasync(raw); err != nil {
							b.Fatal(err)
						}
					}
					off += int64(size)
				}
			})
		}
	}
}
