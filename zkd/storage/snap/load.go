package snap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"path/filepath"
)

// LoadNewest verifies the snapshot with the highest index and returns its
// meta and body. The caller reads the body (tree.ReadSnapshot) and closes
// it. A damaged newest snapshot is an error (ErrCorrupt), not a reason to
// load an older one: falling back would silently roll the state back past
// entries the log may no longer hold. A caller that wants to fall back
// does it explicitly, with List and Load. An empty directory is
// ErrNotFound.
func (d *Dir) LoadNewest() (Meta, io.ReadCloser, error) {
	list, err := d.List()
	if err != nil {
		return Meta{}, nil, err
	}
	if len(list) == 0 {
		return Meta{}, nil, fmt.Errorf("%w in %s", ErrNotFound, d.dir)
	}
	return d.Load(list[0].Path)
}

// Load verifies the snapshot file at path (header, length, body checksum,
// trailer) and returns its meta and body. Damage is an error wrapping
// ErrCorrupt (a *CorruptError with the file and offset).
func (d *Dir) Load(path string) (Meta, io.ReadCloser, error) { return load(d.fs, path) }

// Inspect verifies the snapshot file at path as Load does and returns its
// meta, for inspection commands. It changes nothing.
func Inspect(path string) (Meta, error) {
	m, body, err := load(OSFS(), path)
	if err != nil {
		return Meta{}, err
	}
	return m, body.Close()
}

// OpenFile is Load for a file outside any Dir (an inspection command given
// a path): it verifies the file and returns its body.
func OpenFile(path string) (Meta, io.ReadCloser, error) { return load(OSFS(), path) }

func load(fs FS, path string) (Meta, io.ReadCloser, error) {
	f, err := fs.Open(path)
	if err != nil {
		return Meta{}, nil, fmt.Errorf("snap: open %s: %w", path, err)
	}
	m, err := verify(f, path)
	if err != nil {
		f.Close()
		return Meta{}, nil, err
	}
	return m, &bodyReader{SectionReader: io.NewSectionReader(f, headerLen, m.BodyLen), f: f}, nil
}

// verify checks everything but the body's meaning: the header, the name,
// the length, the body checksum and the trailer.
func verify(f ReadFile, path string) (Meta, error) {
	bad := func(off int64, format string, args ...any) (Meta, error) {
		return Meta{}, &CorruptError{File: path, Offset: off, Reason: fmt.Sprintf(format, args...)}
	}
	size, err := f.Size()
	if err != nil {
		return Meta{}, fmt.Errorf("snap: stat %s: %w", path, err)
	}
	hdr := make([]byte, min(size, headerLen))
	if _, err := f.ReadAt(hdr, 0); err != nil {
		return Meta{}, fmt.Errorf("snap: read %s at offset 0: %w", path, err)
	}
	m, err := decodeHeader(hdr)
	if err != nil {
		var ce *CorruptError
		if errors.As(err, &ce) {
			ce.File = path
			return Meta{}, ce
		}
		return Meta{}, fmt.Errorf("snap: %s: %w", path, err)
	}
	m.Path = path
	if index, ok := parseName(filepath.Base(path)); ok && index != m.Index {
		return bad(16, "header says index %d, the name %d", m.Index, index)
	}
	end := headerLen + m.BodyLen
	switch want := end + trailerLen; {
	case size < want:
		return bad(size, "file is %d bytes, header says %d: cut short", size, want)
	case size > want:
		return bad(want, "file is %d bytes, header says %d: bytes after the trailer", size, want)
	}
	crc, err := checksum(io.NewSectionReader(f, headerLen, m.BodyLen))
	if err != nil {
		return Meta{}, fmt.Errorf("snap: read %s: %w", path, err)
	}
	tr := make([]byte, trailerLen)
	if _, err := f.ReadAt(tr, end); err != nil {
		return Meta{}, fmt.Errorf("snap: read %s at offset %d: %w", path, end, err)
	}
	if string(tr[4:]) != endMagic {
		return bad(end+4, "end marker %q, want %q", tr[4:], endMagic)
	}
	if stored := binary.LittleEndian.Uint32(tr); stored != crc {
		return bad(end, "body checksum %08x, computed %08x over bytes %d..%d", stored, crc, headerLen, end)
	}
	return m, nil
}

// checksum is the CRC-32C of everything r holds.
func checksum(r io.Reader) (uint32, error) {
	buf := make([]byte, 1<<20)
	var crc uint32
	for {
		n, err := r.Read(buf)
		crc = crc32.Update(crc, crcTable, buf[:n])
		if err == io.EOF {
			return crc, nil
		}
		if err != nil {
			return 0, err
		}
	}
}

// bodyReader is a verified body. Len tells tree.ReadSnapshot how much is
// left, so that it can check lengths before it allocates.
type bodyReader struct {
	*io.SectionReader
	f ReadFile
}

func (b *bodyReader) Close() error { return b.f.Close() }

// Len is the number of unread bytes.
func (b *bodyReader) Len() int {
	off, _ := b.Seek(0, io.SeekCurrent)
	return int(b.Size() - off)
}
