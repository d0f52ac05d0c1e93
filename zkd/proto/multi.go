package proto

import (
	"errors"
	"fmt"
)

// ErrBadMultiOp is returned when a multi request or response holds an op
// type that cannot appear in one (MultiOperationRecord's "Invalid type of
// op"). 3.8 answers such a multi, and one mixing kinds, with
// ErrMarshallingError in the reply header and keeps the connection.
var ErrBadMultiOp = errors.New("proto: invalid op type in multi")

// ErrMixedMultiOps is returned when a multi mixes read ops (getData,
// getChildren) with write ops ("Mixing different kind of ops").
var ErrMixedMultiOps = errors.New("proto: multi mixes read and write ops")

// encodeMultiEnd writes the header {-1, true, -1} that closes the op list
// of a multi request and the result list of a response.
func encodeMultiEnd(e *Encoder) {
	h := MultiHeader{Type: OpError, Done: true, Err: -1}
	h.Encode(e)
}

// MultiHeader precedes each op of a multi request and each result of a
// multi response; Done marks the end of the list. Err is -1 in requests and
// the error code of an error result in responses.
type MultiHeader struct {
	Type OpCode
	Done bool
	Err  int32
}

func (h *MultiHeader) Encode(e *Encoder) {
	e.Int(int32(h.Type))
	e.Bool(h.Done)
	e.Int(h.Err)
}

func (h *MultiHeader) Decode(d *Decoder) {
	h.Type = OpCode(d.Int())
	h.Done = d.Bool()
	h.Err = d.Int()
}

// MultiOp is one op of a multi request: its type as sent and its request
// record, which is
//
//	create, create2, createContainer  *CreateRequest
//	createTTL                         *CreateTTLRequest
//	delete                            *DeleteRequest
//	setData                           *SetDataRequest
//	check                             *CheckVersionRequest
//	getChildren                       *GetChildrenRequest (multiRead only)
//	getData                           *GetDataRequest     (multiRead only)
//
// Type is kept as the client sent it. Note that the 3.8 server ignores it
// for the create family and derives the op from the flags instead
// (Op.Create.getOpcode): create2 runs as a create and is answered with a
// plain CreateResponse, a container mode runs as createContainer, a TTL
// mode as createTTL.
type MultiOp struct {
	Type    OpCode
	Request Record
}

// multiOpRecord returns a zero request record for an op type allowed in a
// multi, and whether the op only reads.
func multiOpRecord(t OpCode) (rec Record, read bool) {
	switch t {
	case OpCreate, OpCreate2, OpCreateContainer:
		return &CreateRequest{}, false
	case OpCreateTTL:
		return &CreateTTLRequest{}, false
	case OpDelete:
		return &DeleteRequest{}, false
	case OpSetData:
		return &SetDataRequest{}, false
	case OpCheck:
		return &CheckVersionRequest{}, false
	case OpGetChildren:
		return &GetChildrenRequest{}, true
	case OpGetData:
		return &GetDataRequest{}, true
	}
	return nil, false
}

// MultiRequest is the body of multi (14) and multiRead (22). All ops are of
// one kind: writes for multi, reads for multiRead; Decode rejects a mix but
// leaves matching the kind to the opcode to the caller (ReadOnly).
type MultiRequest struct {
	Ops []MultiOp
}

// ReadOnly reports whether every op only reads, as a multiRead's must. It
// is false for an empty multi.
func (m *MultiRequest) ReadOnly() bool {
	for _, op := range m.Ops {
		if _, read := multiOpRecord(op.Type); !read {
			return false
		}
	}
	return len(m.Ops) > 0
}

// Encode writes the ops as given; an op with a nil Request gets a zero
// record of its type so the packet stays well formed.
func (m *MultiRequest) Encode(e *Encoder) {
	for _, op := range m.Ops {
		h := MultiHeader{Type: op.Type, Err: -1}
		h.Encode(e)
		rec := op.Request
		if rec == nil {
			rec, _ = multiOpRecord(op.Type)
		}
		if rec != nil {
			rec.Encode(e)
		}
	}
	encodeMultiEnd(e)
}

// Decode reads ops up to the header marked done. Every op takes at least a
// 9-byte header, so the op list is bounded by the packet size.
func (m *MultiRequest) Decode(d *Decoder) {
	m.Ops = nil
	kindSet, kindRead := false, false
	for d.Err() == nil {
		var h MultiHeader
		h.Decode(d)
		if d.Err() != nil || h.Done {
			return
		}
		rec, read := multiOpRecord(h.Type)
		if rec == nil {
			d.Fail(fmt.Errorf("%w: %v at op %d", ErrBadMultiOp, h.Type, len(m.Ops)))
			return
		}
		if kindSet && read != kindRead {
			d.Fail(fmt.Errorf("%w: %v at op %d", ErrMixedMultiOps, h.Type, len(m.Ops)))
			return
		}
		kindSet, kindRead = true, read
		rec.Decode(d)
		m.Ops = append(m.Ops, MultiOp{Type: h.Type, Request: rec})
	}
}

// MultiResult is one result of a multi response. Type is the op's type, or
// OpError for an op that failed or was rolled back, with Err its code (0
// for the ops before the failing one). Response is the result record:
//
//	create                               *CreateResponse
//	create2, createTTL, createContainer  *Create2Response (sent as create2)
//	setData                              *SetDataResponse
//	getChildren                          *GetChildrenResponse
//	getData                              *GetDataResponse
//	delete, deleteContainer, check       nil (sent as delete / check)
//	error                                nil (Err is sent as ErrorResponse)
//
// Encode writes a zero record of the right shape when Response is nil or of
// another type, so a reply always parses; any other Type is sent as an
// error result with ErrMarshallingError. Decode yields the wire types only
// (create2, never createTTL).
type MultiResult struct {
	Type     OpCode
	Err      ErrCode
	Response Record
}

// MultiResponse answers multi (14) and multiRead (22): one result per op,
// in order.
type MultiResponse struct {
	Results []MultiResult
}

func (m *MultiResponse) Encode(e *Encoder) {
	for i := range m.Results {
		encodeMultiResult(e, &m.Results[i])
	}
	encodeMultiEnd(e)
}

func encodeMultiResult(e *Encoder, r *MultiResult) {
	wire, body, ok := resultBody(r.Type, r.Response)
	if !ok || r.Type == OpError {
		code := r.Err
		if !ok {
			code = ErrMarshallingError
		}
		h := MultiHeader{Type: OpError, Err: int32(code)}
		h.Encode(e)
		er := ErrorResponse{Err: code}
		er.Encode(e)
		return
	}
	h := MultiHeader{Type: wire}
	h.Encode(e)
	if body != nil {
		body.Encode(e)
	}
}

// resultBody maps a result type to the type written in its header and the
// record that follows (resp if it has the right type, else a zero one). ok
// is false for types that have no result in a multi.
func resultBody(t OpCode, resp Record) (wire OpCode, body Record, ok bool) {
	switch t {
	case OpCreate:
		if r, is := resp.(*CreateResponse); is && r != nil {
			return OpCreate, r, true
		}
		return OpCreate, &CreateResponse{}, true
	case OpCreate2, OpCreateTTL, OpCreateContainer:
		if r, is := resp.(*Create2Response); is && r != nil {
			return OpCreate2, r, true
		}
		return OpCreate2, &Create2Response{}, true
	case OpSetData:
		if r, is := resp.(*SetDataResponse); is && r != nil {
			return OpSetData, r, true
		}
		return OpSetData, &SetDataResponse{}, true
	case OpGetChildren:
		if r, is := resp.(*GetChildrenResponse); is && r != nil {
			return OpGetChildren, r, true
		}
		return OpGetChildren, &GetChildrenResponse{}, true
	case OpGetData:
		if r, is := resp.(*GetDataResponse); is && r != nil {
			return OpGetData, r, true
		}
		return OpGetData, &GetDataResponse{}, true
	case OpDelete, OpDeleteContainer:
		return OpDelete, nil, true
	case OpCheck:
		return OpCheck, nil, true
	case OpError:
		return OpError, nil, true
	}
	return t, nil, false
}

// Decode reads results up to the header marked done. Each result takes at
// least a 9-byte header, so the list is bounded by the packet size.
func (m *MultiResponse) Decode(d *Decoder) {
	m.Results = nil
	for d.Err() == nil {
		var h MultiHeader
		h.Decode(d)
		if d.Err() != nil || h.Done {
			return
		}
		// Like MultiResponse.java, take the error from the ErrorResponse
		// body and ignore the header's err field.
		r := MultiResult{Type: h.Type}
		switch h.Type {
		case OpCreate:
			r.Response = &CreateResponse{}
		case OpCreate2:
			r.Response = &Create2Response{}
		case OpSetData:
			r.Response = &SetDataResponse{}
		case OpGetChildren:
			r.Response = &GetChildrenResponse{}
		case OpGetData:
			r.Response = &GetDataResponse{}
		case OpDelete, OpCheck:
		case OpError:
			var er ErrorResponse
			er.Decode(d)
			r.Err = er.Err
		default:
			d.Fail(fmt.Errorf("%w: result %v at %d", ErrBadMultiOp, h.Type, len(m.Results)))
			return
		}
		if r.Response != nil {
			r.Response.Decode(d)
		}
		m.Results = append(m.Results, r)
	}
}
