// Package proto is the ZooKeeper 3.8 client wire format: jute primitives,
// every record a client and a server exchange, multi, and framing. It does no
// I/O beyond reading one frame from an io.Reader and keeps no state; the
// server, the tests and the project's own tools all speak through it.
//
// # Contract
//
//  1. A record is a Go struct with Encode(*Encoder) and Decode(*Decoder).
//     Field order and widths are those of zookeeper.jute and must never change.
//  2. Decoding never panics and never allocates more than the packet can
//     hold: every length is checked against the bytes left before anything is
//     allocated (jute.go), and ReadFrame grows its buffer only as bytes arrive.
//  3. Decoded records own their memory: strings and byte buffers are copied
//     out of the packet, so a frame buffer may be reused as soon as Decode
//     returns.
//  4. Trailing bytes after a record are not an error (clients append optional
//     fields, e.g. ConnectRequest.readOnly); a short record is (ErrShort).
//  5. A null vector decodes as nil and nil encodes as null (-1), except where
//     a 3.8 server never sends null (children, ephemerals, ACL lists, client
//     infos in responses): there nil is written as an empty vector, because
//     the Java client would hand the null on to its caller.
//
// # Frames
//
// Every packet in either direction is a 4-byte big-endian length and then
// that many bytes of payload. The server refuses a length that is negative or
// larger than jute.maxbuffer (DefaultMaxBuffer, 1 MiB - 1):
//
//	+--------+--------+--------+--------+-----------------------------+
//	|        len (int32, big-endian)    |  payload: len bytes         |
//	+--------+--------+--------+--------+-----------------------------+
//
// The first frame of a connection carries a ConnectRequest with no header
// (44 bytes, or 45 with the readOnly flag), answered by a ConnectResponse
// with no header (36 or 37 bytes; the flag is sent back only if the client
// sent one).
//
// # Requests
//
// Every later client frame is a RequestHeader and the body RequestFor(type)
// returns (nothing for ping, closeSession and whoAmI):
//
//	0       4       8                                           len
//	+-------+-------+--------------------------------------------+
//	|  xid  | type  |  request record (e.g. GetDataRequest)       |
//	+-------+-------+--------------------------------------------+
//	 int32   int32
//
// Special xids: ping -2, auth -4 (AuthPacket), setWatches -8.
//
// # Replies
//
// Every server frame after the handshake is a ReplyHeader and, when err is 0,
// usually a response record (ResponseFor(type) gives its shape):
//
//	0       4               12      16                          len
//	+-------+---------------+-------+----------------------------+
//	|  xid  |     zxid      |  err  |  response record           |
//	+-------+---------------+-------+----------------------------+
//	 int32   int64           int32
//
// A failed request is answered with the header alone (no body), a ping
// with xid -2 whatever xid it carried. A watch notification is a reply with
// xid -1, zxid -1 (3.8 sends -1, not the zxid of the change) and err 0,
// followed by a WatcherEvent; it goes out before the reply to the request
// that caused it.
//
// # multi and multiRead
//
// The body of a multi (14) or multiRead (22) request is a sequence of
// MultiHeader + op record, closed by a header {type -1, done true, err -1}:
//
//	+-------------------+--------------+-------------------+-----+---------------+
//	| type|done=0|err=-1| op record    | type|done=0|err=-1| ... | -1|done=1|-1  |
//	+-------------------+--------------+-------------------+-----+---------------+
//	  int32 bool  int32
//
// The response has the same shape with one result per op. A successful op's
// header carries its type and err 0 and then its result record (nothing for
// delete and check). A failed op is written as {type -1, done false, err}
// followed by ErrorResponse{err}. When a multi fails, 3.8 reports every op as
// such an error result (0 before the failing op, its code on it, -2
// RuntimeInconsistency after it) and still puts err 0 in the ReplyHeader; a
// multiRead reports each failing read on its own and runs the others. A
// multi holding read ops is refused with MarshallingError.
//
// Facts marked 3.8 here were checked against ZooKeeper 3.8.0 itself:
// testdata/golden holds the bytes its jute classes write, and
// TestReferenceServer replays a session against a running server.
package proto
