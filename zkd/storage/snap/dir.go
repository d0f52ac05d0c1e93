package snap

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
)

// Options configure a Dir.
type Options struct {
	// FS is the filesystem; nil means OSFS().
	FS FS
	// Logger receives a line for every stale .tmp file removed and every
	// snapshot purged; nil means slog.Default().
	Logger *slog.Logger
}

// Dir is a directory of snapshots (dataDir). Its methods may be called
// from several goroutines: Save and Purge take turns, so that a purge (on
// its timer) never removes the .tmp of a save in progress.
type Dir struct {
	dir string
	fs  FS
	log *slog.Logger

	mu sync.Mutex // held by Save and Purge for their whole run
}

// Open opens (creating it if needed) the snapshot directory dir and
// removes the .tmp files a crash mid-save left behind.
func Open(dir string, opts Options) (*Dir, error) {
	if opts.FS == nil {
		opts.FS = OSFS()
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	d := &Dir{dir: dir, fs: opts.FS, log: opts.Logger}
	if err := d.fs.MkdirAll(dir); err != nil {
		return nil, fmt.Errorf("snap: open %s: %w", dir, err)
	}
	names, err := d.fs.List(dir)
	if err != nil {
		return nil, fmt.Errorf("snap: open %s: %w", dir, err)
	}
	if err := d.removeStale(names); err != nil {
		return nil, err
	}
	return d, nil
}

// Path is the directory.
func (d *Dir) Path() string { return d.dir }

// List returns the snapshots in the directory, newest (highest index)
// first, from their names alone: only Index and Path are set. Load one to
// read and verify it.
func (d *Dir) List() ([]Meta, error) {
	names, err := d.fs.List(d.dir)
	if err != nil {
		return nil, fmt.Errorf("snap: list %s: %w", d.dir, err)
	}
	var out []Meta
	for _, name := range names {
		if index, ok := parseName(name); ok {
			out = append(out, Meta{Index: index, Path: filepath.Join(d.dir, name)})
		}
	}
	slices.SortFunc(out, func(a, b Meta) int {
		switch {
		case a.Index > b.Index:
			return -1
		case a.Index < b.Index:
			return 1
		}
		return 0
	})
	return out, nil
}

// removeStale deletes the .tmp files among names, logging each.
func (d *Dir) removeStale(names []string) error {
	removed := false
	for _, name := range names {
		if !isTemp(name) {
			continue
		}
		path := filepath.Join(d.dir, name)
		if err := d.fs.Remove(path); err != nil {
			return fmt.Errorf("snap: removing stale %s: %w", path, err)
		}
		d.log.Warn("removed an incomplete snapshot left by an interrupted save", "file", path)
		removed = true
	}
	if removed {
		if err := d.fs.SyncDir(d.dir); err != nil {
			return fmt.Errorf("snap: sync %s: %w", d.dir, err)
		}
	}
	return nil
}
