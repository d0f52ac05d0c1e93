package lincheck

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// History is what a recording produced.
type History struct {
	Ops          []Op   // sorted by Call
	Notes        []Note `json:",omitempty"` // events of the test (faults), on the same clock
	DroppedReads int    // reads that failed: not in Ops, they had no effect
	Prefix       string `json:",omitempty"` // the parent znode of the keys
	Seed         uint64 `json:",omitempty"` // the workload's random seed
	// Start is the wall-clock time of the recorder's clock zero.
	Start time.Time `json:",omitzero"`
}

// Note is an event of the test (a fault injected, a member restarted) at a
// time of the recorder's clock.
type Note struct {
	At   int64
	Text string
}

// Summary counts the operations of a history by kind and outcome.
type Summary struct {
	Ops          int
	Processes    int
	DroppedReads int
	counts       map[Kind]map[Outcome]int
}

// Count returns the number of operations of kind k that ended with o.
func (s Summary) Count(k Kind, o Outcome) int { return s.counts[k][o] }

// String is a one-line summary for a test log, e.g.
// "812 ops, 9 processes: create ok=2; set ok=120 badversion=300 unknown=4; read ok=386; 3 failed reads dropped".
func (s Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d ops, %d processes", s.Ops, s.Processes)
	sep := ": "
	for _, k := range []Kind{KindCreate, KindSet, KindRead} {
		if len(s.counts[k]) == 0 {
			continue
		}
		b.WriteString(sep + k.String())
		sep = "; "
		for _, o := range []Outcome{OK, BadVersion, NoNode, NodeExists, Unknown} {
			if n := s.counts[k][o]; n > 0 {
				fmt.Fprintf(&b, " %s=%d", o, n)
			}
		}
	}
	fmt.Fprintf(&b, "; %d failed reads dropped", s.DroppedReads)
	return b.String()
}

// Summary counts h's operations.
func (h History) Summary() Summary {
	s := Summary{Ops: len(h.Ops), DroppedReads: h.DroppedReads, counts: map[Kind]map[Outcome]int{}}
	procs := map[int]bool{}
	for _, op := range h.Ops {
		if s.counts[op.Kind] == nil {
			s.counts[op.Kind] = map[Outcome]int{}
		}
		s.counts[op.Kind][op.Outcome]++
		procs[op.Process] = true
	}
	s.Processes = len(procs)
	return s
}

// Validate reports a history the model cannot judge: a kind or outcome out
// of place, a return before its call, or a value written twice (reads name
// the write they saw by its value).
func (h History) Validate() error {
	written := map[string]int{}
	for i, op := range h.Ops {
		var okOutcomes []Outcome
		switch op.Kind {
		case KindCreate:
			okOutcomes = []Outcome{OK, NodeExists, Unknown}
		case KindSet:
			okOutcomes = []Outcome{OK, BadVersion, NoNode, Unknown}
		case KindRead:
			okOutcomes = []Outcome{OK, NoNode}
		default:
			return fmt.Errorf("op %d: kind %v", i, op.Kind)
		}
		found := false
		for _, o := range okOutcomes {
			found = found || o == op.Outcome
		}
		if !found {
			return fmt.Errorf("op %d: %v cannot end with %v", i, op.Kind, op.Outcome)
		}
		if op.Outcome != Unknown && op.Return < op.Call {
			return fmt.Errorf("op %d: returns (%d) before its call (%d)", i, op.Return, op.Call)
		}
		if op.Kind == KindCreate || op.Kind == KindSet {
			if j, dup := written[op.Value]; dup {
				return fmt.Errorf("ops %d and %d both write %q", j, i, op.Value)
			}
			written[op.Value] = i
		}
	}
	return nil
}

// Check checks h for linearizability. A timeout of 0 means none; when the
// timeout expires first the result is porcupine.Unknown. The info is for
// [Visualize].
func Check(h History, timeout time.Duration) (porcupine.CheckResult, porcupine.LinearizationInfo) {
	return porcupine.CheckOperationsVerbose(Model(), Operations(h), timeout)
}

// Visualize writes porcupine's HTML visualization of a checked history to
// path, with h's notes as annotations (tag "test").
func Visualize(h History, info porcupine.LinearizationInfo, path string) error {
	var ann []porcupine.Annotation
	for _, n := range h.Notes {
		ann = append(ann, porcupine.Annotation{
			Tag:             "test",
			Start:           n.At,
			Description:     n.Text,
			Details:         fmt.Sprintf("%s at %.3fs", n.Text, float64(n.At)/1e9),
			BackgroundColor: "#ffd6a5",
		})
	}
	info.AddAnnotations(ann)
	return porcupine.VisualizePath(Model(), info, path)
}

// WriteJSON writes h as JSON to path (see [ReadHistory]).
func (h History) WriteJSON(path string) error {
	b, err := json.MarshalIndent(h, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// ReadHistory reads a history written by [History.WriteJSON].
func ReadHistory(path string) (History, error) {
	var h History
	b, err := os.ReadFile(path)
	if err != nil {
		return h, err
	}
	err = json.Unmarshal(b, &h)
	return h, err
}

// Require checks h in a test: it logs the summary and the check's result,
// and fails the test if h is not linearizable or the check timed out. Then,
// or always when $LINCHECK_DIR is set, it writes the visualization
// (<name>.html) and the history (<name>.json) to $LINCHECK_DIR or a new
// temporary directory that outlives the test, and logs their paths.
func Require(t testing.TB, h History, timeout time.Duration) porcupine.CheckResult {
	t.Helper()
	if err := h.Validate(); err != nil {
		t.Errorf("lincheck: invalid history: %v", err)
		return porcupine.Illegal
	}
	begin := time.Now()
	res, info := Check(h, timeout)
	t.Logf("lincheck: %s in %v: %s", res, time.Since(begin).Round(time.Millisecond), h.Summary())
	dir := os.Getenv("LINCHECK_DIR")
	if res == porcupine.Ok && dir == "" {
		return res
	}
	base, err := artifactBase(dir, t.Name())
	if err != nil {
		t.Errorf("lincheck: %v", err)
	} else {
		if err := Visualize(h, info, base+".html"); err != nil {
			t.Errorf("lincheck: write visualization: %v", err)
		}
		if err := h.WriteJSON(base + ".json"); err != nil {
			t.Errorf("lincheck: write history: %v", err)
		}
	}
	switch res {
	case porcupine.Illegal:
		t.Errorf("lincheck: history is NOT linearizable; visualization %s.html, history %s.json", base, base)
	case porcupine.Unknown:
		t.Errorf("lincheck: check timed out after %v (history too large?); visualization %s.html, history %s.json", timeout, base, base)
	default:
		t.Logf("lincheck: visualization %s.html, history %s.json", base, base)
	}
	return res
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// artifactBase returns dir/<test name> (without extension), creating a
// temporary directory when dir is "".
func artifactBase(dir, name string) (string, error) {
	if dir == "" {
		d, err := os.MkdirTemp("", "lincheck-")
		if err != nil {
			return "", err
		}
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return filepath.Join(dir, unsafeName.ReplaceAllString(name, "_")), nil
}
