package zkimport

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"zkd/zkd/proto"
)

// FuzzReadSnapshot: any bytes, in any stream mode, read as a snapshot or
// fail with a FormatError; a snapshot that reads replays into a tree or
// fails with an error, never a panic.
func FuzzReadSnapshot(f *testing.F) {
	raw := sampleSnapshot().bytes()
	modes := []string{StreamChecked, StreamGzip, StreamSnappy}
	for i, m := range modes {
		f.Add(uint8(i), compress(f, raw, m))
	}
	f.Add(uint8(0), raw[:len(raw)-digestSectionLen])
	f.Add(uint8(0), snapSpec{nodes: []Node{{Path: "", ACL: 5}}}.bytes())
	f.Fuzz(func(t *testing.T, mode uint8, b []byte) {
		m := modes[int(mode)%len(modes)]
		s, err := ReadSnapshot(bytes.NewReader(b), "fuzz", m, int64(len(b)))
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v is not ErrCorrupt", err)
			}
			return
		}
		dt, err := fromSnapshot(s)
		if err != nil {
			return
		}
		var rep Report
		if _, err := dropDeadEphemerals(dt); err != nil {
			return
		}
		buildTree(dt, &rep)
	})
}

// FuzzReadLog: any bytes read as a log give whole txns, a torn tail or a
// FormatError; the txns replay onto a tree without panicking.
func FuzzReadLog(f *testing.F) {
	f.Add(buildLog(sampleLog(), 64))
	f.Add(buildLog(fuzzyLog(), 0))
	b := buildLog(sampleLog()[:2], 0)
	f.Add(b[:len(b)-3])
	f.Fuzz(func(t *testing.T, b []byte) {
		dt := freshDataTree()
		_, err := ReadLog(b, "fuzz", func(e *LogEntry) error {
			_, err := dt.processTxn(e.Header, e.Txn, false)
			return err
		})
		var bad errBadPath
		if err != nil && !errors.Is(err, ErrCorrupt) && !errors.As(err, &bad) {
			t.Fatalf("error %v", err)
		}
	})
}

// FuzzDecodeTxn: any record body of any type decodes or fails cleanly.
func FuzzDecodeTxn(f *testing.F) {
	for _, r := range sampleLog() {
		f.Add(int32(r.hdr.Type), r.body)
	}
	f.Fuzz(func(t *testing.T, op int32, b []byte) {
		txn, _, err := decodeTxn(proto.OpCode(op), b, true)
		if err == nil {
			_ = Describe(txn)
		}
	})
}

// FuzzSnappyStream: the snappy-java decoder returns data or an error.
func FuzzSnappyStream(f *testing.F) {
	f.Add(xerialEncode([]byte("hello hello hello"), 4))
	f.Add(xerialEncode(nil, 4))
	f.Fuzz(func(t *testing.T, b []byte) {
		io.Copy(io.Discard, io.LimitReader(newSnappyReader(bytes.NewReader(b), "fuzz"), 1<<26))
	})
}
