package wal

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// datasync is fdatasync(2): data and the metadata needed to read it back,
// without the inode timestamps. On this kind of machine it measured the same
// as writing with O_DSYNC (see doc.go) and keeps Sync a separate, timed step.
func datasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}

// fallocate reserves [off, off+n), extending the file size. Filesystems that
// cannot do it get the zero fill alone.
func fallocate(f *os.File, off, n int64) error {
	for {
		err := syscall.Fallocate(int(f.Fd()), 0, off, n)
		switch {
		case err == syscall.EINTR:
			continue
		case err == nil, errors.Is(err, syscall.EOPNOTSUPP), errors.Is(err, syscall.ENOSYS):
			return nil
		}
		return err
	}
}

// lockFile takes an exclusive flock on name; the kernel drops it when the
// process dies, so a crashed zkd never leaves a stale lock.
func lockFile(name string) (io.Closer, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s", ErrLocked, name)
		}
		return nil, fmt.Errorf("wal: lock %s: %w", name, err)
	}
	return f, nil
}
