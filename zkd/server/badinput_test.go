package server

import (
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"zkd/zkd/proto"
)

// rawHandshake opens a session by hand and returns the connection.
func rawHandshake(t *testing.T, s *Server) net.Conn {
	t.Helper()
	nc, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	req := proto.ConnectRequest{TimeOut: 4000, Passwd: make([]byte, 16), HasReadOnly: true}
	if _, err := nc.Write(proto.AppendFrame(nil, &req)); err != nil {
		t.Fatal(err)
	}
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	frame, err := proto.ReadFrame(nc, nil, 1<<20)
	if err != nil {
		t.Fatalf("reading connect response: %v", err)
	}
	var resp proto.ConnectResponse
	if err := proto.Decode(frame, &resp); err != nil || resp.SessionID == 0 {
		t.Fatalf("connect response %+v, %v", resp, err)
	}
	return nc
}

// closedByServer reports whether the server closes nc within the deadline,
// reading (and discarding) whatever it sends first.
func closedByServer(nc net.Conn) bool {
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := io.Copy(io.Discard, nc)
	return err == nil // EOF: the server closed it
}

func TestBadInputClosesOnlyThatConnection(t *testing.T) {
	s := startServer(t, Config{})
	good := connect(t, s)
	if _, err := good.Create("/still", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	be32 := func(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
	cases := []struct {
		name      string
		handshake bool
		send      []byte
	}{
		{"garbage before handshake", false, []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")},
		{"absurd length before handshake", false, be32(0x7fffffff)},
		{"negative length before handshake", false, be32(0xffffffff)},
		{"short connect request", false, append(be32(8), make([]byte, 8)...)},
		{"truncated connect request", false, append(be32(44), make([]byte, 10)...)},
		{"absurd length after handshake", true, be32(0x7ffffff0)},
		{"truncated request header", true, append(be32(3), 0, 0, 1)},
		{"unknown opcode", true, append(be32(8), append(be32(1), be32(9999)...)...)},
		{"malformed create body", true, append(be32(12), append(append(be32(1), be32(1)...), be32(0xfffffff0)...)...)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var nc net.Conn
			if tc.handshake {
				nc = rawHandshake(t, s)
			} else {
				var err error
				if nc, err = net.Dial("tcp", s.Addr().String()); err != nil {
					t.Fatal(err)
				}
			}
			defer nc.Close()
			nc.Write(tc.send)
			if tc.name == "truncated connect request" || tc.name == "short connect request" {
				// The server waits for the rest; a half-close shows the
				// peer gave up mid-frame.
				nc.(*net.TCPConn).CloseWrite()
			}
			if !closedByServer(nc) {
				t.Fatal("server kept the connection open")
			}
			// Everyone else is still served.
			if _, _, err := good.Get("/still"); err != nil {
				t.Fatalf("other session broken after bad input: %v", err)
			}
		})
	}
}

// TestPipelinedReadDoesNotSeeLaterWrite sends a getData with a watch and
// a setData of the same node in one packet burst: the read must answer the
// old value, the watch must fire for the set, and the event must come
// before the set's reply (as ZooKeeper's CommitProcessor orders them).
func TestPipelinedReadDoesNotSeeLaterWrite(t *testing.T) {
	s := startServer(t, Config{})
	nc := rawHandshake(t, s)
	defer nc.Close()
	rawRequest(t, nc, 1, proto.OpCreate, &proto.CreateRequest{Path: "/p", Data: []byte("old"), ACL: proto.OpenACLUnsafe()})
	for i := 0; i < 50; i++ {
		var burst []byte
		burst = proto.AppendRequest(burst, proto.RequestHeader{Xid: 10, Type: proto.OpGetData}, &proto.GetDataRequest{Path: "/p", Watch: true})
		burst = proto.AppendRequest(burst, proto.RequestHeader{Xid: 11, Type: proto.OpSetData}, &proto.SetDataRequest{Path: "/p", Data: []byte("new"), Version: -1})
		burst = proto.AppendRequest(burst, proto.RequestHeader{Xid: 12, Type: proto.OpSetData}, &proto.SetDataRequest{Path: "/p", Data: []byte("old"), Version: -1})
		if _, err := nc.Write(burst); err != nil {
			t.Fatal(err)
		}
		var order []int32
		for len(order) < 4 {
			frame, err := proto.ReadFrame(nc, nil, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			d := proto.NewDecoder(frame)
			var h proto.ReplyHeader
			h.Decode(d)
			order = append(order, h.Xid)
			if h.Xid == 10 {
				var r proto.GetDataResponse
				r.Decode(d)
				if string(r.Data) != "old" {
					t.Fatalf("round %d: read sent before the set saw %q", i, r.Data)
				}
			}
		}
		want := []int32{10, proto.XidNotification, 11, 12}
		for j := range want {
			if order[j] != want[j] {
				t.Fatalf("round %d: frames in order %v, want %v", i, order, want)
			}
		}
	}
}
