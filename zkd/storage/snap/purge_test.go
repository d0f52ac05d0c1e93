package snap

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestPurge(t *testing.T) {
	tests := []struct {
		name       string
		saved      []uint64 // indexes saved, in this order
		retain     int
		wantKept   []uint64 // newest first
		wantOldest uint64
	}{
		{"keeps exactly 3", []uint64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 3, []uint64{10, 9, 8}, 8},
		{"keeps exactly 5", []uint64{40, 10, 30, 20, 60, 50}, 5, []uint64{60, 50, 40, 30, 20}, 20},
		{"fewer than retain", []uint64{7, 3}, 3, []uint64{7, 3}, 3},
		{"exactly retain", []uint64{1, 2, 3}, 3, []uint64{3, 2, 1}, 1},
		{"none", nil, 3, nil, 0},
		{"by index, not name order", []uint64{0xff, 0x100, 0x1000, 0xf}, 3, []uint64{0x1000, 0x100, 0xff}, 0xff},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, logs := openDir(t, nil)
			for _, i := range tt.saved {
				mustSave(t, d, i, []byte{byte(i)})
			}
			removed, oldest, err := d.Purge(tt.retain)
			if err != nil {
				t.Fatal(err)
			}
			list, _ := d.List()
			var kept []uint64
			for _, m := range list {
				kept = append(kept, m.Index)
			}
			if !slices.Equal(kept, tt.wantKept) || oldest != tt.wantOldest {
				t.Fatalf("kept %v (oldest %d), want %v (%d)", kept, oldest, tt.wantKept, tt.wantOldest)
			}
			if len(removed) != len(tt.saved)-len(tt.wantKept) {
				t.Fatalf("removed %v", removed)
			}
			for _, p := range removed {
				if _, err := os.Stat(p); !os.IsNotExist(err) {
					t.Fatalf("%s still there", p)
				}
				if !strings.Contains(logs.String(), filepath.Base(p)) {
					t.Fatalf("no log line for %s", p)
				}
			}
			// Purging again changes nothing.
			if again, _, err := d.Purge(tt.retain); err != nil || len(again) != 0 {
				t.Fatalf("second purge removed %v, %v", again, err)
			}
		})
	}
}

func TestPurgeRetainMinimum(t *testing.T) {
	d, _ := openDir(t, nil)
	for i := uint64(1); i <= 4; i++ {
		mustSave(t, d, i, nil)
	}
	for _, retain := range []int{-1, 0, 1, 2} {
		if _, _, err := d.Purge(retain); err == nil || !strings.Contains(err.Error(), "at least 3") {
			t.Fatalf("retain %d: %v", retain, err)
		}
	}
	if list, _ := d.List(); len(list) != 4 {
		t.Fatalf("a refused purge removed snapshots: %v", list)
	}
}

func TestPurgeRemovesStaleTmp(t *testing.T) {
	d, logs := openDir(t, nil)
	mustSave(t, d, 1, nil)
	tmp := filepath.Join(d.Path(), FileName(2)+tmpSuffix)
	mustWrite(t, tmp, []byte("half a snapshot"))
	removed, oldest, err := d.Purge(3)
	if err != nil || len(removed) != 0 || oldest != 1 {
		t.Fatalf("Purge: %v %d %v", removed, oldest, err)
	}
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Fatalf("stale tmp still there")
	}
	if !strings.Contains(logs.String(), "removed an incomplete snapshot") {
		t.Fatalf("no log line: %q", logs.String())
	}
}

// TestPurgeDuringSave: purges on their timer never break a save under way.
func TestPurgeDuringSave(t *testing.T) {
	d, _ := openDir(t, nil)
	for i := uint64(1); i <= 3; i++ {
		mustSave(t, d, i, nil)
	}
	done := make(chan error, 1)
	go func() {
		var err error
		for i := uint64(10); i < 20 && err == nil; i++ {
			_, err = d.Save(Meta{Index: i}, bodyOf(patterned(1<<20)))
		}
		done <- err
	}()
	deadline := time.After(30 * time.Second)
	for finished := false; !finished; {
		select {
		case <-deadline:
			t.Fatal("saves did not finish in 30s")
		case err := <-done:
			if err != nil {
				t.Fatalf("Save: %v", err)
			}
			finished = true
		default:
			if _, _, err := d.Purge(3); err != nil {
				t.Fatalf("Purge: %v", err)
			}
		}
	}
	if _, _, err := d.Purge(3); err != nil {
		t.Fatal(err)
	}
	list, _ := d.List()
	if len(list) != 3 || list[0].Index != 19 {
		t.Fatalf("left %+v", list)
	}
	for _, m := range list {
		if _, _, err := readAll(t, d, m.Path); err != nil {
			t.Fatal(err)
		}
	}
}
