package ensemble

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestCheckersCatch runs the checks of the suite on made-up records and
// trees (no servers): each fault planted must be reported, and a correct
// record must pass.
func TestCheckersCatch(t *testing.T) {
	at := time.Now()
	newLoad := func() *load {
		l := &load{t: t, stopCh: make(chan struct{}), paths: map[string]*pathRec{},
			seq: map[string]string{}, seqTried: map[string]bool{}, counts: map[string]int{}}
		// w1-1: created (acked), set to w1-2 (acked), set to w1-3 (unknown).
		l.paths[loadRoot+"/w1-1"] = &pathRec{vals: []string{"w1-1", "w1-2", "w1-3"}}
		l.record("create", loadRoot+"/w1-1", "w1-1", "h", at, at, nil)
		l.record("set", loadRoot+"/w1-1", "w1-2", "h", at, at, nil)
		l.record("set", loadRoot+"/w1-1", "w1-3", "h", at, at, errTimeout)
		// w1-4: create unknown.
		l.paths[loadRoot+"/w1-4"] = &pathRec{vals: []string{"w1-4"}, lastAck: -1}
		l.record("create", loadRoot+"/w1-4", "w1-4", "h", at, at, errTimeout)
		// Sequential: s-0000000001 acked to w1-5; w1-6 unknown.
		l.seqTried["w1-5"], l.seqTried["w1-6"] = true, true
		l.record("seq", seqRoot+"/s-0000000001", "w1-5", "h", at, at, nil)
		l.record("seq", seqRoot+"/s-", "w1-6", "h", at, at, errors.New("connection closed"))
		return l
	}
	good := func() tree {
		return tree{
			"/":                       {NumChildren: 2},
			loadRoot:                  {NumChildren: 1},
			loadRoot + "/w1-1":        {Data: "w1-3", Version: 2},
			seqRoot:                   {NumChildren: 2},
			seqRoot + "/s-0000000001": {Data: "w1-5"},
			seqRoot + "/s-0000000002": {Data: "w1-6"}, // the unknown one took effect
		}
	}
	if p := newLoad().problems(map[int]tree{1: good(), 2: good()}); len(p) != 0 {
		t.Errorf("a correct record: %v", p)
	}
	if d := diffTrees(good(), good(), "a", "b", 10); len(d) != 0 {
		t.Errorf("identical trees differ: %v", d)
	}

	for _, tc := range []struct {
		name  string
		plant func(l *load, tr tree)
		want  string
	}{
		{"acknowledged create missing", func(l *load, tr tree) { delete(tr, loadRoot+"/w1-1") }, "acknowledged (value w1-2) but missing"},
		{"older than the last ack", func(l *load, tr tree) { tr[loadRoot+"/w1-1"] = znode{Data: "w1-1"} }, `holds "w1-1"; last acknowledged "w1-2"`},
		{"never written", func(l *load, tr tree) { tr[loadRoot+"/w1-4"] = znode{Data: "zz"} }, "never written"},
		{"phantom", func(l *load, tr tree) { tr[loadRoot+"/w9-9"] = znode{} }, "never created it"},
		{"sequential missing", func(l *load, tr tree) { delete(tr, seqRoot+"/s-0000000001") }, "acknowledged sequential name missing"},
		{"create applied twice", func(l *load, tr tree) { tr[seqRoot+"/s-0000000003"] = znode{Data: "w1-6"} }, "one create applied twice"},
		{"sequential of another value", func(l *load, tr tree) { tr[seqRoot+"/s-0000000001"] = znode{Data: "w1-6"} }, `acknowledged to the create of "w1-5"`},
		{"name returned twice", func(l *load, tr tree) {
			l.seqTried["w1-7"] = true
			l.record("seq", seqRoot+"/s-0000000001", "w1-7", "h", at, at, nil)
		}, "returned twice"},
	} {
		l, bad := newLoad(), good()
		tc.plant(l, bad)
		p := strings.Join(l.problems(map[int]tree{1: good(), 2: bad}), "\n")
		if !strings.Contains(p, tc.want) {
			t.Errorf("%s: problems %q, want one with %q", tc.name, p, tc.want)
		}
		if tc.name != "name returned twice" && !strings.Contains(p, "member 2:") {
			t.Errorf("%s: not reported on member 2: %q", tc.name, p)
		}
	}

	a, b := good(), good()
	n := b[loadRoot+"/w1-1"]
	n.Mzxid++
	b[loadRoot+"/w1-1"] = n
	delete(b, seqRoot+"/s-0000000002")
	d := strings.Join(diffTrees(a, b, "member 1", "member 2", 10), "\n")
	if !strings.Contains(d, loadRoot+"/w1-1:") || !strings.Contains(d, "only on member 1") {
		t.Errorf("diffTrees missed a difference:\n%s", d)
	}
}
