package tree

import (
	"fmt"

	"zkd/zkd/proto"
)

// Txn is one state change as it travels through the replicated log. The
// body is the client's request record as received (or, for session txns,
// a small record of their own), so the log needs no second schema.
//
// Encoding (jute primitives), part of the log format:
//
//	long origin | long reqID | int type | long session | int cxid |
//	long time | vector<Id> auth | buffer body
type Txn struct {
	Origin  uint64       // id of the server that proposed it; it answers the client
	ReqID   uint64       // proposer-local id, to find the waiting request
	Type    proto.OpCode // the request's opcode, or createSession/closeSession/deleteContainer/OpMoveSession
	Session int64
	Cxid    int32
	Time    int64      // proposer's wall clock, ms since the epoch: ctime/mtime/TTL
	Auth    []proto.ID // the session's identities when it sent the request
	Body    []byte
}

// OpMoveSession is zkd's own txn type, never sent by a client: the
// session's client now speaks through the txn's Origin, which becomes the
// session's Owner. A server proposes it when a client resumes there a
// session owned by another server, or one it has not applied yet, and
// answers the client once it has applied. (ZooKeeper keeps the owner in
// its leader's memory and sets it with a REVALIDATE round trip; zkd keeps
// it in the replicated state so that every replica refuses the same
// writes.) Its body is a MoveSessionBody.
const OpMoveSession proto.OpCode = -100

// Encode appends the txn.
func (t *Txn) Encode(e *proto.Encoder) {
	e.Long(int64(t.Origin))
	e.Long(int64(t.ReqID))
	e.Int(int32(t.Type))
	e.Long(t.Session)
	e.Int(t.Cxid)
	e.Long(t.Time)
	e.Int(int32(len(t.Auth)))
	for i := range t.Auth {
		t.Auth[i].Encode(e)
	}
	e.Buffer(t.Body)
}

// Decode reads the txn; Body aliases the decoder's buffer.
func (t *Txn) Decode(d *proto.Decoder) {
	t.Origin = uint64(d.Long())
	t.ReqID = uint64(d.Long())
	t.Type = proto.OpCode(d.Int())
	t.Session = d.Long()
	t.Cxid = d.Int()
	t.Time = d.Long()
	n := d.VectorLen(8)
	t.Auth = nil
	if n > 0 {
		t.Auth = make([]proto.ID, n)
		for i := range t.Auth {
			t.Auth[i].Decode(d)
		}
	}
	t.Body = d.Buffer()
}

// CreateSessionBody is the body of a createSession txn.
type CreateSessionBody struct {
	Timeout int32
	Passwd  []byte
}

func (b *CreateSessionBody) Encode(e *proto.Encoder) { e.Int(b.Timeout); e.Buffer(b.Passwd) }
func (b *CreateSessionBody) Decode(d *proto.Decoder) { b.Timeout = d.Int(); b.Passwd = d.Buffer() }

// MoveSessionBody is the body of a moveSession txn: the password the
// client presented, checked when the txn applies (the proposer may not
// know the session yet).
type MoveSessionBody struct {
	Passwd []byte
}

func (b *MoveSessionBody) Encode(e *proto.Encoder) { e.Buffer(b.Passwd) }
func (b *MoveSessionBody) Decode(d *proto.Decoder) { b.Passwd = d.Buffer() }

// PathBody is the body of a deleteContainer txn.
type PathBody struct{ Path string }

func (b *PathBody) Encode(e *proto.Encoder) { e.String(b.Path) }
func (b *PathBody) Decode(d *proto.Decoder) { b.Path = d.String() }

// EncodeBatch encodes txns as one log entry: int count, then each txn.
func EncodeBatch(buf []byte, txns []*Txn) []byte {
	e := proto.NewEncoder(buf)
	e.Int(int32(len(txns)))
	for _, t := range txns {
		t.Encode(e)
	}
	return e.Bytes()
}

// DecodeBatch decodes a log entry made by EncodeBatch.
func DecodeBatch(buf []byte) ([]*Txn, error) {
	d := proto.NewDecoder(buf)
	n := d.VectorLen(48)
	if n < 0 {
		n = 0
	}
	txns := make([]*Txn, 0, n)
	for i := 0; i < n && d.Err() == nil; i++ {
		t := new(Txn)
		t.Decode(d)
		txns = append(txns, t)
	}
	if err := d.Err(); err != nil {
		return nil, fmt.Errorf("tree: decoding txn batch: %w", err)
	}
	return txns, nil
}
