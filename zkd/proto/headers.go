package proto

// RequestHeaderSize and ReplyHeaderSize are the encoded sizes of the headers
// that open every request and reply frame after the handshake.
const (
	RequestHeaderSize = 8
	ReplyHeaderSize   = 16
)

// RequestHeader opens every client packet after the handshake. Xid is the
// client's sequence number, echoed in the reply so the client can match it;
// the special xids (XidPing, XidAuth, XidSetWatches) mark internal packets.
type RequestHeader struct {
	Xid  int32
	Type OpCode
}

func (h *RequestHeader) Encode(e *Encoder) { e.Int(h.Xid); e.Int(int32(h.Type)) }
func (h *RequestHeader) Decode(d *Decoder) { h.Xid = d.Int(); h.Type = OpCode(d.Int()) }

// ReplyHeader opens every server packet after the handshake. Zxid is the
// last zxid the server has applied when it answers (the client keeps the
// largest it has seen and presents it when it reconnects); Err is the
// request's outcome.
type ReplyHeader struct {
	Xid  int32
	Zxid int64
	Err  ErrCode
}

func (h *ReplyHeader) Encode(e *Encoder) { e.Int(h.Xid); e.Long(h.Zxid); e.Int(int32(h.Err)) }
func (h *ReplyHeader) Decode(d *Decoder) {
	h.Xid = d.Int()
	h.Zxid = d.Long()
	h.Err = ErrCode(d.Int())
}

// ownBuffer reads a jute buffer and copies it out of the packet, so decoded
// records stay valid after the frame buffer is reused. Null stays nil and an
// empty buffer stays empty, as the two mean different things to clients.
func ownBuffer(d *Decoder) []byte {
	b := d.Buffer()
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

// stringsNonNull writes a vector of ustring, writing nil as an empty vector:
// for response fields a 3.8 server never sends as null.
func stringsNonNull(e *Encoder, v []string) {
	if v == nil {
		v = []string{}
	}
	e.Strings(v)
}

// aclsNonNull is stringsNonNull for ACL lists.
func aclsNonNull(e *Encoder, v []ACL) {
	if v == nil {
		v = []ACL{}
	}
	EncodeACLs(e, v)
}
