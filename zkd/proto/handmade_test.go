package proto

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"testing"
)

// wire builds expected bytes field by field from the zookeeper.jute layout,
// independently of Encoder.
type wire []byte

func (w wire) i32(v int32) wire { return binary.BigEndian.AppendUint32(w, uint32(v)) }
func (w wire) i64(v int64) wire { return binary.BigEndian.AppendUint64(w, uint64(v)) }
func (w wire) flag(v bool) wire {
	if v {
		return append(w, 1)
	}
	return append(w, 0)
}
func (w wire) str(s string) wire  { return append(w.i32(int32(len(s))), s...) }
func (w wire) buf(b []byte) wire  { return append(w.i32(int32(len(b))), b...) }
func (w wire) raw(b ...byte) wire { return append(w, b...) }

func TestHandmadeBytes(t *testing.T) {
	pw := bytes.Repeat([]byte{0x5a}, 16)
	st := testStat()
	stat := wire{}.
		i64(st.Czxid).i64(st.Mzxid).i64(st.Ctime).i64(st.Mtime).
		i32(st.Version).i32(st.Cversion).i32(st.Aversion).
		i64(st.EphemeralOwner).i32(st.DataLength).i32(st.NumChildren).i64(st.Pzxid)
	openACL := wire{}.i32(1).i32(PermAll).str("world").str("anyone")

	cases := []struct {
		name    string
		rec     Record
		want    wire
		wantLen int // 0: do not check
	}{
		{"ConnectRequest without readOnly",
			&ConnectRequest{LastZxidSeen: 0x200000005, TimeOut: 10000, SessionID: 0x7f, Passwd: pw},
			wire{}.i32(0).i64(0x200000005).i32(10000).i64(0x7f).buf(pw), ConnectRequestSize},
		{"ConnectRequest with readOnly",
			&ConnectRequest{TimeOut: 10000, Passwd: pw, ReadOnly: true, HasReadOnly: true},
			wire{}.i32(0).i64(0).i32(10000).i64(0).buf(pw).flag(true), ConnectRequestSizeReadOnly},
		{"ConnectResponse without readOnly",
			&ConnectResponse{TimeOut: 6000, SessionID: 0x100000000000001, Passwd: pw},
			wire{}.i32(0).i32(6000).i64(0x100000000000001).buf(pw), ConnectResponseSize},
		{"ConnectResponse with readOnly",
			&ConnectResponse{TimeOut: 6000, SessionID: 1, Passwd: pw, HasReadOnly: true},
			wire{}.i32(0).i32(6000).i64(1).buf(pw).flag(false), ConnectResponseSizeReadOnly},
		{"Stat", &st, stat, 68},
		{"GetDataResponse", &GetDataResponse{Data: []byte("hi"), Stat: st},
			wire{}.str("hi").raw(stat...), 4 + 2 + 68},
		{"CreateRequest", &CreateRequest{Path: "/a", Data: nil, ACL: OpenACLUnsafe(), Flags: ModeEphemeral},
			wire{}.str("/a").i32(-1).raw(openACL...).i32(1), 0},
		{"WatcherEvent", &WatcherEvent{Type: EventNodeDeleted, State: StateSyncConnected, Path: "/a"},
			wire{}.i32(2).i32(3).str("/a"), 0},
		// A multi whose second op fails: create, check (bad version), delete.
		{"MultiRequest with a failing op", &MultiRequest{Ops: []MultiOp{
			{OpCreate, &CreateRequest{Path: "/a", Data: []byte{}, ACL: OpenACLUnsafe()}},
			{OpCheck, &CheckVersionRequest{Path: "/a", Version: 5}},
			{OpDelete, &DeleteRequest{Path: "/b", Version: -1}},
		}}, wire{}.
			i32(1).flag(false).i32(-1).str("/a").i32(0).raw(openACL...).i32(0).
			i32(13).flag(false).i32(-1).str("/a").i32(5).
			i32(2).flag(false).i32(-1).str("/b").i32(-1).
			i32(-1).flag(true).i32(-1), 0},
		// ...and its answer: every op becomes an error result, OK before
		// the failure, BadVersion on it, RuntimeInconsistency after it.
		{"MultiResponse for the failing op", &MultiResponse{Results: []MultiResult{
			{Type: OpError, Err: ErrOK},
			{Type: OpError, Err: ErrBadVersion},
			{Type: OpError, Err: ErrRuntimeInconsistency},
		}}, wire{}.
			i32(-1).flag(false).i32(0).i32(0).
			i32(-1).flag(false).i32(-103).i32(-103).
			i32(-1).flag(false).i32(-2).i32(-2).
			i32(-1).flag(true).i32(-1), 0},
		{"MultiResponse success", &MultiResponse{Results: []MultiResult{
			{Type: OpCreate, Response: &CreateResponse{Path: "/a"}},
			{Type: OpCheck},
			{Type: OpDelete},
		}}, wire{}.
			i32(1).flag(false).i32(0).str("/a").
			i32(13).flag(false).i32(0).
			i32(2).flag(false).i32(0).
			i32(-1).flag(true).i32(-1), 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Encode(nil, tc.rec)
			if !bytes.Equal(got, tc.want) {
				t.Fatalf("encoded\n %x\nwant %x", got, []byte(tc.want))
			}
			if tc.wantLen != 0 && len(got) != tc.wantLen {
				t.Fatalf("length %d, want %d", len(got), tc.wantLen)
			}
			back := reflect.New(reflect.TypeOf(tc.rec).Elem()).Interface().(Record)
			if err := Decode(tc.want, back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, tc.rec) {
				t.Fatalf("decoded %+v, want %+v", back, tc.rec)
			}
		})
	}
}

// TestHandmadeFrames checks whole frames: a getData request, its reply,
// an error reply, a notification and the handshake.
func TestHandmadeFrames(t *testing.T) {
	frame := func(w wire) wire { return wire{}.i32(int32(len(w))).raw(w...) }
	pw := make([]byte, 16)
	cases := []struct {
		name string
		got  []byte
		want wire
	}{
		{"request", AppendRequest(nil, RequestHeader{Xid: 1, Type: OpGetData}, &GetDataRequest{Path: "/a", Watch: true}),
			frame(wire{}.i32(1).i32(4).str("/a").flag(true))},
		{"ping", AppendRequest(nil, RequestHeader{Xid: XidPing, Type: OpPing}, nil),
			frame(wire{}.i32(-2).i32(11))},
		{"reply", AppendReply(nil, ReplyHeader{Xid: 1, Zxid: 9}, &SyncResponse{Path: "/a"}),
			frame(wire{}.i32(1).i64(9).i32(0).str("/a"))},
		{"error reply", AppendReply(nil, ReplyHeader{Xid: 2, Zxid: 9, Err: ErrNoNode}, nil),
			frame(wire{}.i32(2).i64(9).i32(-101))},
		{"notification", AppendNotification(nil, &WatcherEvent{Type: EventNodeCreated, State: StateSyncConnected, Path: "/n"}),
			frame(wire{}.i32(-1).i64(-1).i32(0).i32(1).i32(3).str("/n"))},
		{"handshake", AppendFrame(nil, &ConnectResponse{TimeOut: 4000, SessionID: 5, Passwd: pw, HasReadOnly: true}),
			frame(wire{}.i32(0).i32(4000).i64(5).buf(pw).flag(false))},
		{"appends after existing bytes", AppendReply([]byte("xy"), ReplyHeader{Xid: 3}, nil),
			wire("xy").raw(frame(wire{}.i32(3).i64(0).i32(0))...)},
	}
	for _, tc := range cases {
		if !bytes.Equal(tc.got, tc.want) {
			t.Errorf("%s:\n got %x\nwant %x", tc.name, tc.got, []byte(tc.want))
		}
	}
	if n := len(AppendFrame(nil, &ConnectResponse{Passwd: pw, HasReadOnly: true})); n != 4+ConnectResponseSizeReadOnly {
		t.Errorf("handshake frame is %d bytes, want %d", n, 4+ConnectResponseSizeReadOnly)
	}
}
