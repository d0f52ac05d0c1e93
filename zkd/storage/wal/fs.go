package wal

import (
	"io"
	"os"
	"path/filepath"
	"sort"
)

// FS is the filesystem seam. The WAL does all its I/O through it so tests
// can fail writes and fsyncs on demand. Names are full paths. Methods may be
// called from two goroutines at once (the next segment is prepared in the
// background), so implementations must be safe for that.
type FS interface {
	// Create creates name for reading and writing, truncating it if it exists.
	Create(name string) (File, error)
	// Open opens an existing file for reading and writing.
	Open(name string) (File, error)
	Remove(name string) error
	Rename(oldname, newname string) error
	// List returns the names (not paths) of the entries in dir, sorted.
	List(dir string) ([]string, error)
	MkdirAll(dir string) error
	// SyncDir makes renames and removals in dir durable.
	SyncDir(dir string) error
	// Lock takes an exclusive, non-blocking lock on the file name (created if
	// needed), held until the returned Closer is closed or the process dies.
	// It returns an error wrapping ErrLocked if another process holds it.
	Lock(name string) (io.Closer, error)
}

// File is an open segment. Offsets are explicit (pread/pwrite), so after a
// failed write the WAL still knows exactly where its good data ends.
type File interface {
	io.ReaderAt
	io.WriterAt
	io.Closer
	// Sync makes written data durable (fdatasync on Linux).
	Sync() error
	Truncate(size int64) error
	Size() (int64, error)
	// Allocate reserves [off, off+n) on disk and fills it with zeros, so that
	// a disk that is full fails here and not in the middle of a later write,
	// and so that later overwrites need no metadata update at fsync time.
	Allocate(off, n int64) error
}

// OSFS returns the FS of the operating system.
func OSFS() FS { return osFS{} }

// osFS is the real filesystem. fallocOnly skips the zero fill in Allocate;
// it exists so the benchmarks can compare both ways of preallocating.
type osFS struct{ fallocOnly bool }

func (fs osFS) Create(name string) (File, error) {
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return nil, err
	}
	return &osFile{File: f, fallocOnly: fs.fallocOnly}, nil
}

func (fs osFS) Open(name string) (File, error) {
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	return &osFile{File: f, fallocOnly: fs.fallocOnly}, nil
}

func (osFS) Remove(name string) error             { return os.Remove(name) }
func (osFS) Rename(oldname, newname string) error { return os.Rename(oldname, newname) }
func (osFS) MkdirAll(dir string) error            { return os.MkdirAll(dir, 0o750) }
func (osFS) Lock(name string) (io.Closer, error)  { return lockFile(name) }

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

// osFile is an *os.File with the sync and allocation calls the WAL wants.
type osFile struct {
	*os.File
	fallocOnly bool
}

func (f *osFile) Sync() error { return datasync(f.File) }

func (f *osFile) Size() (int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

func (f *osFile) Allocate(off, n int64) error {
	if err := fallocate(f.File, off, n); err != nil {
		return err
	}
	if f.fallocOnly {
		return nil
	}
	return fillZeros(f.File, off, n)
}

// fillChunk is how many zero bytes fillZeros writes before it waits for
// them to reach the disk.
const fillChunk = 256 << 10

// fillZeros is writeZeros for a whole new segment, written back to the
// disk a chunk at a time as it goes (writeback), so that the caller's
// fsync at the end has almost nothing left to flush.
//
// Why: the fill runs while Save appends to the current segment, usually on
// the same disk. Left in the page cache, 64 MiB of zeros go to the disk
// in one burst at the final fsync, and every log fsync issued meanwhile
// queues behind it: on a 3-member loopback ensemble (all three members cut
// a segment at the same index, so 192 MiB at once) that was a stall of
// 100-350 ms of every write, the worst latency of the setData benchmark.
// Chunked, a log fsync waits for at most one chunk per member in flight.
// The fill takes a little longer (it runs off the write path, and the
// segment before it takes seconds to fill).
func fillZeros(f *os.File, off, n int64) error {
	zeros := make([]byte, min(n, fillChunk))
	for n > 0 {
		k := min(n, int64(len(zeros)))
		if _, err := f.WriteAt(zeros[:k], off); err != nil {
			return err
		}
		if err := writeback(f, off, k); err != nil {
			return err
		}
		off += k
		n -= k
	}
	return nil
}

// writeZeros overwrites [off, off+n) of w with zeros.
func writeZeros(w io.WriterAt, off, n int64) error {
	zeros := make([]byte, min(n, 1<<20))
	for n > 0 {
		k := min(n, int64(len(zeros)))
		if _, err := w.WriteAt(zeros[:k], off); err != nil {
			return err
		}
		off += k
		n -= k
	}
	return nil
}
