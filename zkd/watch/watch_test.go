package watch_test

import (
	"fmt"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"zkd/zkd/proto"
	"zkd/zkd/watch"
)

// note is one event a watcher heard.
type note struct {
	Path string
	Ev   proto.EventType
	Zxid int64
}

// recorder is a Watcher that remembers what it heard.
type recorder struct {
	name  string
	mu    sync.Mutex
	notes []note
}

func newRecorder(name string) *recorder { return &recorder{name: name} }

func (r *recorder) Notify(path string, ev proto.EventType, zxid int64) {
	r.mu.Lock()
	r.notes = append(r.notes, note{path, ev, zxid})
	r.mu.Unlock()
}

func (r *recorder) String() string { return r.name }

// take returns what was heard since the last take.
func (r *recorder) take() []note {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.notes
	r.notes = nil
	return n
}

const (
	created  = proto.EventNodeCreated
	deleted  = proto.EventNodeDeleted
	changed  = proto.EventNodeDataChanged
	children = proto.EventNodeChildrenChanged
)

var allEvents = []proto.EventType{created, deleted, changed, children}

// kind is a way of setting a watch, for the tables below.
type kind int

const (
	stdData kind = iota
	stdChild
	persistent
	recursive
)

func (k kind) String() string {
	return [...]string{"data", "child", "persistent", "recursive"}[k]
}

func set(m *watch.Manager, k kind, path string, w watch.Watcher) {
	switch k {
	case stdData:
		m.Add(path, watch.Data, w)
	case stdChild:
		m.Add(path, watch.Child, w)
	case persistent:
		m.AddPersistent(path, w, false)
	case recursive:
		m.AddPersistent(path, w, true)
	}
}

// TestTriggerRules checks, for each kind of watch on /a, which changes reach
// it (rules 1, 2 and 4 of the package doc) and whether it survives firing
// (rule 3).
func TestTriggerRules(t *testing.T) {
	type fires map[string][]proto.EventType // path -> events that fire
	tests := []struct {
		kind   kind
		fires  fires
		oneOff bool
	}{
		{stdData, fires{"/a": {created, deleted, changed}}, true},
		{stdChild, fires{"/a": {deleted, children}}, true},
		{persistent, fires{"/a": {created, deleted, changed, children}}, false},
		{recursive, fires{
			"/a":       {created, deleted, changed},
			"/a/b":     {created, deleted, changed},
			"/a/b/c/d": {created, deleted, changed},
		}, false},
	}
	paths := []string{"/", "/a", "/a/b", "/a/b/c/d", "/ab", "/ab/c", "/b", "/b/a", "/zookeeper"}
	for _, tc := range tests {
		for _, p := range paths {
			for _, ev := range allEvents {
				want := false
				for _, e := range tc.fires[p] {
					want = want || e == ev
				}
				t.Run(fmt.Sprintf("%v/%s/%d", tc.kind, p, ev), func(t *testing.T) {
					m := watch.NewManager()
					w, other := newRecorder("w"), newRecorder("other")
					set(m, tc.kind, "/a", w)
					n := m.Trigger(p, ev, 42)
					got := w.take()
					if want {
						if !reflect.DeepEqual(got, []note{{p, ev, 42}}) || n != 1 {
							t.Fatalf("heard %v (Trigger=%d), want one event", got, n)
						}
					} else if len(got) != 0 || n != 0 {
						t.Fatalf("heard %v (Trigger=%d), want nothing", got, n)
					}
					if len(other.take()) != 0 {
						t.Fatalf("a watcher without watches heard something")
					}
					// Fire again: a one-shot watch that fired is gone, anything
					// else is still there.
					m.Trigger(p, ev, 43)
					again := len(w.take()) == 1
					if wantAgain := want && !tc.oneOff; again != wantAgain {
						t.Errorf("second trigger: heard=%v, want %v", again, wantAgain)
					}
				})
			}
		}
	}
}

// TestUnfiredWatchSurvives checks a one-shot watch stays until an event of
// its own fires it.
func TestUnfiredWatchSurvives(t *testing.T) {
	m := watch.NewManager()
	w := newRecorder("w")
	m.Add("/a", watch.Data, w)
	m.Add("/a", watch.Child, w)
	m.Trigger("/a", children, 1) // fires the child watch only
	m.Trigger("/a/b", changed, 2)
	m.Trigger("/a", changed, 3) // fires the data watch
	m.Trigger("/a", deleted, 4) // nothing left
	want := []note{{"/a", children, 1}, {"/a", changed, 3}}
	if got := w.take(); !reflect.DeepEqual(got, want) {
		t.Errorf("heard %v, want %v", got, want)
	}
}

// TestOneEventPerWatcher checks rule 5: one change reaches a watcher once,
// however many of its watches match, and each watcher once.
func TestOneEventPerWatcher(t *testing.T) {
	tests := []struct {
		name    string
		watches []struct {
			k    kind
			path string
		}
		path  string
		ev    proto.EventType
		after []proto.EventType // events a second, identical trigger delivers
	}{
		{"same data watch twice", ws(stdData, "/a", stdData, "/a"), "/a", changed, nil},
		{"same child watch twice", ws(stdChild, "/a", stdChild, "/a"), "/a", children, nil},
		{"data and child on a deleted node", ws(stdData, "/a", stdChild, "/a"), "/a", deleted, nil},
		{"persistent and data", ws(persistent, "/a", stdData, "/a"), "/a", changed, []proto.EventType{changed}},
		{"data then persistent", ws(stdData, "/a", persistent, "/a"), "/a", changed, []proto.EventType{changed}},
		{"persistent and child on a deleted node", ws(persistent, "/a", stdChild, "/a"), "/a", deleted, []proto.EventType{deleted}},
		{"recursive above and data", ws(recursive, "/a", stdData, "/a/b"), "/a/b", changed, []proto.EventType{changed}},
		{"recursive above and at", ws(recursive, "/a", recursive, "/a/b"), "/a/b/c", created, []proto.EventType{created}},
		{"recursive at root and persistent", ws(recursive, "/", persistent, "/a"), "/a", deleted, []proto.EventType{deleted}},
		{"everything", ws(recursive, "/", recursive, "/a", persistent, "/a", stdData, "/a", stdChild, "/a"), "/a", deleted,
			[]proto.EventType{deleted}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := watch.NewManager()
			w1, w2 := newRecorder("w1"), newRecorder("w2")
			for _, x := range tc.watches {
				set(m, x.k, x.path, w1)
				set(m, x.k, x.path, w2)
			}
			if n := m.Trigger(tc.path, tc.ev, 7); n != 2 {
				t.Errorf("Trigger = %d, want 2 watchers", n)
			}
			for _, w := range []*recorder{w1, w2} {
				if got := w.take(); !reflect.DeepEqual(got, []note{{tc.path, tc.ev, 7}}) {
					t.Errorf("%v heard %v, want one event", w, got)
				}
			}
			m.Trigger(tc.path, tc.ev, 8)
			for _, w := range []*recorder{w1, w2} {
				var want []note
				for _, e := range tc.after {
					want = append(want, note{tc.path, e, 8})
				}
				if got := w.take(); !reflect.DeepEqual(got, want) {
					t.Errorf("%v heard %v on the second trigger, want %v", w, got, want)
				}
			}
		})
	}
}

func ws(args ...any) []struct {
	k    kind
	path string
} {
	var out []struct {
		k    kind
		path string
	}
	for i := 0; i < len(args); i += 2 {
		out = append(out, struct {
			k    kind
			path string
		}{args[i].(kind), args[i+1].(string)})
	}
	return out
}

// TestPersistentSurvivesDelete checks persistent watches outlive their node:
// they fire for its deletion and again for its re-creation.
func TestPersistentSurvivesDelete(t *testing.T) {
	for _, rec := range []bool{false, true} {
		m := watch.NewManager()
		w := newRecorder("w")
		m.AddPersistent("/a", w, rec)
		m.Trigger("/a", deleted, 1)
		m.Trigger("/a", created, 2)
		m.Trigger("/a", changed, 3)
		want := []note{{"/a", deleted, 1}, {"/a", created, 2}, {"/a", changed, 3}}
		if got := w.take(); !reflect.DeepEqual(got, want) {
			t.Errorf("recursive=%v: heard %v, want %v", rec, got, want)
		}
	}
}

// TestHas covers checkWatches for each WatcherType against each kind of
// watch (DataTree.containsWatcher of 3.9, where Data and Children mean
// standard watches, Persistent and PersistentRecursive their own mode, Any
// anything on the path).
func TestHas(t *testing.T) {
	types := []int32{proto.WatcherChildren, proto.WatcherData, proto.WatcherAny, proto.WatcherPersistent,
		proto.WatcherPersistentRecursive}
	tests := []struct {
		kinds []kind
		want  []bool // by types
	}{
		{nil, []bool{false, false, false, false, false}},
		{[]kind{stdData}, []bool{false, true, true, false, false}},
		{[]kind{stdChild}, []bool{true, false, true, false, false}},
		{[]kind{stdData, stdChild}, []bool{true, true, true, false, false}},
		{[]kind{persistent}, []bool{false, false, true, true, false}},
		{[]kind{recursive}, []bool{false, false, true, false, true}},
	}
	for _, tc := range tests {
		m := watch.NewManager()
		w, other := newRecorder("w"), newRecorder("other")
		for _, k := range tc.kinds {
			set(m, k, "/a", w)
		}
		set(m, stdData, "/a", other)
		set(m, recursive, "/", other)
		for i, typ := range types {
			if got := m.Has("/a", w, typ); got != tc.want[i] {
				t.Errorf("%v: Has(/a, type %d) = %v, want %v", tc.kinds, typ, got, tc.want[i])
			}
			// Watches elsewhere, or someone else's, do not count.
			if m.Has("/a/b", w, typ) || m.Has("/", w, typ) || m.Has("/ab", w, typ) {
				t.Errorf("%v: Has on another path, type %d", tc.kinds, typ)
			}
		}
		if m.Has("/a", w, 0) || m.Has("/a", w, 9) {
			t.Errorf("%v: Has with an unknown type", tc.kinds)
		}
	}
}

// TestRemove covers removeWatches for each WatcherType against each kind of
// watch: the removal events, NoWatcher as an empty result, and what is
// left afterwards.
func TestRemove(t *testing.T) {
	const (
		dataRm  = proto.EventDataWatchRemoved
		childRm = proto.EventChildWatchRemoved
		persRm  = proto.EventPersistentWatchRemoved
	)
	tests := []struct {
		kinds []kind
		typ   int32
		want  []proto.EventType
		left  []proto.EventType // events on /a that still reach the watcher
	}{
		{[]kind{stdData}, proto.WatcherData, []proto.EventType{dataRm}, nil},
		{[]kind{stdData}, proto.WatcherChildren, nil, []proto.EventType{changed}},
		{[]kind{stdData}, proto.WatcherAny, []proto.EventType{dataRm}, nil},
		{[]kind{stdData}, proto.WatcherPersistent, nil, []proto.EventType{changed}},
		{[]kind{stdData}, proto.WatcherPersistentRecursive, nil, []proto.EventType{changed}},
		{[]kind{stdChild}, proto.WatcherChildren, []proto.EventType{childRm}, nil},
		{[]kind{stdChild}, proto.WatcherData, nil, []proto.EventType{children}},
		{[]kind{stdChild}, proto.WatcherAny, []proto.EventType{childRm}, nil},
		{[]kind{stdData, stdChild}, proto.WatcherAny, []proto.EventType{dataRm, childRm}, nil},
		{[]kind{stdData, stdChild}, proto.WatcherData, []proto.EventType{dataRm}, []proto.EventType{children}},
		{[]kind{stdData, stdChild}, proto.WatcherChildren, []proto.EventType{childRm}, []proto.EventType{changed}},
		{[]kind{persistent}, proto.WatcherPersistent, []proto.EventType{persRm}, nil},
		{[]kind{persistent}, proto.WatcherAny, []proto.EventType{persRm}, nil},
		{[]kind{persistent}, proto.WatcherData, nil, []proto.EventType{changed, children}},
		{[]kind{persistent}, proto.WatcherChildren, nil, []proto.EventType{changed, children}},
		{[]kind{persistent}, proto.WatcherPersistentRecursive, nil, []proto.EventType{changed, children}},
		{[]kind{recursive}, proto.WatcherPersistentRecursive, []proto.EventType{persRm}, nil},
		{[]kind{recursive}, proto.WatcherAny, []proto.EventType{persRm}, nil},
		{[]kind{recursive}, proto.WatcherPersistent, nil, []proto.EventType{changed}},
		{[]kind{recursive}, proto.WatcherData, nil, []proto.EventType{changed}},
		{nil, proto.WatcherAny, nil, nil},
		{nil, proto.WatcherData, nil, nil},
		{nil, proto.WatcherChildren, nil, nil},
		{nil, proto.WatcherPersistent, nil, nil},
		{nil, proto.WatcherPersistentRecursive, nil, nil},
		{[]kind{stdData}, 9, nil, []proto.EventType{changed}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%v/type%d", tc.kinds, tc.typ), func(t *testing.T) {
			m := watch.NewManager()
			w, other := newRecorder("w"), newRecorder("other")
			for _, k := range tc.kinds {
				set(m, k, "/a", w)
				set(m, k, "/a", other)
			}
			got := m.Remove("/a", w, tc.typ)
			sortEvents(got)
			sortEvents(tc.want)
			if len(got) != len(tc.want) || (len(got) > 0 && !reflect.DeepEqual(got, tc.want)) {
				t.Fatalf("Remove = %v, want %v", got, tc.want)
			}
			// Removing again finds nothing.
			if again := m.Remove("/a", w, tc.typ); len(again) != 0 {
				t.Errorf("second Remove = %v, want nothing", again)
			}
			// What is left still fires, for w and for the other watcher.
			var heard []proto.EventType
			for _, ev := range []proto.EventType{changed, children} {
				m.Trigger("/a", ev, 1)
				for _, n := range w.take() {
					heard = append(heard, n.Ev)
				}
				if len(tc.kinds) > 0 && len(other.take()) == 0 && firesFor(tc.kinds, ev) {
					t.Errorf("the other watcher lost its watch (event %d)", ev)
				}
			}
			if !reflect.DeepEqual(heard, tc.left) {
				t.Errorf("left firing %v, want %v", heard, tc.left)
			}
			// Only a recursive watch that is still there hears descendants.
			desc := false
			for _, k := range tc.kinds {
				desc = desc || (k == recursive && len(tc.want) == 0)
			}
			m.Trigger("/a/b", changed, 2)
			if got := w.take(); (len(got) == 1) != desc {
				t.Errorf("descendant change heard %v, want heard=%v", got, desc)
			}
		})
	}
}

func firesFor(kinds []kind, ev proto.EventType) bool {
	for _, k := range kinds {
		switch {
		case k == stdData || k == recursive:
			if ev == changed {
				return true
			}
		case k == stdChild:
			if ev == children {
				return true
			}
		case k == persistent:
			return true
		}
	}
	return false
}

func sortEvents(evs []proto.EventType) {
	sort.Slice(evs, func(i, j int) bool { return evs[i] < evs[j] })
}

// TestRemoveKeepsRecursiveCount checks the manager keeps noticing the
// recursive watches that remain after others go, however they went.
func TestRemoveKeepsRecursiveCount(t *testing.T) {
	m := watch.NewManager()
	a, b := newRecorder("a"), newRecorder("b")
	m.AddPersistent("/x", a, true)
	m.AddPersistent("/x", a, true) // twice: still one watch
	m.AddPersistent("/y", a, true)
	m.AddPersistent("/x", b, true)
	m.Remove("/x", a, proto.WatcherPersistentRecursive)
	m.RemoveWatcher(a)
	m.Remove("/x", a, proto.WatcherAny)
	m.Trigger("/x/1", created, 1)
	if got := b.take(); len(got) != 1 {
		t.Fatalf("b heard %v, want its recursive watch to fire", got)
	}
	if got := a.take(); len(got) != 0 {
		t.Fatalf("a heard %v after removing everything", got)
	}
	// Turning a recursive watch into a plain persistent one on the same
	// path stops the descendants' events.
	m.AddPersistent("/x", b, false)
	m.Trigger("/x/1", created, 2)
	if got := b.take(); len(got) != 0 {
		t.Errorf("persistent (no longer recursive) watch heard %v", got)
	}
	m.Trigger("/x", children, 3)
	if got := b.take(); len(got) != 1 {
		t.Errorf("persistent watch heard %v, want the children change", got)
	}
}

// TestRemoveWatcher checks a closed connection loses every watch, and no
// one else loses any.
func TestRemoveWatcher(t *testing.T) {
	m := watch.NewManager()
	gone, stays := newRecorder("gone"), newRecorder("stays")
	for _, w := range []*recorder{gone, stays} {
		m.Add("/d", watch.Data, w)
		m.Add("/c", watch.Child, w)
		m.AddPersistent("/p", w, false)
		m.AddPersistent("/r", w, true)
	}
	m.Add("/only", watch.Data, gone)
	m.RemoveWatcher(gone)
	m.RemoveWatcher(newRecorder("never watched"))
	for _, e := range []struct {
		path string
		ev   proto.EventType
	}{{"/d", changed}, {"/c", children}, {"/p", changed}, {"/p", children}, {"/r/x", created}, {"/only", changed}} {
		m.Trigger(e.path, e.ev, 1)
	}
	if got := gone.take(); len(got) != 0 {
		t.Errorf("removed watcher heard %v", got)
	}
	if got := stays.take(); len(got) != 5 {
		t.Errorf("other watcher heard %v, want 5 events", got)
	}
	ps := m.WatchesOf(gone)
	if len(ps.Data)+len(ps.Child)+len(ps.Persistent)+len(ps.Recursive) != 0 {
		t.Errorf("WatchesOf removed watcher: %+v", ps)
	}
	for _, typ := range []int32{proto.WatcherAny, proto.WatcherData, proto.WatcherPersistentRecursive} {
		if m.Has("/r", gone, typ) || m.Has("/d", gone, typ) {
			t.Errorf("Has type %d after RemoveWatcher", typ)
		}
	}
}

// TestWatchesOf checks the per-watcher listing (wchc and RemoveWatcher):
// persistent watches show in both tables, recursive ones in the data table.
func TestWatchesOf(t *testing.T) {
	m := watch.NewManager()
	w := newRecorder("w")
	m.Add("/z", watch.Data, w)
	m.Add("/b", watch.Data, w)
	m.Add("/c", watch.Child, w)
	m.AddPersistent("/p2", w, false)
	m.AddPersistent("/p1", w, false)
	m.AddPersistent("/r2", w, true)
	m.AddPersistent("/r1", w, true)
	m.Add("/x", watch.Data, newRecorder("other"))
	got := m.WatchesOf(w)
	sort.Strings(got.Persistent)
	sort.Strings(got.Recursive)
	want := watch.Paths{
		Data:       []string{"/b", "/p1", "/p2", "/r1", "/r2", "/z"},
		Child:      []string{"/c", "/p1", "/p2"},
		Persistent: []string{"/p1", "/p2"},
		Recursive:  []string{"/r1", "/r2"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("WatchesOf\n %+v\nwant\n %+v", got, want)
	}
}

// TestStats checks the wchs counts. ZooKeeper's wchs (and wchp, wchc) report
// the data watch table only: DataTree.getWatchesSummary returns
// dataWatches.getWatchesSummary() (DataTree.java:1471 in 3.8.6, unchanged in
// 3.9). Checked on Apache ZooKeeper 3.8.0: a session whose only watch is a
// getChildren watch gets "0 connections watching 0 paths / Total watches:0",
// while mntr's zk_watch_count counts it.
func TestStats(t *testing.T) {
	m := watch.NewManager()
	a, b := newRecorder("a"), newRecorder("b")
	check := func(step string, want watch.Stats) {
		t.Helper()
		if got := m.Stats(); got != want {
			t.Errorf("%s: Stats %+v, want %+v", step, got, want)
		}
	}
	check("empty", watch.Stats{})
	m.Add("/c", watch.Child, a)
	check("child watch only", watch.Stats{})
	m.Add("/d", watch.Data, a)
	m.Add("/d", watch.Data, a)
	check("one data watch", watch.Stats{Watchers: 1, Paths: 1, Watches: 1})
	m.Add("/d", watch.Data, b)
	m.Add("/e", watch.Data, b)
	check("two watchers", watch.Stats{Watchers: 2, Paths: 2, Watches: 3})
	m.AddPersistent("/p", a, false)
	m.AddPersistent("/r", b, true)
	check("persistent watches", watch.Stats{Watchers: 2, Paths: 4, Watches: 5})
	m.Trigger("/d", changed, 1)
	check("after firing /d", watch.Stats{Watchers: 2, Paths: 3, Watches: 3})
	m.RemoveWatcher(a)
	check("after a left", watch.Stats{Watchers: 1, Paths: 2, Watches: 2})

	// wchp lists the data table's paths, each with its watchers.
	m.Add("/c2", watch.Child, b)
	got := map[string]int{}
	m.ByPath(func(p string, ws []watch.Watcher) { got[p] = len(ws) })
	if want := map[string]int{"/e": 1, "/r": 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("ByPath %v, want %v", got, want)
	}
}

// TestByPathOrder checks wchp's listing is sorted and has each watcher once.
func TestByPathOrder(t *testing.T) {
	m := watch.NewManager()
	a, b := newRecorder("a"), newRecorder("b")
	for _, p := range []string{"/z", "/a", "/m"} {
		m.Add(p, watch.Data, a)
		m.Add(p, watch.Data, b)
	}
	m.AddPersistent("/m", a, false)
	var paths []string
	m.ByPath(func(p string, ws []watch.Watcher) {
		paths = append(paths, p)
		if len(ws) != 2 {
			t.Errorf("%s: %d watchers, want 2", p, len(ws))
		}
	})
	if !reflect.DeepEqual(paths, []string{"/a", "/m", "/z"}) {
		t.Errorf("ByPath order %v", paths)
	}
}

// reentrant re-arms its watch from inside Notify, as a server's watcher
// might when it hands the event on synchronously.
type reentrant struct {
	m     *watch.Manager
	count int
}

func (r *reentrant) Notify(path string, ev proto.EventType, zxid int64) {
	r.count++
	r.m.Add(path, watch.Data, r)
	r.m.Stats()
}

// TestNotifyOutsideLock checks Notify may call back into the manager.
func TestNotifyOutsideLock(t *testing.T) {
	m := watch.NewManager()
	r := &reentrant{m: m}
	m.Add("/a", watch.Data, r)
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.Trigger("/a", changed, 1)
		m.Trigger("/a", changed, 2)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Trigger deadlocked with a Notify that calls the manager")
	}
	if r.count != 2 {
		t.Errorf("notified %d times, want 2 (the watch was re-armed)", r.count)
	}
}

// TestConcurrentUse hammers the manager from several goroutines; with -race
// it checks the locking, and at the end every watch is accounted for.
func TestConcurrentUse(t *testing.T) {
	m := watch.NewManager()
	const workers, rounds = 8, 300
	var wg sync.WaitGroup
	recs := make([]*recorder, workers)
	for i := range recs {
		recs[i] = newRecorder(fmt.Sprint("w", i))
	}
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			w := recs[i]
			for r := 0; r < rounds; r++ {
				p := fmt.Sprintf("/n%d", r%7)
				switch r % 6 {
				case 0:
					m.Add(p, watch.Data, w)
				case 1:
					m.Add(p, watch.Child, w)
				case 2:
					m.AddPersistent(p, w, r%4 == 0)
				case 3:
					m.Trigger(p+"/x", created, int64(r))
				case 4:
					m.Remove(p, w, proto.WatcherAny)
				case 5:
					m.Has(p, w, proto.WatcherAny)
					m.Stats()
					m.WatchesOf(w)
					m.ByPath(func(string, []watch.Watcher) {})
				}
			}
		}(i)
	}
	wg.Wait()
	for _, w := range recs {
		m.RemoveWatcher(w)
	}
	if st := m.Stats(); st != (watch.Stats{}) {
		t.Errorf("Stats after every watcher left: %+v", st)
	}
	m.AddPersistent("/", recs[0], true)
	if n := m.Trigger("/q", created, 1); n != 1 {
		t.Errorf("Trigger after churn = %d, want 1", n)
	}
}
