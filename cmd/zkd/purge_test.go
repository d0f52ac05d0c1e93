package main

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"zkd/internal/ztest"
	"zkd/zkd/quorum"
	"zkd/zkd/storage/snap"
	"zkd/zkd/storage/wal"
)

// TestPurgeServerData purges a data dir the real binary wrote: refused
// while zkd runs, then the newest N snapshots stay, and zkd starts from
// what is left with every znode.
func TestPurgeServerData(t *testing.T) {
	srv := ztest.StartZkd(t, ztest.Options{Extra: map[string]string{
		"dataLogDir":   filepath.Join(t.TempDir(), "txnlog"),
		"snapCount":    "20",
		"preAllocSize": "16", // KB
	}})
	c, _, err := zk.Connect([]string{srv.Addr}, 10*time.Second, zk.WithLogger(purgeQuiet{}))
	if err != nil {
		t.Fatal(err)
	}
	const nodes = 200
	for i := range nodes {
		if _, err := c.Create(fmt.Sprintf("/n%03d", i), []byte(strconv.Itoa(i)), 0, zk.WorldACL(zk.PermAll)); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	snapDir := quorum.SnapDir(srv.DataDir)
	// Snapshots are written off the write path: wait for a few.
	deadline := time.Now().Add(10 * time.Second)
	for len(purgeSnapshots(t, snapDir)) < 6 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	before := purgeSnapshots(t, snapDir)
	if len(before) < 6 {
		t.Fatalf("%d snapshots after %d txns with snapCount=20; want at least 6", len(before), nodes)
	}

	code, stdout, stderr := purgeRun(srv.CfgPath)
	if code != 1 || !strings.Contains(stderr, "zkd is running") {
		t.Errorf("purge beside a running zkd: exit %d, stderr %q; want 1 and a refusal", code, stderr)
	}
	if got := purgeSnapshots(t, snapDir); !slices.Equal(got, before) || stdout != "" {
		t.Errorf("purge beside a running zkd touched snapshots: %v -> %v, stdout %q", before, got, stdout)
	}

	srv.Stop()
	before = purgeSnapshots(t, snapDir)
	code, stdout, stderr = purgeRun("-n", "3", srv.CfgPath)
	if code != 0 {
		t.Fatalf("purge -n 3: exit %d: %s", code, stderr)
	}
	t.Logf("zkd purge -n 3:\n%s", stdout)
	if got := purgeSnapshots(t, snapDir); !slices.Equal(got, before[len(before)-3:]) {
		t.Errorf("after purge -n 3: %v; want the newest three of %v", got, before)
	}
	if n := strings.Count(stdout, "removed snapshot "); n != len(before)-3 {
		t.Errorf("purge printed %d removed snapshots, removed %d:\n%s", n, len(before)-3, stdout)
	}

	// Flags after the file, and nothing left to do.
	code, stdout, stderr = purgeRun(srv.CfgPath, "-n", "5")
	if code != 0 || !strings.Contains(stdout, "removed 0 snapshot(s) and 0 log segment(s)") {
		t.Errorf("second purge: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	srv.Restart(t)
	c, _, err = zk.Connect([]string{srv.Addr}, 10*time.Second, zk.WithLogger(purgeQuiet{}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := range nodes {
		p := fmt.Sprintf("/n%03d", i)
		if d, _, err := c.Get(p); err != nil || string(d) != strconv.Itoa(i) {
			t.Fatalf("after purge and restart %s = %q, %v", p, d, err)
		}
	}
}

// TestPurgeRefusals covers the arguments and states purge must refuse.
func TestPurgeRefusals(t *testing.T) {
	dir := t.TempDir()
	cfg := purgeConfig(t, dir)
	missing := filepath.Join(dir, "missing.cfg")
	tests := []struct {
		name     string
		args     []string
		code     int
		inStderr string
	}{
		{"fewer than three", []string{"-n", "2", cfg}, 2, "keep at least 3"},
		{"not a number", []string{"-n", "x", cfg}, 2, "invalid value"},
		{"two files", []string{cfg, cfg}, 2, "usage"},
		{"no config", []string{missing}, 1, "missing.cfg"},
		{"no storage yet", []string{cfg}, 1, "no zkd storage here"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := purgeRun(tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.inStderr) {
				t.Errorf("zkd purge %v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr, tc.code, tc.inStderr)
			}
		})
	}
}

// TestPurgeCompactsLog builds a log that was never compacted (as after a
// crash between a snapshot and its compaction): purge must remove exactly
// the segments that hold only entries up to the oldest snapshot kept.
func TestPurgeCompactsLog(t *testing.T) {
	const (
		segSize   = wal.MinSegmentSize
		lastIndex = 100
		every     = 20 // a snapshot at 20, 40, ... 100
	)
	tests := []struct {
		retain     int
		wantKept   int
		wantOldest uint64
	}{
		{3, 3, 60},
		{4, 4, 40},
		{10, 5, 20},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("retain %d", tc.retain), func(t *testing.T) {
			dir := t.TempDir()
			dataDir, logDir := filepath.Join(dir, "data"), filepath.Join(dir, "log")
			purgeWriteStore(t, dataDir, logDir, segSize, lastIndex, every)
			before, _ := walSegments(quorum.WALDir(logDir))

			res, err := purgeStorage(dataDir, logDir, segSize, tc.retain, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			if res.KeptSnapshots != tc.wantKept || res.OldestKept != tc.wantOldest {
				t.Errorf("kept %d snapshots, oldest %d; want %d, %d", res.KeptSnapshots, res.OldestKept, tc.wantKept, tc.wantOldest)
			}
			after, _ := walSegments(quorum.WALDir(logDir))
			t.Logf("removed %d snapshots and %d of %d segments", len(res.Snapshots), len(res.Segments), len(before))
			if len(res.Segments) != len(before)-len(after) || len(after) != res.KeptSegments {
				t.Errorf("reported %d segments removed, %d kept; %d -> %d files", len(res.Segments), res.KeptSegments, len(before), len(after))
			}
			if tc.wantOldest > every && len(res.Segments) == 0 {
				t.Errorf("no segment removed below index %d of %d segments", tc.wantOldest, len(before))
			}
			// The first segment kept must reach back to the oldest
			// snapshot kept, and must be needed: the next one starts
			// after it.
			first := purgeFirstIndexes(t, after)
			if first[0] > tc.wantOldest+1 {
				t.Errorf("first segment kept starts at index %d: entries after snapshot %d are gone", first[0], tc.wantOldest)
			}
			if len(first) > 1 && first[1] <= tc.wantOldest {
				t.Errorf("segment %s kept although the next starts at %d, within snapshot %d", filepath.Base(after[0]), first[1], tc.wantOldest)
			}
			// The log still opens, with its state.
			w, rec, err := wal.Open(quorum.WALDir(logDir), wal.Options{SegmentSize: segSize, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatalf("reopening the purged log: %v", err)
			}
			defer w.Close()
			if rec.State.Commit != lastIndex || rec.Snapshot.Index != lastIndex {
				t.Errorf("purged log replays commit %d, snapshot mark %d; want %d", rec.State.Commit, rec.Snapshot.Index, lastIndex)
			}
		})
	}
}

// TestPurgeRefusesLockedLog: the LOCK held (here by this process, as a
// running zkd would) stops purge before anything is removed.
func TestPurgeRefusesLockedLog(t *testing.T) {
	dir := t.TempDir()
	dataDir, logDir := filepath.Join(dir, "data"), filepath.Join(dir, "log")
	purgeWriteStore(t, dataDir, logDir, wal.MinSegmentSize, 100, 20)
	w, _, err := wal.Open(quorum.WALDir(logDir), wal.Options{SegmentSize: wal.MinSegmentSize, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	before := purgeSnapshots(t, quorum.SnapDir(dataDir))
	cfg := filepath.Join(dir, "zoo.cfg")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("dataDir=%s\ndataLogDir=%s\nclientPort=2181\npreAllocSize=1\n", dataDir, logDir)), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := purgeRun(cfg)
	if code != 1 || !strings.Contains(stderr, "zkd is running") {
		t.Errorf("purge of a locked log: exit %d, stderr %q", code, stderr)
	}
	if got := purgeSnapshots(t, quorum.SnapDir(dataDir)); !slices.Equal(got, before) || stdout != "" {
		t.Errorf("purge of a locked log removed files: %v -> %v, stdout %q", before, got, stdout)
	}
}

// purgeWriteStore writes a log of entries 1..last in small segments, with
// a snapshot (file and mark) every `every` entries and no compaction.
func purgeWriteStore(t *testing.T, dataDir, logDir string, segSize int64, last, every uint64) {
	t.Helper()
	quiet := slog.New(slog.DiscardHandler)
	w, _, err := wal.Open(quorum.WALDir(logDir), wal.Options{SegmentSize: segSize, NoSync: true, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	snaps, err := snap.Open(quorum.SnapDir(dataDir), snap.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	for i := uint64(1); i <= last; i++ {
		e := wal.Entry{Index: i, Term: 1, Data: bytes.Repeat([]byte{byte(i)}, 100)}
		if err := w.Save(&wal.State{Term: 1, Vote: 1, Commit: i}, []wal.Entry{e}); err != nil {
			t.Fatal(err)
		}
		if i%every != 0 {
			continue
		}
		if err := w.MarkSnapshot(wal.SnapshotMark{Index: i, Term: 1}); err != nil {
			t.Fatal(err)
		}
		if _, err := snaps.Save(snap.Meta{Index: i, Term: 1, LastZxid: int64(i)}, func(out io.Writer) error {
			_, err := fmt.Fprintf(out, "state at %d", i)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// purgeFirstIndexes reads the first index from segment file names
// (<seq>-<first index>.wal, both hex).
func purgeFirstIndexes(t *testing.T, paths []string) []uint64 {
	t.Helper()
	var out []uint64
	for _, p := range paths {
		_, hex, ok := strings.Cut(strings.TrimSuffix(filepath.Base(p), ".wal"), "-")
		n, err := strconv.ParseUint(hex, 16, 64)
		if !ok || err != nil {
			t.Fatalf("segment name %s: %v", p, err)
		}
		out = append(out, n)
	}
	return out
}

// purgeSnapshots lists the snapshot files in dir, oldest first.
func purgeSnapshots(t *testing.T, dir string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "snapshot.*"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range paths {
		if !strings.HasSuffix(p, ".tmp") {
			out = append(out, filepath.Base(p))
		}
	}
	slices.Sort(out)
	return out
}

// purgeConfig writes a zoo.cfg for dir/data and returns its path.
func purgeConfig(t *testing.T, dir string) string {
	t.Helper()
	cfg := filepath.Join(dir, "zoo.cfg")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("dataDir=%s\nclientPort=2181\n", filepath.Join(dir, "data"))), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func purgeRun(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = purgeCommand(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

type purgeQuiet struct{}

func (purgeQuiet) Printf(string, ...any) {}
