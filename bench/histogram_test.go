package bench

import (
	"math"
	"testing"
	"time"
)

func TestBucketRoundTrip(t *testing.T) {
	prev := -1
	for _, v := range sampleValues() {
		i := bucketOf(v)
		if i < prev {
			t.Fatalf("bucketOf(%d) = %d, below the bucket of a smaller value (%d)", v, i, prev)
		}
		prev = i
		low, width := bucketRange(i)
		if v < low || v >= low+width {
			t.Fatalf("value %d in bucket %d = [%d, %d)", v, i, low, low+width)
		}
		if v >= 2*subCount && float64(width)/float64(low) > 1.0/subCount {
			t.Fatalf("bucket %d of %d: width %d is more than 1/%d of %d", i, v, width, subCount, low)
		}
		if v < 2*subCount && width != 1 {
			t.Fatalf("small value %d in a bucket of width %d", v, width)
		}
	}
}

// sampleValues is every value to 4096, then a geometric sweep with each
// power of two and its neighbours, up to about 2^62.
func sampleValues() []uint64 {
	var vs []uint64
	for v := range uint64(4097) {
		vs = append(vs, v)
	}
	for e := 12; e < 62; e++ {
		p := uint64(1) << e
		for _, v := range []uint64{p - 1, p, p + 1, p + p/3, p + p/2, 2*p - 1} {
			if v > vs[len(vs)-1] {
				vs = append(vs, v)
			}
		}
	}
	return vs
}

func TestPercentilesExactForSmallValues(t *testing.T) {
	var h Histogram
	for v := 100; v >= 1; v-- { // order must not matter
		h.Record(time.Duration(v))
	}
	tests := []struct {
		q    float64
		want time.Duration
	}{
		{0, 1}, {0.01, 1}, {0.5, 50}, {0.9, 90}, {0.99, 99}, {0.999, 100}, {1, 100},
	}
	for _, tt := range tests {
		if got := h.Percentile(tt.q); got != tt.want {
			t.Errorf("Percentile(%v) = %d, want %d", tt.q, got, tt.want)
		}
	}
	if h.Count() != 100 || h.Min() != 1 || h.Max() != 100 {
		t.Errorf("count %d min %d max %d, want 100, 1, 100", h.Count(), h.Min(), h.Max())
	}
	if h.Mean() != 51 { // 50.5 rounded
		t.Errorf("Mean = %d, want 51", h.Mean())
	}
}

func TestPercentilesWithinPrecision(t *testing.T) {
	var h Histogram
	const n = 100000
	for i := 1; i <= n; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		want := q * n * float64(time.Microsecond)
		got := float64(h.Percentile(q))
		if got < want || got > want*(1+1.0/subCount) {
			t.Errorf("Percentile(%v) = %v, want within [%v, +1/%d]", q, time.Duration(got), time.Duration(want), subCount)
		}
	}
	if h.Max() != n*time.Microsecond {
		t.Errorf("Max = %v, want %v (exact)", h.Max(), n*time.Microsecond)
	}
}

func TestMergeEqualsRecordingTogether(t *testing.T) {
	var a, b, both Histogram
	for i := range 5000 {
		// a wide spread: 1µs .. about 1s, uneven between the two halves
		d := time.Duration(math.Pow(1.003, float64(i))) * time.Microsecond
		if i%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
		both.Record(d)
	}
	var m Histogram
	m.Merge(&a)
	m.Merge(&b)
	m.Merge(&Histogram{}) // merging nothing changes nothing
	if m.Count() != both.Count() || m.Min() != both.Min() || m.Max() != both.Max() || m.Mean() != both.Mean() {
		t.Fatalf("merged count/min/max/mean %d/%v/%v/%v, want %d/%v/%v/%v",
			m.Count(), m.Min(), m.Max(), m.Mean(), both.Count(), both.Min(), both.Max(), both.Mean())
	}
	for _, q := range []float64{0.1, 0.5, 0.9, 0.99, 0.999} {
		if m.Percentile(q) != both.Percentile(q) {
			t.Errorf("Percentile(%v): merged %v, together %v", q, m.Percentile(q), both.Percentile(q))
		}
	}
}

func TestHistogramEdges(t *testing.T) {
	var h Histogram
	if h.Percentile(0.5) != 0 || h.Max() != 0 || h.Mean() != 0 {
		t.Errorf("empty histogram: p50 %v max %v mean %v, want zeros", h.Percentile(0.5), h.Max(), h.Mean())
	}
	h.Record(-time.Second) // a clock step back counts as zero
	h.Record(time.Hour)
	if h.Min() != 0 || h.Max() != time.Hour || h.Percentile(1) != time.Hour || h.Percentile(0.5) != 0 {
		t.Errorf("min %v max %v p100 %v p50 %v, want 0, 1h, 1h, 0", h.Min(), h.Max(), h.Percentile(1), h.Percentile(0.5))
	}
	if n := len(h.counts); n > 5000 {
		t.Errorf("an hour needs %d buckets; want under 5000", n)
	}
}
