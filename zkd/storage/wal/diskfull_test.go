package wal

import (
	"errors"
	"strings"
	"syscall"
	"testing"
)

// TestDiskFullFaultFS fails writes, fsyncs, allocations and directory
// syncs the way a full disk does. Each time, Save must return an error
// wrapping the cause, count nothing as written, and succeed once the fault
// is gone, without reopening; the log must then read back exactly what was
// acknowledged, with no stale record of the failed batch.
func TestDiskFullFaultFS(t *testing.T) {
	tests := []struct {
		name   string
		fault  func(*faultFS)
		clear  func(*faultFS)
		cause  error
		end    string // "reopen": Close and reopen; "crash": reopen a copy without Close
		rolls  bool   // the failing Save needs a new segment
		prefix bool   // after a crash, a prefix of the failed batch may be in the log
	}{
		{name: "write cut short", fault: func(fs *faultFS) { fs.writeBudget = 700 }, clear: func(fs *faultFS) { fs.writeBudget = -1 },
			cause: syscall.ENOSPC, end: "reopen"},
		{name: "fsync fails", fault: func(fs *faultFS) { fs.syncErr = syscall.EIO }, clear: func(fs *faultFS) { fs.syncErr = nil },
			cause: syscall.EIO, end: "reopen"},
		{name: "fsync reports ENOSPC", fault: func(fs *faultFS) { fs.syncErr = syscall.ENOSPC }, clear: func(fs *faultFS) { fs.syncErr = nil },
			cause: syscall.ENOSPC, end: "reopen"},
		{name: "no space for a new segment", fault: func(fs *faultFS) { fs.allocErr = syscall.ENOSPC }, clear: func(fs *faultFS) { fs.allocErr = nil },
			cause: syscall.ENOSPC, end: "reopen", rolls: true},
		{name: "directory sync fails after a new segment", fault: func(fs *faultFS) { fs.dirErr = syscall.EIO }, clear: func(fs *faultFS) { fs.dirErr = nil },
			cause: syscall.EIO, end: "reopen", rolls: true},
		{name: "write cut short then crash", fault: func(fs *faultFS) { fs.writeBudget = 700 }, clear: func(fs *faultFS) { fs.writeBudget = -1 },
			cause: syscall.ENOSPC, end: "crash", prefix: true},
		{name: "fsync fails then crash", fault: func(fs *faultFS) { fs.syncErr = syscall.EIO }, clear: func(fs *faultFS) { fs.syncErr = nil },
			cause: syscall.EIO, end: "crash", prefix: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			ffs := newFaultFS()
			o := Options{SegmentSize: 4096, FS: ffs}
			w, _ := mustOpen(t, dir, o)
			var m model
			mustSave(t, w, &State{Term: 1, Commit: 10}, entries(1, 10, 1))
			m.save(&State{Term: 1, Commit: 10}, entries(1, 10, 1))
			if tt.rolls { // fill the active segment so that the failing batch needs a new one
				for w.off+512 < o.SegmentSize {
					es := entries(m.last()+1, m.last()+1, 1)
					mustSave(t, w, nil, es)
					m.save(nil, es)
				}
			}
			ffs.set(tt.fault)
			// Save until the fault bites: a segment prepared before the fault
			// still serves one roll.
			var failed []Entry
			for i := 0; ; i++ {
				n := uint64(5) // fits in the active segment
				if tt.rolls {
					n = 30
				}
				failed = entries(m.last()+1, m.last()+n, 1)
				err := w.Save(&State{Term: 1, Commit: 99}, failed)
				if err == nil && i < 5 {
					m.save(&State{Term: 1, Commit: 99}, failed)
					continue
				}
				if !errors.Is(err, tt.cause) {
					t.Fatalf("Save = %v, want an error wrapping %v", err, tt.cause)
				}
				if !strings.HasPrefix(err.Error(), "wal: ") {
					t.Errorf("error %q has no context", err)
				}
				t.Log(err)
				break
			}
			if err := w.Save(&State{Term: 1, Commit: 99}, failed); !errors.Is(err, tt.cause) {
				t.Fatalf("second Save = %v, want it to fail again with %v", err, tt.cause)
			}
			ffs.set(tt.clear)
			if tt.end == "crash" {
				crashed := copyDir(t, dir)
				w2, rec := mustOpen(t, crashed, Options{SegmentSize: o.SegmentSize})
				got, n := rec.Entries, len(m.expect())
				if tt.prefix && len(got) > n {
					checkEntries(t, got[n:], failed[:len(got)-n])
					got = got[:n]
				}
				checkEntries(t, got, m.expect())
				mustClose(t, w2)
			}
			// Space is back: a shorter rewrite succeeds without a restart and
			// leaves no trace of the failed batch after it.
			retry := entries(failed[0].Index, failed[0].Index+1, 2)
			mustSave(t, w, &State{Term: 2, Commit: 11}, retry)
			m.save(&State{Term: 2, Commit: 11}, retry)
			w2, rec := mustOpen(t, copyDir(t, dir), Options{SegmentSize: o.SegmentSize})
			checkRecovered(t, rec, &m)
			mustClose(t, w2)
			for range 10 { // and the log keeps rolling
				es := entries(m.last()+1, m.last()+8, 2)
				mustSave(t, w, nil, es)
				m.save(nil, es)
			}
			mustClose(t, w)
			_, rec = mustOpen(t, dir, o)
			if rec.TornTail != nil {
				t.Errorf("torn tail after recovering in place: %+v", rec.TornTail)
			}
			checkRecovered(t, rec, &m)
		})
	}
}
