package tree

import (
	"fmt"
	"runtime"
	"strconv"
	"testing"

	"zkd/zkd/proto"
)

// memBenchTree applies, as the server would, what `zkbench -populate n`
// sends: /zkbench/p, then directories of 1,000 (dNNNNNN), then n leaves
// (nNNNNNNN) with valueSize bytes of data, all by one session with
// OPEN_ACL_UNSAFE. It returns the tree and the last zxid used.
func memBenchTree(tb testing.TB, n, valueSize int) (*Tree, int64) {
	tb.Helper()
	tr := New(Options{})
	var zxid int64
	apply := func(txn *Txn) {
		zxid++
		txn.Session, txn.Time = 1, 1_700_000_000_000+zxid
		if r := tr.Apply(zxid, txn, nil); r.Err != proto.ErrOK {
			tb.Fatalf("zxid %d: %v", zxid, r.Err)
		}
	}
	apply(&Txn{Type: proto.OpCreateSession, Body: proto.Encode(nil, &CreateSessionBody{Timeout: 30000, Passwd: make([]byte, 16)})})
	create := func(path string, data []byte) {
		apply(&Txn{Type: proto.OpCreate, Body: proto.Encode(nil, &proto.CreateRequest{Path: path, Data: data, ACL: proto.OpenACLUnsafe()})})
	}
	create("/zkbench", []byte{})
	create("/zkbench/p", []byte{})
	pad := func(i, w int) string {
		s := strconv.Itoa(i)
		for len(s) < w {
			s = "0" + s
		}
		return s
	}
	for d := 0; d < (n+999)/1000; d++ {
		create("/zkbench/p/d"+pad(d, 6), []byte{})
	}
	data := make([]byte, valueSize)
	for i := range n {
		create("/zkbench/p/d"+pad(i/1000, 6)+"/n"+pad(i, 7), data)
	}
	return tr, zxid
}

// liveHeap is the heap in use after two collections.
func liveHeap() (bytes, objects uint64) {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc, ms.HeapObjects
}

// BenchmarkTreeMemory reports the live heap a tree of populated znodes
// holds, per znode: what the server keeps for the tree itself, before GC
// headroom, the raft log or snapshot copies. Run it with -benchtime=1x:
//
//	go test -run '^$' -bench TreeMemory -benchtime 1x ./zkd/tree/
func BenchmarkTreeMemory(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var perNode, objs float64
			for range b.N {
				before, objBefore := liveHeap()
				tr, _ := memBenchTree(b, n, 100)
				after, objAfter := liveHeap()
				perNode = float64(after-before) / float64(tr.NodeCount())
				objs = float64(objAfter-objBefore) / float64(tr.NodeCount())
				runtime.KeepAlive(tr)
			}
			b.ReportMetric(perNode, "live-B/znode")
			b.ReportMetric(objs, "objects/znode")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkApplyCreate is the cost of applying one create of a populate
// run (100 B of data into a directory of 1,000), tree growing as it goes.
func BenchmarkApplyCreate(b *testing.B) {
	tr := New(Options{})
	var zxid int64
	apply := func(txn *Txn) Result {
		zxid++
		txn.Session, txn.Time = 1, 1_700_000_000_000+zxid
		return tr.Apply(zxid, txn, nil)
	}
	apply(&Txn{Type: proto.OpCreateSession, Body: proto.Encode(nil, &CreateSessionBody{Timeout: 30000, Passwd: make([]byte, 16)})})
	data := make([]byte, 100)
	bodies := make([][]byte, 0, 1000)
	b.ReportAllocs()
	for i := range b.N {
		if i%1000 == 0 {
			dir := fmt.Sprintf("/d%07d", i/1000)
			apply(&Txn{Type: proto.OpCreate, Body: proto.Encode(nil, &proto.CreateRequest{Path: dir, ACL: proto.OpenACLUnsafe()})})
			b.StopTimer()
			bodies = bodies[:0]
			for j := range 1000 {
				bodies = append(bodies, proto.Encode(nil, &proto.CreateRequest{Path: fmt.Sprintf("%s/n%07d", dir, i+j), Data: data, ACL: proto.OpenACLUnsafe()}))
			}
			b.StartTimer()
		}
		if r := apply(&Txn{Type: proto.OpCreate, Body: bodies[i%1000]}); r.Err != proto.ErrOK {
			b.Fatal(r.Err)
		}
	}
}

// BenchmarkGet looks up random znodes of a populated tree, as getData
// and exists do: a tree that fits in the caches, and one that does not.
func BenchmarkGet(b *testing.B) {
	for _, size := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			tr, _ := memBenchTree(b, size, 100)
			paths := make([]string, 4096)
			for i := range paths {
				j := (i * 7919) % size
				paths[i] = fmt.Sprintf("/zkbench/p/d%06d/n%07d", j/1000, j)
			}
			var st proto.Stat
			b.ResetTimer()
			for i := range b.N {
				n := tr.Get(paths[i%len(paths)])
				n.Stat(&st)
			}
		})
	}
}

// BenchmarkApplySetData applies setData of 100 B to random znodes of a
// populated tree.
func BenchmarkApplySetData(b *testing.B) {
	tr, zxid := memBenchTree(b, 1_000_000, 100)
	bodies := make([][]byte, 4096)
	data := make([]byte, 100)
	for i := range bodies {
		j := (i * 7919) % 1_000_000
		bodies[i] = proto.Encode(nil, &proto.SetDataRequest{Path: fmt.Sprintf("/zkbench/p/d%06d/n%07d", j/1000, j), Data: data, Version: -1})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		zxid++
		txn := &Txn{Type: proto.OpSetData, Session: 1, Time: 1_700_000_000_000 + zxid, Body: bodies[i%len(bodies)]}
		if r := tr.Apply(zxid, txn, nil); r.Err != proto.ErrOK {
			b.Fatal(r.Err)
		}
	}
}
