package snap

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"path/filepath"
	"slices"
	"testing"

	"zkd/zkd/proto"
	"zkd/zkd/tree"
)

func TestFileName(t *testing.T) {
	tests := []struct {
		index uint64
		name  string
	}{
		{0, "snapshot.0000000000000000"},
		{1234, "snapshot.00000000000004d2"},
		{1<<64 - 1, "snapshot.ffffffffffffffff"},
	}
	for _, tt := range tests {
		if got := FileName(tt.index); got != tt.name {
			t.Errorf("FileName(%d) = %s, want %s", tt.index, got, tt.name)
		}
		if got, ok := parseName(tt.name); !ok || got != tt.index {
			t.Errorf("parseName(%s) = %d, %v", tt.name, got, ok)
		}
	}
	for _, name := range []string{"snapshot.4d2", "snapshot.00000000000004D2", "snapshot.00000000000004d2.tmp",
		"log.00000000000004d2", "snapshot.00000000000004dz", "snapshot.000000000000004d2"} {
		if _, ok := parseName(name); ok {
			t.Errorf("parseName(%s) accepted", name)
		}
	}
}

// TestSaveLoadSizes round-trips bodies around the buffer boundaries.
func TestSaveLoadSizes(t *testing.T) {
	d, _ := openDir(t, nil)
	for i, n := range []int{0, 1, 4095, 4096, 1<<20 - 1, 1 << 20, 1<<20 + 1, 3<<20 + 17} {
		body := patterned(n)
		meta := Meta{Index: uint64(100 + i), Term: 7, LastZxid: -5}
		path, err := d.Save(meta, bodyOf(body))
		if err != nil {
			t.Fatalf("Save %d bytes: %v", n, err)
		}
		if filepath.Base(path) != FileName(meta.Index) {
			t.Fatalf("saved as %s", path)
		}
		got, b, err := readAll(t, d, path)
		if err != nil {
			t.Fatalf("Load %d bytes: %v", n, err)
		}
		want := meta
		want.Path, want.BodyLen = path, int64(n)
		if got != want || !bytes.Equal(b, body) {
			t.Fatalf("%d bytes: got %+v (%d bytes), want %+v", n, got, len(b), want)
		}
		if m, err := Inspect(path); err != nil || m != want {
			t.Fatalf("Inspect: %+v, %v", m, err)
		}
	}
}

// TestTreeRoundTrip is the real use: a tree captured, saved, loaded back.
func TestTreeRoundTrip(t *testing.T) {
	src := tree.New(tree.Options{})
	src.RestoreSession(0x42, 30000, []byte("secret"))
	for i, p := range []string{"/app", "/app/a", "/app/b", "/app/b/c", "/e"} {
		st := tree.PersistedStat{Czxid: int64(i + 1), Mzxid: int64(i + 1), Pzxid: int64(i + 1), Version: int32(i)}
		if p == "/e" {
			st.EphemeralOwner = 0x42
		}
		acl := []proto.ACL{{Perms: proto.PermRead, ID: proto.ID{Scheme: "ip", ID: "10.0.0.0/8"}}}
		if err := src.RestoreNode(p, []byte("data of "+p), st, acl); err != nil {
			t.Fatal(err)
		}
	}
	src.SetLastZxid(99)
	d, _ := openDir(t, nil)
	c := src.Capture()
	var want bytes.Buffer
	if _, err := c.WriteTo(&want); err != nil {
		t.Fatal(err)
	}
	_, err := d.Save(Meta{Index: 1234, Term: 3, LastZxid: c.LastZxid()}, func(w io.Writer) error {
		_, err := c.WriteTo(w)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	m, body, err := d.LoadNewest()
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	if m.Index != 1234 || m.Term != 3 || m.LastZxid != 99 || filepath.Base(m.Path) != "snapshot.00000000000004d2" {
		t.Fatalf("meta %+v", m)
	}
	got, err := tree.ReadSnapshot(body, tree.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	if _, err := got.Capture().WriteTo(&again); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.Bytes(), want.Bytes()) {
		t.Fatalf("tree differs after save and load")
	}
}

func TestLoadNewest(t *testing.T) {
	d, _ := openDir(t, nil)
	if _, _, err := d.LoadNewest(); !errors.Is(err, ErrNotFound) {
		t.Fatalf("empty dir: %v", err)
	}
	for _, i := range []uint64{5, 300, 17, 0x1_0000_0000} {
		mustSave(t, d, i, []byte{byte(i)})
	}
	m, body, err := d.LoadNewest()
	if err != nil {
		t.Fatal(err)
	}
	body.Close()
	if m.Index != 0x1_0000_0000 {
		t.Fatalf("newest %d", m.Index)
	}
	list, err := d.List()
	if err != nil {
		t.Fatal(err)
	}
	var idx []uint64
	for _, m := range list {
		idx = append(idx, m.Index)
	}
	if !slices.Equal(idx, []uint64{0x1_0000_0000, 300, 17, 5}) {
		t.Fatalf("List order %v", idx)
	}
}

// TestNewestCorruptNoFallback: a damaged newest snapshot is an error, even
// though an older good one exists; the caller may fall back explicitly.
func TestNewestCorruptNoFallback(t *testing.T) {
	d, _ := openDir(t, nil)
	mustSave(t, d, 10, patterned(100))
	newest := mustSave(t, d, 20, patterned(100))
	flipBit(headerLen+50, 3)(t, newest)
	_, _, err := d.LoadNewest()
	wantCorrupt(t, err, newest, headerLen+100, "body checksum")
	list, _ := d.List()
	if _, b, err := readAll(t, d, list[1].Path); err != nil || !bytes.Equal(b, patterned(100)) {
		t.Fatalf("explicit fallback to %s: %v", list[1].Path, err)
	}
}

func TestUnknownVersion(t *testing.T) {
	d, _ := openDir(t, nil)
	path := mustSave(t, d, 1, []byte("x"))
	// A newer writer: version 2 with a correct header checksum.
	rewrite := func(t *testing.T, path string) {
		b := mustRead(t, path)
		binary.LittleEndian.PutUint32(b[8:], 2)
		binary.LittleEndian.PutUint32(b[hdrCRCAt:], crc32.Checksum(b[:hdrCRCAt], crcTable))
		mustWrite(t, path, b)
	}
	rewrite(t, path)
	if _, _, err := d.Load(path); !errors.Is(err, ErrVersion) || errors.Is(err, ErrCorrupt) {
		t.Fatalf("got %v, want ErrVersion", err)
	}
}

// BenchmarkSave writes a 64 MiB body with both fsyncs; BenchmarkLoad
// verifies it and reads it back.
func BenchmarkSave(b *testing.B) {
	d, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	body := patterned(64 << 20)
	b.SetBytes(int64(len(body)))
	for i := range b.N {
		if _, err := d.Save(Meta{Index: uint64(i % 3)}, bodyOf(body)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkLoad(b *testing.B) {
	d, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	body := patterned(64 << 20)
	if _, err := d.Save(Meta{Index: 1}, bodyOf(body)); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for range b.N {
		_, r, err := d.LoadNewest()
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, r); err != nil {
			b.Fatal(err)
		}
		r.Close()
	}
}
