package snap

import (
	"fmt"
)

// Purge deletes all but the newest retain snapshots (retain >= MinRetain),
// and any stale .tmp file, logging each removal. It returns the paths
// removed and the index of the oldest snapshot kept (0 if there is none):
// the log must keep every entry after that index, so that each snapshot
// kept can still be brought up to date. Snapshots are chosen by name, not
// verified: every one was renamed into place only once complete.
func (d *Dir) Purge(retain int) (removed []string, oldestKept uint64, err error) {
	if retain < MinRetain {
		return nil, 0, fmt.Errorf("snap: purge %s: retain %d snapshots, at least %d", d.dir, retain, MinRetain)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	names, err := d.fs.List(d.dir)
	if err != nil {
		return nil, 0, fmt.Errorf("snap: purge %s: %w", d.dir, err)
	}
	if err := d.removeStale(names); err != nil {
		return nil, 0, err
	}
	list, err := d.List()
	if err != nil {
		return nil, 0, err
	}
	if len(list) == 0 {
		return nil, 0, nil
	}
	keep := min(retain, len(list))
	oldestKept = list[keep-1].Index
	// Oldest first, so that an interrupted purge keeps the newest.
	for i := len(list) - 1; i >= keep; i-- {
		if err := d.fs.Remove(list[i].Path); err != nil {
			return removed, oldestKept, fmt.Errorf("snap: purge %s: %w", list[i].Path, err)
		}
		d.log.Info("purged snapshot", "file", list[i].Path, "index", list[i].Index, "retain", retain)
		removed = append(removed, list[i].Path)
	}
	if len(removed) > 0 {
		if err := d.fs.SyncDir(d.dir); err != nil {
			return removed, oldestKept, fmt.Errorf("snap: purge %s: sync: %w", d.dir, err)
		}
	}
	return removed, oldestKept, nil
}
