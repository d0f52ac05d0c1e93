package tree

import (
	"runtime"
	"testing"
)

func BenchmarkZZ(b *testing.B) {
	tr := snapBenchTree(b, 1_000_000)
	b.Run("fresh", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			c := NewCapture(tr.NodeCount())
			runtime.GC()
			b.StartTimer()
			tr.CaptureInto(c)
		}
	})
	b.Run("prefault", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			c := NewCapture(tr.NodeCount())
			s := c.nodes[:cap(c.nodes)]
			for i := 0; i < len(s); i += 16 {
				s[i].node.version = 1
			}
			runtime.GC()
			b.StartTimer()
			tr.CaptureInto(c)
		}
	})
	b.Run("warm", func(b *testing.B) {
		c := tr.Capture()
		for range b.N {
			b.StopTimer()
			runtime.GC()
			b.StartTimer()
			tr.CaptureInto(c)
		}
	})
}
