// Package watch keeps the watches clients have set on this server and
// decides who hears about a change, with ZooKeeper's trigger rules.
//
// Watches are per server, not replicated: each server fires them from its
// own apply loop, in apply order. The rules (DataTree and WatchManager in
// ZooKeeper 3.6+):
//
//  1. Data watches (set by exists and getData) fire on NodeCreated,
//     NodeDataChanged and NodeDeleted of their path.
//  2. Child watches (set by getChildren) fire on NodeChildrenChanged of
//     their path and on NodeDeleted of the path itself.
//  3. Standard watches are one-shot: removed when they fire. A watcher
//     that set the same watch twice hears one event.
//  4. A persistent watch (addWatch mode 0) is in both tables and is never
//     removed by firing. A persistent-recursive watch (mode 1) sits in the
//     data table only and also fires for every descendant; it never sees
//     NodeChildrenChanged.
//  5. One change reaches a watcher once, however many of its watches match.
package watch

import (
	"sort"
	"sync"

	"zkd/zkd/proto"
)

// Watcher receives events. Notify must not block: it queues.
type Watcher interface {
	Notify(path string, ev proto.EventType, zxid int64)
}

// Mode is how a watch was set.
type Mode uint8

const (
	Standard Mode = iota
	Persistent
	PersistentRecursive
)

// Kind selects a table.
type Kind uint8

const (
	Data Kind = iota
	Child
)

type table map[string]map[Watcher]Mode

// Manager holds every watch of this server.
type Manager struct {
	mu        sync.Mutex
	data      table
	child     table
	recursive int // persistent-recursive watches set, to skip ancestor walks when 0
}

// NewManager returns an empty manager.
func NewManager() *Manager {
	return &Manager{data: table{}, child: table{}}
}

func (t table) add(path string, w Watcher, m Mode) bool {
	ws := t[path]
	if ws == nil {
		ws = make(map[Watcher]Mode, 1)
		t[path] = ws
	}
	old, had := ws[w]
	if had && old != Standard && m == Standard {
		return false // a persistent watch already covers it
	}
	ws[w] = m
	return !had || old != m
}

// Add sets a standard watch of kind k on path.
func (m *Manager) Add(path string, k Kind, w Watcher) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if k == Data {
		m.data.add(path, w, Standard)
	} else {
		m.child.add(path, w, Standard)
	}
}

// AddPersistent sets a persistent or persistent-recursive watch.
func (m *Manager) AddPersistent(path string, w Watcher, recursive bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if recursive {
		if old, ok := m.data[path][w]; !ok || old != PersistentRecursive {
			m.recursive++
		}
		m.data.add(path, w, PersistentRecursive)
		return
	}
	if m.data[path][w] == PersistentRecursive {
		m.recursive--
	}
	m.data.add(path, w, Persistent)
	m.child.add(path, w, Persistent)
}

// Trigger fires ev on path for everyone whose watch matches, removing
// one-shot watches. It returns the number of watchers notified.
func (m *Manager) Trigger(path string, ev proto.EventType, zxid int64) int {
	m.mu.Lock()
	var hit []Watcher
	seen := map[Watcher]bool{}
	take := func(t table, p string, recursiveOnly bool) {
		ws := t[p]
		for w, mode := range ws {
			if recursiveOnly && mode != PersistentRecursive {
				continue
			}
			if mode == PersistentRecursive && ev == proto.EventNodeChildrenChanged {
				continue
			}
			if !seen[w] {
				seen[w] = true
				hit = append(hit, w)
			}
			if mode == Standard {
				delete(ws, w)
			}
		}
		if len(ws) == 0 {
			delete(t, p)
		}
	}
	switch ev {
	case proto.EventNodeCreated, proto.EventNodeDataChanged:
		take(m.data, path, false)
	case proto.EventNodeDeleted:
		take(m.data, path, false)
		take(m.child, path, false)
	case proto.EventNodeChildrenChanged:
		take(m.child, path, false)
	}
	if m.recursive > 0 && ev != proto.EventNodeChildrenChanged {
		for p := path; p != "/"; {
			p = parent(p)
			take(m.data, p, true)
		}
	}
	m.mu.Unlock()
	for _, w := range hit {
		w.Notify(path, ev, zxid)
	}
	return len(hit)
}

// Has reports whether w has a watch of the given WatcherType on path
// (checkWatches).
func (m *Manager) Has(path string, w Watcher, watcherType int32) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	dm, dok := m.data[path][w]
	cm, cok := m.child[path][w]
	switch watcherType {
	case proto.WatcherChildren:
		return cok && cm == Standard
	case proto.WatcherData:
		return dok && dm == Standard
	case proto.WatcherAny:
		return dok || cok
	case proto.WatcherPersistent:
		return dok && dm == Persistent
	case proto.WatcherPersistentRecursive:
		return dok && dm == PersistentRecursive
	}
	return false
}

// Remove deletes w's watches of watcherType on path and returns the
// removal events to send (DataWatchRemoved, ChildWatchRemoved,
// PersistentWatchRemoved), or nil when there was nothing to remove.
func (m *Manager) Remove(path string, w Watcher, watcherType int32) []proto.EventType {
	m.mu.Lock()
	defer m.mu.Unlock()
	var evs []proto.EventType
	drop := func(t table, want func(Mode) bool) (Mode, bool) {
		mode, ok := t[path][w]
		if !ok || !want(mode) {
			return 0, false
		}
		delete(t[path], w)
		if len(t[path]) == 0 {
			delete(t, path)
		}
		return mode, true
	}
	std := func(md Mode) bool { return md == Standard }
	any := func(Mode) bool { return true }
	switch watcherType {
	case proto.WatcherChildren:
		if _, ok := drop(m.child, std); ok {
			evs = append(evs, proto.EventChildWatchRemoved)
		}
	case proto.WatcherData:
		if _, ok := drop(m.data, std); ok {
			evs = append(evs, proto.EventDataWatchRemoved)
		}
	case proto.WatcherAny:
		cm, cok := drop(m.child, any)
		dm, dok := drop(m.data, any)
		if cok && cm == Standard {
			evs = append(evs, proto.EventChildWatchRemoved)
		}
		if dok {
			switch dm {
			case Standard:
				evs = append(evs, proto.EventDataWatchRemoved)
			case PersistentRecursive:
				m.recursive--
				evs = append(evs, proto.EventPersistentWatchRemoved)
			default:
				evs = append(evs, proto.EventPersistentWatchRemoved)
			}
		} else if cok && cm != Standard {
			evs = append(evs, proto.EventPersistentWatchRemoved)
		}
	case proto.WatcherPersistent:
		if _, ok := drop(m.data, func(md Mode) bool { return md == Persistent }); ok {
			drop(m.child, any)
			evs = append(evs, proto.EventPersistentWatchRemoved)
		}
	case proto.WatcherPersistentRecursive:
		if _, ok := drop(m.data, func(md Mode) bool { return md == PersistentRecursive }); ok {
			m.recursive--
			evs = append(evs, proto.EventPersistentWatchRemoved)
		}
	}
	return evs
}

// RemoveWatcher drops every watch of w (its connection closed). It scans
// the tables: closing a connection is rare next to triggering.
func (m *Manager) RemoveWatcher(w Watcher) {
	paths := m.WatchesOf(w)
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range paths.Data {
		if mode, ok := m.data[p][w]; ok {
			if mode == PersistentRecursive {
				m.recursive--
			}
			delete(m.data[p], w)
			if len(m.data[p]) == 0 {
				delete(m.data, p)
			}
		}
	}
	for _, p := range paths.Child {
		if _, ok := m.child[p][w]; ok {
			delete(m.child[p], w)
			if len(m.child[p]) == 0 {
				delete(m.child, p)
			}
		}
	}
}

// Paths lists the paths a watcher watches, by table.
type Paths struct {
	Data, Child, Persistent, Recursive []string
}

// WatchesOf returns the paths w watches (for RemoveWatcher and wchc).
func (m *Manager) WatchesOf(w Watcher) Paths {
	m.mu.Lock()
	defer m.mu.Unlock()
	var ps Paths
	for p, ws := range m.data {
		if mode, ok := ws[w]; ok {
			ps.Data = append(ps.Data, p)
			switch mode {
			case Persistent:
				ps.Persistent = append(ps.Persistent, p)
			case PersistentRecursive:
				ps.Recursive = append(ps.Recursive, p)
			}
		}
	}
	for p, ws := range m.child {
		if _, ok := ws[w]; ok {
			ps.Child = append(ps.Child, p)
		}
	}
	sort.Strings(ps.Data)
	sort.Strings(ps.Child)
	return ps
}

// Stats is what wchs prints.
type Stats struct {
	Watchers int // distinct watchers (connections)
	Paths    int // distinct watched paths
	Watches  int // total (path, watcher) pairs
}

// Stats counts the data table only, as ZooKeeper's wchs does
// (DataTree.getWatchesSummary): a connection with only child watches is
// not "watching" there.
func (m *Manager) Stats() Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	watchers := map[Watcher]bool{}
	n := 0
	for _, ws := range m.data {
		for w := range ws {
			watchers[w] = true
			n++
		}
	}
	return Stats{Watchers: len(watchers), Paths: len(m.data), Watches: n}
}

// Count is every watch in both tables: mntr's zk_watch_count.
func (m *Manager) Count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, t := range []table{m.data, m.child} {
		for _, ws := range t {
			n += len(ws)
		}
	}
	return n
}

// ByPath calls fn for each path of the data table, sorted, with its
// watchers (wchp; like wchs, ZooKeeper lists the data table only).
func (m *Manager) ByPath(fn func(path string, ws []Watcher)) {
	m.mu.Lock()
	all := make(map[string][]Watcher, len(m.data))
	for p, ws := range m.data {
		for w := range ws {
			all[p] = append(all[p], w)
		}
	}
	m.mu.Unlock()
	paths := make([]string, 0, len(all))
	for p := range all {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		fn(p, all[p])
	}
}

func parent(p string) string {
	for i := len(p) - 1; i > 0; i-- {
		if p[i] == '/' {
			return p[:i]
		}
	}
	return "/"
}
