package wal

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestDiskFullTmpfs fills a real 2 MiB tmpfs. Two ways to hit ENOSPC: the
// next segment cannot be allocated (the usual case: the active segment is
// preallocated), and a batch larger than a segment runs past its
// preallocated end. Both must fail cleanly and succeed again once space is
// freed, without reopening.
func TestDiskFullTmpfs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	mnt := t.TempDir()
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=2m"); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(mnt, 0); err != nil {
			t.Errorf("unmount %s: %v", mnt, err)
		}
	})
	const segSize = 128 << 10
	filler := filepath.Join(mnt, "filler")
	// fill leaves about free bytes free on the tmpfs.
	fill := func(free int64) {
		t.Helper()
		var st syscall.Statfs_t
		if err := syscall.Statfs(mnt, &st); err != nil {
			t.Fatal(err)
		}
		avail := int64(st.Bavail) * st.Bsize
		f, err := os.OpenFile(filler, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if avail > free {
			if _, err := f.Write(make([]byte, avail-free)); err != nil {
				t.Fatal(err)
			}
		}
	}

	t.Run("no space for the next segment", func(t *testing.T) {
		dir := filepath.Join(mnt, "a")
		o := Options{SegmentSize: segSize}
		w, _ := mustOpen(t, dir, o)
		waitPrepared(w)
		fill(3 * segSize / 2) // room for this segment's successor, not for the one after
		var m model
		var err error
		for i := 0; i < 100 && err == nil; i++ {
			es := entries(m.last()+1, m.last()+16, 1)
			for j := range es {
				es[j].Data = make([]byte, 1024)
			}
			if err = w.Save(&State{Term: 1, Commit: m.last()}, es); err == nil {
				m.save(&State{Term: 1, Commit: m.last()}, es)
			}
		}
		if !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("Save until full = %v, want ENOSPC", err)
		}
		t.Logf("full after %d entries, %d segments: %v", m.last(), w.Stats().Segments, err)
		if err := os.Remove(filler); err != nil {
			t.Fatal(err)
		}
		for range 20 {
			es := entries(m.last()+1, m.last()+16, 1)
			mustSave(t, w, nil, es)
			m.save(nil, es)
		}
		if err := w.MarkSnapshot(SnapshotMark{Index: m.last(), Term: 1}); err != nil {
			t.Fatal(err)
		}
		m.mark(SnapshotMark{Index: m.last(), Term: 1})
		if err := w.Compact(m.last() + 1); err != nil {
			t.Fatal(err)
		}
		mustClose(t, w)
		w, rec := mustOpen(t, dir, o)
		checkRecovered(t, rec, &m)
		mustClose(t, w)
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("batch runs past the preallocated end", func(t *testing.T) {
		dir := filepath.Join(mnt, "b")
		o := Options{SegmentSize: segSize}
		w, _ := mustOpen(t, dir, o)
		var m model
		mustSave(t, w, nil, entries(1, 3, 1))
		m.save(nil, entries(1, 3, 1))
		waitPrepared(w)
		fill(64 << 10)
		big := entries(4, 4+63, 1) // 64 x 16 KiB = 1 MiB, far more than is free
		for j := range big {
			big[j].Data = make([]byte, 16<<10)
		}
		if err := w.Save(nil, big); !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("Save of a 1 MiB batch on a full disk = %v, want ENOSPC", err)
		} else {
			t.Log(err)
		}
		if err := os.Remove(filler); err != nil {
			t.Fatal(err)
		}
		small := entries(4, 5, 2)
		mustSave(t, w, nil, small)
		m.save(nil, small)
		mustClose(t, w)
		w, rec := mustOpen(t, dir, o)
		if rec.TornTail != nil {
			t.Errorf("torn tail %+v", rec.TornTail)
		}
		checkRecovered(t, rec, &m)
		mustClose(t, w)
	})
}
