package tree

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"zkd/zkd/proto"
)

// TestDir adds, replaces and removes children at random, through both
// representations and the changes between them, against a map.
func TestDir(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	d := &dir{}
	want := map[string]*Node{}
	check := func(step int) {
		t.Helper()
		if d.n != len(want) {
			t.Fatalf("step %d: %d children, want %d", step, d.n, len(want))
		}
		if (d.big && d.n*4 > len(d.list)*3) || (!d.big && d.n > dirSmall) {
			t.Fatalf("step %d: %d children in %d slots (big %v)", step, d.n, len(d.list), d.big)
		}
		for name, n := range want {
			if got := d.get(name); got != n {
				t.Fatalf("step %d: get(%q) = %p, want %p", step, name, got, n)
			}
		}
		names := d.names()
		if !slices.IsSorted(names) || len(names) != len(want) {
			t.Fatalf("step %d: names %d, sorted %v", step, len(names), slices.IsSorted(names))
		}
		if got := len(d.nodes(nil)); got != len(want) {
			t.Fatalf("step %d: nodes gives %d", step, got)
		}
	}
	for step := range 40000 {
		// Grow to about 2000, shrink to a few, grow again.
		target := 2000
		if step/10000%2 == 1 {
			target = 10
		}
		name := fmt.Sprintf("n%d", rng.IntN(3000))
		if d.get("x-absent") != nil {
			t.Fatal("found an absent name")
		}
		switch old := want[name]; {
		case old == nil && len(want) < target:
			n := newNode(name, []byte(name))
			d.add(n)
			want[name] = n
		case old != nil && rng.IntN(4) == 0:
			n := old.clone()
			d.set(n)
			want[name] = n
		case old != nil && (len(want) > target || rng.IntN(3) == 0):
			d.remove(name)
			delete(want, name)
		}
		if step%997 == 0 || d.n == dirSmall || d.n == dirSmall+1 || d.n == dirSmall/2 {
			check(step)
		}
	}
	check(-1)
}

// TestNodeLayout checks names and data of every size stay with their node
// through versions: inline, data of its own, a name of its own.
func TestNodeLayout(t *testing.T) {
	for _, nl := range []int{0, 1, 8, 15, 16, 17, 100, int(inlineMax) - 1, int(inlineMax), int(inlineMax) + 1, 5000} {
		for _, dl := range []int{0, 1, 7, 100, int(inlineMax) - nl, int(inlineMax) + 1 - nl, 3000} {
			if dl < 0 {
				continue
			}
			name := strings.Repeat("n", nl)
			data := bytes.Repeat([]byte{'d'}, dl)
			n := newNode(name, data)
			n.version = 7
			for i, v := range []*Node{n, n.clone(), n.withData([]byte("x")), n.clone().withData(data)} {
				if v.name() != name {
					t.Fatalf("name %d, data %d, version %d: name of %d bytes", nl, dl, i, len(v.name()))
				}
				wantData := string(data)
				if i == 2 {
					wantData = "x"
				}
				if string(v.Data()) != wantData || v.version != 7 {
					t.Fatalf("name %d, data %d, version %d: data of %d bytes, version %d", nl, dl, i, len(v.Data()), v.version)
				}
			}
		}
	}
}

// TestBigDirectories snapshots a tree with large directories, long names
// and large data, taken stepwise while children come and go, and checks it
// loads as the tree was.
func TestBigDirectories(t *testing.T) {
	g := newSnapGen(t, 77)
	const sess = 0x51
	g.apply(proto.OpCreateSession, sess, &CreateSessionBody{Timeout: 5000})
	create := func(p string, data []byte) {
		if r := g.apply(proto.OpCreate, sess, &proto.CreateRequest{Path: p, Data: data, ACL: proto.OpenACLUnsafe()}); r.Err != proto.ErrOK {
			t.Fatalf("create %s: %v", p, r.Err)
		}
	}
	create("/big", nil)
	create("/small", []byte("s"))
	long := strings.Repeat("L", 2000)
	for i := range 3000 {
		name := fmt.Sprintf("/big/c%d", i)
		if i%500 == 0 {
			name = "/big/" + long + fmt.Sprint(i)
		}
		data := []byte(name)
		if i%300 == 0 {
			data = bytes.Repeat([]byte{byte(i)}, 5000)
		}
		create(name, data)
		if i%10 == 0 {
			create(fmt.Sprintf("/small/c%d", i), nil)
		}
	}
	if got := g.t.Get("/big").NumChildren(); got != 3000 {
		t.Fatalf("/big has %d children", got)
	}
	want := snapBytes(t, g.t)
	c := g.t.BeginCapture(nil)
	for i := 0; !c.Step(50); i++ {
		g.apply(proto.OpDelete, sess, &proto.DeleteRequest{Path: fmt.Sprintf("/big/c%d", 2999-i*7), Version: -1})
		g.apply(proto.OpSetData, sess, &proto.SetDataRequest{Path: fmt.Sprintf("/big/c%d", i*3+1), Data: []byte("new"), Version: -1})
		create(fmt.Sprintf("/big/new%d", i), nil)
	}
	var buf bytes.Buffer
	if _, err := c.Finish(g.t).WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("stepwise capture differs from the tree at its start")
	}
	got, err := ReadSnapshot(bytes.NewReader(want), Options{})
	if err != nil {
		t.Fatal(err)
	}
	snapCheckLinks(t, got)
	// Shrink /big to a few children again, through deletes.
	for _, name := range g.t.Get("/big").Children() {
		if !strings.HasSuffix(name, "777") {
			g.apply(proto.OpDelete, sess, &proto.DeleteRequest{Path: "/big/" + name, Version: -1})
		}
	}
	if d := g.t.Get("/big").children; d.big || d.n > dirSmall {
		t.Fatalf("/big: %d children, big %v", d.n, d.big)
	}
	snapCheckLinks(t, g.t)
	if a, b := snapDump(g.t), snapDump(mustRead(t, snapBytes(t, g.t))); a != b {
		t.Fatalf("reloaded tree differs:\n%s", snapDiff(a, b))
	}
}

func mustRead(tb testing.TB, b []byte) *Tree {
	tb.Helper()
	t, err := ReadSnapshot(bytes.NewReader(b), Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// BenchmarkDirGet finds children in a sorted list (4) and a hash table
// (16 to 300,000: the large ones do not fit in the caches, as a big
// znode directory does not).
func BenchmarkDirGet(b *testing.B) {
	for _, n := range []int{4, 16, 100, 1000, 300000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			d := &dir{}
			names := make([]string, n)
			for i := range n {
				names[i] = fmt.Sprintf("n%07d", i)
				d.add(newNode(names[i], make([]byte, 100)))
			}
			b.ResetTimer()
			for i := range b.N {
				if d.get(names[(i*7919)%n]) == nil {
					b.Fatal("missing")
				}
			}
		})
	}
}
