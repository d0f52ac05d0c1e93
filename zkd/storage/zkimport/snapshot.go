package zkimport

import (
	"bytes"
	"encoding"
	"fmt"
	"hash/adler32"
	"io"
	"os"
	"path/filepath"
	"strings"

	"zkd/zkd/proto"
	"zkd/zkd/tree"
)

// FileHeader magics: the first four bytes of the file as an int.
const (
	snapMagic = 0x5a4b534e // "ZKSN"
	logMagic  = 0x5a4b4c47 // "ZKLG"
)

// OpenACLRef is the ACL reference ZooKeeper stores for OPEN_ACL_UNSAFE
// without an entry in the ACL table.
const OpenACLRef int64 = -1

// Session is a session a snapshot records: ZooKeeper keeps only the id and
// the negotiated timeout (the password is derived from the id).
type Session struct {
	ID      int64
	Timeout int32
}

// Node is one znode as a snapshot stores it.
type Node struct {
	Path string // ZooKeeper's path: the root is ""
	Data []byte
	ACL  int64 // a key of Snapshot.ACLs, or OpenACLRef
	Stat tree.PersistedStat
}

// ZxidDigest is the tree digest a 3.6+ snapshot records, as of Zxid.
type ZxidDigest struct {
	Zxid    int64
	Version int32
	Digest  int64
}

// Snapshot is a ZooKeeper snapshot file, read and verified.
type Snapshot struct {
	Path string
	// Zxid is the zxid in the file name: every txn up to it is in the
	// snapshot, and (the snapshot being fuzzy) maybe some after it.
	Zxid     int64
	Stream   string // StreamChecked, StreamGzip or StreamSnappy
	Version  int32  // FileHeader version (2)
	DBID     int64
	Sessions []Session
	ACLs     map[int64][]proto.ACL
	ACLOrder []int64 // the table's keys in file order
	Nodes    []Node  // in file order: depth first, parents before children
	Digest   *ZxidDigest
	// LastProcessedZxid is recorded by 3.9 with
	// zookeeper.serializeLastProcessedZxid.enabled; 0 when absent.
	LastProcessedZxid int64
}

// ReadSnapshotFile reads and verifies the snapshot at path: its structure,
// its seals (Adler-32) and, for gz and snappy, the compression's own
// checks. Any damage is a *FormatError (errors.Is ErrCorrupt).
func ReadSnapshotFile(path string) (*Snapshot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("zkimport: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("zkimport: %w", err)
	}
	name := filepath.Base(path)
	s, err := ReadSnapshot(f, path, streamMode(name), fi.Size())
	if err != nil {
		return nil, err
	}
	if zxid, ok := zxidFromName(name, snapPrefix); ok {
		s.Zxid = zxid
	} else {
		s.Zxid = -1
	}
	return s, nil
}

// ReadSnapshot reads a snapshot stream of the given compression; file
// names it in errors and size is the stream's length (-1 if unknown).
func ReadSnapshot(r io.Reader, file, stream string, size int64) (*Snapshot, error) {
	in, err := decompress(r, stream, file)
	if err != nil {
		return nil, err
	}
	j := newJuteReader(in, file, stream, size)
	s := &Snapshot{Path: file, Stream: stream, ACLs: map[int64][]proto.ACL{}}
	s.readHeader(j)
	s.readSessions(j)
	s.readACLs(j)
	s.readNodes(j)
	j.seal("snapshot")
	if j.err == nil {
		s.readTrailer(j)
	}
	if j.err != nil {
		return nil, j.err
	}
	return s, nil
}

func (s *Snapshot) readHeader(j *juteReader) {
	magic := j.int32("file header magic")
	s.Version = j.int32("file header version")
	s.DBID = j.int64("file header dbid")
	if j.err == nil && magic != snapMagic {
		j.failf(0, "magic %#x, want %#x (\"ZKSN\"): not a ZooKeeper snapshot", uint32(magic), snapMagic)
	}
}

func (s *Snapshot) readSessions(j *juteReader) {
	n := j.count("session", 12)
	s.Sessions = make([]Session, 0, min(n, 1<<16))
	for i := 0; i < n && j.err == nil; i++ {
		id := j.int64("session id")
		to := j.int32("session timeout")
		s.Sessions = append(s.Sessions, Session{ID: id, Timeout: to})
	}
}

func (s *Snapshot) readACLs(j *juteReader) {
	n := j.count("ACL table", 12)
	for i := 0; i < n && j.err == nil; i++ {
		at := j.off
		ref := j.int64("ACL reference")
		m := j.count("ACL list", 12)
		list := make([]proto.ACL, 0, min(m, 64))
		for k := 0; k < m && j.err == nil; k++ {
			perms := j.int32("ACL perms")
			scheme, _ := j.str("ACL scheme")
			id, _ := j.str("ACL id")
			list = append(list, proto.ACL{Perms: perms, ID: proto.ID{Scheme: scheme, ID: id}})
		}
		if j.err != nil {
			return
		}
		if _, dup := s.ACLs[ref]; dup {
			j.failf(at, "ACL reference %d appears twice", ref)
			return
		}
		s.ACLs[ref] = list
		s.ACLOrder = append(s.ACLOrder, ref)
	}
}

// readNodes reads (path, DataNode) pairs up to the path "/". Each node's
// parent must come before it, as DataTree.deserialize requires.
func (s *Snapshot) readNodes(j *juteReader) {
	seen := map[string]struct{}{}
	for j.err == nil {
		at := j.off
		path, null := j.str("node path")
		if j.err != nil {
			return
		}
		if null {
			j.failf(at, "null node path")
			return
		}
		if path == "/" {
			if len(s.Nodes) == 0 {
				j.failf(at, "no root node")
			}
			return
		}
		var n Node
		n.Path = path
		n.Data, _ = j.buffer("node data")
		n.ACL = j.int64("node ACL reference")
		st := &n.Stat
		st.Czxid = j.int64("czxid")
		st.Mzxid = j.int64("mzxid")
		st.Ctime = j.int64("ctime")
		st.Mtime = j.int64("mtime")
		st.Version = j.int32("version")
		st.Cversion = j.int32("cversion")
		st.Aversion = j.int32("aversion")
		st.EphemeralOwner = j.int64("ephemeralOwner")
		st.Pzxid = j.int64("pzxid")
		if j.err != nil {
			return
		}
		if msg := checkSnapPath(path, len(s.Nodes) == 0, seen); msg != "" {
			j.failf(at, "node %q: %s", path, msg)
			return
		}
		seen[path] = struct{}{}
		s.Nodes = append(s.Nodes, n)
	}
}

// checkSnapPath says what is wrong with a node's path, given the paths
// read before it.
func checkSnapPath(path string, first bool, seen map[string]struct{}) string {
	if first {
		if path != "" {
			return "the first node must be the root (path \"\")"
		}
		return ""
	}
	slash := strings.LastIndexByte(path, '/')
	switch {
	case slash < 0:
		return "not an absolute path"
	case path[slash+1:] == "":
		return "empty node name"
	}
	if _, dup := seen[path]; dup {
		return "appears twice"
	}
	if _, ok := seen[path[:slash]]; !ok {
		return "its parent comes later or not at all"
	}
	return ""
}

// Sizes of the optional sections after the first seal.
const (
	sealLen        = 8 + 4 + 1 // checksum, then the string "/"
	lastZxidLen    = 8 + sealLen
	maxTrailerSize = 1 << 16
)

// readTrailer reads what 3.6+ writes after the first seal: the zxid digest
// and a seal, then (3.9, optional) the last processed zxid and a seal.
// Which sections are present is told by their lengths, as ZooKeeper's own
// reader relies on its configuration instead.
func (s *Snapshot) readTrailer(j *juteReader) {
	if j.atEOF() {
		return
	}
	start := j.off
	rest, err := io.ReadAll(io.LimitReader(j.r, maxTrailerSize+1))
	if err != nil {
		j.readErr(err, "the snapshot trailer")
		return
	}
	if len(rest) > maxTrailerSize {
		j.failf(start, "more than %d bytes after the snapshot's seal", maxTrailerSize)
		return
	}
	// Continue checksumming from where the main reader stopped.
	state, err := j.sum.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		j.failf(start, "checksum state: %v", err)
		return
	}
	t := newJuteReader(bytes.NewReader(rest), j.file, j.stream, int64(len(rest)))
	t.sum = adler32.New()
	if err := t.sum.(encoding.BinaryUnmarshaler).UnmarshalBinary(state); err != nil {
		j.failf(start, "checksum state: %v", err)
		return
	}
	t.off = start
	t.left = int64(len(rest))
	if t.left != lastZxidLen {
		d := &ZxidDigest{Zxid: t.int64("digest zxid"), Version: t.int32("digest version")}
		if d.Version < 2 {
			hexDigest, _ := t.str("digest")
			if t.err == nil {
				if _, err := fmt.Sscanf(hexDigest, "%x", &d.Digest); err != nil && hexDigest != "" {
					t.failf(t.off, "digest %q is not hex", hexDigest)
				}
			}
		} else {
			d.Digest = t.int64("digest")
		}
		t.seal("digest")
		s.Digest = d
	}
	if t.err == nil && t.left == lastZxidLen {
		s.LastProcessedZxid = t.int64("last processed zxid")
		t.seal("last processed zxid")
	}
	if t.err == nil && t.left != 0 {
		t.failf(t.off, "%d unexpected bytes after the snapshot's last seal", t.left)
	}
	j.err = t.err
}
