package wal

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// Open opens the log in dir, creating dir and a first segment if there is
// none, and replays it. It holds dir's LOCK file until Close.
//
// Recovery reads every segment in order. A torn tail (the last record of the
// last segment incomplete or failing its checksum, with nothing valid after
// it) is truncated, logged and reported in Recovered.TornTail. Any other
// damage fails Open with a CorruptionError naming the file and offset
// (errors.Is(err, ErrCorrupt)): the log is never silently shortened.
func Open(dir string, o Options) (*WAL, *Recovered, error) {
	o, err := o.withDefaults()
	if err != nil {
		return nil, nil, err
	}
	w := &WAL{dir: dir, fs: o.FS, opts: o, log: o.Logger}
	w.prep = preparer{fs: w.fs, dir: dir, size: o.SegmentSize}
	w.rm.fs, w.rm.dir, w.rm.log = w.fs, dir, w.log
	if err := w.fs.MkdirAll(dir); err != nil {
		return nil, nil, fmt.Errorf("wal: create %s: %w", dir, err)
	}
	if w.lock, err = w.fs.Lock(filepath.Join(dir, lockName)); err != nil {
		return nil, nil, err
	}
	rec, err := w.recover()
	if err != nil {
		if w.f != nil {
			w.f.Close()
		}
		w.lock.Close()
		return nil, nil, err
	}
	w.stats.segments(len(w.segs), false)
	w.prep.start(w.active().seq + 1)
	return w, rec, nil
}

// recover lists the segments, replays them and leaves the last one open for
// appending.
func (w *WAL) recover() (*Recovered, error) {
	names, err := w.fs.List(w.dir)
	if err != nil {
		return nil, fmt.Errorf("wal: list %s: %w", w.dir, err)
	}
	for _, name := range names {
		if s, ok := parseSegmentName(name); ok {
			w.segs = append(w.segs, s)
		} else if strings.HasSuffix(name, ".wal.tmp") {
			// A segment that was being prepared; it never became part of the log.
			if err := w.fs.Remove(filepath.Join(w.dir, name)); err != nil {
				return nil, fmt.Errorf("wal: remove leftover %s: %w", name, err)
			}
		}
	}
	if len(w.segs) == 0 {
		return w.initialize()
	}
	for i := 1; i < len(w.segs); i++ {
		if w.segs[i].seq != w.segs[i-1].seq+1 {
			return nil, &CorruptionError{File: w.segs[i].name(), What: "segment header",
				Reason: fmt.Sprintf("segment %d, which comes before it, is missing", w.segs[i-1].seq+1)}
		}
	}
	var (
		rp   replayer
		buf  []byte
		torn *TornTail
	)
	for i := range w.segs {
		last := i == len(w.segs)-1
		if torn, buf, err = w.replaySegment(&w.segs[i], &rp, buf, last); err != nil {
			return nil, err
		}
	}
	rec, err := rp.result()
	if err != nil {
		return nil, err
	}
	rec.TornTail = torn
	w.state, w.snap, w.terms = rp.state, rp.snap, rp.terms
	return rec, nil
}

// replaySegment reads one segment into buf (reused between segments), feeds
// its records to rp and records the highest entry index in s. For the last
// segment it also removes a torn tail and keeps the file open in w.f.
func (w *WAL) replaySegment(s *segment, rp *replayer, buf []byte, last bool) (*TornTail, []byte, error) {
	name := s.name()
	f, err := w.fs.Open(filepath.Join(w.dir, name))
	if err != nil {
		return nil, buf, fmt.Errorf("wal: open %s: %w", name, err)
	}
	keep := false
	defer func() {
		if !keep {
			f.Close()
		}
	}()
	size, err := f.Size()
	if err != nil {
		return nil, buf, fmt.Errorf("wal: size of %s: %w", name, err)
	}
	if int64(cap(buf)) < size {
		buf = make([]byte, size)
	}
	buf = buf[:size]
	if n, err := f.ReadAt(buf, 0); n < len(buf) && err != nil && !errors.Is(err, io.EOF) {
		return nil, buf, fmt.Errorf("wal: read %s: %w", name, err)
	} else if n < len(buf) {
		buf = buf[:n]
	}
	res, err := scanSegment(buf, name, func(r record) error {
		if r.typ == recEntry {
			s.maxIndex = max(s.maxIndex, r.entryIndex())
		}
		if err := rp.apply(r); err != nil {
			return &CorruptionError{File: name, Offset: r.off, What: "record", Reason: err.Error()}
		}
		return nil
	})
	if err != nil {
		return nil, buf, err
	}
	if res.hdr.seq != s.seq || res.hdr.first != s.first {
		return nil, buf, &CorruptionError{File: name, What: "segment header", Reason: fmt.Sprintf(
			"header says segment %d starting at index %d, the name says segment %d at %d", res.hdr.seq, res.hdr.first, s.seq, s.first)}
	}
	if d := res.damage; d != nil && (!last || d.validAfter) {
		reason := d.reason
		switch {
		case d.validAfter:
			reason += " (valid records follow)"
		default:
			reason += " (in a segment that is not the last)"
		}
		return nil, buf, &CorruptionError{File: name, Offset: d.off, What: "record", Reason: reason}
	}
	if !last {
		return nil, buf, nil
	}
	var torn *TornTail
	if d := res.damage; d != nil {
		if err := repairTail(f, name, d.off, w.opts.SegmentSize); err != nil {
			return nil, buf, err
		}
		torn = &TornTail{File: name, Offset: d.off, Reason: d.reason}
		w.log.Warn("wal: truncated a torn write at the end of the log", "file", name, "offset", d.off,
			"reason", d.reason, "discarded_bytes", size-d.off)
	} else if err := preallocate(f, size, w.opts.SegmentSize); err != nil {
		return nil, buf, fmt.Errorf("wal: preallocate %s: %w", name, err)
	}
	keep = true
	w.f, w.off = f, res.end
	return torn, buf, nil
}

// initialize starts a new log: its first segment, seq 1, first index 1.
func (w *WAL) initialize() (*Recovered, error) {
	s := segment{seq: 1, first: 1}
	f, off, err := w.createSegment(s)
	if err != nil {
		return nil, err
	}
	w.segs = []segment{s}
	w.f, w.off = f, off
	return &Recovered{FirstIndex: 1}, nil
}
