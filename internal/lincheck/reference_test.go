package lincheck

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
)

// The reference model: the textbook treatment of indeterminate operations.
// An Unknown write gets a return time after every other event and, when
// linearized, takes effect if its precondition holds, else does nothing
// (linearized last, "nothing" stands for "never happened"). Obviously right,
// but porcupine then tries every subset of the pending unconditional writes
// before every later operation. The lazy Model must agree with it.

type refState struct {
	exists  bool
	value   string
	version int32
}

func refStep(s refState, in input, out output) (bool, refState) {
	switch in.kind {
	case KindCreate:
		created := refState{exists: true, value: in.value}
		switch out.outcome {
		case OK:
			return !s.exists, created
		case NodeExists:
			return s.exists, s
		case Unknown:
			if s.exists {
				return true, s
			}
			return true, created
		}
	case KindSet:
		matches := s.exists && (in.expected == -1 || in.expected == s.version)
		applied := refState{exists: true, value: in.value, version: s.version + 1}
		switch out.outcome {
		case OK:
			return matches && out.version == s.version+1, applied
		case BadVersion:
			return s.exists && !matches, s
		case NoNode:
			return !s.exists, s
		case Unknown:
			if matches {
				return true, applied
			}
			return true, s
		}
	case KindRead:
		switch out.outcome {
		case OK:
			return s.exists && s.value == out.value && s.version == out.version, s
		case NoNode:
			return !s.exists, s
		case Unknown:
			return true, s
		}
	}
	return false, s
}

func refModel() porcupine.Model {
	return porcupine.Model{
		Partition: partitionByPath,
		Init:      func() interface{} { return refState{} },
		Step: func(s, in, out interface{}) (bool, interface{}) {
			return refStep(s.(refState), in.(input), out.(output))
		},
	}
}

func refOperations(h History) []porcupine.Operation {
	var end int64
	for _, op := range h.Ops {
		end = max(end, op.Call, op.Return)
	}
	ops := Operations(h)
	for i, op := range h.Ops {
		if op.Outcome == Unknown {
			ops[i].Return = end + 1
		}
	}
	return ops
}

func refCheck(h History, timeout time.Duration) porcupine.CheckResult {
	return porcupine.CheckOperationsTimeout(refModel(), refOperations(h), timeout)
}

func check(h History) porcupine.CheckResult {
	res, _ := Check(h, 0)
	return res
}

// genHistory simulates a linearizable execution on one or two znodes: every
// op has a random interval and takes effect at a random point in it (an
// Unknown write: anywhere after its call, or never). With mutate, one
// definite answer is then changed, which usually makes it non-linearizable.
func genHistory(rng *rand.Rand, mutate bool) History {
	type event struct {
		at int64
		i  int
	}
	paths := []string{"/a", "/b"}[:1+rng.IntN(2)]
	var ops []Op
	var points []event
	n := 4 + rng.IntN(8)
	for i := 0; i < n; i++ {
		call := int64(rng.IntN(40))
		ret := call + int64(rng.IntN(15))
		op := Op{Process: i, Path: paths[rng.IntN(len(paths))], Call: call, Return: ret}
		switch r := rng.IntN(10); {
		case r < 2:
			op.Kind = KindCreate
		case r < 6:
			op.Kind = KindSet
			op.Expected = int32(rng.IntN(4)) - 1
		default:
			op.Kind = KindRead
		}
		if op.Kind != KindRead {
			op.Value = fmt.Sprintf("v%d", i)
		}
		at := call + int64(rng.IntN(int(ret-call)+1))
		if op.Kind != KindRead && rng.IntN(4) == 0 {
			op.Outcome = Unknown
			at = call + int64(rng.IntN(80)) // may be after everything: never
		}
		ops = append(ops, op)
		points = append(points, event{at, i})
	}
	// Apply in order of the points, computing the answers.
	for i := 0; i < len(points); i++ {
		for j := i + 1; j < len(points); j++ {
			if points[j].at < points[i].at {
				points[i], points[j] = points[j], points[i]
			}
		}
	}
	st := map[string]refState{}
	for _, p := range points {
		op := &ops[p.i]
		s := st[op.Path]
		switch op.Kind {
		case KindCreate:
			if s.exists {
				setOutcome(op, NodeExists)
			} else {
				setOutcome(op, OK)
				s = refState{exists: true, value: op.Value}
			}
		case KindSet:
			switch {
			case !s.exists:
				setOutcome(op, NoNode)
			case op.Expected != -1 && op.Expected != s.version:
				setOutcome(op, BadVersion)
			default:
				s = refState{exists: true, value: op.Value, version: s.version + 1}
				setOutcome(op, OK)
				if op.Outcome == OK {
					op.Version = s.version
				}
			}
		case KindRead:
			if s.exists {
				op.Outcome, op.ReadValue, op.Version = OK, s.value, s.version
			} else {
				op.Outcome = NoNode
			}
		}
		st[op.Path] = s
	}
	if mutate {
		i := rng.IntN(len(ops))
		op := &ops[i]
		switch {
		case op.Outcome == OK && (op.Kind == KindRead || op.Kind == KindSet) && rng.IntN(2) == 0:
			op.Version += int32(rng.IntN(3)) - 1
		case op.Kind == KindRead && op.Outcome == OK:
			op.ReadValue = fmt.Sprintf("v%d", rng.IntN(n))
		case op.Kind == KindRead:
			op.Outcome, op.ReadValue, op.Version = OK, fmt.Sprintf("v%d", rng.IntN(n)), int32(rng.IntN(3))
		case op.Kind == KindSet && op.Outcome != Unknown:
			op.Outcome = []Outcome{OK, BadVersion, NoNode}[rng.IntN(3)]
			op.Version = int32(rng.IntN(4))
		case op.Kind == KindCreate && op.Outcome != Unknown:
			op.Outcome = []Outcome{OK, NodeExists}[rng.IntN(2)]
		}
	}
	return History{Ops: ops}
}

// setOutcome sets a write's outcome unless it is Unknown (the client never
// learns it).
func setOutcome(op *Op, o Outcome) {
	if op.Outcome != Unknown {
		op.Outcome = o
	}
}

// TestLazyModelAgreesWithReference checks random histories, linearizable
// by construction and mutated, with both models.
func TestLazyModelAgreesWithReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	counts := map[string]int{}
	for i := 0; i < 3000; i++ {
		mutate := i%2 == 1
		h := genHistory(rng, mutate)
		if err := h.Validate(); err != nil {
			t.Fatalf("generator: %v", err)
		}
		ref, lazy := refCheck(h, 10*time.Second), check(h)
		counts[fmt.Sprintf("mutated=%t %s", mutate, ref)]++
		if ref != lazy || (!mutate && ref != porcupine.Ok) {
			t.Fatalf("history %d (mutated %t): reference %s, lazy %s:\n%s", i, mutate, ref, lazy, dump(h))
		}
	}
	t.Logf("outcomes: %v", counts)
	if counts["mutated=true Illegal"] < 300 {
		t.Errorf("too few illegal histories to mean anything: %v", counts)
	}
}

// TestManyUnconditionalUnknownWrites is the case the lazy model exists for:
// unconditional writes with indeterminate outcomes that never took effect,
// before a long history. The reference model needs seconds for 6 of them
// and does not finish 8 in 20 s; the lazy one must stay fast.
func TestManyUnconditionalUnknownWrites(t *testing.T) {
	ops := withSetup()
	now := int64(10)
	for i := 0; i < 20; i++ {
		ops = append(ops, set(100+i, "/a", fmt.Sprintf("u%d", i), -1, Unknown, 0, now, now+1))
		now += 2
	}
	ver := int32(0)
	for i := 0; i < 3000; i++ {
		ops = append(ops, set(1, "/a", fmt.Sprintf("w%d", i), ver, OK, ver+1, now, now+1))
		ver++
		ops = append(ops, read(2, "/a", OK, fmt.Sprintf("w%d", i), ver, now+2, now+3))
		now += 4
	}
	// One of them shows up at the end: it took effect after all.
	ops = append(ops, read(3, "/a", OK, "u7", ver+1, now, now+1))
	h := History{Ops: ops}
	start := time.Now()
	if res, _ := Check(h, 20*time.Second); res != porcupine.Ok {
		t.Fatalf("Check = %s after %v, want Ok", res, time.Since(start))
	}
	t.Logf("checked %d ops in %v", len(ops), time.Since(start))
	// A lost write among them is still caught.
	ops[len(ops)-1].Version = ver
	if res, _ := Check(History{Ops: ops}, 20*time.Second); res != porcupine.Illegal {
		t.Fatalf("corrupted: Check = %s, want Illegal", res)
	}
}
