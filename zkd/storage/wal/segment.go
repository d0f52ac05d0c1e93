package wal

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// segment is one file of the log, as the WAL tracks it.
type segment struct {
	seq   uint64 // 1 for the first segment ever; +1 for each new one
	first uint64 // index the next entry had when the segment was created
	// maxIndex is the highest entry index written to the segment (0 if it
	// holds no entry). Compact may delete the segment once the snapshot
	// covers it.
	maxIndex uint64
}

// name is the segment's file name: "<seq>-<first>.wal", both as 16 lower-case
// hex digits, so that sorting names sorts segments by seq. The seq decides
// the order (a rewrite can put a lower index in a later segment); the index
// is there for people and tools.
func (s segment) name() string { return fmt.Sprintf("%016x-%016x.wal", s.seq, s.first) }

// parseSegmentName is the inverse of segment.name.
func parseSegmentName(name string) (segment, bool) {
	base, ok := strings.CutSuffix(name, ".wal")
	if !ok || len(base) != 33 || base[16] != '-' {
		return segment{}, false
	}
	seq, err1 := strconv.ParseUint(base[:16], 16, 64)
	first, err2 := strconv.ParseUint(base[17:], 16, 64)
	if err1 != nil || err2 != nil || seq == 0 {
		return segment{}, false
	}
	return segment{seq: seq, first: first}, true
}

// tempName is the name a segment has while it is prepared, before the
// rename that makes it part of the log. Open deletes leftovers.
func tempName(seq uint64) string { return fmt.Sprintf("%016x.wal.tmp", seq) }

// lockName is the file the WAL holds an exclusive lock on while it is open.
const lockName = "LOCK"

// createSegment makes segment s part of the log and returns it open, with
// the offset where its first record goes. The sequence is crash-safe: at
// every point either the new file is not in the log yet (its temp name is
// deleted by the next Open) or it is complete with header and preamble.
//
//  1. Take a file created under a temp name, allocated to SegmentSize,
//     zero-filled and fsynced (prepared in the background).
//  2. Write the header and the preamble: the current State and snapshot
//     mark, so that the segment can be replayed without the ones before it
//     and Compact can delete those.
//  3. fsync the file: header and preamble are durable before it has a name.
//  4. Rename it to its final name: it is now the last segment.
//  5. fsync the directory so the name survives a power loss. If that fails
//     the segment is in use anyway (going back would put records after the
//     new preamble out of order) and every Save retries it before writing.
//
// The caller must have made the previous segment durable first (step 0 in
// WAL.cut): recovery treats damage in any segment but the last as
// corruption.
func (w *WAL) createSegment(s segment) (File, int64, error) {
	f, tmp, err := w.prep.take(s.seq) // 1
	if err != nil {
		return nil, 0, err
	}
	fail := func(err error) (File, int64, error) {
		f.Close()
		w.fs.Remove(tmp)
		return nil, 0, err
	}
	b := appendHeader(nil, segmentHeader{seq: s.seq, first: s.first}) // 2
	b = appendState(b, w.state)
	b = appendSnapshot(b, w.snap)
	if _, err := f.WriteAt(b, 0); err != nil {
		return fail(fmt.Errorf("wal: write header of %s: %w", s.name(), err))
	}
	if err := f.Sync(); err != nil { // 3
		return fail(fmt.Errorf("wal: sync new segment %s: %w", s.name(), err))
	}
	if err := w.fs.Rename(tmp, filepath.Join(w.dir, s.name())); err != nil { // 4
		return fail(fmt.Errorf("wal: rename new segment %s: %w", s.name(), err))
	}
	if err := w.fs.SyncDir(w.dir); err != nil { // 5
		w.dirPending = true
		w.log.Warn("wal: sync of the log directory failed; will retry before the next write", "dir", w.dir, "err", err)
	}
	return f, int64(len(b)), nil
}
