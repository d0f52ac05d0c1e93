package tree_test

import (
	"bytes"
	"reflect"
	"testing"

	"zkd/zkd/proto"
	"zkd/zkd/tree"
)

func sampleTxns() []*tree.Txn {
	return []*tree.Txn{
		{Origin: 3, ReqID: 1<<63 + 5, Type: proto.OpCreate, Session: -7, Cxid: -1, Time: t0,
			Auth: []proto.ID{{Scheme: "digest", ID: "u:h"}, {Scheme: "ip", ID: "127.0.0.1"}},
			Body: proto.Encode(nil, &proto.CreateRequest{Path: "/a", Data: []byte("x"), ACL: open()})},
		{Type: proto.OpCloseSession, Session: 1},
		{Type: proto.OpCreateSession, Session: 2, Body: proto.Encode(nil, &tree.CreateSessionBody{Timeout: 5, Passwd: []byte{0, 1}})},
		{Type: proto.OpDeleteContainer, Body: []byte{}},
		multi(create("/m", "", 0), del("/m", -1)).txn(9),
	}
}

// TestTxnRoundTrip checks that every field survives EncodeBatch and
// DecodeBatch, and that the layout is the documented one.
func TestTxnRoundTrip(t *testing.T) {
	txns := sampleTxns()
	buf := tree.EncodeBatch(nil, txns)
	got, err := tree.DecodeBatch(buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, txns) {
		t.Errorf("round trip:\n%+v\nwant\n%+v", got, txns)
	}
	// Appends to the buffer it is given.
	prefix := []byte("log:")
	if b := tree.EncodeBatch(prefix, txns); !bytes.Equal(b[:4], prefix) || !bytes.Equal(b[4:], buf) {
		t.Errorf("EncodeBatch does not append")
	}
	// long origin | long reqID | int type | long session | int cxid |
	// long time | vector<Id> auth | buffer body, after an int count.
	one := tree.EncodeBatch(nil, []*tree.Txn{{Origin: 1, ReqID: 2, Type: 3, Session: 4, Cxid: 5, Time: 6,
		Auth: []proto.ID{{Scheme: "s", ID: "i"}}, Body: []byte{7}}})
	want := []byte{0, 0, 0, 1,
		0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 5,
		0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 1, 0, 0, 0, 1, 's', 0, 0, 0, 1, 'i', 0, 0, 0, 1, 7}
	if !bytes.Equal(one, want) {
		t.Errorf("layout\n%v\nwant\n%v", one, want)
	}
	empty, err := tree.DecodeBatch(tree.EncodeBatch(nil, nil))
	if err != nil || len(empty) != 0 {
		t.Errorf("empty batch: %v %v", empty, err)
	}
}

// TestDecodeBatchTruncated checks that every strict prefix of a batch is an
// error, not a shorter batch.
func TestDecodeBatchTruncated(t *testing.T) {
	buf := tree.EncodeBatch(nil, sampleTxns())
	for i := 0; i < len(buf); i++ {
		if txns, err := tree.DecodeBatch(buf[:i]); err == nil {
			t.Fatalf("prefix of %d/%d bytes decoded as %d txns", i, len(buf), len(txns))
		}
	}
	// A count far beyond the bytes present is refused before allocating.
	if _, err := tree.DecodeBatch([]byte{0x7f, 0xff, 0xff, 0xff, 0}); err == nil {
		t.Errorf("huge count accepted")
	}
}

func FuzzDecodeBatch(f *testing.F) {
	f.Add(tree.EncodeBatch(nil, sampleTxns()))
	f.Add(tree.EncodeBatch(nil, nil))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0, 0, 0, 1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		txns, err := tree.DecodeBatch(b)
		if err != nil {
			return
		}
		// What decodes re-encodes to something that decodes the same.
		again, err := tree.DecodeBatch(tree.EncodeBatch(nil, txns))
		if err != nil {
			t.Fatalf("re-encoded batch does not decode: %v", err)
		}
		if len(again) != len(txns) {
			t.Fatalf("%d txns became %d", len(txns), len(again))
		}
		for i := range txns {
			if !reflect.DeepEqual(normTxn(txns[i]), normTxn(again[i])) {
				t.Fatalf("txn %d: %+v became %+v", i, txns[i], again[i])
			}
		}
	})
}

// normTxn makes an empty Auth nil, so that a round trip is compared by
// content.
func normTxn(t *tree.Txn) tree.Txn {
	c := *t
	if len(c.Auth) == 0 {
		c.Auth = nil
	}
	return c
}
