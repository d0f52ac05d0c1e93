package server

import (
	"runtime"
	"testing"
	"time"

	"zkd/zkd/proto"
)

// request sends one request on a raw session connection and reads frames
// until its reply (skipping watch notifications).
func rawRequest(t *testing.T, nc interface {
	Write([]byte) (int, error)
	Read([]byte) (int, error)
}, xid int32, op proto.OpCode, body proto.Record) proto.ReplyHeader {
	t.Helper()
	if _, err := nc.Write(proto.AppendRequest(nil, proto.RequestHeader{Xid: xid, Type: op}, body)); err != nil {
		t.Fatalf("writing %v: %v", op, err)
	}
	for {
		frame, err := proto.ReadFrame(nc, nil, 1<<20)
		if err != nil {
			t.Fatalf("reading reply to %v: %v", op, err)
		}
		var h proto.ReplyHeader
		if err := proto.Decode(frame, &h); err != nil {
			t.Fatal(err)
		}
		if h.Xid == xid {
			return h
		}
	}
}

// TestNoLeaksAcrossManySessions opens and closes thousands of sessions,
// each setting watches, half closing politely and half vanishing, and
// checks that goroutines, watches, sessions and heap return to baseline.
func TestNoLeaksAcrossManySessions(t *testing.T) {
	if testing.Short() {
		t.Skip("opens thousands of sessions")
	}
	s := startServer(t, Config{TickTime: 100 * time.Millisecond})
	settle := func() (int, uint64) {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return runtime.NumGoroutine(), ms.HeapInuse
	}
	// Warm up so lazily started runtime and server goroutines exist.
	warm := rawHandshake(t, s)
	rawRequest(t, warm, 1, proto.OpCloseSession, nil)
	warm.Close()
	time.Sleep(200 * time.Millisecond)
	baseG, baseHeap := settle()

	const sessions = 3000
	deadline := time.Now().Add(60 * time.Second)
	for i := 0; i < sessions && time.Now().Before(deadline); i++ {
		nc := rawHandshake(t, s)
		rawRequest(t, nc, 1, proto.OpExists, &proto.ExistsRequest{Path: "/leak", Watch: true})
		rawRequest(t, nc, 2, proto.OpGetChildren, &proto.GetChildrenRequest{Path: "/", Watch: true})
		rawRequest(t, nc, 3, proto.OpAddWatch, &proto.AddWatchRequest{Path: "/leak", Mode: proto.AddWatchPersistentRecursive})
		if i%2 == 0 {
			rawRequest(t, nc, 4, proto.OpCloseSession, nil)
		}
		nc.Close()
	}

	// Abandoned sessions expire after minSessionTimeout (2 ticks).
	var g int
	var heap uint64
	wait := time.Now().Add(15 * time.Second)
	for {
		g, heap = settle()
		s.db.mu.RLock()
		live := s.db.tree.SessionCount()
		s.db.mu.RUnlock()
		w := s.db.watches.Stats()
		conns := len(s.connections())
		if g <= baseG+2 && live == 0 && w.Watches == 0 && conns == 0 && s.tracker.count() == 0 {
			break
		}
		if time.Now().After(wait) {
			t.Fatalf("not back to baseline: goroutines %d (baseline %d), sessions %d, watches %+v, connections %d, tracked %d",
				g, baseG, live, w, conns, s.tracker.count())
		}
		time.Sleep(100 * time.Millisecond)
	}
	const slack = 8 << 20
	if heap > baseHeap+slack {
		t.Fatalf("heap in use %d MiB after, %d MiB before: grew by more than %d MiB", heap>>20, baseHeap>>20, slack>>20)
	}
	t.Logf("goroutines %d -> %d, heap %d KiB -> %d KiB", baseG, g, baseHeap>>10, heap>>10)
}
