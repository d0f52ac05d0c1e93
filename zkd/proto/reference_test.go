package proto

import (
	"net"
	"os"
	"reflect"
	"testing"
	"time"

	"zkd/internal/ztest"
)

// TestReferenceServer drives a real Apache ZooKeeper 3.8 (Debian's, started
// here) with this package's records and checks that every reply decodes,
// to the last byte, as ResponseFor says. ZKD_REFERENCE_ZK may name another
// disposable server on loopback instead (it creates and deletes /zkdref):
//
//	ZKD_REFERENCE_ZK=127.0.0.1:2181 go test ./zkd/proto -run Reference -v
func TestReferenceServer(t *testing.T) {
	addr := os.Getenv("ZKD_REFERENCE_ZK")
	if addr == "" {
		srv := ztest.StartApache(t, ztest.Options{Extra: map[string]string{"zookeeper.extendedTypesEnabled": "true"}})
		addr = srv.Addr
	}
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	rc := &refClient{t: t, c: c}

	// Handshake with the readOnly byte: the answer must carry it too.
	if _, err := c.Write(AppendFrame(nil, &ConnectRequest{TimeOut: 10000, Passwd: make([]byte, 16), HasReadOnly: true})); err != nil {
		t.Fatal(err)
	}
	frame, err := ReadFrame(c, nil, DefaultMaxBuffer)
	if err != nil {
		t.Fatal(err)
	}
	var cresp ConnectResponse
	if err := Decode(frame, &cresp); err != nil || len(frame) != ConnectResponseSizeReadOnly || !cresp.HasReadOnly || cresp.SessionID == 0 {
		t.Fatalf("ConnectResponse %d bytes %+v %v", len(frame), cresp, err)
	}

	open := OpenACLUnsafe()
	rc.call(OpCreate2, &CreateRequest{Path: "/zkdref", Data: []byte("root"), ACL: open}, ErrOK)
	eph := rc.call(OpCreate, &CreateRequest{Path: "/zkdref/e-", ACL: open, Flags: ModeEphemeralSequential}, ErrOK).(*CreateResponse).Path
	rc.call(OpCreateTTL, &CreateTTLRequest{Path: "/zkdref/ttl", ACL: open, Flags: ModePersistentWithTTL, TTL: 60000}, ErrOK)
	rc.call(OpCreateContainer, &CreateRequest{Path: "/zkdref/box", ACL: open, Flags: ModeContainer}, ErrOK)
	rc.call(OpExists, &ExistsRequest{Path: "/zkdref/none"}, ErrNoNode)
	rc.call(OpGetChildren2, &GetChildren2Request{Path: "/zkdref"}, ErrOK)
	rc.call(OpGetAllChildrenNumber, &GetAllChildrenNumberRequest{Path: "/zkdref"}, ErrOK)
	rc.call(OpGetEphemerals, &GetEphemeralsRequest{PrefixPath: "/zkdref"}, ErrOK)
	rc.call(OpGetACL, &GetACLRequest{Path: "/zkdref"}, ErrOK)
	rc.call(OpSetACL, &SetACLRequest{Path: "/zkdref/box", ACL: open, Version: -1}, ErrOK)
	rc.call(OpSync, &SyncRequest{Path: "/zkdref"}, ErrOK)
	rc.call(OpWhoAmI, nil, ErrOK)
	rc.call(OpAddWatch, &AddWatchRequest{Path: "/zkdref", Mode: AddWatchPersistent}, ErrOK)
	rc.call(OpRemoveWatches, &RemoveWatchesRequest{Path: "/zkdref/none", Type: WatcherAny}, ErrNoWatcher)
	rc.call(OpSetWatches2, &SetWatches2{DataWatches: []string{}, ExistWatches: []string{}, ChildWatches: []string{},
		PersistentWatches: []string{}, PersistentRecursiveWatches: []string{}}, ErrOK)

	// A multi whose check fails: every op comes back as an error result
	// and the reply header says OK.
	failed := rc.call(OpMulti, &MultiRequest{Ops: []MultiOp{
		{OpCreate, &CreateRequest{Path: "/zkdref/a", ACL: open}},
		{OpCheck, &CheckVersionRequest{Path: "/zkdref", Version: 99}},
		{OpDelete, &DeleteRequest{Path: "/zkdref/none", Version: -1}},
	}}, ErrOK).(*MultiResponse)
	wantFailed := []MultiResult{{Type: OpError, Err: ErrOK}, {Type: OpError, Err: ErrBadVersion}, {Type: OpError, Err: ErrRuntimeInconsistency}}
	if !reflect.DeepEqual(failed.Results, wantFailed) {
		t.Errorf("failed multi: %+v", failed.Results)
	}
	// A successful multi: how 3.8 answers each create flavour.
	ok := rc.call(OpMulti, &MultiRequest{Ops: []MultiOp{
		{OpCreate2, &CreateRequest{Path: "/zkdref/b", ACL: open}},
		{OpCreate, &CreateRequest{Path: "/zkdref/c", ACL: open, Flags: ModeContainer}},
		{OpSetData, &SetDataRequest{Path: "/zkdref/b", Data: []byte("x"), Version: -1}},
		{OpCheck, &CheckVersionRequest{Path: "/zkdref/b", Version: 1}},
		{OpDelete, &DeleteRequest{Path: "/zkdref/c", Version: -1}},
	}}, ErrOK).(*MultiResponse)
	var types []OpCode
	for _, r := range ok.Results {
		types = append(types, r.Type)
	}
	// create2 runs as create (Op.Create derives the op from the flags);
	// a container mode runs as createContainer, answered as create2.
	if want := []OpCode{OpCreate, OpCreate2, OpSetData, OpCheck, OpDelete}; !reflect.DeepEqual(types, want) {
		t.Errorf("multi result types %v, want %v", types, want)
	}
	read := rc.call(OpMultiRead, &MultiRequest{Ops: []MultiOp{
		{OpGetData, &GetDataRequest{Path: "/zkdref"}},
		{OpGetChildren, &GetChildrenRequest{Path: "/zkdref/none"}},
		{OpGetChildren, &GetChildrenRequest{Path: "/zkdref"}},
	}}, ErrOK).(*MultiResponse)
	if len(read.Results) != 3 || read.Results[0].Type != OpGetData || read.Results[1].Err != ErrNoNode || read.Results[2].Type != OpGetChildren {
		t.Errorf("multiRead: %+v", read.Results)
	}

	// A data watch, then a change: the notification comes first, with
	// zxid -1.
	rc.call(OpGetData, &GetDataRequest{Path: "/zkdref/b", Watch: true}, ErrOK)
	rc.send(OpSetData, &SetDataRequest{Path: "/zkdref/b", Data: []byte("y"), Version: -1})
	h, d := rc.read()
	var ev WatcherEvent
	ev.Decode(d)
	if h.Xid != XidNotification || h.Zxid != -1 || d.Err() != nil ||
		ev != (WatcherEvent{Type: EventNodeDataChanged, State: StateSyncConnected, Path: "/zkdref/b"}) {
		t.Errorf("notification %+v %+v %v", h, ev, d.Err())
	}
	rc.expect(OpSetData, ErrOK)

	for _, p := range []string{"/zkdref/b", eph, "/zkdref/ttl", "/zkdref/box", "/zkdref"} {
		rc.call(OpDelete, &DeleteRequest{Path: p, Version: -1}, ErrOK)
	}
	rc.call(OpCloseSession, nil, ErrOK)
}

// refClient is a minimal synchronous client: one request, one reply.
type refClient struct {
	t   *testing.T
	c   net.Conn
	xid int32
	buf []byte
}

func (rc *refClient) send(op OpCode, body Record) {
	rc.t.Helper()
	rc.xid++
	if _, err := rc.c.Write(AppendRequest(nil, RequestHeader{Xid: rc.xid, Type: op}, body)); err != nil {
		rc.t.Fatal(err)
	}
}

func (rc *refClient) read() (ReplyHeader, *Decoder) {
	rc.t.Helper()
	frame, err := ReadFrame(rc.c, rc.buf, DefaultMaxBuffer)
	if err != nil {
		rc.t.Fatal(err)
	}
	rc.buf = frame
	d := NewDecoder(frame)
	var h ReplyHeader
	h.Decode(d)
	return h, d
}

// expect reads the reply to op and checks its header and body.
func (rc *refClient) expect(op OpCode, wantErr ErrCode) Record {
	rc.t.Helper()
	h, d := rc.read()
	for h.Xid == XidNotification || h.Xid == XidPing {
		h, d = rc.read()
	}
	if h.Xid != rc.xid || h.Err != wantErr {
		rc.t.Fatalf("%v: reply %+v, want xid %d err %v", op, h, rc.xid, wantErr)
	}
	resp := ResponseFor(op)
	if resp == nil || h.Err != ErrOK {
		if h.Err == ErrOK && d.Remaining() != 0 {
			rc.t.Errorf("%v: %d unexpected body bytes %x", op, d.Remaining(), d.Rest())
		}
		return nil
	}
	resp.Decode(d)
	if d.Err() != nil || d.Remaining() != 0 {
		rc.t.Errorf("%v: decoding %T: %v, %d bytes left", op, resp, d.Err(), d.Remaining())
	}
	return resp
}

func (rc *refClient) call(op OpCode, body Record, wantErr ErrCode) Record {
	rc.t.Helper()
	rc.send(op, body)
	return rc.expect(op, wantErr)
}
