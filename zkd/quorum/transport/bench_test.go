package transport

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"
)

// BenchmarkSmallMessages measures small MsgApps (one 64-byte entry) from
// one transport to another on loopback, with the given number of messages
// per Send (raft hands over a Ready's messages together).
func BenchmarkSmallMessages(b *testing.B) {
	for _, batch := range []int{1, 16, 256} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) { benchSend(b, batch, 64) })
	}
}

// BenchmarkLargeAppends measures bandwidth with 64 KiB entries.
func BenchmarkLargeAppends(b *testing.B) { benchSend(b, 16, 64<<10) }

// benchSend sends b.N messages of one entry of size bytes, batch per Send.
// The sender keeps at most 8192 messages (and 64 MiB) in flight, so
// nothing is dropped.
func benchSend(b *testing.B, batch, size int) {
	var received atomic.Int64
	mod := func(c *Config) {
		c.MaxQueue = 1 << 16
		c.Logger = slog.New(slog.DiscardHandler)
		c.Handler = func(context.Context, *pb.Message) error { received.Add(1); return nil }
	}
	a, _ := pair(b, mod)
	msgs := make([]*pb.Message, batch)
	for i := range msgs {
		msgs[i] = app(1, 2, uint64(i))
		msgs[i].Entries[0].Data = make([]byte, size)
	}
	frame, _ := appendFrame(nil, msgs[0], DefaultMaxFrameSize)
	b.SetBytes(int64(len(frame)))
	b.ResetTimer()
	sent := 0
	for sent < b.N {
		n := min(batch, b.N-sent)
		for window := min(8192, 1+(64<<20)/size); int64(sent)-received.Load() > int64(window); {
			time.Sleep(10 * time.Microsecond)
		}
		a.tr.Send(msgs[:n])
		sent += n
	}
	waitFor(b, 30*time.Second, "all received", func() bool { return received.Load() == int64(b.N) })
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	if s := a.stats(2); s.Dropped != 0 {
		b.Fatalf("dropped %d", s.Dropped)
	}
}
