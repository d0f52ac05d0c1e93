package proto

import (
	"errors"
	"net"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
)

// seenRequest is what the fake server decoded from the real client.
type seenRequest struct {
	hdr  RequestHeader
	body Record
}

// fakeServer answers one go-zookeeper connection with canned replies built
// by this package, and records the requests it decoded. It is the interop
// check between this codec and a real client: the client's encoder is not
// exported, so its bytes are taken off a loopback socket.
type fakeServer struct {
	t       *testing.T
	mu      sync.Mutex
	connect ConnectRequest
	seen    []seenRequest
}

func (s *fakeServer) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	frame, err := ReadFrame(c, nil, DefaultMaxBuffer)
	if err != nil {
		s.t.Errorf("reading ConnectRequest: %v", err)
		return
	}
	var creq ConnectRequest
	if err := Decode(frame, &creq); err != nil {
		s.t.Errorf("decoding ConnectRequest: %v", err)
		return
	}
	s.mu.Lock()
	s.connect = creq
	s.mu.Unlock()
	out := AppendFrame(nil, &ConnectResponse{
		TimeOut: creq.TimeOut, SessionID: 0x1234,
		Passwd: make([]byte, SessionPasswdLen), HasReadOnly: creq.HasReadOnly,
	})
	if _, err := c.Write(out); err != nil {
		s.t.Errorf("writing ConnectResponse: %v", err)
		return
	}
	zxid := int64(100)
	buf := frame
	for {
		frame, err := ReadFrame(c, buf, DefaultMaxBuffer)
		if err != nil {
			return // the client hung up
		}
		buf = frame
		d := NewDecoder(frame)
		var h RequestHeader
		h.Decode(d)
		body := RequestFor(h.Type)
		if body != nil {
			body.Decode(d)
		}
		if d.Err() != nil {
			s.t.Errorf("decoding %v: %v", h.Type, d.Err())
			return
		}
		s.mu.Lock()
		s.seen = append(s.seen, seenRequest{h, body})
		s.mu.Unlock()
		zxid++
		reply := ReplyHeader{Xid: h.Xid, Zxid: zxid}
		var resp Record
		var event *WatcherEvent
		switch h.Type {
		case OpCreate:
			resp = &CreateResponse{Path: body.(*CreateRequest).Path + "0000000001"}
		case OpGetData:
			resp = &GetDataResponse{Data: []byte("v1"), Stat: testStat()}
		case OpSetData:
			resp = &SetDataResponse{Stat: testStat()}
		case OpGetChildren2:
			resp = &GetChildren2Response{Children: []string{"a", "b"}, Stat: testStat()}
		case OpExists:
			reply.Err = ErrNoNode
			event = &WatcherEvent{Type: EventNodeCreated, State: StateSyncConnected, Path: body.(*ExistsRequest).Path}
		case OpMulti:
			resp = &MultiResponse{Results: []MultiResult{
				{Type: OpError, Err: ErrOK},
				{Type: OpError, Err: ErrBadVersion},
				{Type: OpError, Err: ErrRuntimeInconsistency},
			}}
		case OpPing, OpAuth, OpCloseSession:
		default:
			reply.Err = ErrUnimplemented
		}
		out = AppendReply(out[:0], reply, resp)
		if event != nil {
			out = AppendNotification(out, event)
		}
		if _, err := c.Write(out); err != nil {
			return
		}
		if h.Type == OpCloseSession {
			return
		}
	}
}

func TestGoZookeeperClientInterop(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fakeServer{t: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			t.Errorf("accept: %v", err)
			return
		}
		srv.serve(c)
	}()
	defer func() {
		ln.Close()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("fake server did not finish")
		}
	}()

	conn, _, err := zk.Connect([]string{ln.Addr().String()}, 4*time.Second, zk.WithLogInfo(false))
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.AddAuth("digest", []byte("alice:secret")); err != nil {
		t.Fatalf("AddAuth: %v", err)
	}
	path, err := conn.Create("/q/n-", []byte("hi"), zk.FlagSequence, zk.WorldACL(zk.PermAll))
	if err != nil || path != "/q/n-0000000001" {
		t.Fatalf("Create: %q %v", path, err)
	}
	data, stat, err := conn.Get("/q")
	want := testStat()
	if err != nil || string(data) != "v1" || stat.Czxid != want.Czxid || stat.Pzxid != want.Pzxid ||
		stat.EphemeralOwner != want.EphemeralOwner || stat.NumChildren != want.NumChildren {
		t.Fatalf("Get: %q %+v %v", data, stat, err)
	}
	if _, err := conn.Set("/q", []byte("v2"), 5); err != nil {
		t.Fatalf("Set: %v", err)
	}
	children, _, err := conn.Children("/q")
	if err != nil || !reflect.DeepEqual(children, []string{"a", "b"}) {
		t.Fatalf("Children: %v %v", children, err)
	}
	ok, _, events, err := conn.ExistsW("/w")
	if err != nil || ok {
		t.Fatalf("ExistsW: %v %v", ok, err)
	}
	select {
	case ev := <-events:
		if ev.Type != zk.EventNodeCreated || ev.Path != "/w" {
			t.Fatalf("watch event %+v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no watch event")
	}
	res, err := conn.Multi(
		&zk.CreateRequest{Path: "/m", Data: []byte("x"), Acl: zk.WorldACL(zk.PermAll)},
		&zk.CheckVersionRequest{Path: "/m", Version: 3},
		&zk.DeleteRequest{Path: "/d", Version: -1},
	)
	if !errors.Is(err, zk.ErrBadVersion) || len(res) != 3 || res[0].Error != nil ||
		!errors.Is(res[1].Error, zk.ErrBadVersion) || res[2].Error == nil {
		t.Fatalf("Multi: %+v %v", res, err)
	}
	conn.Close()

	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.connect.TimeOut != 4000 || srv.connect.SessionID != 0 || srv.connect.HasReadOnly {
		t.Errorf("ConnectRequest %+v", srv.connect)
	}
	var got []seenRequest
	for _, r := range srv.seen {
		if r.hdr.Type != OpPing {
			got = append(got, r)
		}
	}
	open := []ACL{{Perms: PermAll, ID: WorldAnyone}}
	wantSeen := []struct {
		op   OpCode
		body Record
	}{
		{OpAuth, &AuthPacket{Scheme: "digest", Auth: []byte("alice:secret")}},
		{OpCreate, &CreateRequest{Path: "/q/n-", Data: []byte("hi"), ACL: open, Flags: ModePersistentSequential}},
		{OpGetData, &GetDataRequest{Path: "/q"}},
		{OpSetData, &SetDataRequest{Path: "/q", Data: []byte("v2"), Version: 5}},
		{OpGetChildren2, &GetChildren2Request{Path: "/q"}},
		{OpExists, &ExistsRequest{Path: "/w", Watch: true}},
		{OpMulti, &MultiRequest{Ops: []MultiOp{
			{OpCreate, &CreateRequest{Path: "/m", Data: []byte("x"), ACL: open}},
			{OpCheck, &CheckVersionRequest{Path: "/m", Version: 3}},
			{OpDelete, &DeleteRequest{Path: "/d", Version: -1}},
		}}},
		{OpCloseSession, nil},
	}
	if len(got) != len(wantSeen) {
		t.Fatalf("server saw %d requests, want %d: %+v", len(got), len(wantSeen), got)
	}
	for i, w := range wantSeen {
		if got[i].hdr.Type != w.op || !reflect.DeepEqual(got[i].body, w.body) {
			t.Errorf("request %d: got %v %+v, want %v %+v", i, got[i].hdr.Type, got[i].body, w.op, w.body)
		}
	}
	// go-zookeeper sends auth with an ordinary xid (the Java client uses
	// XidAuth); a server must echo whichever it gets.
	if got[0].hdr.Xid == XidPing || got[0].hdr.Xid == XidNotification {
		t.Errorf("auth xid %d", got[0].hdr.Xid)
	}
}
