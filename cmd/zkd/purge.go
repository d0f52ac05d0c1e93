package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"

	"zkd/zkd/quorum"
	"zkd/zkd/storage/snap"
	"zkd/zkd/storage/wal"
)

// runPurge is `zkd purge [-n N] [zoo.cfg]`, the by-hand form of autopurge
// that zkCleanup.sh (PurgeTxnLog) is for Apache ZooKeeper: keep the newest
// N snapshots in dataDir and delete the log segments in dataLogDir that
// only hold entries older than the oldest snapshot kept.
//
// Unlike PurgeTxnLog it refuses to run beside a live server: the log's
// LOCK file tells, and holding it while files go keeps a server from
// starting halfway through. A running server purges by itself with
// autopurge.purgeInterval.
func runPurge(args []string, stderr io.Writer) int {
	return purgeCommand(args, os.Stdout, stderr)
}

func purgeCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("zkd purge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	retain := fs.Int("n", snap.MinRetain, fmt.Sprintf("snapshots to keep, the newest (at least %d)", snap.MinRetain))
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: zkd purge [-n N] [zoo.cfg]   (default %s)\n\n"+
			"Keeps the newest N snapshots in dataDir and removes the transaction log\n"+
			"segments in dataLogDir that none of them needs. zkd must not be running.\n\nflags:\n", defaultConfig)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	path := defaultConfig
	if fs.NArg() > 0 {
		// Flags may also follow the file, as in zkCleanup.sh's usage.
		path = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return 2
		}
		if fs.NArg() > 0 {
			fs.Usage()
			return 2
		}
	}
	if *retain < snap.MinRetain {
		fmt.Fprintf(stderr, "zkd purge: -n %d: keep at least %d snapshots (ZooKeeper's minimum)\n", *retain, snap.MinRetain)
		return 2
	}
	log := newLogger(stderr, "warn")
	cfg, err := loadConfig(path, log)
	if err != nil {
		fmt.Fprintf(stderr, "zkd purge: %v\n", err)
		return 1
	}
	res, err := purgeStorage(cfg.DataDir, cfg.DataLogDir, cfg.PreAllocSizeKB*1024, *retain, log)
	for _, p := range res.Snapshots {
		fmt.Fprintf(stdout, "removed snapshot %s\n", p)
	}
	for _, p := range res.Segments {
		fmt.Fprintf(stdout, "removed log segment %s\n", p)
	}
	switch {
	case errors.Is(err, wal.ErrLocked):
		fmt.Fprintf(stderr, "zkd purge: zkd is running on %s (%v): stop it first, or let it purge by itself with autopurge.purgeInterval\n",
			quorum.WALDir(cfg.DataLogDir), err)
		return 1
	case err != nil:
		fmt.Fprintf(stderr, "zkd purge: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "kept %d snapshot(s) in %s", res.KeptSnapshots, quorum.SnapDir(cfg.DataDir))
	if res.KeptSnapshots > 0 {
		fmt.Fprintf(stdout, " (oldest at log index %d)", res.OldestKept)
	}
	fmt.Fprintf(stdout, " and %d log segment(s) in %s; removed %d snapshot(s) and %d log segment(s)\n",
		res.KeptSegments, quorum.WALDir(cfg.DataLogDir), len(res.Snapshots), len(res.Segments))
	return 0
}

// purgeResult is what purgeStorage removed and kept.
type purgeResult struct {
	Snapshots     []string // snapshot files removed, oldest first
	Segments      []string // log segment files removed, oldest first
	KeptSnapshots int
	OldestKept    uint64 // log index of the oldest snapshot kept; 0 = none
	KeptSegments  int
}

// purgeStorage keeps the newest retain snapshots of the member whose
// snapshots are in dataDir and log in dataLogDir, then compacts the log up
// to the oldest snapshot kept. segmentSize is the log's preAllocSize
// (opening the log preallocates its last segment to it). A running server
// makes it fail with wal.ErrLocked before anything is removed.
func purgeStorage(dataDir, dataLogDir string, segmentSize int64, retain int, log *slog.Logger) (res purgeResult, err error) {
	snapDir, walDir := quorum.SnapDir(dataDir), quorum.WALDir(dataLogDir)
	// Both must exist: opening them would create them, and a purge that
	// creates an empty store for a mistyped path helps nobody.
	for _, d := range []string{snapDir, walDir} {
		if _, err := os.Stat(d); err != nil {
			return res, fmt.Errorf("no zkd storage here: %w", err)
		}
	}
	// The log first: its lock is what says a server is running.
	w, _, err := wal.Open(walDir, wal.Options{SegmentSize: segmentSize, Logger: log})
	if err != nil {
		return res, fmt.Errorf("opening the transaction log: %w", err)
	}
	defer func() {
		if cerr := w.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing the transaction log: %w", cerr)
		}
	}()
	snaps, err := snap.Open(snapDir, snap.Options{Logger: log})
	if err != nil {
		return res, fmt.Errorf("opening the snapshot directory: %w", err)
	}
	removed, oldest, err := snaps.Purge(retain)
	res.Snapshots = slices.Clone(removed)
	if err != nil {
		return res, err
	}
	kept, err := snaps.List()
	if err != nil {
		return res, err
	}
	res.KeptSnapshots, res.OldestKept = len(kept), oldest

	before, err := walSegments(walDir)
	if err != nil {
		return res, err
	}
	if oldest > 0 {
		// Entries up to the oldest snapshot kept are in every snapshot
		// kept; the segments holding only those go (never the active one,
		// never past the log's own snapshot mark).
		if err := w.Compact(oldest); err != nil {
			return res, fmt.Errorf("compacting the transaction log: %w", err)
		}
		// Compact deletes the files in the background.
		if err := w.WaitCompacted(); err != nil {
			return res, fmt.Errorf("compacting the transaction log: %w", err)
		}
	}
	after, err := walSegments(walDir)
	if err != nil {
		return res, err
	}
	for _, s := range before {
		if !slices.Contains(after, s) {
			res.Segments = append(res.Segments, s)
		}
	}
	res.KeptSegments = len(after)
	return res, nil
}

// walSegments lists the log's segment files, oldest first (their names
// sort by sequence number).
func walSegments(dir string) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.wal"))
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", dir, err)
	}
	slices.Sort(paths)
	return paths, nil
}
