package compat

import (
	"testing"

	"zkd/zkd/proto"
)

// TestCreateResponses checks with raw packets what go-zookeeper cannot
// show: create (1) answers only the path, while create2 (15),
// createContainer (19) and createTTL (21) answer the path and the new
// node's stat, whose czxid is the reply's zxid.
func TestCreateResponses(t *testing.T) {
	srv := startServer(t, extendedOptions())
	r, _ := newRawSession(t, srv.Addr, 10000)
	open := proto.OpenACLUnsafe()
	xid := int32(0)
	next := func() int32 { xid++; return xid }

	var cr proto.CreateResponse
	if h := r.call(next(), proto.OpCreate, &proto.CreateRequest{Path: "/c1", Data: []byte("x"), ACL: open}, &cr); h.Err != proto.ErrOK || cr.Path != "/c1" {
		t.Fatalf("create = %v %q", h.Err, cr.Path)
	}

	tests := []struct {
		name string
		op   proto.OpCode
		req  proto.Record
		path string
		eph  int64 // ephemeralOwner clients see
	}{
		{"create2", proto.OpCreate2, &proto.CreateRequest{Path: "/c2", Data: []byte("abc"), ACL: open}, "/c2", 0},
		{"create2 sequential", proto.OpCreate2, &proto.CreateRequest{Path: "/s-", ACL: open, Flags: proto.ModePersistentSequential}, "/s-0000000002", 0},
		{"createContainer", proto.OpCreateContainer, &proto.CreateRequest{Path: "/box", ACL: open, Flags: proto.ModeContainer}, "/box", 0},
		{"createTTL", proto.OpCreateTTL, &proto.CreateTTLRequest{Path: "/ttl", ACL: open, Flags: proto.ModePersistentWithTTL, TTL: 60000}, "/ttl", 0},
	}
	for _, tc := range tests {
		var resp proto.Create2Response
		h := r.call(next(), tc.op, tc.req, &resp)
		if h.Err != proto.ErrOK {
			t.Errorf("%s: %v", tc.name, h.Err)
			continue
		}
		st := resp.Stat
		if resp.Path != tc.path || st.Czxid != h.Zxid || st.Mzxid != h.Zxid || st.Pzxid != h.Zxid ||
			st.Ctime != st.Mtime || st.Ctime == 0 || st.Version != 0 || st.EphemeralOwner != tc.eph {
			t.Errorf("%s: path %q stat %+v reply zxid %d", tc.name, resp.Path, st, h.Zxid)
		}
		var ex proto.ExistsResponse
		if h := r.call(next(), proto.OpExists, &proto.ExistsRequest{Path: resp.Path}, &ex); h.Err != proto.ErrOK || ex.Stat != st {
			t.Errorf("%s: exists stat %+v, create2 stat %+v", tc.name, ex.Stat, st)
		}
	}

	// An error reply has no body at all.
	if h := r.call(next(), proto.OpCreate2, &proto.CreateRequest{Path: "/c2", ACL: open}, nil); h.Err != proto.ErrNodeExists {
		t.Errorf("create2 existing: %v", h.Err)
	}
	// The opcode, not the flags, makes a container: createContainer with
	// flags 0 or 1 creates a container (the sequential bit would still add
	// a suffix), while create2 with the container flag creates a plain
	// persistent node. TTL modes need createTTL, and createTTL needs a TTL
	// mode.
	modes := []struct {
		name      string
		op        proto.OpCode
		req       proto.Record
		want      proto.ErrCode
		container bool
	}{
		{"createContainer flags 0", proto.OpCreateContainer, &proto.CreateRequest{Path: "/k0", ACL: open}, proto.ErrOK, true},
		{"createContainer flags 1", proto.OpCreateContainer, &proto.CreateRequest{Path: "/k1", ACL: open, Flags: proto.ModeEphemeral}, proto.ErrOK, true},
		{"create2 container flag", proto.OpCreate2, &proto.CreateRequest{Path: "/k4", ACL: open, Flags: proto.ModeContainer}, proto.ErrOK, false},
		{"create2 persistent", proto.OpCreate2, &proto.CreateRequest{Path: "/kp", ACL: open}, proto.ErrOK, false},
		{"createContainer TTL flag", proto.OpCreateContainer, &proto.CreateRequest{Path: "/k5", ACL: open, Flags: proto.ModePersistentWithTTL}, proto.ErrBadArguments, false},
		{"create2 TTL flag", proto.OpCreate2, &proto.CreateRequest{Path: "/k5", ACL: open, Flags: proto.ModePersistentWithTTL}, proto.ErrBadArguments, false},
		{"create TTL flag", proto.OpCreate, &proto.CreateRequest{Path: "/k5", ACL: open, Flags: proto.ModePersistentWithTTL}, proto.ErrBadArguments, false},
		{"create2 flags 7", proto.OpCreate2, &proto.CreateRequest{Path: "/k7", ACL: open, Flags: 7}, proto.ErrBadArguments, false},
		{"createTTL flags 0", proto.OpCreateTTL, &proto.CreateTTLRequest{Path: "/t0", ACL: open, TTL: 1000}, proto.ErrBadArguments, false},
		{"createTTL container flag", proto.OpCreateTTL, &proto.CreateTTLRequest{Path: "/t4", ACL: open, Flags: proto.ModeContainer, TTL: 1000}, proto.ErrBadArguments, false},
	}
	var containers, plain []string
	for _, m := range modes {
		var resp proto.Create2Response
		var body proto.Record = &resp
		if m.want != proto.ErrOK {
			body = nil
		}
		h := r.call(next(), m.op, m.req, body)
		if h.Err != m.want {
			t.Errorf("%s: %v, want %v", m.name, h.Err, m.want)
			continue
		}
		if m.want != proto.ErrOK {
			continue
		}
		// Give each a child and take it away: only containers then go.
		kid := resp.Path + "/kid"
		if h := r.call(next(), proto.OpCreate, &proto.CreateRequest{Path: kid, ACL: open}, &proto.CreateResponse{}); h.Err != proto.ErrOK {
			t.Fatalf("%s: create child: %v", m.name, h.Err)
		}
		if h := r.call(next(), proto.OpDelete, &proto.DeleteRequest{Path: kid, Version: -1}, nil); h.Err != proto.ErrOK {
			t.Fatalf("%s: delete child: %v", m.name, h.Err)
		}
		if m.container {
			containers = append(containers, resp.Path)
		} else {
			plain = append(plain, resp.Path)
		}
	}
	exists := func(p string) bool {
		var ex proto.ExistsResponse
		return r.call(next(), proto.OpExists, &proto.ExistsRequest{Path: p}, &ex).Err == proto.ErrOK
	}
	eventually(t, eventWait, "emptied containers removed", func() bool {
		for _, p := range containers {
			if exists(p) {
				return false
			}
		}
		return true
	})
	for _, p := range plain {
		if !exists(p) {
			t.Errorf("%s removed, but it is no container", p)
		}
	}
}
