package quorum

import (
	"bytes"
	"io"
	"testing"
	"time"
)

// slowReader hands out one byte per read and sleeps, so a read of the
// whole input spans several progress intervals.
type slowReader struct {
	*bytes.Reader
	delay time.Duration
}

func (s slowReader) Read(b []byte) (int, error) {
	time.Sleep(s.delay)
	return s.Reader.Read(b[:min(len(b), 1)])
}

// TestProgressReader checks that a long snapshot read reports how far it
// got, in bytes of the total, and keeps the Len the tree reader checks
// lengths against.
func TestProgressReader(t *testing.T) {
	data := []byte("0123456789")
	type report struct{ done, total int64 }
	var got []report
	src := slowReader{bytes.NewReader(data), progressEvery / 4}
	r := newProgressReader(src, func(stage string, done, total int64) {
		if stage != "loading snapshot" {
			t.Errorf("stage %q", stage)
		}
		got = append(got, report{done, total})
	})
	l, ok := r.(interface{ Len() int })
	if !ok || l.Len() != len(data) {
		t.Fatalf("wrapped reader lost Len: %v", ok)
	}
	out, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(out, data) {
		t.Fatalf("read %q, %v", out, err)
	}
	if l.Len() != 0 {
		t.Errorf("Len after reading everything: %d", l.Len())
	}
	if len(got) < 2 {
		t.Fatalf("%d progress reports over a read of ~%v, want at least 2", len(got), time.Duration(len(data))*progressEvery/4)
	}
	for i, g := range got {
		if g.total != int64(len(data)) || g.done <= 0 || g.done > g.total || (i > 0 && g.done < got[i-1].done) {
			t.Errorf("report %d: %d of %d", i, g.done, g.total)
		}
	}
	// A reader without Len is passed through unwrapped.
	plain := io.LimitReader(bytes.NewReader(data), 3)
	if newProgressReader(plain, nil) != plain {
		t.Error("a reader without Len was wrapped")
	}
}
