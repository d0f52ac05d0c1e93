package wal

import "fmt"

// Recovered is the log as Open found it: what raft needs to restart.
type Recovered struct {
	// State is the last State saved (zero if none).
	State State
	// Snapshot is the last mark recorded by MarkSnapshot (zero if none). The
	// snapshot itself lives in dataDir; the WAL only knows that it exists.
	Snapshot SnapshotMark
	// FirstIndex is the index of Entries[0], or of the next entry to be
	// written when Entries is empty: Snapshot.Index+1 after a snapshot, 1 for
	// a new log.
	FirstIndex uint64
	// Entries is the log after Snapshot.Index as raft last wrote it, with
	// every rewrite applied: contiguous indexes starting at FirstIndex. The
	// caller owns the slice and the Data it points to.
	Entries []Entry
	// TornTail is set when Open removed a torn write from the end of the log.
	TornTail *TornTail
}

// replayer turns the records of all segments, in order, into a Recovered.
// It applies the same rules as the WAL does while writing, so that reopening
// a log gives back exactly what was saved:
//
//   - an entry at or below the last index replaces it and drops what follows;
//   - an entry above last+1 is a gap, which Save never writes (corruption);
//   - a snapshot mark keeps the log if the log holds the marked entry with
//     the marked term, and drops the whole log otherwise (raft's matchTerm,
//     see termLog.keeps); a mark equal to the current one (each segment
//     repeats it) is a no-op;
//   - the first entry seen, or the first after a dropped log, may have any
//     index: compaction deleted what came before it.
type replayer struct {
	state State
	snap  SnapshotMark
	ents  []Entry
	terms termLog
}

// apply applies one valid record. It returns a badRecord when an entry does
// not continue the log.
func (r *replayer) apply(rec record) error {
	switch rec.typ {
	case recState:
		r.state = rec.state()
	case recSnapshot:
		m := rec.snapshot()
		if m == r.snap {
			return nil // repeated in a segment preamble: already applied
		}
		if !r.terms.keeps(m) {
			r.ents = nil
			r.terms.reset()
		}
		r.snap = m
	case recEntry:
		index := rec.entryIndex()
		if !r.terms.empty() {
			switch first := r.terms.first(); {
			case index > r.terms.last+1:
				return badRecord(fmt.Sprintf("entry %d does not follow entry %d", index, r.terms.last))
			case index <= first:
				r.ents = r.ents[:0]
			case index <= r.terms.last:
				r.ents = r.ents[:index-first]
			}
		}
		e := rec.entry()
		r.terms.append(e.Index, e.Term)
		r.ents = append(r.ents, e)
	}
	return nil
}

// result returns what was replayed. Entries at or below the snapshot mark are
// left out: the snapshot holds them. A log that does not continue right
// after the snapshot has lost entries, which is corruption.
func (r *replayer) result() (*Recovered, error) {
	rec := &Recovered{State: r.state, Snapshot: r.snap, FirstIndex: r.snap.Index + 1}
	ents := r.ents
	if len(ents) > 0 && ents[0].Index <= r.snap.Index {
		drop := min(uint64(len(ents)), r.snap.Index+1-ents[0].Index)
		ents = append([]Entry(nil), ents[drop:]...)
	}
	if len(ents) > 0 {
		if r.snap.Index > 0 && ents[0].Index != rec.FirstIndex {
			return nil, fmt.Errorf("%w: entries %d to %d are missing (the snapshot mark is at %d and the log resumes at %d)",
				ErrCorrupt, rec.FirstIndex, ents[0].Index-1, r.snap.Index, ents[0].Index)
		}
		rec.FirstIndex = ents[0].Index
	}
	rec.Entries = ents
	return rec, nil
}

// lastIndex is the index of the last entry the log holds, or of the snapshot
// when it holds none. 0 means the log is new.
func lastIndex(terms *termLog, snap SnapshotMark) uint64 {
	if terms.empty() {
		return snap.Index
	}
	return terms.last
}
