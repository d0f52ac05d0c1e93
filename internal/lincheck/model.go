package lincheck

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strings"

	"github.com/anishathalye/porcupine"
)

// Kind is the kind of an operation.
type Kind uint8

// Kinds of operation.
const (
	KindCreate Kind = iota + 1 // create(path, value), persistent
	KindSet                    // setData(path, value, version)
	KindRead                   // sync(path) then getData(path)
)

var kindNames = map[Kind]string{KindCreate: "create", KindSet: "set", KindRead: "read"}

func (k Kind) String() string {
	if s, ok := kindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// MarshalText writes the kind's name (for the JSON history).
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads a kind's name.
func (k *Kind) UnmarshalText(b []byte) error {
	for v, s := range kindNames {
		if s == string(b) {
			*k = v
			return nil
		}
	}
	return fmt.Errorf("lincheck: unknown kind %q", b)
}

// Outcome is how an operation ended.
type Outcome uint8

// Outcomes. OK, BadVersion, NoNode and NodeExists are definite answers of
// the server; Unknown means the operation may or may not have taken effect.
const (
	OK Outcome = iota + 1
	BadVersion
	NoNode
	NodeExists
	Unknown
)

var outcomeNames = map[Outcome]string{OK: "ok", BadVersion: "badversion", NoNode: "nonode",
	NodeExists: "nodeexists", Unknown: "unknown"}

func (o Outcome) String() string {
	if s, ok := outcomeNames[o]; ok {
		return s
	}
	return fmt.Sprintf("Outcome(%d)", uint8(o))
}

// MarshalText writes the outcome's name (for the JSON history).
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText reads an outcome's name.
func (o *Outcome) UnmarshalText(b []byte) error {
	for v, s := range outcomeNames {
		if s == string(b) {
			*o = v
			return nil
		}
	}
	return fmt.Errorf("lincheck: unknown outcome %q", b)
}

// Op is one operation of a history.
type Op struct {
	// Process is the logical process (porcupine's ClientId). A client
	// becomes a new process after each indeterminate outcome, so the
	// operations of one process never overlap.
	Process int
	// Client is the client (0 for setup, 1..Clients for the workers);
	// Session and Server say which session and connect string it used.
	Client  int
	Session int64  `json:",omitempty"`
	Server  string `json:",omitempty"`

	Kind     Kind
	Path     string
	Value    string `json:",omitempty"` // create, set: the value written; unique in a history
	Expected int32  // set: the expected version, -1 for any

	Outcome   Outcome
	ReadValue string `json:",omitempty"` // read OK: the data returned
	Version   int32  // set OK: the new version; read OK: the version read

	// Call and Return are nanoseconds on the recorder's monotonic clock.
	// For an Unknown operation Return is when the client gave up; the
	// check does not use it (the write may take effect at any time after
	// its call).
	Call, Return int64
	Err          string `json:",omitempty"` // the error of an Unknown outcome
}

func (op Op) String() string {
	in, out := op.input(), op.output()
	return fmt.Sprintf("p%d [%d,%d] %s", op.Process, op.Call, op.Return, describeOperation(in, out))
}

// input and output are what porcupine sees of an Op.
type input struct {
	kind     Kind
	path     string
	value    string
	expected int32
}

type output struct {
	outcome Outcome
	value   string
	version int32
}

func (op Op) input() input {
	return input{kind: op.Kind, path: op.Path, value: op.Value, expected: op.Expected}
}

func (op Op) output() output {
	return output{outcome: op.Outcome, value: op.ReadValue, version: op.Version}
}

// znode is the model's state of one znode: absent, or present with a value
// and a version; plus the indeterminate writes that may still take effect.
type znode struct {
	exists  bool
	value   string
	version int32
	pending []pending // sorted by value (values are unique); never modified in place
}

// pending is an indeterminate write that has been called and may take
// effect at any later time, or never.
type pending struct {
	create   bool
	value    string
	expected int32 // set: the version it requires, or -1
}

func (z znode) equal(o znode) bool {
	return z.exists == o.exists && z.value == o.value && z.version == o.version &&
		slices.Equal(z.pending, o.pending)
}

func (z znode) hash() uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%t/%d/%s", z.exists, z.version, z.value)
	for _, p := range z.pending {
		fmt.Fprintf(h, "|%t/%d/%s", p.create, p.expected, p.value)
	}
	return h.Sum64()
}

// canApply reports whether p would take effect (rather than fail) now.
func (z znode) canApply(p pending) bool {
	if p.create {
		return !z.exists
	}
	return z.exists && (p.expected == -1 || p.expected == z.version)
}

// dead reports whether p can never take effect from z on: znodes are never
// deleted, so once one exists a create fails forever, and its version only
// grows.
func (z znode) dead(p pending) bool {
	return z.exists && (p.create || (p.expected != -1 && p.expected < z.version))
}

// withPending returns z with the pending list ps minus the dead writes.
func (z znode) withPending(ps []pending) znode {
	z.pending = nil
	for _, p := range ps {
		if !z.dead(p) {
			z.pending = append(z.pending, p)
		}
	}
	return z
}

// register adds an indeterminate write, at its call.
func (z znode) register(p pending) znode {
	if z.dead(p) {
		return z
	}
	ps := make([]pending, 0, len(z.pending)+1)
	i, _ := slices.BinarySearchFunc(z.pending, p.value, func(q pending, v string) int { return strings.Compare(q.value, v) })
	ps = append(append(append(ps, z.pending[:i]...), p), z.pending[i:]...)
	z.pending = ps
	return z
}

// apply returns z after its pending write i took effect (canApply holds).
func (z znode) apply(i int) znode {
	p := z.pending[i]
	n := znode{exists: true, value: p.value}
	if !p.create {
		n.version = z.version + 1
	}
	rest := make([]pending, 0, len(z.pending)-1)
	rest = append(append(rest, z.pending[:i]...), z.pending[i+1:]...)
	return n.withPending(rest)
}

// verdict is what an operation's definite outcome says of a state.
type verdict int

const (
	explains verdict = iota // the outcome is right in this state
	hopeless                // wrong here and after any further pending write
	notYet                  // wrong here; a pending write taking effect may fix it
)

// judge says whether the definite outcome out of in is right in z.
// Pending writes only ever create the znode, raise its version and replace
// its value; "hopeless" uses that to cut the search.
func judge(z znode, in input, out output) verdict {
	ok := func(b bool) verdict {
		if b {
			return explains
		}
		return notYet
	}
	switch in.kind {
	case KindCreate:
		switch out.outcome {
		case OK:
			if z.exists {
				return hopeless
			}
			return explains
		case NodeExists:
			return ok(z.exists)
		}
	case KindSet:
		switch out.outcome {
		case OK:
			if z.exists && z.version+1 >= out.version {
				if z.version+1 == out.version && (in.expected == -1 || in.expected == z.version) {
					return explains
				}
				return hopeless
			}
			return notYet
		case BadVersion:
			if in.expected == -1 {
				return hopeless
			}
			return ok(z.exists && z.version != in.expected)
		case NoNode:
			if z.exists {
				return hopeless
			}
			return explains
		}
	case KindRead:
		switch out.outcome {
		case OK:
			if z.exists && z.version >= out.version {
				if z.version == out.version && z.value == out.value {
					return explains
				}
				return hopeless
			}
			return notYet
		case NoNode:
			if z.exists {
				return hopeless
			}
			return explains
		}
	}
	return hopeless
}

// effect is the state after a definite outcome that judge explains in z.
func effect(z znode, in input, out output) znode {
	switch {
	case in.kind == KindCreate && out.outcome == OK:
		return znode{exists: true, value: in.value}.withPending(z.pending)
	case in.kind == KindSet && out.outcome == OK:
		return znode{exists: true, value: in.value, version: out.version}.withPending(z.pending)
	default:
		return z
	}
}

// step is the specification of one znode (see the package doc): an
// indeterminate write is registered as pending; a definite outcome is
// explained by the current state, or by the states reached by letting
// pending writes take effect first, fewest first: the search stops at the
// first state along each sequence that explains the outcome, since any
// further pending write can as well take effect later.
func step(z znode, in input, out output) []znode {
	if out.outcome == Unknown {
		switch in.kind {
		case KindCreate:
			return []znode{z.register(pending{create: true, value: in.value})}
		case KindSet:
			return []znode{z.register(pending{value: in.value, expected: in.expected})}
		default: // a read without an answer has no effect
			return []znode{z}
		}
	}
	var next []znode
	seen := map[uint64][]znode{}
	var search func(znode)
	search = func(z znode) {
		h := z.hash()
		for _, y := range seen[h] {
			if y.equal(z) {
				return
			}
		}
		seen[h] = append(seen[h], z)
		switch judge(z, in, out) {
		case explains:
			next = append(next, effect(z, in, out))
		case notYet:
			for i, p := range z.pending {
				if z.canApply(p) {
					search(z.apply(i))
				}
			}
		}
	}
	search(z)
	return next
}

// Model is the porcupine model of a set of znodes used as versioned
// registers, partitioned by path. It works on the operations of
// [Operations].
func Model() porcupine.Model {
	nm := porcupine.NondeterministicModel{
		Partition: partitionByPath,
		Init:      func() []interface{} { return []interface{}{znode{}} },
		Step: func(s, in, out interface{}) []interface{} {
			var res []interface{}
			for _, z := range step(s.(znode), in.(input), out.(output)) {
				res = append(res, z)
			}
			return res
		},
		Equal:             func(a, b interface{}) bool { return a.(znode).equal(b.(znode)) },
		Hash:              func(s interface{}) uint64 { return s.(znode).hash() },
		DescribeOperation: func(in, out interface{}) string { return describeOperation(in.(input), out.(output)) },
		DescribeState:     func(s interface{}) string { return describeState(s.(znode)) },
		DescribeOperationMetadata: func(m interface{}) string {
			if m == nil {
				return ""
			}
			return fmt.Sprint(m)
		},
	}
	return nm.ToModel()
}

// partitionByPath splits a history into one sub-history per znode, in the
// order of first appearance.
func partitionByPath(history []porcupine.Operation) [][]porcupine.Operation {
	index := map[string]int{}
	var parts [][]porcupine.Operation
	for _, op := range history {
		p := op.Input.(input).path
		i, ok := index[p]
		if !ok {
			i = len(parts)
			index[p] = i
			parts = append(parts, nil)
		}
		parts[i] = append(parts[i], op)
	}
	return parts
}

// Operations converts a history into porcupine operations for [Model]. An
// Unknown operation only registers a pending write in the model, so it is
// given the interval [Call, Call]: the write may take effect at any time
// after its call (or never), which the model decides lazily.
func Operations(h History) []porcupine.Operation {
	ops := make([]porcupine.Operation, 0, len(h.Ops))
	for _, op := range h.Ops {
		ret := op.Return
		if op.Outcome == Unknown {
			ret = op.Call
		}
		ops = append(ops, porcupine.Operation{
			ClientId: op.Process,
			Input:    op.input(),
			Call:     op.Call,
			Output:   op.output(),
			Return:   ret,
			Metadata: metadata(op),
		})
	}
	return ops
}

func metadata(op Op) string {
	var b strings.Builder
	fmt.Fprintf(&b, "client %d, process %d", op.Client, op.Process)
	if op.Session != 0 {
		fmt.Fprintf(&b, ", session 0x%x", op.Session)
	}
	if op.Server != "" {
		fmt.Fprintf(&b, ", via %s", op.Server)
	}
	fmt.Fprintf(&b, ", call %.3fs, return %.3fs", float64(op.Call)/1e9, float64(op.Return)/1e9)
	if op.Err != "" {
		fmt.Fprintf(&b, ", error: %s", op.Err)
	}
	return b.String()
}

func describeOperation(in input, out output) string {
	var call string
	switch in.kind {
	case KindCreate:
		call = fmt.Sprintf("create(%s, %q)", in.path, in.value)
	case KindSet:
		call = fmt.Sprintf("set(%s, %q, v%d)", in.path, in.value, in.expected)
	case KindRead:
		call = fmt.Sprintf("read(%s)", in.path)
	default:
		call = in.kind.String()
	}
	switch {
	case out.outcome == OK && in.kind == KindSet:
		return fmt.Sprintf("%s → ok v%d", call, out.version)
	case out.outcome == OK && in.kind == KindRead:
		return fmt.Sprintf("%s → %q v%d", call, out.value, out.version)
	case out.outcome == Unknown:
		return call + " → ?"
	default:
		return call + " → " + out.outcome.String()
	}
}

func describeState(z znode) string {
	var b strings.Builder
	if z.exists {
		fmt.Fprintf(&b, "%q v%d", z.value, z.version)
	} else {
		b.WriteString("absent")
	}
	for i, p := range z.pending {
		if i == 0 {
			b.WriteString(", maybe later:")
		}
		switch {
		case p.create:
			fmt.Fprintf(&b, " create %q", p.value)
		case p.expected == -1:
			fmt.Fprintf(&b, " set %q", p.value)
		default:
			fmt.Fprintf(&b, " set %q@v%d", p.value, p.expected)
		}
	}
	return b.String()
}
