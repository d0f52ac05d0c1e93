package compat

import (
	"bytes"
	"testing"

	"zkd/internal/ztest"
	"zkd/zkd/proto"
)

// TestHandshake checks the ConnectRequest/ConnectResponse exchange byte for
// byte: sizes, negotiated timeout, reattach, wrong password, unknown
// session, closed session, a client ahead of the server.
func TestHandshake(t *testing.T) {
	// tickTime 200: minSessionTimeout 400, maxSessionTimeout 4000.
	srv := startServer(t, ztest.Options{TickTime: 200})

	t.Run("sizes", func(t *testing.T) {
		for _, ro := range []bool{false, true} {
			r := dialRaw(t, srv.Addr)
			resp, n := r.handshake(proto.ConnectRequest{TimeOut: 1000, Passwd: make([]byte, 16), HasReadOnly: ro})
			want := 36
			if ro {
				want = 37
			}
			if n != want || resp.HasReadOnly != ro || resp.ReadOnly {
				t.Errorf("readOnly byte sent %v: response %d bytes (readOnly present %v value %v), want %d", ro, n, resp.HasReadOnly, resp.ReadOnly, want)
			}
			if resp.ProtocolVersion != 0 || resp.TimeOut != 1000 || resp.SessionID == 0 || len(resp.Passwd) != 16 {
				t.Errorf("response %+v", resp)
			}
		}
	})

	t.Run("timeout clamped to [2,20] ticks", func(t *testing.T) {
		for _, tc := range []struct{ ask, want int32 }{{1, 400}, {399, 400}, {400, 400}, {1234, 1234}, {4000, 4000}, {100000, 4000}, {0, 400}, {-5, 400}} {
			_, resp := newRawSession(t, srv.Addr, tc.ask)
			if resp.TimeOut != tc.want {
				t.Errorf("asked %d ms: negotiated %d, want %d", tc.ask, resp.TimeOut, tc.want)
			}
		}
	})

	t.Run("reattach", func(t *testing.T) {
		first, s := newRawSession(t, srv.Addr, 2000)
		r := dialRaw(t, srv.Addr)
		resp, _ := r.handshake(proto.ConnectRequest{TimeOut: 3000, SessionID: s.SessionID, Passwd: s.Passwd})
		if resp.SessionID != s.SessionID || !bytes.Equal(resp.Passwd, s.Passwd) {
			t.Errorf("reattach: %+v, want session %#x and the same password", resp, s.SessionID)
		}
		// The timeout is negotiated again from the new request.
		if resp.TimeOut != 3000 {
			t.Errorf("reattach timeout %d, want 3000", resp.TimeOut)
		}
		// The server drops the session's old connection.
		first.expectClosed()
		// The session works on the new connection.
		var st proto.ExistsResponse
		if h := r.call(1, proto.OpExists, &proto.ExistsRequest{Path: "/"}, &st); h.Err != proto.ErrOK {
			t.Errorf("exists on reattached session: %v", h.Err)
		}
	})

	expired := func(t *testing.T, r *rawConn, resp proto.ConnectResponse) {
		t.Helper()
		if resp.TimeOut != 0 || resp.SessionID != 0 || !bytes.Equal(resp.Passwd, make([]byte, 16)) {
			t.Errorf("response %+v, want timeout 0, session 0, 16 zero bytes", resp)
		}
		r.expectClosed()
	}

	t.Run("wrong password", func(t *testing.T) {
		_, s := newRawSession(t, srv.Addr, 2000)
		bad := append([]byte{}, s.Passwd...)
		bad[0] ^= 0xff
		r := dialRaw(t, srv.Addr)
		resp, _ := r.handshake(proto.ConnectRequest{TimeOut: 2000, SessionID: s.SessionID, Passwd: bad})
		expired(t, r, resp)
	})

	t.Run("unknown session", func(t *testing.T) {
		_, s := newRawSession(t, srv.Addr, 2000)
		r := dialRaw(t, srv.Addr)
		resp, _ := r.handshake(proto.ConnectRequest{TimeOut: 2000, SessionID: s.SessionID + 1000, Passwd: s.Passwd})
		expired(t, r, resp)
	})

	t.Run("closed session", func(t *testing.T) {
		c, s := newRawSession(t, srv.Addr, 2000)
		if h := c.call(1, proto.OpCloseSession, nil, nil); h.Err != proto.ErrOK {
			t.Fatalf("closeSession: %v", h.Err)
		}
		c.expectClosed()
		r := dialRaw(t, srv.Addr)
		resp, _ := r.handshake(proto.ConnectRequest{TimeOut: 2000, SessionID: s.SessionID, Passwd: s.Passwd})
		expired(t, r, resp)
	})

	t.Run("client ahead of server", func(t *testing.T) {
		r := dialRaw(t, srv.Addr)
		r.send(&proto.ConnectRequest{LastZxidSeen: 1 << 40, TimeOut: 2000, Passwd: make([]byte, 16)})
		r.expectClosed()
	})
}
