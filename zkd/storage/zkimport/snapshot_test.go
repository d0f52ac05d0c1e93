package zkimport

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestReadSnapshotRoundTrip(t *testing.T) {
	trailers := []struct {
		name     string
		digest   bool
		lastZxid int64
	}{
		{"3.5 no trailer", false, 0},
		{"3.6-3.8 digest", true, 0},
		{"3.9 digest and last zxid", true, 0x1234},
		{"3.9 last zxid only", false, 0x99},
	}
	for _, mode := range []string{StreamChecked, StreamGzip, StreamSnappy} {
		for _, tr := range trailers {
			t.Run(mode+"/"+tr.name, func(t *testing.T) {
				spec := sampleSnapshot()
				if !tr.digest {
					spec.digest = nil
				}
				spec.lastZxid = tr.lastZxid
				raw := compress(t, spec.bytes(), mode)
				s, err := ReadSnapshot(bytes.NewReader(raw), "snapshot.6", mode, int64(len(raw)))
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(s.Sessions, spec.sessions) {
					t.Errorf("sessions %+v, want %+v", s.Sessions, spec.sessions)
				}
				if !reflect.DeepEqual(s.ACLOrder, spec.aclRefs) || !reflect.DeepEqual(s.ACLs, spec.acls) {
					t.Errorf("ACLs %v %+v", s.ACLOrder, s.ACLs)
				}
				if len(s.Nodes) != len(spec.nodes) {
					t.Fatalf("%d nodes, want %d", len(s.Nodes), len(spec.nodes))
				}
				for i, n := range s.Nodes {
					w := spec.nodes[i]
					if n.Path != w.Path || !bytes.Equal(n.Data, w.Data) || n.ACL != w.ACL || n.Stat != w.Stat {
						t.Errorf("node %d: %+v, want %+v", i, n, w)
					}
				}
				if !reflect.DeepEqual(s.Digest, spec.digest) {
					t.Errorf("digest %+v, want %+v", s.Digest, spec.digest)
				}
				if s.LastProcessedZxid != tr.lastZxid {
					t.Errorf("last zxid %#x, want %#x", s.LastProcessedZxid, tr.lastZxid)
				}
			})
		}
	}
}

// wantFormatError checks err is a *FormatError for file, at offset at
// (when at >= 0), whose message holds reason.
func wantFormatError(t *testing.T, err error, file string, at int64, reason string) {
	t.Helper()
	var fe *FormatError
	if !errors.As(err, &fe) || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("got %v, want a FormatError", err)
	}
	if fe.File != file || (at >= 0 && fe.Offset != at) || !strings.Contains(fe.Error(), reason) {
		t.Fatalf("got %q (file %s offset %d), want file %s offset %d and %q", fe.Error(), fe.File, fe.Offset, file, at, reason)
	}
	if !strings.Contains(err.Error(), file) || !strings.Contains(err.Error(), "offset") {
		t.Fatalf("error %q names no file and offset", err)
	}
}

func TestSnapshotDamage(t *testing.T) {
	good := sampleSnapshot().bytes()
	firstSeal := bytes.LastIndex(good[:len(good)-33], []byte{0, 0, 0, 1, '/'}) - 8
	tests := []struct {
		name   string
		damage func([]byte) []byte
		at     int64
		reason string
	}{
		{"magic", func(b []byte) []byte { b[0] = 'X'; return b }, 0, "not a ZooKeeper snapshot"},
		{"session count", func(b []byte) []byte { b[16] = 0x7f; return b }, 16, "cannot fit"},
		{"data flipped", func(b []byte) []byte { i := bytes.Index(b, []byte("hello")); b[i] ^= 1; return b }, int64(firstSeal), "checksum"},
		{"stored checksum", func(b []byte) []byte { b[firstSeal+7] ^= 0x10; return b }, int64(firstSeal), "checksum"},
		{"digest flipped", func(b []byte) []byte { b[len(b)-20] ^= 4; return b }, int64(len(good) - 13), "digest checksum"},
		{"end marker", func(b []byte) []byte { b[len(b)-1] = 'x'; return b }, int64(len(good) - 5), "end marker"},
		{"cut in a node", func(b []byte) []byte { return b[:200] }, 200, "cut short"},
		{"empty", func(b []byte) []byte { return nil }, 0, "cut short"},
		{"bytes appended", func(b []byte) []byte { return append(b, 1, 2, 3) }, int64(len(good)), "unexpected bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.damage(append([]byte(nil), good...))
			_, err := ReadSnapshot(bytes.NewReader(b), "snapshot.6", StreamChecked, int64(len(b)))
			wantFormatError(t, err, "snapshot.6", tt.at, tt.reason)
		})
	}
}

// digestSectionLen is the length of a 3.6+ digest and its seal.
const digestSectionLen = 8 + 4 + 8 + sealLen

// TestSnapshotEveryCutAndFlip: every truncation and every bit flip of a
// snapshot, in every stream mode, is an error naming the file, never a
// panic or a silent success. The one exception is a cut right after the
// first seal, which leaves a whole snapshot in the 3.5 format (ZooKeeper
// cannot tell either).
func TestSnapshotEveryCutAndFlip(t *testing.T) {
	raw := sampleSnapshot().bytes()
	for _, mode := range []string{StreamChecked, StreamGzip, StreamSnappy} {
		good := compress(t, raw, mode)
		read := func(b []byte) error {
			_, err := ReadSnapshot(bytes.NewReader(b), "snap", mode, int64(len(b)))
			return err
		}
		for n := range len(good) {
			if mode == StreamChecked && n == len(raw)-digestSectionLen {
				continue // a whole 3.5 snapshot: the format cannot tell
			}
			if err := read(good[:n]); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "snap") {
				t.Fatalf("%s cut to %d: %v", mode, n, err)
			}
		}
		if mode != StreamChecked {
			continue // a flip in compressed bytes may decode to the same data
		}
		for i := range good {
			for bit := range 8 {
				b := append([]byte(nil), good...)
				b[i] ^= 1 << bit
				if err := read(b); !errors.Is(err, ErrCorrupt) {
					t.Fatalf("bit %d of byte %d: %v", bit, i, err)
				}
			}
		}
	}
}

func TestSnapshotBadStructure(t *testing.T) {
	tests := []struct {
		name   string
		nodes  []Node
		reason string
	}{
		{"root not first", []Node{{Path: "/a"}}, "must be the root"},
		{"orphan", []Node{{Path: ""}, {Path: "/a/b"}}, "parent comes later"},
		{"duplicate", []Node{{Path: ""}, {Path: "/a"}, {Path: "/a"}}, "appears twice"},
		{"relative", []Node{{Path: ""}, {Path: "a"}}, "not an absolute path"},
		{"no nodes", nil, "no root node"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := snapSpec{nodes: tt.nodes}.bytes()
			_, err := ReadSnapshot(bytes.NewReader(b), "s", StreamChecked, int64(len(b)))
			wantFormatError(t, err, "s", -1, tt.reason)
		})
	}
}

func TestStreamMode(t *testing.T) {
	for name, want := range map[string]string{
		"snapshot.1a": StreamChecked, "snapshot.1a.gz": StreamGzip, "snapshot.1a.snappy": StreamSnappy,
		"snapshot.1a.GZ": StreamGzip, "snapshot.1a.tmp": StreamChecked,
	} {
		if got := streamMode(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	for name, want := range map[string]int64{"snapshot.1a": 0x1a, "snapshot.100000002.gz": 0x100000002, "log.0": 0} {
		prefix := strings.SplitN(name, ".", 2)[0]
		if got, ok := zxidFromName(name, prefix); !ok || got != want {
			t.Errorf("%s: %#x %v", name, got, ok)
		}
	}
	for _, name := range []string{"snapshot", "snapshot.", "snapshot.xyz", "snap.1", "logs.1"} {
		if _, ok := zxidFromName(name, "snapshot"); ok {
			t.Errorf("%s parsed", name)
		}
	}
}
