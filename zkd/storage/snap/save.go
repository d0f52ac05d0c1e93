package snap

import (
	"bufio"
	"fmt"
	"hash/crc32"
	"io"
	"path/filepath"
)

// Save writes a snapshot of meta.Index whose body body streams, and
// returns its path. The file appears whole, under its final name, only
// once it and the directory entry are durable; on any error before the
// rename nothing is left behind. A snapshot of the same index is replaced.
// If only the final directory fsync fails, the complete file stays visible
// but the error says it may not survive a crash: do not compact the log on
// its account.
func (d *Dir) Save(meta Meta, body func(io.Writer) error) (path string, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	path = filepath.Join(d.dir, FileName(meta.Index))
	tmp := path + tmpSuffix
	fail := func(step string, err error) (string, error) {
		return "", fmt.Errorf("snap: save %s: %s: %w", path, step, err)
	}

	// 1. Create the temporary file. From here until the rename, any error
	// closes and removes it; a crash leaves it for Open or Purge to remove.
	f, err := d.fs.Create(tmp)
	if err != nil {
		return fail("create", err)
	}
	closed, renamed := false, false
	defer func() {
		if err != nil && !renamed {
			if !closed {
				f.Close()
			}
			d.fs.Remove(tmp)
		}
	}()

	// 2. Reserve the header with zeros: its length and checksums are known
	// only after the body. A file cut here has no magic and no checksum.
	if _, err := f.Write(make([]byte, headerLen)); err != nil {
		return fail("write header", err)
	}

	// 3. Stream the body through a buffer into the checksum and the file.
	cw := &crcWriter{w: f, sync: f.Sync}
	bw := bufio.NewWriterSize(cw, 1<<20)
	if err := body(bw); err != nil {
		return fail("write body", err)
	}
	if err := bw.Flush(); err != nil {
		return fail("write body", err)
	}

	// 4. Append the trailer: the body's checksum and the end marker.
	if _, err := f.Write(appendTrailer(nil, cw.crc)); err != nil {
		return fail("write trailer", err)
	}

	// 5. Write the real header over the reserved bytes.
	if _, err := f.WriteAt(appendHeader(nil, meta, cw.n), 0); err != nil {
		return fail("write header", err)
	}

	// 6. fsync the file, so that its content is durable before any name
	// points at it.
	if err := f.Sync(); err != nil {
		return fail("fsync", err)
	}

	// 7. Close it; a close error can be a late write error.
	closed = true
	if err := f.Close(); err != nil {
		return fail("close", err)
	}

	// 8. Rename it into place: the snapshot appears whole or not at all.
	if err := d.fs.Rename(tmp, path); err != nil {
		return fail("rename", err)
	}
	renamed = true

	// 9. fsync the directory, so that the rename survives a crash. The
	// file is complete whatever happens here, so an error leaves it.
	if err := d.fs.SyncDir(d.dir); err != nil {
		return path, fmt.Errorf("snap: save %s: fsync directory: %w", path, err)
	}
	return path, nil
}

// crcWriter passes writes through, keeping the CRC-32C and the count of
// the bytes written. Every syncEvery bytes it fsyncs what it wrote so far:
// one fsync of a whole large snapshot at the end would flush tens of
// megabytes at once, and on a disk shared with the transaction log the
// log's own fsyncs wait behind it (a write stall of 100 ms and more).
type crcWriter struct {
	w         io.Writer
	sync      func() error // nil: no intermediate fsyncs
	crc       uint32
	n         int64
	sinceSync int64
}

// syncEvery spaces the intermediate fsyncs of a snapshot being written.
const syncEvery = 4 << 20

func (c *crcWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.crc = crc32.Update(c.crc, crcTable, p[:n])
	c.n += int64(n)
	c.sinceSync += int64(n)
	if err == nil && c.sync != nil && c.sinceSync >= syncEvery {
		c.sinceSync = 0
		err = c.sync()
	}
	return n, err
}
