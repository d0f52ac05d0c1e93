package tree_test

import (
	"encoding/binary"
	"testing"

	"zkd/zkd/proto"
	"zkd/zkd/tree"
)

// fuzzOps are the opcodes FuzzApply feeds bodies to: every write, plus a few
// that Apply must refuse.
var fuzzOps = []proto.OpCode{
	proto.OpCreate, proto.OpCreate2, proto.OpCreateContainer, proto.OpCreateTTL,
	proto.OpDelete, proto.OpSetData, proto.OpSetACL, proto.OpCheck, proto.OpMulti,
	proto.OpCreateSession, proto.OpCloseSession, proto.OpDeleteContainer,
	proto.OpGetData, proto.OpReconfig, proto.OpError, tree.OpMoveSession,
}

// fuzzTree is the small tree every FuzzApply input starts from.
func fuzzTree() *tree.Tree {
	tr := tree.New(tree.Options{})
	z := int64(0)
	apply := func(txn *tree.Txn) {
		z++
		txn.Time = t0 + z
		tr.Apply(z, txn, nil)
	}
	apply(sessionTxn(1, 1000, "p"))
	owned := sessionTxn(2, 1000, "q")
	owned.Origin = 1 // writes of session 2 from other servers fail
	apply(owned)
	apply(create("/a", "x", 0).txn(1))
	apply(create("/a/e", "", proto.ModeEphemeral).txn(1))
	apply(createContainer("/c").txn(1))
	apply(create("/c/x", "", 0).txn(2))
	apply(createTTL("/t", proto.ModePersistentWithTTL, 10).txn(2))
	apply(createACL("/locked", 0, world(proto.PermRead)).txn(1))
	return tr
}

// fuzzTxns splits the input into txns: op selector byte, session byte (its
// low 2 bits pick the session, bits 4-5 the proposing server, the top bit
// adds a super identity), time delta byte, a 2-byte body length, then the
// body.
func fuzzTxns(b []byte) []*tree.Txn {
	var txns []*tree.Txn
	now := t0 + 100
	for len(b) >= 5 && len(txns) < 64 {
		code := fuzzOps[int(b[0])%len(fuzzOps)]
		session := int64(b[1]%4) - 1
		origin := uint64(b[1]>>4) & 3
		var auth []proto.ID
		if b[1]&0x80 != 0 {
			auth = []proto.ID{superID}
		}
		now += int64(b[2]) * 8
		n := int(binary.BigEndian.Uint16(b[3:5]))
		b = b[5:]
		if n > len(b) {
			n = len(b)
		}
		txns = append(txns, &tree.Txn{Type: code, Session: session, Origin: origin, Time: now, Body: b[:n], Auth: auth})
		b = b[n:]
	}
	return txns
}

// fuzzSeed frames txns the way fuzzTxns reads them.
func fuzzSeed(txns ...*tree.Txn) []byte {
	var out []byte
	for _, t := range txns {
		sel := 0
		for i, c := range fuzzOps {
			if c == t.Type {
				sel = i
			}
		}
		out = append(out, byte(sel), byte(t.Session+1)|byte(t.Origin&3)<<4, 1)
		out = binary.BigEndian.AppendUint16(out, uint16(len(t.Body)))
		out = append(out, t.Body...)
	}
	return out
}

// FuzzApply feeds arbitrary bodies for each opcode to Apply on a small
// tree: it must never panic, must keep the tree's links and counters
// consistent, and must decide the same on two replicas.
func FuzzApply(f *testing.F) {
	for _, o := range []op{
		create("/a/n", "d", proto.ModePersistentSequential),
		createOp(proto.OpCreate2, "/c/y", proto.ModeEphemeral),
		createContainer("/a/k"),
		createTTL("/t/u", proto.ModePersistentSequentialWithTTL, 1),
		del("/c/x", -1),
		del("/a", -1),
		setData("/a", "zz", 0),
		setACL("/a", -1, perm(proto.PermAll, proto.AuthIDs)),
		check("/t", 0),
		multi(create("/m", "", 0), del("/c/x", 0), create("/c/x", "", proto.ModeEphemeral), check("/none", 0)),
		multi(del("/a/e", -1), del("/a", -1), createContainer("/a"), setData("/a", "q", 0)),
	} {
		f.Add(fuzzSeed(o.txn(1)))
	}
	f.Add(fuzzSeed(closeTxn(0), deleteContainerTxn("/c"), deleteContainerTxn("/t"), sessionTxn(2, 5, "x")))
	f.Add(fuzzSeed(del("/c/x", -1).txn(1), deleteContainerTxn("/c"), multi(create("/a/b", "", 3)).txn(2), closeTxn(1)))
	stale := setData("/c/x", "old", -1).txn(2)
	stale.Origin = 1
	f.Add(fuzzSeed(moveTxn(2, 2, "q"), stale, moveTxn(2, 3, "wrong"), moveTxn(1, 2, "p")))
	f.Fuzz(func(t *testing.T, in []byte) {
		a, b := fuzzTree(), fuzzTree()
		for i, txn := range fuzzTxns(in) {
			zxid := int64(100 + i)
			ra := a.Apply(zxid, txn, nil)
			rb := b.Apply(zxid, txn, nil)
			if ra.Err != rb.Err || ra.Path != rb.Path || len(ra.Multi) != len(rb.Multi) {
				t.Fatalf("txn %d: replicas decided %+v and %+v", i, ra, rb)
			}
		}
		checkInvariants(t, a)
		if da, db := dump(a), dump(b); da != db {
			t.Fatalf("replicas differ:\n%s\nvs\n%s", da, db)
		}
	})
}
