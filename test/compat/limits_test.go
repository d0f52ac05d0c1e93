package compat

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/go-zookeeper/zk"

	"zkd/internal/ztest"
)

// TestPaths: go-zookeeper rejects most bad paths itself (ErrInvalidPath,
// nothing is sent); what it lets through, the server judges.
func TestPaths(t *testing.T) {
	srv := startServer(t, ztest.Options{})
	c := connect(t, srv.Addr)
	mustCreate(t, c, "/p", "", 0)

	tests := []struct {
		path  string
		flags int32
		want  error
	}{
		// Refused by the client.
		{"", 0, zk.ErrInvalidPath},
		{"rel", 0, zk.ErrInvalidPath},
		{"/p/", 0, zk.ErrInvalidPath},
		{"/p//x", 0, zk.ErrInvalidPath},
		{"/p/.", 0, zk.ErrInvalidPath},
		{"/p/..", 0, zk.ErrInvalidPath},
		{"/p/x\x00", 0, zk.ErrInvalidPath},
		{"/p/x\x01", 0, zk.ErrInvalidPath},
		{"/p/x\u007f", 0, zk.ErrInvalidPath},
		{"/p/x\uf000", 0, zk.ErrInvalidPath},
		{"/p/x\ufff5", 0, zk.ErrInvalidPath},
		// Refused by the server (PathUtils also bans \ud800-\uf8ff).
		{"/p/x\ue000", 0, zk.ErrBadArguments},
		{"/p/x\ud7ff", 0, nil},
		// Fine by both.
		{"/p/.x", 0, nil},
		{"/p/..x", 0, nil},
		{"/p/x.", 0, nil},
		{"/p/x y", 0, nil},
		{"/p/\u00e9\u4e2d", 0, nil},
		{"/p/x\u00a0", 0, nil},
		{"/p/", zk.FlagSequence, nil}, // the suffix makes it valid
	}
	for _, tc := range tests {
		_, err := c.Create(tc.path, nil, tc.flags, openACL)
		wantErr(t, fmt.Sprintf("create %q flags %d", tc.path, tc.flags), err, tc.want)
	}
	// Reads do not validate paths: such a node just does not exist.
	_, _, err := c.Get("/p/x\ue000")
	wantErr(t, "get bad path", err, zk.ErrNoNode)
	if ok, _, err := c.Exists("/p/x\ue000"); ok || err != nil {
		t.Errorf("exists bad path = %v, %v; want false, nil", ok, err)
	}
}

// TestPacketLimit: a request frame longer than jute.maxbuffer (1048575
// bytes after the length prefix) makes Apache close the connection
// ("Len error") without an answer. The session lives on; go-zookeeper
// reconnects and the request fails with ErrConnectionClosed.
func TestPacketLimit(t *testing.T) {
	srv := startServer(t, ztest.Options{})
	c := connect(t, srv.Addr)
	mustCreate(t, c, "/d", "", 0)
	sid := c.SessionID()
	// setData frame: xid 4, type 4, path 4+2, data 4+n, version 4.
	const maxbuf = 1048575
	fits := maxbuf - 22

	big := bytes.Repeat([]byte{'z'}, fits)
	if _, err := c.Set("/d", big, -1); err != nil {
		t.Fatalf("set %d bytes (frame = jute.maxbuffer): %v", fits, err)
	}
	data, _, err := c.Get("/d")
	if err != nil || !bytes.Equal(data, big) {
		t.Fatalf("get back %d bytes: %v", len(data), err)
	}

	for _, n := range []int{fits + 1, maxbuf + 1, maxbuf + 100000} {
		_, err := c.Set("/d", make([]byte, n), -1)
		wantConnLoss(t, fmt.Sprintf("set %d bytes", n), err)
		waitState(t, c, zk.StateHasSession, connectWait)
		if c.SessionID() != sid {
			t.Fatalf("session %#x after oversized packet, was %#x", c.SessionID(), sid)
		}
		if _, st, err := c.Get("/d"); err != nil || st.DataLength != int32(fits) || st.Version != 1 {
			t.Errorf("after oversized set: dataLength %d version %d, %v", st.DataLength, st.Version, err)
		}
	}
	_, err = c.Create("/big", make([]byte, maxbuf), 0, openACL)
	wantConnLoss(t, "create 1 MiB", err)
	waitState(t, c, zk.StateHasSession, connectWait)
	if ok, _, _ := c.Exists("/big"); ok {
		t.Error("/big created")
	}
}
