//go:build !linux

package wal

import (
	"io"
	"os"
)

// datasync falls back to fsync where fdatasync is not available.
func datasync(f *os.File) error { return f.Sync() }

// fallocate is a no-op here: the zero fill in Allocate does the work.
func fallocate(*os.File, int64, int64) error { return nil }

// writeback is a no-op here: the fsync after the zero fill writes it all.
func writeback(*os.File, int64, int64) error { return nil }

// lockFile only creates the file: zkd's supported platform is Linux.
func lockFile(name string) (io.Closer, error) {
	return os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o640)
}
