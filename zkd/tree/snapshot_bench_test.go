package tree

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"testing"

	"zkd/zkd/proto"
)

// snapBenchTree builds an n-node tree through RestoreNode: /app/gNNNN
// groups of 1000 leaves with 32 bytes of data, a few ACLs, 1% ephemerals.
func snapBenchTree(b *testing.B, n int) *Tree {
	b.Helper()
	tr := New(Options{})
	for s := int64(1); s <= 100; s++ {
		tr.RestoreSession(s, 30000, []byte("0123456789abcdef"))
	}
	acls := [][]proto.ACL{proto.OpenACLUnsafe(), {{Perms: proto.PermRead, ID: proto.WorldAnyone}},
		{{Perms: proto.PermAll, ID: proto.ID{Scheme: "ip", ID: "10.0.0.0/8"}}}}
	data := bytes.Repeat([]byte("x"), 32)
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(tr.RestoreNode("/app", nil, PersistedStat{}, nil))
	for i := 0; i < n; i++ {
		group := fmt.Sprintf("/app/g%04d", i/1000)
		if i%1000 == 0 {
			must(tr.RestoreNode(group, nil, PersistedStat{Czxid: int64(i)}, acls[0]))
		}
		st := PersistedStat{Czxid: int64(i), Mzxid: int64(i), Pzxid: int64(i), Ctime: 1e12, Mtime: 1e12}
		if i%100 == 0 {
			st.EphemeralOwner = int64(1 + i%100)
		}
		must(tr.RestoreNode(fmt.Sprintf("%s/n%07d", group, i), data, st, acls[i%len(acls)]))
	}
	return tr
}

var snapBenchSizes = []int{100_000, 1_000_000}

// BenchmarkCapture measures how long the tree stays locked. "new" is
// Capture, allocating under the lock; "into" is CaptureInto a Capture made
// beforehand with NewCapture, as the snapshotter should do; "into-gc-idle"
// is the same with no garbage collection under way when it starts (the
// others churn 120 MB per op at 1e6 nodes, so a collection is usually
// marking, and every pointer copied pays its write barrier).
func BenchmarkCapture(b *testing.B) {
	for _, n := range snapBenchSizes {
		tr := snapBenchTree(b, n)
		b.Run(fmt.Sprintf("%d/new", n), func(b *testing.B) {
			for range b.N {
				tr.Capture()
			}
		})
		b.Run(fmt.Sprintf("%d/into", n), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				c := NewCapture(tr.NodeCount())
				b.StartTimer()
				tr.CaptureInto(c)
			}
		})
		b.Run(fmt.Sprintf("%d/into-gc-idle", n), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				c := NewCapture(tr.NodeCount())
				runtime.GC()
				b.StartTimer()
				tr.CaptureInto(c)
			}
		})
	}
}

// BenchmarkWriteTo writes a fresh capture each time: "sorted" sorts every
// directory, as the first snapshot of a tree does; "cached" reuses the
// order of directories unchanged since the last one (sortCache), as every
// later snapshot does for them.
func BenchmarkWriteTo(b *testing.B) {
	for _, n := range snapBenchSizes {
		tr := snapBenchTree(b, n)
		for _, cached := range []bool{false, true} {
			name := fmt.Sprintf("%d/sorted", n)
			if cached {
				name = fmt.Sprintf("%d/cached", n)
			}
			b.Run(name, func(b *testing.B) {
				b.SetBytes(tr.Capture().Size())
				b.ResetTimer()
				for range b.N {
					b.StopTimer()
					c := tr.Capture()
					if !cached {
						c.sorts = nil
					}
					b.StartTimer()
					if _, err := c.WriteTo(io.Discard); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkReadSnapshot(b *testing.B) {
	tr := snapBenchTree(b, 1_000_000)
	var buf bytes.Buffer
	if _, err := tr.Capture().WriteTo(&buf); err != nil {
		b.Fatal(err)
	}
	tr = nil
	b.SetBytes(int64(buf.Len()))
	b.ResetTimer()
	for range b.N {
		if _, err := ReadSnapshot(bytes.NewReader(buf.Bytes()), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriteToGrowing: the snapshots of a tree whose one big directory
// (400,000 children named as the bench's create cell names them) gains
// 10,000 between two: "merge" sorts the new ones into the last order
// (sortCache.merge), "sort" sorts the whole directory again.
func BenchmarkWriteToGrowing(b *testing.B) {
	for _, merge := range []bool{true, false} {
		name := "sort"
		if merge {
			name = "merge"
		}
		b.Run(name, func(b *testing.B) {
			tr := New(Options{})
			must := func(err error) {
				if err != nil {
					b.Fatal(err)
				}
			}
			must(tr.RestoreNode("/c", nil, PersistedStat{}, nil))
			data := bytes.Repeat([]byte("x"), 100)
			next := 0
			grow := func(n int) {
				for range n {
					st := PersistedStat{Czxid: int64(next), Mzxid: int64(next), Pzxid: int64(next)}
					must(tr.RestoreNode(fmt.Sprintf("/c/1a2b3c4d-%d-%d", next%32, next/32), data, st, nil))
					next++
				}
			}
			grow(400_000)
			if !merge {
				tr.sorts.mergeMinKeys = 1 << 30
			}
			if _, err := tr.Capture().WriteTo(io.Discard); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				b.StopTimer()
				grow(10_000)
				c := tr.Capture()
				b.StartTimer()
				if _, err := c.WriteTo(io.Discard); err != nil {
					b.Fatal(err)
				}
			}
			if merge && tr.sorts.merges == 0 {
				b.Fatal("no merge: the benchmark no longer measures one")
			}
		})
	}
}
