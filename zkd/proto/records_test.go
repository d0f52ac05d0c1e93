package proto

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
)

// testStat has a distinct value in every field so a swapped or shifted
// field shows up in comparisons.
func testStat() Stat {
	return Stat{
		Czxid: 0x0102030405060708, Mzxid: 0x1112131415161718,
		Ctime: 1700000000123, Mtime: 1700000000456,
		Version: 5, Cversion: 6, Aversion: 7,
		EphemeralOwner: 0x2122232425262728,
		DataLength:     11, NumChildren: 12,
		Pzxid: 0x3132333435363738,
	}
}

func testACL() []ACL {
	return []ACL{
		{Perms: PermAll, ID: WorldAnyone},
		{Perms: PermRead | PermAdmin, ID: ID{Scheme: "digest", ID: "bob:x1y2"}},
	}
}

// roundTripCases holds one populated value of every record in the package.
func roundTripCases() []struct {
	name string
	rec  Record
} {
	st := testStat()
	return []struct {
		name string
		rec  Record
	}{
		{"ConnectRequest/old", &ConnectRequest{LastZxidSeen: 0x1122334455, TimeOut: 30000, SessionID: 0x0100000000000abc, Passwd: make([]byte, 16)}},
		{"ConnectRequest/readOnly", &ConnectRequest{TimeOut: 1, Passwd: []byte{1, 2}, ReadOnly: true, HasReadOnly: true}},
		{"ConnectRequest/nullPasswd", &ConnectRequest{ProtocolVersion: 0, HasReadOnly: true}},
		{"ConnectResponse/old", &ConnectResponse{TimeOut: 4000, SessionID: -1, Passwd: []byte{9}}},
		{"ConnectResponse/readOnly", &ConnectResponse{TimeOut: 4000, Passwd: []byte{}, ReadOnly: true, HasReadOnly: true}},
		{"RequestHeader", &RequestHeader{Xid: -8, Type: OpSetWatches}},
		{"ReplyHeader", &ReplyHeader{Xid: 3, Zxid: -1, Err: ErrNoNode}},
		{"MultiHeader", &MultiHeader{Type: OpCheck, Done: true, Err: -1}},
		{"Stat", &st},
		{"CreateRequest", &CreateRequest{Path: "/a/b-", Data: []byte("x"), ACL: testACL(), Flags: ModeEphemeralSequential}},
		{"CreateRequest/nulls", &CreateRequest{Path: "/a"}},
		{"CreateTTLRequest", &CreateTTLRequest{Path: "/t", Data: []byte{}, ACL: OpenACLUnsafe(), Flags: ModePersistentWithTTL, TTL: 1 << 40}},
		{"DeleteRequest", &DeleteRequest{Path: "/d", Version: -1}},
		{"ExistsRequest", &ExistsRequest{Path: "/e", Watch: true}},
		{"GetDataRequest", &GetDataRequest{Path: "/g", Watch: true}},
		{"SetDataRequest", &SetDataRequest{Path: "/s", Data: []byte("new"), Version: 3}},
		{"GetACLRequest", &GetACLRequest{Path: "/acl"}},
		{"SetACLRequest", &SetACLRequest{Path: "/acl", ACL: testACL(), Version: 2}},
		{"GetChildrenRequest", &GetChildrenRequest{Path: "/", Watch: true}},
		{"GetChildren2Request", &GetChildren2Request{Path: "/c2"}},
		{"GetAllChildrenNumberRequest", &GetAllChildrenNumberRequest{Path: "/n"}},
		{"GetEphemeralsRequest", &GetEphemeralsRequest{PrefixPath: "/"}},
		{"SyncRequest", &SyncRequest{Path: "/sync"}},
		{"CheckVersionRequest", &CheckVersionRequest{Path: "/v", Version: 9}},
		{"AuthPacket", &AuthPacket{Scheme: "digest", Auth: []byte("alice:secret")}},
		{"SASLRequest", &SASLRequest{Token: []byte{0, 1, 2}}},
		{"SetWatches", &SetWatches{RelativeZxid: 42, DataWatches: []string{"/a"}, ExistWatches: []string{}, ChildWatches: nil}},
		{"SetWatches2", &SetWatches2{RelativeZxid: 43, DataWatches: []string{"/a", "/b"}, ExistWatches: nil, ChildWatches: []string{"/"}, PersistentWatches: []string{"/p"}, PersistentRecursiveWatches: []string{"/r"}}},
		{"AddWatchRequest", &AddWatchRequest{Path: "/w", Mode: AddWatchPersistentRecursive}},
		{"RemoveWatchesRequest", &RemoveWatchesRequest{Path: "/w", Type: WatcherAny}},
		{"ReconfigRequest", &ReconfigRequest{JoiningServers: "server.4=127.0.0.1:2888:3888;2181", LeavingServers: "2", CurConfigID: -1}},
		{"CreateResponse", &CreateResponse{Path: "/a/b-0000000001"}},
		{"Create2Response", &Create2Response{Path: "/c", Stat: st}},
		{"ExistsResponse", &ExistsResponse{Stat: st}},
		{"GetDataResponse", &GetDataResponse{Data: []byte("data"), Stat: st}},
		{"GetDataResponse/null", &GetDataResponse{Stat: st}},
		{"SetDataResponse", &SetDataResponse{Stat: st}},
		{"GetACLResponse", &GetACLResponse{ACL: testACL(), Stat: st}},
		{"SetACLResponse", &SetACLResponse{Stat: st}},
		{"GetChildrenResponse", &GetChildrenResponse{Children: []string{"a", "bb", ""}}},
		{"GetChildren2Response", &GetChildren2Response{Children: []string{}, Stat: st}},
		{"GetAllChildrenNumberResponse", &GetAllChildrenNumberResponse{TotalNumber: 1 << 20}},
		{"GetEphemeralsResponse", &GetEphemeralsResponse{Ephemerals: []string{"/e1", "/a/e2"}}},
		{"SyncResponse", &SyncResponse{Path: "/sync"}},
		{"ErrorResponse", &ErrorResponse{Err: ErrNodeExists}},
		{"SASLResponse", &SASLResponse{Token: []byte("challenge")}},
		{"WhoAmIResponse", &WhoAmIResponse{ClientInfo: []ClientInfo{{"ip", "127.0.0.1"}, {"digest", "alice"}}}},
		{"WhoAmIResponse/empty", &WhoAmIResponse{ClientInfo: []ClientInfo{}}},
		{"WatcherEvent", &WatcherEvent{Type: EventNodeChildrenChanged, State: StateSyncConnected, Path: "/w"}},
		{"MultiRequest/write", &MultiRequest{Ops: []MultiOp{
			{OpCreate, &CreateRequest{Path: "/m/a", Data: []byte("x"), ACL: OpenACLUnsafe(), Flags: ModeEphemeral}},
			{OpCreate2, &CreateRequest{Path: "/m/b", ACL: OpenACLUnsafe()}},
			{OpCreateContainer, &CreateRequest{Path: "/m/c", ACL: OpenACLUnsafe(), Flags: ModeContainer}},
			{OpCreateTTL, &CreateTTLRequest{Path: "/m/t", ACL: OpenACLUnsafe(), Flags: ModePersistentWithTTL, TTL: 5000}},
			{OpDelete, &DeleteRequest{Path: "/m/d", Version: 3}},
			{OpSetData, &SetDataRequest{Path: "/m", Data: []byte("z"), Version: -1}},
			{OpCheck, &CheckVersionRequest{Path: "/m", Version: 7}},
		}}},
		{"MultiRequest/read", &MultiRequest{Ops: []MultiOp{
			{OpGetChildren, &GetChildrenRequest{Path: "/m"}},
			{OpGetData, &GetDataRequest{Path: "/m/a"}},
		}}},
		{"MultiRequest/empty", &MultiRequest{}},
		{"MultiResponse/ok", &MultiResponse{Results: []MultiResult{
			{Type: OpCreate, Response: &CreateResponse{Path: "/m/a0000000001"}},
			{Type: OpCreate2, Response: &Create2Response{Path: "/m/t", Stat: st}},
			{Type: OpDelete},
			{Type: OpSetData, Response: &SetDataResponse{Stat: st}},
			{Type: OpCheck},
		}}},
		{"MultiResponse/failed", &MultiResponse{Results: []MultiResult{
			{Type: OpError, Err: ErrOK},
			{Type: OpError, Err: ErrBadVersion},
			{Type: OpError, Err: ErrRuntimeInconsistency},
		}}},
		{"MultiResponse/read", &MultiResponse{Results: []MultiResult{
			{Type: OpGetChildren, Response: &GetChildrenResponse{Children: []string{"a"}}},
			{Type: OpGetData, Response: &GetDataResponse{Data: []byte("v"), Stat: st}},
			{Type: OpError, Err: ErrNoNode},
		}}},
	}
}

// TestRoundTrip encodes every record, decodes it into a fresh value of the
// same type, and expects the same value back with nothing left over.
func TestRoundTrip(t *testing.T) {
	for _, tc := range roundTripCases() {
		t.Run(tc.name, func(t *testing.T) {
			buf := Encode(nil, tc.rec)
			got := reflect.New(reflect.TypeOf(tc.rec).Elem()).Interface().(Record)
			d := NewDecoder(buf)
			got.Decode(d)
			if err := d.Err(); err != nil {
				t.Fatalf("decode: %v (bytes %x)", err, buf)
			}
			if d.Remaining() != 0 {
				t.Fatalf("%d bytes left over", d.Remaining())
			}
			if !reflect.DeepEqual(got, tc.rec) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, tc.rec)
			}
		})
	}
}

// TestTruncated cuts every encoded record short at every length and expects
// an error, never a panic: no record's tail is optional except the
// handshake's readOnly flag.
func TestTruncated(t *testing.T) {
	for _, tc := range roundTripCases() {
		buf := Encode(nil, tc.rec)
		minLen := 0
		switch r := tc.rec.(type) {
		case *ConnectRequest:
			if r.HasReadOnly {
				minLen = len(buf) - 1
			}
		case *ConnectResponse:
			if r.HasReadOnly {
				minLen = len(buf) - 1
			}
		}
		for n := 0; n < len(buf); n++ {
			got := reflect.New(reflect.TypeOf(tc.rec).Elem()).Interface().(Record)
			err := Decode(buf[:n], got)
			if n == minLen && minLen > 0 {
				if err != nil {
					t.Errorf("%s: without readOnly: %v", tc.name, err)
				}
				continue
			}
			if err == nil {
				t.Errorf("%s: decoded %d of %d bytes without error", tc.name, n, len(buf))
			}
		}
	}
}

// TestDecodeOwnsMemory checks that decoded buffers do not alias the packet,
// so a connection may reuse its frame buffer at once.
func TestDecodeOwnsMemory(t *testing.T) {
	buf := Encode(nil, &SetDataRequest{Path: "/p", Data: []byte("abc")})
	var r SetDataRequest
	if err := Decode(buf, &r); err != nil {
		t.Fatal(err)
	}
	for i := range buf {
		buf[i] = 0xee
	}
	if string(r.Data) != "abc" || r.Path != "/p" {
		t.Fatalf("decoded record changed with the packet: %q %q", r.Path, r.Data)
	}
}

// TestResponseNilVectors checks that response vectors a 3.8 server never
// sends as null go out empty when left nil.
func TestResponseNilVectors(t *testing.T) {
	empty := []byte{0, 0, 0, 0}
	cases := []struct {
		name string
		rec  Record
	}{
		{"GetChildrenResponse", &GetChildrenResponse{}},
		{"GetChildren2Response", &GetChildren2Response{}},
		{"GetEphemeralsResponse", &GetEphemeralsResponse{}},
		{"GetACLResponse", &GetACLResponse{}},
		{"WhoAmIResponse", &WhoAmIResponse{}},
	}
	for _, tc := range cases {
		if got := Encode(nil, tc.rec); string(got[:4]) != string(empty) {
			t.Errorf("%s: nil vector encoded as %x, want 00000000", tc.name, got[:4])
		}
	}
}

func TestMultiRequestErrors(t *testing.T) {
	header := func(e *Encoder, op OpCode) { h := MultiHeader{Type: op, Err: -1}; h.Encode(e) }
	cases := []struct {
		name  string
		build func(e *Encoder)
		want  error
	}{
		{"unknown op", func(e *Encoder) {
			header(e, OpExists)
			(&ExistsRequest{Path: "/x"}).Encode(e)
			encodeMultiEnd(e)
		}, ErrBadMultiOp},
		{"nested multi", func(e *Encoder) {
			header(e, OpMulti)
			encodeMultiEnd(e)
		}, ErrBadMultiOp},
		{"mixed kinds", func(e *Encoder) {
			header(e, OpGetData)
			(&GetDataRequest{Path: "/x"}).Encode(e)
			header(e, OpDelete)
			(&DeleteRequest{Path: "/x"}).Encode(e)
			encodeMultiEnd(e)
		}, ErrMixedMultiOps},
		{"no end header", func(e *Encoder) {
			header(e, OpDelete)
			(&DeleteRequest{Path: "/x"}).Encode(e)
		}, ErrShort},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var e Encoder
			tc.build(&e)
			var m MultiRequest
			err := Decode(e.Bytes(), &m)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestMultiRequestReadOnly(t *testing.T) {
	cases := []struct {
		ops  []OpCode
		want bool
	}{
		{nil, false},
		{[]OpCode{OpGetData}, true},
		{[]OpCode{OpGetData, OpGetChildren}, true},
		{[]OpCode{OpCheck}, false},
		{[]OpCode{OpGetData, OpCreate}, false},
	}
	for _, tc := range cases {
		var m MultiRequest
		for _, op := range tc.ops {
			m.Ops = append(m.Ops, MultiOp{Type: op})
		}
		if got := m.ReadOnly(); got != tc.want {
			t.Errorf("ReadOnly(%v) = %v, want %v", tc.ops, got, tc.want)
		}
	}
}

// TestMultiResponseEncodeShapes checks the wire type and body chosen for
// each result, including the fallbacks for a missing or mismatched body.
func TestMultiResponseEncodeShapes(t *testing.T) {
	st := testStat()
	cases := []struct {
		in   MultiResult
		want MultiResult // as decoded
	}{
		{MultiResult{Type: OpCreateTTL, Response: &Create2Response{Path: "/t", Stat: st}},
			MultiResult{Type: OpCreate2, Response: &Create2Response{Path: "/t", Stat: st}}},
		{MultiResult{Type: OpCreateContainer, Response: &Create2Response{Path: "/c"}},
			MultiResult{Type: OpCreate2, Response: &Create2Response{Path: "/c"}}},
		{MultiResult{Type: OpDeleteContainer},
			MultiResult{Type: OpDelete}},
		{MultiResult{Type: OpCreate},
			MultiResult{Type: OpCreate, Response: &CreateResponse{}}},
		{MultiResult{Type: OpSetData, Response: &CreateResponse{Path: "/wrong"}},
			MultiResult{Type: OpSetData, Response: &SetDataResponse{}}},
		{MultiResult{Type: OpGetData, Response: (*GetDataResponse)(nil)},
			MultiResult{Type: OpGetData, Response: &GetDataResponse{}}},
		{MultiResult{Type: OpGetChildren},
			MultiResult{Type: OpGetChildren, Response: &GetChildrenResponse{Children: []string{}}}},
		{MultiResult{Type: OpExists, Response: &ExistsResponse{}},
			MultiResult{Type: OpError, Err: ErrMarshallingError}},
		{MultiResult{Type: OpError, Err: ErrNoNode, Response: &CreateResponse{}},
			MultiResult{Type: OpError, Err: ErrNoNode}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.in.Type), func(t *testing.T) {
			in := MultiResponse{Results: []MultiResult{tc.in}}
			var out MultiResponse
			if err := Decode(Encode(nil, &in), &out); err != nil {
				t.Fatal(err)
			}
			want := []MultiResult{tc.want}
			if !reflect.DeepEqual(out.Results, want) {
				t.Fatalf("got %+v, want %+v", out.Results, want)
			}
		})
	}
}

func TestMultiResponseUnknownType(t *testing.T) {
	var e Encoder
	h := MultiHeader{Type: OpExists}
	h.Encode(&e)
	encodeMultiEnd(&e)
	var m MultiResponse
	if err := Decode(e.Bytes(), &m); !errors.Is(err, ErrBadMultiOp) {
		t.Fatalf("got %v, want ErrBadMultiOp", err)
	}
}

// TestDispatchCoversEveryOpCode is the one place that says, for every known
// opcode, which request and response record it uses; a new opcode in
// consts.go fails here until it is given one.
func TestDispatchCoversEveryOpCode(t *testing.T) {
	type pair struct{ req, resp Record }
	table := map[OpCode]pair{
		OpNotification:         {nil, nil},
		OpCreate:               {&CreateRequest{}, &CreateResponse{}},
		OpDelete:               {&DeleteRequest{}, nil},
		OpExists:               {&ExistsRequest{}, &ExistsResponse{}},
		OpGetData:              {&GetDataRequest{}, &GetDataResponse{}},
		OpSetData:              {&SetDataRequest{}, &SetDataResponse{}},
		OpGetACL:               {&GetACLRequest{}, &GetACLResponse{}},
		OpSetACL:               {&SetACLRequest{}, &SetACLResponse{}},
		OpGetChildren:          {&GetChildrenRequest{}, &GetChildrenResponse{}},
		OpSync:                 {&SyncRequest{}, &SyncResponse{}},
		OpPing:                 {nil, nil},
		OpGetChildren2:         {&GetChildren2Request{}, &GetChildren2Response{}},
		OpCheck:                {&CheckVersionRequest{}, &SetDataResponse{}},
		OpMulti:                {&MultiRequest{}, &MultiResponse{}},
		OpCreate2:              {&CreateRequest{}, &Create2Response{}},
		OpReconfig:             {&ReconfigRequest{}, &GetDataResponse{}},
		OpCheckWatches:         {&RemoveWatchesRequest{}, nil},
		OpRemoveWatches:        {&RemoveWatchesRequest{}, nil},
		OpCreateContainer:      {&CreateRequest{}, &Create2Response{}},
		OpDeleteContainer:      {nil, nil},
		OpCreateTTL:            {&CreateTTLRequest{}, &Create2Response{}},
		OpMultiRead:            {&MultiRequest{}, &MultiResponse{}},
		OpAuth:                 {&AuthPacket{}, nil},
		OpSetWatches:           {&SetWatches{}, nil},
		OpSASL:                 {&SASLRequest{}, &SASLResponse{}},
		OpGetEphemerals:        {&GetEphemeralsRequest{}, &GetEphemeralsResponse{}},
		OpGetAllChildrenNumber: {&GetAllChildrenNumberRequest{}, &GetAllChildrenNumberResponse{}},
		OpSetWatches2:          {&SetWatches2{}, nil},
		OpAddWatch:             {&AddWatchRequest{}, &ErrorResponse{}},
		OpWhoAmI:               {nil, &WhoAmIResponse{}},
		OpCreateSession:        {nil, nil},
		OpCloseSession:         {nil, nil},
		OpError:                {nil, nil},
	}
	for op := range opNames {
		want, ok := table[op]
		if !ok {
			t.Errorf("opcode %v (%d) has no entry in the dispatch table", op, op)
			continue
		}
		if got := RequestFor(op); !reflect.DeepEqual(got, want.req) {
			t.Errorf("RequestFor(%v) = %T, want %T", op, got, want.req)
		}
		if got := ResponseFor(op); !reflect.DeepEqual(got, want.resp) {
			t.Errorf("ResponseFor(%v) = %T, want %T", op, got, want.resp)
		}
	}
	for _, op := range []OpCode{10, 23, 99, 108, 500, -2} {
		if RequestFor(op) != nil || ResponseFor(op) != nil {
			t.Errorf("unknown op %d has a record", op)
		}
	}
	// Fresh records each call: the server may decode into them concurrently.
	if a, b := RequestFor(OpCreate), RequestFor(OpCreate); a == b {
		t.Error("RequestFor returned the same record twice")
	}
}

// TestRecordNames guards against a record missing from roundTripCases: every
// record type RequestFor and ResponseFor can return must be in it.
func TestRecordNames(t *testing.T) {
	have := map[string]bool{}
	for _, tc := range roundTripCases() {
		have[reflect.TypeOf(tc.rec).Elem().Name()] = true
	}
	for op := range opNames {
		for _, r := range []Record{RequestFor(op), ResponseFor(op)} {
			if r == nil {
				continue
			}
			name := reflect.TypeOf(r).Elem().Name()
			if !have[name] {
				t.Errorf("%s (for %v) has no round-trip case", name, op)
			}
		}
	}
}
