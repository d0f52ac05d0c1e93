package wal

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"sync"
	"time"
)

// Entry is one entry of the replicated log, shaped like a raft entry. The
// WAL does not interpret Kind (raft's entry type) or Data.
type Entry struct {
	Index, Term uint64
	Kind        uint8
	Data        []byte
}

// State is what raft must not forget across a restart (its HardState).
type State struct{ Term, Vote, Commit uint64 }

// SnapshotMark says that a snapshot of the state up to Index (an entry of
// Term) exists, so replay can start after it.
type SnapshotMark struct{ Index, Term uint64 }

// preambleEnd is where the first record after a segment's preamble starts:
// the 32-byte header, the 40-byte State record and the 32-byte SnapshotMark
// record (TestPreambleEnd checks it against the encoder). A segment whose
// write offset is still here holds no batch yet.
const preambleEnd = headerSize + 40 + 32

// WAL is an open write-ahead log. Its methods are safe for concurrent use,
// but writes are serialized: raft's loop calls Save, and a snapshotter may
// call MarkSnapshot and Compact in between. Stats never waits for a write.
type WAL struct {
	dir  string
	fs   FS
	opts Options
	log  *slog.Logger
	lock io.Closer

	stats statsRecorder // has its own lock

	mu sync.Mutex // serializes the write side; guards every field below
	// segs are the segment files of the log, oldest first; the last is the
	// active one, open as f.
	segs []segment
	f    File
	// off is where the next record goes in f. Everything before it is valid
	// and, unless NoSync, durable.
	off int64
	// dirtyEnd > off means a failed write may have left bytes in
	// [off, dirtyEnd). They are zeroed before the next write, so that a
	// shorter batch written at off cannot leave stale records after it.
	dirtyEnd int64
	// dirPending is set when the directory fsync after creating a segment
	// failed; it is retried before anything more is written.
	dirPending bool
	state      State
	snap       SnapshotMark
	terms      termLog  // index range and terms of the log, for checks and MarkSnapshot
	prep       preparer // the next segment file, prepared in the background
	rm         remover  // deletes compacted segment files in the background
	buf        []byte   // encode buffer, reused between batches
	closed     bool
}

// Save appends ents and, when st is non-nil and differs from the last State
// saved, st, then fsyncs once for the whole batch (group commit). It returns
// only after all of it is durable, unless Options.NoSync. Entries are written
// before the State, so a torn batch never leaves a Commit above the entries
// that made it to disk.
//
// ents must be contiguous. The first may rewrite the log: an entry whose
// index is at or below the last one written replaces it and drops everything
// after it, as raft requires. A batch that would leave a gap, or rewrite at
// or below the snapshot mark, fails with ErrOutOfOrder; an entry with more
// than MaxEntrySize bytes of data fails with ErrTooLarge. Neither writes
// anything.
//
// When a write or fsync fails (a full disk), Save returns the error and the
// batch counts as not written: the next Save writes over it from the last
// good offset, and succeeds once the cause is gone. Save does not retain ents.
func (w *WAL) Save(st *State, ents []Entry) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	newState := st != nil && *st != w.state
	if !newState && len(ents) == 0 {
		return nil
	}
	if err := w.checkEntries(ents); err != nil {
		return err
	}
	b := w.buf[:0]
	for i := range ents {
		b = appendEntry(b, &ents[i])
	}
	if newState {
		b = appendState(b, *st)
	}
	w.keepBuf(b)
	if err := w.write(b); err != nil {
		return err
	}
	// The batch is durable: only now does it change what the WAL believes.
	for i := range ents {
		w.terms.append(ents[i].Index, ents[i].Term)
	}
	if n := len(ents); n > 0 {
		seg := &w.segs[len(w.segs)-1]
		seg.maxIndex = max(seg.maxIndex, ents[n-1].Index)
	}
	if newState {
		w.state = *st
	}
	w.stats.wrote(len(b), len(ents))
	return nil
}

// checkEntries rejects a batch that Save must not write.
func (w *WAL) checkEntries(ents []Entry) error {
	if len(ents) == 0 {
		return nil
	}
	for i := range ents {
		if n := len(ents[i].Data); n > MaxEntrySize {
			return fmt.Errorf("%w: entry %d has %d bytes of data (the maximum is %d)", ErrTooLarge, ents[i].Index, n, MaxEntrySize)
		}
		if i > 0 && ents[i].Index != ents[i-1].Index+1 {
			return fmt.Errorf("%w: entry %d follows entry %d in one batch", ErrOutOfOrder, ents[i].Index, ents[i-1].Index)
		}
	}
	first, last := ents[0].Index, lastIndex(&w.terms, w.snap)
	switch {
	case first == 0:
		return fmt.Errorf("%w: entry index 0", ErrOutOfOrder)
	case first <= w.snap.Index:
		return fmt.Errorf("%w: entry %d would rewrite the log at or below the snapshot mark %d", ErrOutOfOrder, first, w.snap.Index)
	case last > 0 && first > last+1:
		return fmt.Errorf("%w: entry %d does not follow the last entry %d", ErrOutOfOrder, first, last)
	}
	return nil
}

// MarkSnapshot records that a snapshot at m exists and fsyncs it. Replay
// then returns only the entries after m.Index. If the log holds entry
// m.Index with term m.Term (a snapshot of this server's own applied state),
// the log is kept; otherwise (a snapshot received from the leader) the log
// is replaced by the snapshot and the next entry must be m.Index+1. A mark
// older than the current one fails with ErrOutOfOrder; the same mark again
// is a no-op.
func (w *WAL) MarkSnapshot(m SnapshotMark) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	if m == w.snap {
		return nil
	}
	if m.Index <= w.snap.Index {
		return fmt.Errorf("%w: snapshot mark %d (term %d) is not newer than %d (term %d)",
			ErrOutOfOrder, m.Index, m.Term, w.snap.Index, w.snap.Term)
	}
	b := appendSnapshot(w.buf[:0], m)
	if err := w.write(b); err != nil {
		return err
	}
	if !w.terms.keeps(m) {
		w.terms.reset()
	}
	w.snap = m
	w.stats.wrote(len(b), 0)
	return nil
}

// Compact drops from the log the oldest segments whose entries all have an
// index below upTo and below the snapshot mark + 1, so that replay never
// misses an entry after the mark; it never drops the active segment. Every
// segment repeats the State and mark current when it was created, so the
// latest of both survives.
//
// Their files are deleted in the background, oldest first, so a crash in
// between leaves a log that still replays (see remover for why not here).
// Compact returns before they are gone; WaitCompacted waits for them, and
// Close does. A failure to delete one is logged and retried at the next
// Compact.
func (w *WAL) Compact(upTo uint64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	bound := min(upTo, w.snap.Index+1)
	n := 0
	for n < len(w.segs)-1 && w.segs[n].maxIndex < bound {
		n++
	}
	names := make([]string, n)
	for i := range n {
		names[i] = w.segs[i].name()
	}
	w.segs = append(w.segs[:0], w.segs[n:]...)
	if n > 0 {
		w.stats.segments(len(w.segs), false)
	}
	w.rm.add(names...) // with none, retries what failed before
	return nil
}

// WaitCompacted waits until the files of the segments compacted so far are
// deleted, and returns the error that stopped their deletion, if any.
func (w *WAL) WaitCompacted() error { return w.rm.wait() }

// Close makes what was written durable (even with NoSync), deletes the
// prepared next segment, waits for the deletion of compacted segments and
// releases the directory lock. Close after Close
// does nothing.
func (w *WAL) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	w.prep.stop()
	w.rm.wait() // a failure was logged; the files are replayed and go at the next Compact
	err := w.settle()
	if w.opts.NoSync && err == nil {
		if err = w.f.Sync(); err != nil {
			err = fmt.Errorf("wal: sync %s: %w", w.active().name(), err)
		}
	}
	if cerr := w.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("wal: close %s: %w", w.active().name(), cerr)
	}
	if cerr := w.lock.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("wal: unlock %s: %w", w.dir, cerr)
	}
	return err
}

// Stats returns the current counters. It may be called at any time, from
// any goroutine, and does not wait for a write in progress.
func (w *WAL) Stats() Stats { return w.stats.get() }

// active returns the active segment. REQUIRES: w.mu held (or w not shared yet).
func (w *WAL) active() *segment { return &w.segs[len(w.segs)-1] }

// keepBuf keeps b's array for the next batch unless it grew unusually large.
func (w *WAL) keepBuf(b []byte) {
	if cap(b) <= 4<<20 {
		w.buf = b[:0]
	} else {
		w.buf = nil
	}
}

// write appends the encoded records b to the log and fsyncs (unless
// NoSync), rolling to a new segment first when b does not fit in the active
// one. On failure nothing counts as written and the range b may have
// touched is marked dirty. REQUIRES: w.mu held.
func (w *WAL) write(b []byte) error {
	if err := w.settle(); err != nil {
		return err
	}
	if w.off+int64(len(b)) > w.opts.SegmentSize && w.off > preambleEnd {
		if err := w.cut(); err != nil {
			return err
		}
		// Nothing is acknowledged in a segment whose name may not survive
		// a power loss.
		if err := w.settle(); err != nil {
			return err
		}
	}
	if _, err := w.f.WriteAt(b, w.off); err != nil {
		w.dirtyEnd = max(w.dirtyEnd, w.off+int64(len(b)))
		return fmt.Errorf("wal: write %d bytes to %s at offset %d: %w", len(b), w.active().name(), w.off, pathless(err))
	}
	if !w.opts.NoSync {
		if err := w.sync(); err != nil {
			w.dirtyEnd = max(w.dirtyEnd, w.off+int64(len(b)))
			return fmt.Errorf("wal: fsync %s: %w", w.active().name(), pathless(err))
		}
	}
	w.off += int64(len(b))
	return nil
}

// pathless strips the *fs.PathError around an I/O error: the WAL's message
// already names the segment, and the path inside may be the file's
// temporary name from before it was renamed into the log.
func pathless(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// settle finishes what an earlier failure left undone: the directory fsync
// after a new segment, and zeroing the bytes a failed write may have left
// after the last good record. REQUIRES: w.mu held.
func (w *WAL) settle() error {
	if w.dirPending {
		if err := w.fs.SyncDir(w.dir); err != nil {
			return fmt.Errorf("wal: sync directory %s: %w", w.dir, err)
		}
		w.dirPending = false
	}
	if w.dirtyEnd <= w.off {
		return nil
	}
	name := w.active().name()
	if err := writeZeros(w.f, w.off, w.dirtyEnd-w.off); err != nil {
		return fmt.Errorf("wal: clear failed write in %s at offset %d: %w", name, w.off, err)
	}
	if !w.opts.NoSync {
		if err := w.f.Sync(); err != nil {
			return fmt.Errorf("wal: fsync %s after clearing a failed write: %w", name, err)
		}
	}
	w.dirtyEnd = 0
	return nil
}

// sync fsyncs the active segment, timing it for Stats and the slow-fsync
// warning. REQUIRES: w.mu held.
func (w *WAL) sync() error {
	start := time.Now()
	err := w.f.Sync()
	d := time.Since(start)
	slow := w.opts.SlowSync > 0 && d > w.opts.SlowSync
	w.stats.fsync(d, slow)
	if slow {
		// Worded like ZooKeeper's FileTxnLog warning, which operators grep for.
		w.log.Warn(fmt.Sprintf("fsync-ing the write ahead log took %dms which will adversely effect operation latency. File size is %d bytes. See the ZooKeeper troubleshooting guide",
			d.Milliseconds(), max(w.off, w.opts.SegmentSize)), "file", w.active().name(), "dir", w.dir)
	}
	return err
}

// cut rolls to a new segment (see createSegment for the crash-safe steps).
// REQUIRES: w.mu held, no dirty bytes (settle ran).
func (w *WAL) cut() error {
	old := w.active()
	// 0. The old segment must be complete on disk before a newer one
	//    exists. Without NoSync every Save already fsynced it.
	if w.opts.NoSync {
		if err := w.f.Sync(); err != nil {
			return fmt.Errorf("wal: fsync %s before rolling to a new segment: %w", old.name(), err)
		}
	}
	next := segment{seq: old.seq + 1, first: lastIndex(&w.terms, w.snap) + 1}
	f, off, err := w.createSegment(next)
	if err != nil {
		return err
	}
	if err := w.f.Close(); err != nil {
		w.log.Warn("wal: close full segment", "file", old.name(), "err", err)
	}
	w.f, w.off, w.dirtyEnd = f, off, 0
	w.segs = append(w.segs, next)
	w.stats.segments(len(w.segs), true)
	w.prep.start(next.seq + 1)
	// Rare (every SegmentSize bytes) and worth a line, as ZooKeeper's
	// "Creating new log file": it dates the segment's background work.
	w.log.Info("wal: new log segment", "file", next.name())
	return nil
}
