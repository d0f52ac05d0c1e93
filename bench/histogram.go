package bench

import (
	"math"
	"math/bits"
	"time"
)

// Histogram records latencies in the HDR style: values below 2*subCount
// nanoseconds get a bucket each, and every power of two above that is
// split into subCount equal buckets, so any value is known to within
// 1/subCount (under 0.8%) of itself. Buckets are allocated only up to the
// largest value seen, which keeps a histogram per session and op cheap
// (about 14 KiB for latencies up to a millisecond, 24 KiB up to a second).
//
// A Histogram is not safe for concurrent use: each session records into
// its own and Merge combines them at the end.
type Histogram struct {
	counts []uint64 // counts[bucketOf(v)]; grows as larger values arrive
	n      uint64
	sum    float64 // in ns, for the mean
	min    uint64
	max    uint64
}

const (
	subBits  = 7
	subCount = 1 << subBits
)

// bucketOf maps a value to its bucket. Values below 2*subCount map to
// themselves; a larger value v with bit length subBits+1+e (e >= 1) lands in
// power-of-two block e+1, at offset (v >> e) - subCount within it.
func bucketOf(v uint64) int {
	if v < 2*subCount {
		return int(v)
	}
	e := bits.Len64(v) - subBits - 1
	return (e+1)*subCount + int(v>>uint(e)) - subCount
}

// bucketRange is the inverse of bucketOf: the smallest value in bucket i
// and the bucket's width.
func bucketRange(i int) (low, width uint64) {
	if i < 2*subCount {
		return uint64(i), 1
	}
	e := uint(i/subCount - 1)
	m := uint64(i%subCount + subCount)
	return m << e, 1 << e
}

// Record adds one latency. Negative durations (a clock that went back) are
// recorded as zero.
func (h *Histogram) Record(d time.Duration) {
	v := uint64(0)
	if d > 0 {
		v = uint64(d)
	}
	i := bucketOf(v)
	if i >= len(h.counts) {
		h.grow(i)
	}
	h.counts[i]++
	if h.n == 0 || v < h.min {
		h.min = v
	}
	if v > h.max {
		h.max = v
	}
	h.n++
	h.sum += float64(v)
}

// grow makes bucket i addressable, with headroom so that a slowly rising
// maximum does not reallocate on every new bucket.
func (h *Histogram) grow(i int) {
	n := max(i+1, len(h.counts)+len(h.counts)/4, 2*subCount)
	c := make([]uint64, n)
	copy(c, h.counts)
	h.counts = c
}

// Merge adds every value recorded in o to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	if len(o.counts) > len(h.counts) {
		h.grow(len(o.counts) - 1)
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.n += o.n
	h.sum += o.sum
}

// Count is the number of values recorded.
func (h *Histogram) Count() uint64 { return h.n }

// Max is the largest value recorded, exactly; 0 when empty.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) }

// Min is the smallest value recorded, exactly; 0 when empty.
func (h *Histogram) Min() time.Duration { return time.Duration(h.min) }

// Mean is the exact mean of the values recorded; 0 when empty.
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(math.Round(h.sum / float64(h.n)))
}

// Percentile returns the value at or below which a fraction q (0 < q <= 1)
// of the recorded values lie: the smallest recorded value v such that at
// least ceil(q*n) values are <= v, reported as the top of v's bucket (at
// most 1/subCount above v) and never above Max. q <= 0 gives Min, q >= 1
// gives Max, an empty histogram 0.
func (h *Histogram) Percentile(q float64) time.Duration {
	switch {
	case h.n == 0:
		return 0
	case q <= 0:
		return h.Min()
	case q >= 1:
		return h.Max()
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			low, width := bucketRange(i)
			v := low + width - 1
			return time.Duration(min(max(v, h.min), h.max))
		}
	}
	return h.Max()
}
