package snap

import (
	"io"
	"os"
	"path/filepath"
	"sort"
)

// FS is the filesystem seam: every file operation of this package goes
// through it, so tests can fail writes, fsyncs and renames. Names are full
// paths.
type FS interface {
	// Create creates name for writing, truncating it if it exists.
	Create(name string) (File, error)
	// Open opens name for reading.
	Open(name string) (ReadFile, error)
	Rename(oldname, newname string) error
	Remove(name string) error
	// List returns the names (not paths) of the entries in dir, sorted.
	List(dir string) ([]string, error)
	MkdirAll(dir string) error
	// SyncDir makes renames and removals in dir durable.
	SyncDir(dir string) error
}

// File is a snapshot being written: sequential writes for the body, one
// WriteAt for the header once the body's length and checksum are known.
type File interface {
	io.Writer
	io.WriterAt
	// Sync makes the file's data and size durable (fsync).
	Sync() error
	io.Closer
}

// ReadFile is a snapshot being read.
type ReadFile interface {
	io.ReaderAt
	io.Closer
	Size() (int64, error)
}

// OSFS returns the operating system's filesystem.
func OSFS() FS { return osFS{} }

type osFS struct{}

func (osFS) Create(name string) (File, error) {
	return os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
}

func (osFS) Open(name string) (ReadFile, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	return osReadFile{f}, nil
}

func (osFS) Rename(oldname, newname string) error { return os.Rename(oldname, newname) }
func (osFS) Remove(name string) error             { return os.Remove(name) }
func (osFS) MkdirAll(dir string) error            { return os.MkdirAll(dir, 0o750) }

func (osFS) List(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names, nil
}

func (osFS) SyncDir(dir string) error {
	d, err := os.Open(filepath.Clean(dir))
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

type osReadFile struct{ *os.File }

func (f osReadFile) Size() (int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}
