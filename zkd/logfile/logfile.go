// Package logfile is a size-rotated log file, for ZOO_LOG_DIR: zkServer.sh
// users expect the server's log in a file there, rolled like log4j's
// RollingFileAppender (MaxFileSize, MaxBackupIndex), not only on stderr.
package logfile

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// Defaults from ZooKeeper 3.8's log4j.properties.
const (
	DefaultMaxSize    = 256 << 20 // zookeeper.log.maxfilesize=256MB
	DefaultMaxBackups = 20        // zookeeper.log.maxbackupindex=20
)

// File is an io.Writer that appends to path and, once a write would take
// it past MaxSize, renames it to path.1 (path.1 to path.2, ...), keeping
// MaxBackups old files. It is safe for concurrent use.
type File struct {
	path       string
	maxSize    int64
	maxBackups int

	mu   sync.Mutex
	f    *os.File
	size int64
}

// Open opens (creating dir and the file as needed) the log file.
func Open(path string, maxSize int64, maxBackups int) (*File, error) {
	if maxSize <= 0 {
		maxSize = DefaultMaxSize
	}
	if maxBackups < 0 {
		maxBackups = DefaultMaxBackups
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("logfile: %w", err)
	}
	lf := &File{path: path, maxSize: maxSize, maxBackups: maxBackups}
	if err := lf.open(); err != nil {
		return nil, err
	}
	return lf, nil
}

func (l *File) open() error {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("logfile: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("logfile: %w", err)
	}
	l.f, l.size = f, st.Size()
	return nil
}

// Write appends p, rolling the file first if p would not fit. A record is
// never split across files.
func (l *File) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return 0, os.ErrClosed
	}
	if l.size > 0 && l.size+int64(len(p)) > l.maxSize {
		if err := l.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := l.f.Write(p)
	l.size += int64(n)
	return n, err
}

// rotate shifts path.N-1 to path.N ... path to path.1 and reopens path.
// REQUIRES: l.mu held.
func (l *File) rotate() error {
	if err := l.f.Close(); err != nil {
		return fmt.Errorf("logfile: closing for rotation: %w", err)
	}
	l.f = nil
	if l.maxBackups == 0 {
		if err := os.Remove(l.path); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("logfile: %w", err)
		}
		return l.open()
	}
	os.Remove(fmt.Sprintf("%s.%d", l.path, l.maxBackups)) //nolint:errcheck // may not exist
	for i := l.maxBackups - 1; i >= 1; i-- {
		from := fmt.Sprintf("%s.%d", l.path, i)
		if _, err := os.Stat(from); err == nil {
			if err := os.Rename(from, fmt.Sprintf("%s.%d", l.path, i+1)); err != nil {
				return fmt.Errorf("logfile: %w", err)
			}
		}
	}
	if err := os.Rename(l.path, l.path+".1"); err != nil {
		return fmt.Errorf("logfile: %w", err)
	}
	return l.open()
}

// Close closes the file.
func (l *File) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
