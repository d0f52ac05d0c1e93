package zkimport

import (
	"encoding/binary"
	"errors"
	"reflect"
	"testing"

	"zkd/zkd/proto"
)

var openACLs = proto.OpenACLUnsafe()

// sampleLog is a log holding one txn of every type ZooKeeper writes.
func sampleLog() []logRec {
	return []logRec{
		{hdr(0x300, 7, proto.OpCreateSession), encInt(5000), true},
		{hdr(0x300, 8, proto.OpCreate), encCreate("/b", []byte("x"), openACLs, false, 4), true},
		{hdr(0x300, 9, proto.OpCreate2), encCreate("/b/e", nil, openACLs, true, 1), true},
		{hdr(0x300, 10, proto.OpCreateTTL), encCreateTTL("/b/t", nil, openACLs, 2, 5000), true},
		{hdr(0x300, 11, proto.OpCreateContainer), encCreateContainer("/b/c", nil, openACLs, 3), true},
		{hdr(0x300, 12, proto.OpSetData), encSetData("/b", []byte("yy"), 1), true},
		{hdr(0x300, 13, proto.OpSetACL), encSetACL("/b", openACLs, 1), true},
		{hdr(0x300, 14, proto.OpDelete), encPath("/b/c"), true},
		{hdr(0x300, 15, proto.OpError), encInt(int32(proto.ErrNoNode)), true},
		{hdr(0x300, 16, proto.OpMulti), encMulti(
			subRec{proto.OpCreate, encCreate("/m", nil, openACLs, false, 5)},
			subRec{proto.OpCheck, encCheck("/m", -1)},
		), true},
		{hdr(0x300, 17, proto.OpCloseSession), encClose([]string{"/b/e"}), true},
	}
}

func TestReadLog(t *testing.T) {
	recs := sampleLog()
	b := buildLog(recs, 4096)
	var got []*LogEntry
	info, err := ReadLog(b, "log.7", func(e *LogEntry) error { got = append(got, e); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if info.Entries != len(recs) || len(got) != len(recs) || info.Torn != nil || info.Version != 2 {
		t.Fatalf("info %+v, %d entries", info, len(got))
	}
	for i, e := range got {
		if e.Header != recs[i].hdr {
			t.Errorf("entry %d header %+v, want %+v", i, e.Header, recs[i].hdr)
		}
		if e.Digest == nil || e.Digest.TreeDigest != e.Header.Zxid*7 {
			t.Errorf("entry %d digest %+v", i, e.Digest)
		}
	}
	want := []Txn{
		&CreateSessionTxn{Timeout: 5000},
		&CreateTxn{Path: "/b", Data: []byte("x"), ACL: openACLs, ParentCVersion: 4},
		&CreateTxn{Path: "/b/e", Data: nil, ACL: openACLs, Ephemeral: true, ParentCVersion: 1},
		&CreateTTLTxn{Path: "/b/t", ACL: openACLs, ParentCVersion: 2, TTL: 5000},
		&CreateContainerTxn{Path: "/b/c", ACL: openACLs, ParentCVersion: 3},
		&SetDataTxn{Path: "/b", Data: []byte("yy"), Version: 1},
		&SetACLTxn{Path: "/b", ACL: openACLs, Version: 1},
		&DeleteTxn{Path: "/b/c"},
		&ErrorTxn{Err: proto.ErrNoNode},
		&MultiTxn{Ops: []SubTxn{
			{proto.OpCreate, &CreateTxn{Path: "/m", ACL: openACLs, ParentCVersion: 5}},
			{proto.OpCheck, &CheckVersionTxn{Path: "/m", Version: -1}},
		}},
		&CloseSessionTxn{Paths: []string{"/b/e"}},
	}
	for i, e := range got {
		if !reflect.DeepEqual(e.Txn, want[i]) {
			t.Errorf("entry %d: %#v, want %#v (%s)", i, e.Txn, want[i], Describe(e.Txn))
		}
	}
}

func TestDecodeTxnShapes(t *testing.T) {
	tests := []struct {
		name string
		op   proto.OpCode
		body []byte
		want Txn
	}{
		{"closeSession before 3.6", proto.OpCloseSession, nil, &CloseSessionTxn{}},
		{"closeSession digest only", proto.OpCloseSession, make([]byte, digestLen), &CloseSessionTxn{}},
		{"closeSession empty list", proto.OpCloseSession, encClose(nil), &CloseSessionTxn{Paths: []string{}}},
		{"create V0", proto.OpCreate, encCreate("/v0", []byte("d"), openACLs, false, 0)[:len(encCreate("/v0", []byte("d"), openACLs, false, 0))-4],
			&CreateTxn{Path: "/v0", Data: []byte("d"), ACL: openACLs, ParentCVersion: -1}},
		{"create null ACL", proto.OpCreate, encCreate("/n", nil, nil, false, 1), &CreateTxn{Path: "/n", ParentCVersion: 1}},
		{"reconfig", proto.OpReconfig, encSetData("/zookeeper/config", []byte("v"), 3), &SetDataTxn{Path: "/zookeeper/config", Data: []byte("v"), Version: 3}},
		{"deleteContainer", proto.OpDeleteContainer, encPath("/c"), &DeleteTxn{Path: "/c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := decodeTxn(tt.op, tt.body, true)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("%#v, want %#v", got, tt.want)
			}
		})
	}
	for _, bad := range []struct {
		name string
		op   proto.OpCode
		body []byte
	}{
		{"unknown type", proto.OpGetData, encPath("/x")},
		{"short setData", proto.OpSetData, encPath("/x")},
		{"multi holding setACL", proto.OpMulti, encMulti(subRec{proto.OpSetACL, encSetACL("/x", nil, 1)})},
		{"multi in multi", proto.OpMulti, encMulti(subRec{proto.OpMulti, encMulti()})},
		{"closeSession garbage", proto.OpCloseSession, []byte{0, 0, 0, 9, 1}},
	} {
		if _, _, err := decodeTxn(bad.op, bad.body, true); err == nil {
			t.Errorf("%s: decoded", bad.name)
		}
	}
}

// TestLogTornTail cuts the last record at every byte (the preallocated
// zeros after it, as a crash leaves the file): the log ends before it,
// reported as torn, never as an error.
func TestLogTornTail(t *testing.T) {
	recs := sampleLog()[:3]
	full := buildLog(recs, 0)
	lastStart := len(buildLog(recs[:2], 0))
	for cut := lastStart; cut <= len(full); cut++ {
		b := append(append([]byte(nil), full[:cut]...), make([]byte, 512)...)
		n := 0
		info, err := ReadLog(b, "log.7", func(*LogEntry) error { n++; return nil })
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		switch {
		case cut == len(full):
			if n != 3 || info.Torn != nil {
				t.Fatalf("whole log: %d entries, torn %+v", n, info.Torn)
			}
		case n != 2:
			t.Fatalf("cut at %d: %d entries", cut, n)
		case info.Torn == nil && !zeroFrom(full[:cut], int64(lastStart)):
			t.Fatalf("cut at %d: not reported as torn", cut)
		case info.Torn != nil && info.Torn.Offset != int64(lastStart):
			t.Fatalf("cut at %d: torn at %d, want %d", cut, info.Torn.Offset, lastStart)
		}
		// Without the zeros (a file not preallocated) the same holds.
		n = 0
		if _, err := ReadLog(full[:cut], "log.7", func(*LogEntry) error { n++; return nil }); err != nil || (cut < len(full) && n != 2) {
			t.Fatalf("cut at %d without padding: %d entries, %v", cut, n, err)
		}
	}
}

func TestLogDamage(t *testing.T) {
	recs := sampleLog()[:4]
	good := buildLog(recs, 256)
	second := len(buildLog(recs[:1], 0))
	tests := []struct {
		name   string
		damage func([]byte) []byte
		at     int64
		reason string
	}{
		{"magic", func(b []byte) []byte { b[1] = 'Q'; return b }, 0, "not a ZooKeeper transaction log"},
		{"header cut", func(b []byte) []byte { return b[:10] }, 10, "file header"},
		{"payload flipped", func(b []byte) []byte { b[second+20] ^= 1; return b }, int64(second), "checksum"},
		{"checksum flipped", func(b []byte) []byte { b[second+3] ^= 1; return b }, int64(second), "checksum"},
		{"end-of-record mid-log", func(b []byte) []byte {
			n := binary.BigEndian.Uint32(b[second+8:])
			b[second+12+int(n)] = 'C'
			return b
		}, int64(second), "data after it"},
		{"zeroed record mid-log", func(b []byte) []byte {
			n := binary.BigEndian.Uint32(b[second+8:])
			clear(b[second : second+12+int(n)+1])
			return b
		}, int64(second), "data after it"},
		{"garbage after the end", func(b []byte) []byte { b[len(b)-3] = 9; return b }, -1, "data after it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.damage(append([]byte(nil), good...))
			_, err := ReadLog(b, "log.7", func(*LogEntry) error { return nil })
			wantFormatError(t, err, "log.7", tt.at, tt.reason)
		})
	}
	// An error from visit stops the read and comes back as it is.
	stop := errors.New("stop")
	if _, err := ReadLog(good, "log.7", func(*LogEntry) error { return stop }); err != stop {
		t.Fatalf("visit error: %v", err)
	}
	// Every bit flip in the records is an error or ends the log early;
	// never a panic, never a different txn.
	for i := logHeaderLen; i < len(buildLog(recs, 0)); i++ {
		for bit := range 8 {
			b := append([]byte(nil), good...)
			b[i] ^= 1 << bit
			var got []*LogEntry
			_, err := ReadLog(b, "log.7", func(e *LogEntry) error { got = append(got, e); return nil })
			if err == nil && len(got) == len(recs) {
				t.Fatalf("bit %d of byte %d went unnoticed", bit, i)
			}
		}
	}
}
