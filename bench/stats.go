package bench

import (
	"time"

	"zkd/zkd/proto"
)

// kindStats is what one session counted for one op kind.
type kindStats struct {
	hist   Histogram // latencies of successful ops
	errors map[proto.ErrCode]int64
}

// stats is what one session counted inside the measurement window. Only
// its own goroutine touches it until the run merges them.
type stats struct {
	kinds [numKinds]kindStats
	tl    *timeline // nil unless Config.Timeline is set
}

// record counts one reply of kind with code err and latency d.
func (s *stats) record(kind OpKind, err proto.ErrCode, d time.Duration) {
	k := &s.kinds[kind]
	if err == proto.ErrOK {
		k.hist.Record(d)
		return
	}
	s.recordError(kind, err)
}

// recordError counts one failed op of kind.
func (s *stats) recordError(kind OpKind, err proto.ErrCode) {
	k := &s.kinds[kind]
	if k.errors == nil {
		k.errors = make(map[proto.ErrCode]int64)
	}
	k.errors[err]++
}

// merge adds o into s.
func (s *stats) merge(o *stats) {
	for i := range s.kinds {
		s.kinds[i].hist.Merge(&o.kinds[i].hist)
		for code, n := range o.kinds[i].errors {
			if s.kinds[i].errors == nil {
				s.kinds[i].errors = make(map[proto.ErrCode]int64)
			}
			s.kinds[i].errors[code] += n
		}
	}
}

// window says whether a reply read at t counts: inside [start, end).
type window struct{ start, end time.Time }

func (w window) contains(t time.Time) bool { return !t.Before(w.start) && t.Before(w.end) }

// measured is the part of the window that passed by finished: the whole
// window, or less when the run stopped early; never negative.
func (w window) measured(finished time.Time) time.Duration {
	end := w.end
	if finished.Before(end) {
		end = finished
	}
	return max(end.Sub(w.start), 0)
}
