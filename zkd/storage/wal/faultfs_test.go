package wal

import (
	"strings"
	"sync"
	"syscall"
)

// faultFS wraps the real filesystem and fails writes, fsyncs and
// allocations on demand, the way a full disk does. It is safe for the
// background preparer to use at the same time as the WAL.
type faultFS struct {
	FS
	mu sync.Mutex
	// writeBudget, when >= 0, is how many more bytes WriteAt may write;
	// the write that exceeds it is cut short with ENOSPC.
	writeBudget int64
	syncErr     error // returned by Sync while set
	allocErr    error // returned by Allocate while set
	dirErr      error // returned by SyncDir while set
	removeErr   error // returned by Remove of a segment file while set
	syncs       int   // Sync calls so far
}

func newFaultFS() *faultFS { return &faultFS{FS: osFS{}, writeBudget: -1} }

func (fs *faultFS) set(f func(*faultFS)) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f(fs)
}

func (fs *faultFS) Create(name string) (File, error) {
	f, err := fs.FS.Create(name)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: f, fs: fs}, nil
}

func (fs *faultFS) Open(name string) (File, error) {
	f, err := fs.FS.Open(name)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: f, fs: fs}, nil
}

func (fs *faultFS) SyncDir(dir string) error {
	fs.mu.Lock()
	err := fs.dirErr
	fs.mu.Unlock()
	if err != nil {
		return err
	}
	return fs.FS.SyncDir(dir)
}

func (fs *faultFS) Remove(name string) error {
	fs.mu.Lock()
	err := fs.removeErr
	fs.mu.Unlock()
	if err != nil && strings.HasSuffix(name, ".wal") {
		return err
	}
	return fs.FS.Remove(name)
}

type faultFile struct {
	File
	fs *faultFS
}

func (f *faultFile) WriteAt(p []byte, off int64) (int, error) {
	f.fs.mu.Lock()
	budget := f.fs.writeBudget
	if budget >= 0 {
		f.fs.writeBudget = max(0, budget-int64(len(p)))
	}
	f.fs.mu.Unlock()
	if budget >= 0 && int64(len(p)) > budget {
		n, err := f.File.WriteAt(p[:budget], off)
		if err == nil {
			err = syscall.ENOSPC
		}
		return n, err
	}
	return f.File.WriteAt(p, off)
}

func (f *faultFile) Sync() error {
	f.fs.mu.Lock()
	f.fs.syncs++
	err := f.fs.syncErr
	f.fs.mu.Unlock()
	if err != nil {
		return err
	}
	return f.File.Sync()
}

func (f *faultFile) Allocate(off, n int64) error {
	f.fs.mu.Lock()
	err := f.fs.allocErr
	f.fs.mu.Unlock()
	if err != nil {
		return err
	}
	return f.File.Allocate(off, n)
}
