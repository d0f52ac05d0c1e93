package wal

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
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

// writeback starts writing [off, off+n) of f to the disk and waits until it
// is written: sync_file_range(2) with WAIT_BEFORE|WRITE|WAIT_AFTER. Unlike
// fdatasync it neither flushes the disk's cache nor commits metadata, so it
// is cheap; it makes nothing durable (the fsync after the fill does). See
// fillZeros for why. Filesystems that do not support it just skip it.
func writeback(f *os.File, off, n int64) error {
	err := unix.SyncFileRange(int(f.Fd()), off, n,
		unix.SYNC_FILE_RANGE_WAIT_BEFORE|unix.SYNC_FILE_RANGE_WRITE|unix.SYNC_FILE_RANGE_WAIT_AFTER)
	switch {
	case err == nil, errors.Is(err, unix.ENOSYS), errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.EINVAL), errors.Is(err, unix.ESPIPE):
		return nil
	}
	return err
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
