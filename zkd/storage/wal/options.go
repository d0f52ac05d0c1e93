package wal

import (
	"fmt"
	"log/slog"
	"time"
)

// Defaults, taken from Apache ZooKeeper.
const (
	// DefaultSegmentSize is ZooKeeper's preAllocSize (64 MiB).
	DefaultSegmentSize = 64 << 20
	// DefaultSlowSync is ZooKeeper's fsync.warningthresholdms (1000 ms).
	DefaultSlowSync = time.Second
	// MinSegmentSize is the smallest SegmentSize accepted. It only has to
	// hold a header, a preamble and some records; tests use small segments
	// to make many of them.
	MinSegmentSize = 1024
)

// Options configure a WAL. The zero value is ZooKeeper's defaults.
type Options struct {
	// SegmentSize is the preallocated size of each segment file; 0 means
	// DefaultSegmentSize. A Save batch is never split across segments: a new
	// segment starts when the batch does not fit, and a batch larger than a
	// whole segment makes that one segment larger.
	SegmentSize int64
	// NoSync is forceSync=no: Save never fsyncs, so a power loss can lose
	// acknowledged writes (a process crash cannot). The caller logs the
	// warning. Segments are still fsynced when they are created and before
	// a newer one is, so that a power loss can damage only the last one.
	NoSync bool
	// SlowSync is fsync.warningthresholdms: one data fsync slower than this
	// is logged as a warning. 0 means DefaultSlowSync; negative turns the
	// warning off.
	SlowSync time.Duration
	// Logger receives warnings (torn tails, slow fsyncs); nil means
	// slog.Default().
	Logger *slog.Logger
	// FS is the filesystem seam; nil means the real one (OSFS).
	FS FS
}

// withDefaults checks o and fills in the defaults, once, at Open.
func (o Options) withDefaults() (Options, error) {
	switch {
	case o.SegmentSize == 0:
		o.SegmentSize = DefaultSegmentSize
	case o.SegmentSize < MinSegmentSize:
		return o, fmt.Errorf("wal: segment size %d is below the minimum %d", o.SegmentSize, MinSegmentSize)
	}
	if o.SlowSync == 0 {
		o.SlowSync = DefaultSlowSync
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.FS == nil {
		o.FS = osFS{}
	}
	return o, nil
}
