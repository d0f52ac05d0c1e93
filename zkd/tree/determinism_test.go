package tree_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"zkd/zkd/proto"
	"zkd/zkd/tree"
)

// txnGen produces a random but reproducible stream of txns over a small
// path space, so that nodes collide, versions match now and then, multis
// fail half-way and sessions close with ephemerals in place.
type txnGen struct {
	rng   *rand.Rand
	now   int64
	auths [][]proto.ID
}

func newTxnGen(t testing.TB, seed uint64) *txnGen {
	return &txnGen{
		rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		now: t0,
		auths: [][]proto.ID{nil, nil, nil,
			{digestID(t, "alice:pw")},
			{digestID(t, "bob:pw"), {Scheme: "ip", ID: "10.0.0.1"}},
			{superID}},
	}
}

var genNames = []string{"a", "b", "c", "s"}

func (g *txnGen) intn(n int) int { return g.rng.IntN(n) }

func (g *txnGen) path() string {
	switch g.intn(40) {
	case 0:
		return "/a/"
	case 1:
		return "/a//b"
	case 2:
		return "a"
	case 3:
		return "/zookeeper"
	case 4:
		return "/"
	}
	p, depth := "", 1
	if g.intn(2) == 0 {
		depth = 2
	}
	if g.intn(8) == 0 {
		depth = 3
	}
	for d := depth; d > 0; d-- {
		p += "/" + genNames[g.intn(len(genNames))]
	}
	if g.intn(6) == 0 {
		// Sequential names that exist now and then.
		p += fmt.Sprintf("%010d", g.intn(4))
	}
	return p
}

func (g *txnGen) data() []byte {
	if g.intn(3) == 0 {
		return nil
	}
	return []byte("data"[:g.intn(5)])
}

func (g *txnGen) version() int32 {
	if g.intn(2) == 0 {
		return -1
	}
	return int32(g.intn(3))
}

func (g *txnGen) acl() []proto.ACL {
	switch g.intn(16) {
	case 0:
		return nil // InvalidACL
	case 1:
		return []proto.ACL{world(proto.PermRead | proto.PermAdmin)}
	case 2:
		return []proto.ACL{perm(proto.PermAll, proto.AuthIDs)}
	case 3:
		return []proto.ACL{perm(proto.PermAll, g.auths[3][0]), world(proto.PermRead)}
	case 4:
		return []proto.ACL{world(proto.PermAll &^ proto.PermDelete)}
	}
	return open()
}

func (g *txnGen) createOp() op {
	flags := int32(g.intn(8)) // 7 is invalid
	path, data, acl := g.path(), g.data(), g.acl()
	switch g.intn(6) {
	case 0:
		ttl := []int64{-1, 0, 5, 1000, 1 << 41}[g.intn(5)]
		return op{proto.OpCreateTTL, &proto.CreateTTLRequest{Path: path, Data: data, ACL: acl, Flags: flags, TTL: ttl}}
	case 1:
		return op{proto.OpCreateContainer, &proto.CreateRequest{Path: path, Data: data, ACL: acl, Flags: proto.ModeContainer}}
	case 2:
		return op{proto.OpCreate2, &proto.CreateRequest{Path: path, Data: data, ACL: acl, Flags: flags}}
	}
	return op{proto.OpCreate, &proto.CreateRequest{Path: path, Data: data, ACL: acl, Flags: flags % 4}}
}

func (g *txnGen) simpleOp() op {
	switch g.intn(10) {
	case 0, 1, 2, 3:
		return g.createOp()
	case 4, 5:
		return del(g.path(), g.version())
	case 6, 7:
		return op{proto.OpSetData, &proto.SetDataRequest{Path: g.path(), Data: g.data(), Version: g.version()}}
	case 8:
		return op{proto.OpSetACL, &proto.SetACLRequest{Path: g.path(), ACL: g.acl(), Version: g.version()}}
	}
	return check(g.path(), g.version())
}

// next returns the next txn; sessions are 1..4.
func (g *txnGen) next() *tree.Txn {
	g.now += int64(g.intn(400))
	session := int64(1 + g.intn(4))
	var txn *tree.Txn
	switch n := g.intn(100); {
	case n < 6:
		txn = sessionTxn(session, int32(1000*(1+g.intn(30))), fmt.Sprint("pw", g.intn(3)))
	case n < 9:
		txn = closeTxn(session)
	case n < 14:
		txn = deleteContainerTxn(g.path())
		session = 0
	case n < 28:
		var ops []op
		for k := 1 + g.intn(4); k > 0; k-- {
			o := g.simpleOp()
			if o.code == proto.OpSetACL {
				o = check(g.path(), -1)
			}
			ops = append(ops, o)
		}
		txn = multi(ops...).txn(session)
	default:
		txn = g.simpleOp().txn(session)
	}
	txn.Session = session
	txn.Time = g.now
	txn.Cxid = int32(g.intn(1 << 20))
	txn.Origin = uint64(1 + g.intn(3))
	txn.ReqID = uint64(g.rng.Uint32())
	if txn.Type != proto.OpCreateSession && txn.Type != proto.OpCloseSession {
		txn.Auth = g.auths[g.intn(len(g.auths))]
	}
	return txn
}

// replica applies txns and records everything it decided.
type replica struct {
	tr      *tree.Tree
	results []tree.Result
	events  []event
}

func newReplica() *replica { return &replica{tr: tree.New(tree.Options{})} }

func (r *replica) apply(zxid int64, txn *tree.Txn) {
	res := r.tr.Apply(zxid, txn, func(p string, ev proto.EventType) { r.events = append(r.events, event{p, ev}) })
	r.results = append(r.results, res)
}

// TestDeterminism applies one random stream to two fresh trees and, through
// EncodeBatch/DecodeBatch in random batch sizes, to a third: every result,
// every event and the final state must be identical.
func TestDeterminism(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			g := newTxnGen(t, seed)
			const n = 2000
			txns := make([]*tree.Txn, n)
			for i := range txns {
				txns[i] = g.next()
			}
			a, b, c := newReplica(), newReplica(), newReplica()
			for i, txn := range txns {
				a.apply(int64(i+1), txn)
				b.apply(int64(i+1), txn)
				if i%250 == 0 {
					checkInvariants(t, a.tr)
				}
			}

			// The third replica gets the txns as the log carries them.
			zxid := int64(0)
			for i := 0; i < n; {
				k := 1 + g.intn(20)
				if i+k > n {
					k = n - i
				}
				buf := tree.EncodeBatch(nil, txns[i:i+k])
				decoded, err := tree.DecodeBatch(buf)
				if err != nil {
					t.Fatalf("DecodeBatch: %v", err)
				}
				if !reflect.DeepEqual(decoded, txns[i:i+k]) {
					t.Fatalf("batch at %d does not round-trip:\n%+v\n%+v", i, decoded, txns[i:i+k])
				}
				for _, txn := range decoded {
					zxid++
					c.apply(zxid, txn)
				}
				i += k
			}

			for name, other := range map[string]*replica{"second": b, "decoded": c} {
				for i := range a.results {
					if !reflect.DeepEqual(a.results[i], other.results[i]) {
						t.Fatalf("%s replica: txn %d (%v) result %+v, want %+v", name, i+1, txns[i].Type, other.results[i], a.results[i])
					}
				}
				if !reflect.DeepEqual(a.events, other.events) {
					t.Fatalf("%s replica: events differ", name)
				}
				if da, do := dump(a.tr), dump(other.tr); da != do {
					t.Fatalf("%s replica: trees differ:\n%s\nvs\n%s", name, da, do)
				}
				if a.tr.LastZxid() != other.tr.LastZxid() {
					t.Fatalf("%s replica: LastZxid %d vs %d", name, other.tr.LastZxid(), a.tr.LastZxid())
				}
			}
			checkInvariants(t, a.tr)

			// The stream must exercise both outcomes of most kinds of txn.
			ok, failed := map[proto.OpCode]int{}, map[proto.OpCode]int{}
			for i, r := range a.results {
				if r.Err == proto.ErrOK {
					ok[txns[i].Type]++
				} else {
					failed[txns[i].Type]++
				}
			}
			for _, code := range []proto.OpCode{proto.OpCreate, proto.OpCreate2, proto.OpDelete, proto.OpSetData,
				proto.OpMulti, proto.OpCheck, proto.OpCloseSession} {
				if ok[code] == 0 || failed[code] == 0 {
					t.Errorf("%v: %d ok, %d failed; the generator should produce both", code, ok[code], failed[code])
				}
			}
			t.Logf("ok %v\nfailed %v\nfinal: %d nodes, %d ephemerals, %d sessions, %d events",
				ok, failed, a.tr.NodeCount(), a.tr.EphemeralCount(), a.tr.SessionCount(), len(a.events))
		})
	}
}
