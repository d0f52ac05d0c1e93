package lincheck

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// Builders of hand-made operations: process, path, then what the op did,
// then its call and return times.

func create(p int, path, value string, o Outcome, call, ret int64) Op {
	return Op{Process: p, Kind: KindCreate, Path: path, Value: value, Outcome: o, Call: call, Return: ret}
}

func set(p int, path, value string, expected int32, o Outcome, version int32, call, ret int64) Op {
	return Op{Process: p, Kind: KindSet, Path: path, Value: value, Expected: expected,
		Outcome: o, Version: version, Call: call, Return: ret}
}

func read(p int, path string, o Outcome, value string, version int32, call, ret int64) Op {
	return Op{Process: p, Kind: KindRead, Path: path, Outcome: o, ReadValue: value, Version: version,
		Call: call, Return: ret}
}

// setup is "/a" created with "init" (version 0) before anything else.
func withSetup(ops ...Op) []Op {
	return append([]Op{create(0, "/a", "init", OK, 0, 1)}, ops...)
}

type historyCase struct {
	name string
	ops  []Op
	want porcupine.CheckResult
}

// historyCases are hand-made histories and whether they are linearizable.
func historyCases() []historyCase {
	return []historyCase{
		// Linearizable.
		{"empty", nil, porcupine.Ok},
		{"sequential set then read", withSetup(
			set(1, "/a", "x", 0, OK, 1, 2, 3),
			read(2, "/a", OK, "x", 1, 4, 5),
		), porcupine.Ok},
		{"read before create sees nonode", []Op{
			read(1, "/a", NoNode, "", 0, 0, 1),
			create(0, "/a", "init", OK, 2, 3),
			read(1, "/a", OK, "init", 0, 4, 5),
		}, porcupine.Ok},
		{"concurrent read sees old value", withSetup(
			set(1, "/a", "x", 0, OK, 1, 2, 10),
			read(2, "/a", OK, "init", 0, 3, 4),
		), porcupine.Ok},
		{"concurrent read sees new value", withSetup(
			set(1, "/a", "x", 0, OK, 1, 2, 10),
			read(2, "/a", OK, "x", 1, 3, 4),
		), porcupine.Ok},
		{"concurrent sets from one version: one wins, one badversion", withSetup(
			set(1, "/a", "x", 0, OK, 1, 2, 6),
			set(2, "/a", "y", 0, BadVersion, 0, 3, 5),
			read(3, "/a", OK, "x", 1, 7, 8),
		), porcupine.Ok},
		{"stale version gets badversion", withSetup(
			set(1, "/a", "x", 0, OK, 1, 2, 3),
			set(2, "/a", "y", 0, BadVersion, 0, 4, 5),
		), porcupine.Ok},
		{"unconditional sets chain versions", withSetup(
			set(1, "/a", "x", -1, OK, 1, 2, 3),
			set(2, "/a", "y", -1, OK, 2, 4, 5),
			read(3, "/a", OK, "y", 2, 6, 7),
		), porcupine.Ok},
		{"set on absent node is nonode", []Op{
			set(1, "/a", "x", -1, NoNode, 0, 0, 1),
			create(0, "/a", "init", OK, 2, 3),
		}, porcupine.Ok},
		{"unknown set that took effect", withSetup(
			set(1, "/a", "x", 0, Unknown, 0, 2, 3),
			read(2, "/a", OK, "x", 1, 4, 5),
		), porcupine.Ok},
		{"unknown set that did not take effect", withSetup(
			set(1, "/a", "x", 0, Unknown, 0, 2, 3),
			read(2, "/a", OK, "init", 0, 4, 5),
			set(2, "/a", "y", 0, OK, 1, 6, 7),
			read(2, "/a", OK, "y", 1, 8, 9),
		), porcupine.Ok},
		{"unknown set taking effect long after its call", withSetup(
			set(1, "/a", "x", -1, Unknown, 0, 2, 3),
			set(2, "/a", "y", -1, OK, 1, 4, 5),
			read(3, "/a", OK, "y", 1, 6, 7),
			read(3, "/a", OK, "x", 2, 8, 9),
		), porcupine.Ok},
		{"unknown create then nodeexists", []Op{
			create(0, "/a", "init", Unknown, 0, 1),
			create(1, "/a", "init2", NodeExists, 2, 3),
			read(1, "/a", OK, "init", 0, 4, 5),
		}, porcupine.Ok},
		{"keys are independent", []Op{
			create(0, "/a", "a0", OK, 0, 1),
			create(0, "/b", "b0", OK, 0, 1),
			set(1, "/a", "a1", 0, OK, 1, 2, 3),
			set(1, "/b", "b1", 0, OK, 1, 4, 5),
			read(2, "/b", OK, "b1", 1, 6, 7),
			read(2, "/a", OK, "a1", 1, 6, 7),
		}, porcupine.Ok},

		// Not linearizable.
		{"stale read after a completed write", withSetup(
			set(1, "/a", "x", 0, OK, 1, 2, 3),
			read(2, "/a", OK, "init", 0, 4, 5),
		), porcupine.Illegal},
		{"two successful sets from the same version", withSetup(
			set(1, "/a", "x", 0, OK, 1, 2, 3),
			set(2, "/a", "y", 0, OK, 1, 4, 5),
		), porcupine.Illegal},
		{"two concurrent successful sets from the same version", withSetup(
			set(1, "/a", "x", 0, OK, 1, 2, 5),
			set(2, "/a", "y", 0, OK, 1, 3, 4),
		), porcupine.Illegal},
		{"read of a value never written", withSetup(
			read(1, "/a", OK, "ghost", 0, 2, 3),
		), porcupine.Illegal},
		{"lost acknowledged write", withSetup(
			set(1, "/a", "x", 0, OK, 1, 2, 3),
			set(1, "/a", "y", 1, OK, 2, 4, 5),
			read(2, "/a", OK, "x", 1, 6, 7),
		), porcupine.Illegal},
		{"badversion although the version matched", withSetup(
			set(1, "/a", "x", 0, BadVersion, 0, 2, 3),
		), porcupine.Illegal},
		{"set returns a wrong new version", withSetup(
			set(1, "/a", "x", 0, OK, 5, 2, 3),
		), porcupine.Illegal},
		{"read with the right value and a wrong version", withSetup(
			set(1, "/a", "x", -1, OK, 1, 2, 3),
			read(2, "/a", OK, "x", 7, 4, 5),
		), porcupine.Illegal},
		{"read of a value before its write was called", withSetup(
			read(1, "/a", OK, "x", 1, 2, 3),
			set(2, "/a", "x", 0, Unknown, 0, 4, 5),
		), porcupine.Illegal},
		{"unknown write seen, then unseen again", withSetup(
			set(1, "/a", "x", 0, Unknown, 0, 2, 3),
			read(2, "/a", OK, "x", 1, 4, 5),
			read(2, "/a", OK, "init", 0, 6, 7),
		), porcupine.Illegal},
		{"unknown set with a stale version cannot apply", withSetup(
			set(1, "/a", "x", -1, OK, 1, 2, 3),
			set(2, "/a", "y", 0, Unknown, 0, 4, 5),
			read(3, "/a", OK, "y", 2, 6, 7),
		), porcupine.Illegal},
		{"nonode after create", withSetup(
			read(1, "/a", NoNode, "", 0, 2, 3),
		), porcupine.Illegal},
		{"nodeexists on an absent node", []Op{
			create(1, "/a", "x", NodeExists, 0, 1),
		}, porcupine.Illegal},
		{"second create succeeds", withSetup(
			create(1, "/a", "again", OK, 2, 3),
		), porcupine.Illegal},
		{"set ok on an absent node", []Op{
			set(1, "/a", "x", -1, OK, 1, 0, 1),
		}, porcupine.Illegal},
		{"violation on one key among good ones", []Op{
			create(0, "/a", "a0", OK, 0, 1),
			create(0, "/b", "b0", OK, 0, 1),
			set(1, "/a", "a1", 0, OK, 1, 2, 3),
			set(1, "/b", "b1", 0, OK, 1, 2, 3),
			read(2, "/a", OK, "a1", 1, 4, 5),
			read(2, "/b", OK, "b0", 0, 4, 5),
		}, porcupine.Illegal},
	}
}

// TestModelHistories checks the hand-made histories with the model and
// with the reference model.
func TestModelHistories(t *testing.T) {
	for _, tc := range historyCases() {
		t.Run(tc.name, func(t *testing.T) {
			h := History{Ops: tc.ops}
			if err := h.Validate(); err != nil {
				t.Fatalf("invalid test history: %v", err)
			}
			if got, _ := Check(h, 10*time.Second); got != tc.want {
				t.Errorf("Check = %s, want %s; history:\n%s", got, tc.want, dump(h))
			}
			if got := refCheck(h, 10*time.Second); got != tc.want {
				t.Errorf("reference model: %s, want %s", got, tc.want)
			}
		})
	}
}

func dump(h History) string {
	var b strings.Builder
	for _, op := range h.Ops {
		b.WriteString(op.String() + "\n")
	}
	return b.String()
}

// TestStep pins single steps of the lazy model.
func TestStep(t *testing.T) {
	v3 := znode{exists: true, value: "old", version: 3}
	setIn := func(value string, expected int32) input {
		return input{kind: KindSet, path: "/a", value: value, expected: expected}
	}
	any1 := pending{value: "p1", expected: -1}
	at3 := pending{value: "p3", expected: 3}
	at9 := pending{value: "p9", expected: 9}
	with := func(z znode, ps ...pending) znode { z.pending = ps; return z }
	tests := []struct {
		name string
		z    znode
		in   input
		out  output
		want []znode
	}{
		{"set ok matching", v3, setIn("new", 3), output{outcome: OK, version: 4},
			[]znode{{exists: true, value: "new", version: 4}}},
		{"set ok any", v3, setIn("new", -1), output{outcome: OK, version: 4},
			[]znode{{exists: true, value: "new", version: 4}}},
		{"set ok mismatched", v3, setIn("new", 2), output{outcome: OK, version: 4}, nil},
		{"set ok wrong version", v3, setIn("new", 3), output{outcome: OK, version: 5}, nil},
		{"set badversion mismatched", v3, setIn("new", 2), output{outcome: BadVersion}, []znode{v3}},
		{"set badversion matching", v3, setIn("new", 3), output{outcome: BadVersion}, nil},
		{"set badversion any", with(v3, any1), setIn("new", -1), output{outcome: BadVersion}, nil},
		{"set nonode absent", znode{}, setIn("new", -1), output{outcome: NoNode}, []znode{{}}},
		{"set nonode present", v3, setIn("new", -1), output{outcome: NoNode}, nil},
		{"unknown set registers", v3, setIn("p1", -1), output{outcome: Unknown}, []znode{with(v3, any1)}},
		{"unknown set kept sorted", with(v3, at9), setIn("p3", 3), output{outcome: Unknown},
			[]znode{with(v3, at3, at9)}},
		{"unknown set with a passed version is dropped", v3, setIn("p", 2), output{outcome: Unknown}, []znode{v3}},
		{"unknown create on present is dropped", v3, input{kind: KindCreate, value: "c"}, output{outcome: Unknown},
			[]znode{v3}},
		{"read current keeps pending", with(v3, any1), input{kind: KindRead}, output{outcome: OK, value: "old", version: 3},
			[]znode{with(v3, any1)}},
		{"read of a pending write applies it", with(v3, any1, at9), input{kind: KindRead},
			output{outcome: OK, value: "p1", version: 4},
			[]znode{{exists: true, value: "p1", version: 4, pending: []pending{at9}}}},
		{"read of a pending write with the wrong version", with(v3, any1), input{kind: KindRead},
			output{outcome: OK, value: "p1", version: 5}, nil},
		{"read of a pending write after another unseen one", with(v3, any1, at3), input{kind: KindRead},
			output{outcome: OK, value: "p1", version: 5},
			[]znode{{exists: true, value: "p1", version: 5}}},
		{"read of a conditional pending write whose version passed", with(v3, any1, at3), input{kind: KindRead},
			output{outcome: OK, value: "p3", version: 5}, nil},
		{"set ok after an unseen pending write", with(v3, any1), setIn("new", 4), output{outcome: OK, version: 5},
			[]znode{{exists: true, value: "new", version: 5}}},
		{"set ok drops passed conditional writes", with(v3, at3, at9), setIn("new", 3), output{outcome: OK, version: 4},
			[]znode{{exists: true, value: "new", version: 4, pending: []pending{at9}}}},
		{"badversion explained by one pending write", with(v3, any1, at3), setIn("new", 3), output{outcome: BadVersion},
			[]znode{{exists: true, value: "p1", version: 4}, {exists: true, value: "p3", version: 4, pending: []pending{any1}}}},
		{"read nonode on present", with(v3, any1), input{kind: KindRead}, output{outcome: NoNode}, nil},
		{"nodeexists by a pending create", with(znode{}, pending{create: true, value: "c"}, any1),
			input{kind: KindCreate, value: "d"}, output{outcome: NodeExists},
			[]znode{{exists: true, value: "c", pending: []pending{any1}}}},
		{"create ok drops pending creates", with(znode{}, pending{create: true, value: "c"}),
			input{kind: KindCreate, value: "d"}, output{outcome: OK}, []znode{{exists: true, value: "d"}}},
		{"unknown kind", v3, input{kind: 0}, output{outcome: OK}, nil},
	}
	for _, tc := range tests {
		got := step(tc.z, tc.in, tc.out)
		if !slices.EqualFunc(got, tc.want, znode.equal) {
			t.Errorf("%s: step = %+v; want %+v", tc.name, got, tc.want)
		}
	}
}

func TestOperationsUnknownIsPoint(t *testing.T) {
	h := History{Ops: withSetup(
		set(1, "/a", "x", 0, Unknown, 0, 2, 3),
		read(2, "/a", OK, "init", 0, 40, 50),
	)}
	ops := Operations(h)
	if ops[1].Return != 2 {
		t.Errorf("unknown op returns at %d, want at its call 2", ops[1].Return)
	}
	if ops[2].Return != 50 || ops[0].Return != 1 {
		t.Errorf("definite ops' returns changed: %d, %d", ops[0].Return, ops[2].Return)
	}
}

func TestPartitionByPath(t *testing.T) {
	h := History{Ops: []Op{
		create(0, "/b", "b0", OK, 0, 1),
		create(0, "/a", "a0", OK, 0, 1),
		read(1, "/b", OK, "b0", 0, 2, 3),
	}}
	parts := partitionByPath(Operations(h))
	if len(parts) != 2 || len(parts[0]) != 2 || len(parts[1]) != 1 {
		t.Fatalf("partitions: %v", parts)
	}
	for _, op := range parts[0] {
		if p := op.Input.(input).path; p != "/b" {
			t.Errorf("partition 0 holds %s", p)
		}
	}
}

func TestValidate(t *testing.T) {
	bad := map[string][]Op{
		"duplicate value":    withSetup(set(1, "/a", "init", -1, OK, 1, 2, 3)),
		"return before call": withSetup(read(1, "/a", OK, "init", 0, 5, 4)),
		"read unknown":       withSetup(read(1, "/a", Unknown, "", 0, 2, 3)),
		"set nodeexists":     withSetup(set(1, "/a", "x", -1, NodeExists, 0, 2, 3)),
		"no kind":            {{Outcome: OK}},
	}
	for name, ops := range bad {
		if err := (History{Ops: ops}).Validate(); err == nil {
			t.Errorf("%s: Validate = nil", name)
		}
	}
	good := History{Ops: withSetup(set(1, "/a", "x", 0, Unknown, 0, 9, 2))} // unknown: return may be anything
	if err := good.Validate(); err != nil {
		t.Errorf("Validate = %v", err)
	}
}

func TestSummary(t *testing.T) {
	h := History{DroppedReads: 2, Ops: withSetup(
		set(1, "/a", "x", 0, Unknown, 0, 2, 3),
		set(2, "/a", "y", 0, BadVersion, 0, 2, 3),
		set(2, "/a", "z", 0, BadVersion, 0, 4, 5),
		read(3, "/a", OK, "init", 0, 2, 3),
	)}
	s := h.Summary()
	if s.Ops != 5 || s.Processes != 4 || s.Count(KindSet, BadVersion) != 2 || s.Count(KindSet, Unknown) != 1 ||
		s.Count(KindRead, OK) != 1 || s.Count(KindRead, NoNode) != 0 {
		t.Errorf("summary %+v", s)
	}
	want := "5 ops, 4 processes: create ok=1; set badversion=2 unknown=1; read ok=1; 2 failed reads dropped"
	if got := s.String(); got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}

// TestVisualizeAndJSON writes the artifacts of an illegal history and reads
// the history back.
func TestVisualizeAndJSON(t *testing.T) {
	h := History{
		Ops: withSetup(
			set(1, "/a", "x", 0, OK, 1, 2, 3),
			read(2, "/a", OK, "init", 0, 4, 5),
			set(3, "/a", "q", 0, Unknown, 0, 4, 5),
		),
		Notes: []Note{{At: 3, Text: "SIGKILL"}},
	}
	res, info := Check(h, 10*time.Second)
	if res != porcupine.Illegal {
		t.Fatalf("Check = %s", res)
	}
	dir := t.TempDir()
	html := filepath.Join(dir, "v.html")
	if err := Visualize(h, info, html); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(html)
	if err != nil || !strings.Contains(string(b), "<html") || !strings.Contains(string(b), "SIGKILL") {
		t.Errorf("visualization: %v, %d bytes", err, len(b))
	}
	js := filepath.Join(dir, "h.json")
	if err := h.WriteJSON(js); err != nil {
		t.Fatal(err)
	}
	back, err := ReadHistory(js)
	if err != nil {
		t.Fatal(err)
	}
	if dump(back) != dump(h) || len(back.Notes) != 1 {
		t.Errorf("read back:\n%s\nwant:\n%s", dump(back), dump(h))
	}
	if b, _ := os.ReadFile(js); !strings.Contains(string(b), `"Outcome": "unknown"`) {
		t.Errorf("JSON does not name outcomes:\n%s", b)
	}
}
