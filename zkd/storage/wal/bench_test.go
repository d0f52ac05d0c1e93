package wal

import (
	"fmt"
	"testing"
)

// BenchmarkSave measures group commit on the real disk: one op is one Save
// of a batch (plus a State), so ns/op is the latency of one durable batch.
// fsyncs/op counts every fsync on the write path (the data fsync plus the
// header and directory fsyncs of each new segment).
func BenchmarkSave(b *testing.B) {
	for _, batch := range []int{1, 16, 256} {
		for _, size := range []int{100, 1024} {
			b.Run(fmt.Sprintf("batch=%d/value=%d", batch, size), func(b *testing.B) {
				benchSave(b, Options{}, batch, size)
			})
		}
	}
}

// BenchmarkPreallocate compares the two ways of preallocating segments:
// fallocate and a zero fill (what the WAL does), or fallocate alone.
func BenchmarkPreallocate(b *testing.B) {
	for _, mode := range []struct {
		name string
		fs   FS
	}{{"zerofill", osFS{}}, {"fallocate", osFS{fallocOnly: true}}} {
		for _, batch := range []int{1, 16, 256} {
			b.Run(fmt.Sprintf("%s/batch=%d/value=1024", mode.name, batch), func(b *testing.B) {
				benchSave(b, Options{FS: mode.fs}, batch, 1024)
			})
		}
	}
}

func benchSave(b *testing.B, o Options, batch, size int) {
	o.Logger = quiet()
	w, _, err := Open(b.TempDir(), o)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	ents := make([]Entry, batch)
	data := make([]byte, size)
	for i := range ents {
		ents[i] = Entry{Term: 1, Data: data}
	}
	next := uint64(1)
	// Measure steady state: the first background zero fill (64 MiB) would
	// otherwise compete with the fsyncs of short runs. Later ones, at each
	// roll, are part of what is measured.
	waitPrepared(w)
	b.SetBytes(int64(batch * size))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range ents {
			ents[j].Index = next
			next++
		}
		if err := w.Save(&State{Term: 1, Vote: 1, Commit: next - 1}, ents); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	s := w.Stats()
	b.ReportMetric(float64(s.Fsyncs+2*s.Rolls)/float64(b.N), "fsyncs/op")
	b.ReportMetric(float64(batch), "entries/fsync")
	if s.Fsyncs > 0 {
		b.ReportMetric(float64(s.FsyncAvg.Microseconds()), "us/fsync")
	}
}
