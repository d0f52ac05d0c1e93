package wal

import "sort"

// termLog knows the index range of the entries the log holds and the term of
// each, as runs of equal term (terms change rarely, so this stays tiny where
// the entries themselves would not). The WAL uses it to check Save batches
// and to apply raft's match rule in MarkSnapshot without keeping entries in
// memory; replay uses it for the same rule.
type termLog struct {
	runs []termRun // runs[i] covers [runs[i].first, runs[i+1].first); the last run ends at last
	last uint64    // index of the last entry; meaningless when runs is empty
}

type termRun struct{ first, term uint64 }

// empty reports whether the log holds no entries.
func (l *termLog) empty() bool { return len(l.runs) == 0 }

// first returns the index of the first entry (0 when empty).
func (l *termLog) first() uint64 {
	if l.empty() {
		return 0
	}
	return l.runs[0].first
}

// append adds the entry (index, term) with raft's rewrite rule: an index at
// or below the last one replaces that index and drops everything after it;
// an index below the first one drops everything. The caller has checked
// that index is at most last+1 when the log is not empty.
func (l *termLog) append(index, term uint64) {
	if !l.empty() && index <= l.last {
		l.truncate(index)
	}
	if n := len(l.runs); n > 0 && l.runs[n-1].term == term {
		l.last = index
		return
	}
	l.runs = append(l.runs, termRun{first: index, term: term})
	l.last = index
}

// truncate drops the entries at index and after.
func (l *termLog) truncate(index uint64) {
	if index <= l.first() {
		l.runs = l.runs[:0]
		return
	}
	// Keep the runs that start before index.
	i := sort.Search(len(l.runs), func(i int) bool { return l.runs[i].first >= index })
	l.runs = l.runs[:i]
	l.last = index - 1
}

// term returns the term of the entry at index, if the log holds it.
func (l *termLog) term(index uint64) (uint64, bool) {
	if l.empty() || index < l.first() || index > l.last {
		return 0, false
	}
	i := sort.Search(len(l.runs), func(i int) bool { return l.runs[i].first > index })
	return l.runs[i-1].term, true
}

// keeps reports whether the log survives recording snapshot mark m. It is
// raft's matchTerm: a log that holds entry m.Index with term m.Term stays (a
// snapshot of this server's own applied state); one that does not, or that
// ends before m.Index, is replaced by the snapshot (one received from the
// leader). A mark below the first entry held also keeps the log: replay
// meets it after Compact deleted the entry it matched when it was written.
// (A received snapshot cannot land there: Save keeps the log contiguous from
// the previous mark, and marks only grow.)
func (l *termLog) keeps(m SnapshotMark) bool {
	if !l.empty() && m.Index < l.first() {
		return true
	}
	t, ok := l.term(m.Index)
	return ok && t == m.Term
}

// reset drops every entry.
func (l *termLog) reset() { l.runs = l.runs[:0] }
