package client

import (
	"sort"

	"zkd/zkd/proto"
)

// watchSet remembers the watches the server holds for this session, so a
// reconnect to another server can re-register them with setWatches2. It is
// guarded by Client.mu.
type watchSet struct {
	data, exist, child, persistent, recursive map[string]bool
}

func newWatchSet() watchSet {
	return watchSet{
		data: map[string]bool{}, exist: map[string]bool{}, child: map[string]bool{},
		persistent: map[string]bool{}, recursive: map[string]bool{},
	}
}

// fired drops the one-shot watches an event consumed.
func (w *watchSet) fired(t proto.EventType, path string) {
	switch t {
	case proto.EventNodeCreated, proto.EventNodeDataChanged:
		delete(w.data, path)
		delete(w.exist, path)
	case proto.EventNodeDeleted:
		delete(w.data, path)
		delete(w.exist, path)
		delete(w.child, path)
	case proto.EventNodeChildrenChanged:
		delete(w.child, path)
	}
}

// remove forgets watches of the given watcher type (proto.Watcher*).
func (w *watchSet) remove(path string, kind int32) {
	if kind == proto.WatcherData || kind == proto.WatcherAny {
		delete(w.data, path)
		delete(w.exist, path)
	}
	if kind == proto.WatcherChildren || kind == proto.WatcherAny {
		delete(w.child, path)
	}
	if kind == proto.WatcherAny || kind == proto.WatcherPersistent {
		delete(w.persistent, path)
	}
	if kind == proto.WatcherAny || kind == proto.WatcherPersistentRecursive {
		delete(w.recursive, path)
	}
}

// setWatches builds the re-registration record, or reports there is none.
func (w *watchSet) setWatches(zxid int64) (*proto.SetWatches2, bool) {
	sw := &proto.SetWatches2{
		RelativeZxid:               zxid,
		DataWatches:                keys(w.data),
		ExistWatches:               keys(w.exist),
		ChildWatches:               keys(w.child),
		PersistentWatches:          keys(w.persistent),
		PersistentRecursiveWatches: keys(w.recursive),
	}
	n := len(sw.DataWatches) + len(sw.ExistWatches) + len(sw.ChildWatches) +
		len(sw.PersistentWatches) + len(sw.PersistentRecursiveWatches)
	return sw, n > 0
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
