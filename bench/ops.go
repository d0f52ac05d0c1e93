package bench

import "fmt"

// OpKind is an operation the load generator issues, as it is counted and
// reported. It is coarser than proto.OpCode: "set" is setData, "children"
// getChildren, "multi" one multi transaction.
type OpKind uint8

const (
	// KindCreate creates a new persistent znode under <root>/c with a
	// -value-size value; names never repeat, so it never fails with
	// NodeExists.
	KindCreate OpKind = iota
	// KindSet is setData (any version) on a random existing key.
	KindSet
	// KindGet is getData (no watch) on a random existing key.
	KindGet
	// KindExists is exists (no watch) on a random existing key.
	KindExists
	// KindChildren is getChildren (no watch) on a random existing key, a
	// leaf: it measures the cost of the call, not of a long listing.
	KindChildren
	// KindMulti is a multi of two ops on random keys: check (any version)
	// and setData. It is one request and counts as one op.
	KindMulti
	// KindWatch is a watch notification in watch mode; it is never part of
	// a mix. Its latency runs from the send of the write that fired it.
	KindWatch

	numKinds
)

var kindNames = [numKinds]string{
	KindCreate: "create", KindSet: "set", KindGet: "get", KindExists: "exists",
	KindChildren: "children", KindMulti: "multi", KindWatch: "watch",
}

func (k OpKind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// needsKeys reports whether ops of kind k work on the key space, which the
// run creates before it starts.
func (k OpKind) needsKeys() bool {
	switch k {
	case KindSet, KindGet, KindExists, KindChildren, KindMulti:
		return true
	}
	return false
}
