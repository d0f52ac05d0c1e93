package wal

import (
	"sync"
	"time"
)

// Stats are counters for mntr (zk_fsynctime and friends), metrics and
// benchmarks. Durations cover the fsync that ends each Save or MarkSnapshot
// (the one a client waits for); the fsyncs made while rolling to a new
// segment are counted in Rolls instead (two each: header and directory).
type Stats struct {
	Fsyncs       uint64        // data fsyncs (one per Save or MarkSnapshot that wrote)
	FsyncLast    time.Duration // duration of the latest data fsync
	FsyncAvg     time.Duration // FsyncTotal / Fsyncs
	FsyncMin     time.Duration // shortest data fsync since Open
	FsyncMax     time.Duration // longest data fsync since Open
	FsyncTotal   time.Duration // sum of all data fsyncs
	SlowFsyncs   uint64        // data fsyncs longer than Options.SlowSync
	Saves        uint64        // Save and MarkSnapshot calls that wrote records
	Entries      uint64        // entries written
	BytesWritten uint64        // record bytes written (not counting preallocation)
	Rolls        uint64        // segments created since Open
	Segments     int           // segment files the log has now
}

// statsRecorder is the WAL's Stats behind their own lock, so that Stats
// never waits for a Save that is stuck in fsync.
type statsRecorder struct {
	mu sync.Mutex
	s  Stats
}

func (r *statsRecorder) fsync(d time.Duration, slow bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s.Fsyncs++
	r.s.FsyncLast = d
	r.s.FsyncTotal += d
	r.s.FsyncMax = max(r.s.FsyncMax, d)
	if r.s.Fsyncs == 1 || d < r.s.FsyncMin {
		r.s.FsyncMin = d
	}
	if slow {
		r.s.SlowFsyncs++
	}
}

func (r *statsRecorder) wrote(bytes, entries int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s.Saves++
	r.s.Entries += uint64(entries)
	r.s.BytesWritten += uint64(bytes)
}

func (r *statsRecorder) segments(n int, rolled bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.s.Segments = n
	if rolled {
		r.s.Rolls++
	}
}

func (r *statsRecorder) get() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.s
	if s.Fsyncs > 0 {
		s.FsyncAvg = s.FsyncTotal / time.Duration(s.Fsyncs)
	}
	return s
}
