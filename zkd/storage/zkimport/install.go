package zkimport

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"zkd/zkd/quorum"
	"zkd/zkd/storage/snap"
	"zkd/zkd/storage/wal"
	"zkd/zkd/tree"
)

// Where an imported state sits in the replicated log. A new zkd member
// bootstraps its one-member group with entry 1 (the configuration change
// that adds it); an imported one instead starts from a snapshot at index
// 1, term 1 whose conf state already names it, with nothing in the log.
// On start zkd/quorum finds storage on disk, restarts raft from the
// snapshot (RestartNode), campaigns and leads at term 1 from entry 2 on.
const (
	ImportIndex = 1
	ImportTerm  = 1
)

// ErrExists is returned by Install when zkd storage is already there and
// Force is not set.
var ErrExists = errors.New("zkimport: zkd storage already exists")

// InstallOptions say where and for which member Install writes.
type InstallOptions struct {
	DataDir    string // zoo.cfg's dataDir: the snapshot goes to dataDir/zkd
	DataLogDir string // zoo.cfg's dataLogDir ("" = DataDir): the WAL's folder
	MemberID   uint64 // the raft id the server runs as (1 when standalone)
	// Force replaces existing zkd storage (snapshots and WAL segments in
	// the zkd folders, nothing else).
	Force bool
}

// Installed is what Install wrote.
type Installed struct {
	Snapshot string // the file
	Removed  []string
}

// Install writes t as the storage of a zkd member: one snapshot at
// ImportIndex/ImportTerm in dataDir/zkd, framed as zkd/quorum writes its
// snapshots (a 4-byte length, the raft ConfState, the tree), and an empty
// WAL folder. It holds the WAL's lock while it works, so it fails if a
// server runs on these folders, and reads the snapshot back as a server
// would before it returns.
func Install(t *tree.Tree, o InstallOptions) (Installed, error) {
	var out Installed
	if o.DataDir == "" {
		return out, errors.New("zkimport: install: no dataDir")
	}
	if o.DataLogDir == "" {
		o.DataLogDir = o.DataDir
	}
	if o.MemberID == 0 {
		return out, errors.New("zkimport: install: member id must not be 0")
	}
	snapDir, walDir := quorum.SnapDir(o.DataDir), quorum.WALDir(o.DataLogDir)
	if err := os.MkdirAll(walDir, 0o750); err != nil {
		return out, fmt.Errorf("zkimport: install: %w", err)
	}
	lock, err := wal.OSFS().Lock(filepath.Join(walDir, "LOCK"))
	if err != nil {
		return out, fmt.Errorf("zkimport: install: is a server running on %s? %w", o.DataLogDir, err)
	}
	defer lock.Close()

	existing, err := storageFiles(snapDir, walDir)
	if err != nil {
		return out, err
	}
	if len(existing) > 0 && !o.Force {
		return out, fmt.Errorf("%w: %s (and %d more file(s)); use -force to replace it", ErrExists, existing[0], len(existing)-1)
	}
	for _, f := range existing {
		if err := os.Remove(f); err != nil {
			return out, fmt.Errorf("zkimport: install: %w", err)
		}
		out.Removed = append(out.Removed, f)
	}

	dir, err := snap.Open(snapDir, snap.Options{})
	if err != nil {
		return out, fmt.Errorf("zkimport: install: %w", err)
	}
	cs, err := proto.Marshal(&pb.ConfState{Voters: []uint64{o.MemberID}})
	if err != nil {
		return out, fmt.Errorf("zkimport: install: conf state: %w", err)
	}
	capture := t.Capture()
	meta := snap.Meta{Index: ImportIndex, Term: ImportTerm, LastZxid: capture.LastZxid()}
	out.Snapshot, err = dir.Save(meta, func(w io.Writer) error {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(cs)))
		if _, err := w.Write(n[:]); err != nil {
			return err
		}
		if _, err := w.Write(cs); err != nil {
			return err
		}
		_, err := capture.WriteTo(w)
		return err
	})
	if err != nil {
		return out, fmt.Errorf("zkimport: install: %w", err)
	}
	if err := verifyInstalled(out.Snapshot, o.MemberID, t); err != nil {
		return out, err
	}
	return out, nil
}

// storageFiles lists the zkd storage files already in the two folders.
func storageFiles(snapDir, walDir string) ([]string, error) {
	var out []string
	for _, d := range []struct {
		dir   string
		match func(string) bool
	}{
		{snapDir, func(n string) bool { return strings.HasPrefix(n, "snapshot.") }},
		{walDir, func(n string) bool { return strings.HasSuffix(n, ".wal") || strings.HasSuffix(n, ".wal.tmp") }},
	} {
		ents, err := os.ReadDir(d.dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("zkimport: install: %w", err)
		}
		for _, e := range ents {
			if d.match(e.Name()) {
				out = append(out, filepath.Join(d.dir, e.Name()))
			}
		}
	}
	return out, nil
}

// verifyInstalled reads the snapshot back the way zkd/quorum restores one
// and checks it holds what was written.
func verifyInstalled(path string, member uint64, want *tree.Tree) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("zkimport: install: reading back %s: %s", path, fmt.Sprintf(format, args...))
	}
	meta, body, err := snap.OpenFile(path)
	if err != nil {
		return bad("%v", err)
	}
	defer body.Close()
	if meta.Index != ImportIndex || meta.Term != ImportTerm || meta.LastZxid != want.LastZxid() {
		return bad("meta %+v", meta)
	}
	br := bufio.NewReader(body)
	var n [4]byte
	if _, err := io.ReadFull(br, n[:]); err != nil {
		return bad("conf state length: %v", err)
	}
	buf := make([]byte, binary.BigEndian.Uint32(n[:]))
	if _, err := io.ReadFull(br, buf); err != nil {
		return bad("conf state: %v", err)
	}
	var cs pb.ConfState
	if err := proto.Unmarshal(buf, &cs); err != nil || len(cs.Voters) != 1 || cs.Voters[0] != member {
		return bad("conf state %v (%v)", cs.Voters, err)
	}
	got, err := tree.ReadSnapshot(br, tree.Options{})
	if err != nil {
		return bad("%v", err)
	}
	if got.NodeCount() != want.NodeCount() || got.SessionCount() != want.SessionCount() || got.LastZxid() != want.LastZxid() {
		return bad("%d nodes, %d sessions, zxid %#x; wrote %d, %d, %#x", got.NodeCount(), got.SessionCount(), got.LastZxid(),
			want.NodeCount(), want.SessionCount(), want.LastZxid())
	}
	return nil
}
