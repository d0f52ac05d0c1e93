package zkimport

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"zkd/zkd/proto"
	"zkd/zkd/quorum"
	"zkd/zkd/tree"
)

// writeZKDir lays out dataDir/version-2 with the given files.
func writeZKDir(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	v2 := filepath.Join(dir, VersionDir)
	if err := os.MkdirAll(v2, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(v2, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func stat(t *testing.T, tr *tree.Tree, path string) proto.Stat {
	t.Helper()
	n := tr.Get(path)
	if n == nil {
		t.Fatalf("%s missing", path)
	}
	var st proto.Stat
	n.Stat(&st)
	return st
}

// fuzzyLog holds txns 1..12 of the sample's history: the snapshot at zxid
// 6 already has the effect of txn 7 (it was fuzzy), and txns 8..12 follow.
func fuzzyLog() []logRec {
	recs := []logRec{{hdr(0x100, 1, proto.OpCreateSession), encInt(30000), true}}
	for z := int64(2); z <= 6; z++ {
		recs = append(recs, logRec{hdr(0x100, z, proto.OpCheck), encCheck("/", -1), true})
	}
	return append(recs,
		logRec{hdr(0x100, 7, proto.OpCreate), encCreate("/a/e", []byte{}, nil, true, 3), true},
		logRec{hdr(0x100, 8, proto.OpCreate), encCreate("/a/seq0000000003", []byte("s"), openACLs, false, 4), true},
		logRec{hdr(0x100, 9, proto.OpSetData), encSetData("/a", []byte("v1"), 1), true},
		logRec{hdr(0x200, 10, proto.OpCloseSession), encClose(nil), true},
		logRec{hdr(0x100, 11, proto.OpDelete), encPath("/c"), true},
		logRec{hdr(0x300, 12, proto.OpCreateSession), encInt(6000), true},
	)
}

func TestLoad(t *testing.T) {
	dir := writeZKDir(t, map[string][]byte{
		"snapshot.0": snapSpec{nodes: []Node{{Path: "", ACL: -1}, {Path: "/zookeeper", ACL: -1}}}.bytes(),
		"snapshot.6": sampleSnapshot().bytes(),
		"log.1":      buildLog(fuzzyLog(), 1024),
	})
	tr, rep, err := Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("report:\n%s", rep)
	if rep.SnapshotZxid != 6 || rep.TxnsReplayed != 6 || rep.TxnsSkipped != 6 || rep.TxnsFailed != 1 || rep.LastZxid != 12 {
		t.Fatalf("report %+v", rep)
	}
	if tr.LastZxid() != 12 {
		t.Fatalf("last zxid %d", tr.LastZxid())
	}
	// /a: the replayed create of /a/e (already in the snapshot) keeps the
	// counter; the create of seq3 raises it to 4; setData sets version 1.
	a := stat(t, tr, "/a")
	if a.Cversion != 2*4-3 || a.NumChildren != 3 || a.Pzxid != 8 || a.Version != 1 || a.Mzxid != 9 || a.DataLength != 2 {
		t.Fatalf("/a %+v", a)
	}
	if st := stat(t, tr, "/a/e"); st.EphemeralOwner != 0x100 {
		t.Fatalf("/a/e %+v", st)
	}
	if tr.Get("/c") != nil {
		t.Fatal("/c survived its delete")
	}
	root := stat(t, tr, "/")
	if root.Pzxid != 11 || root.NumChildren != 3 {
		t.Fatalf("/ %+v", root)
	}
	// Sessions: 0x200 closed, 0x300 opened; passwords as ZooKeeper derives.
	if got := tr.Sessions(); len(got) != 2 || got[0] != 0x100 || got[1] != 0x300 {
		t.Fatalf("sessions %v", got)
	}
	if s := tr.Session(0x100); s == nil || string(s.Passwd) != string(SessionPassword(0x100)) || s.Timeout != 30000 {
		t.Fatalf("session 0x100 %+v", s)
	}
	// ZooKeeper's config node is zkd's own; the rest of /zookeeper is kept.
	if tr.Get("/zookeeper/quota") == nil || tr.Get("/zookeeper/config") == nil {
		t.Fatal("special nodes")
	}
	// ACLs come through the table.
	if acl := tr.ACL(tr.Get("/a")); len(acl) != 1 || acl[0].ID.Scheme != "digest" {
		t.Fatalf("/a acl %v", acl)
	}
	if rep.Nodes != 8 || rep.Sessions != 2 || rep.Ephemerals != 1 || rep.ACLs != 3 {
		t.Fatalf("counts %+v", rep)
	}
}

func TestLoadFailures(t *testing.T) {
	good := sampleSnapshot().bytes()
	damaged := append([]byte(nil), good...)
	damaged[40] ^= 1
	tests := []struct {
		name   string
		files  map[string][]byte
		is     error
		reason string
	}{
		{"nothing", map[string][]byte{}, ErrNoData, "no snapshot"},
		{"gap after the snapshot", map[string][]byte{"snapshot.6": good, "log.9": buildLog(fuzzyLog()[8:], 0)}, nil, "2 txns between them are missing"},
		{"only snapshot damaged", map[string][]byte{"snapshot.6": damaged}, ErrCorrupt, "checksum"},
		{"newer snapshot damaged, logs purged", map[string][]byte{"snapshot.0": snapSpec{nodes: []Node{{Path: "", ACL: -1}}}.bytes(), "snapshot.6": damaged, "log.7": buildLog(fuzzyLog()[6:], 0)}, nil, "6 txns between them are missing"},
		{"damaged log", map[string][]byte{"snapshot.6": good, "log.1": func() []byte { b := buildLog(fuzzyLog(), 0); b[100] ^= 1; return b }()}, ErrCorrupt, "checksum"},
		{"ACL the table lacks", map[string][]byte{"snapshot.6": func() []byte {
			s := sampleSnapshot()
			s.nodes[4].ACL = 77
			return s.bytes()
		}()}, ErrCorrupt, "ZOOKEEPER-4846"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Load(writeZKDir(t, tt.files), "")
			if err == nil || (tt.is != nil && !errors.Is(err, tt.is)) || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("got %v, want %v with %q", err, tt.is, tt.reason)
			}
		})
	}
}

func TestLoadRecovers(t *testing.T) {
	good := sampleSnapshot().bytes()
	damaged := append([]byte(nil), good...)
	damaged[len(damaged)-40] ^= 1
	t.Run("newer snapshot damaged, logs cover it", func(t *testing.T) {
		old := snapSpec{nodes: []Node{{Path: "", ACL: -1}, {Path: "/zookeeper", ACL: -1}, {Path: "/zookeeper/quota", ACL: -1}}}.bytes()
		recs := []logRec{
			{hdr(0x100, 1, proto.OpCreateSession), encInt(30000), false},
			{hdr(0x100, 2, proto.OpCreate), encCreate("/x", nil, nil, false, 2), false},
		}
		tr, rep, err := Load(writeZKDir(t, map[string][]byte{"snapshot.0": old, "snapshot.6": damaged, "log.1": buildLog(recs, 0)}), "")
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.SkippedSnapshots) != 1 || rep.SnapshotZxid != 0 || tr.Get("/x") == nil || tr.Session(0x100) == nil {
			t.Fatalf("report %+v", rep)
		}
	})
	t.Run("ACL repaired by a replayed create", func(t *testing.T) {
		s := sampleSnapshot()
		s.nodes[6].ACL = 77 // /a/e, created by txn 7, which the log replays
		tr, _, err := Load(writeZKDir(t, map[string][]byte{"snapshot.6": s.bytes(), "log.1": buildLog(fuzzyLog(), 0)}), "")
		if err != nil {
			t.Fatal(err)
		}
		if acl := tr.ACL(tr.Get("/a/e")); len(acl) != 1 || acl[0].ID != proto.WorldAnyone {
			t.Fatalf("acl %v", acl)
		}
	})
	t.Run("logs only (3.4)", func(t *testing.T) {
		tr, rep, err := Load(writeZKDir(t, map[string][]byte{"log.1": buildLog([]logRec{
			{hdr(0x100, 1, proto.OpCreateSession), encInt(30000), false},
			{hdr(0x100, 2, proto.OpCreate), encCreate("/x", []byte("1"), openACLs, false, 2), false},
		}, 0)}), "")
		if err != nil || tr.Get("/x") == nil || len(rep.Warnings) != 1 {
			t.Fatalf("%v %+v", err, rep)
		}
		if root := stat(t, tr, "/"); root.Cversion != 2*2-2 || root.Pzxid != 2 {
			t.Fatalf("/ %+v", root)
		}
	})
	t.Run("ephemerals of a closed session", func(t *testing.T) {
		s := sampleSnapshot()
		s.sessions = s.sessions[1:] // 0x100, owner of /a/e, is gone
		tr, rep, err := Load(writeZKDir(t, map[string][]byte{"snapshot.6": s.bytes()}), "")
		if err != nil {
			t.Fatal(err)
		}
		if tr.Get("/a/e") != nil || rep.OrphanEphemerals != 1 || len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "no log.* files") {
			t.Fatalf("orphan kept; %+v", rep)
		}
		if a := stat(t, tr, "/a"); a.Pzxid != 6 {
			t.Fatalf("/a %+v", a)
		}
	})
	t.Run("torn last record and a version-2 folder given", func(t *testing.T) {
		b := buildLog(fuzzyLog(), 0)
		b = append(b[:len(b)-5], make([]byte, 100)...)
		dir := writeZKDir(t, map[string][]byte{"snapshot.6": good, "log.1": b})
		tr, rep, err := Load(filepath.Join(dir, VersionDir), "")
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.TornRecords) != 1 || rep.LastZxid != 11 || tr.Session(0x300) != nil {
			t.Fatalf("report %+v", rep)
		}
	})
}

// treeSM runs a zkd tree under zkd/quorum, as the server does.
type treeSM struct{ t *tree.Tree }

func (s *treeSM) Apply(_ uint64, data []byte) int {
	txns, err := tree.DecodeBatch(data)
	if err != nil {
		panic(err)
	}
	for _, txn := range txns {
		s.t.Apply(s.t.LastZxid()+1, txn, nil)
	}
	return len(txns)
}

func (s *treeSM) Snapshot() (int64, func(io.Writer) error) {
	c := s.t.Capture()
	return c.LastZxid(), func(w io.Writer) error { _, err := c.WriteTo(w); return err }
}

func (s *treeSM) Restore(r io.Reader) error {
	t, err := tree.ReadSnapshot(r, tree.Options{})
	s.t = t
	return err
}

// TestInstallStartsRaft writes an imported tree as zkd storage and starts
// zkd/quorum on it twice: the first start must restart raft from the
// snapshot, lead, and take writes; the second must find them in the log.
func TestInstallStartsRaft(t *testing.T) {
	tr, _, err := Load(writeZKDir(t, map[string][]byte{"snapshot.6": sampleSnapshot().bytes(), "log.1": buildLog(fuzzyLog(), 0)}), "")
	if err != nil {
		t.Fatal(err)
	}
	dataDir, logDir := t.TempDir(), t.TempDir()
	opts := InstallOptions{DataDir: dataDir, DataLogDir: logDir, MemberID: 1}
	out, err := Install(tr, opts)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(out.Snapshot) != quorum.SnapDir(dataDir) {
		t.Fatalf("snapshot at %s", out.Snapshot)
	}
	if _, err := Install(tr, opts); !errors.Is(err, ErrExists) {
		t.Fatalf("second install: %v", err)
	}

	start := func() (*quorum.Node, *treeSM) {
		sm := &treeSM{}
		// The context is the node's lifetime, not only the start's.
		n, err := quorum.Start(t.Context(), quorum.Config{ID: 1, DataDir: dataDir, DataLogDir: logDir, Tick: 10 * time.Millisecond,
			Logger: slog.New(slog.DiscardHandler)}, sm)
		if err != nil {
			t.Fatal(err)
		}
		return n, sm
	}
	n, sm := start()
	if sm.t.LastZxid() != 12 || sm.t.Get("/a/e") == nil {
		t.Fatalf("restored zxid %d", sm.t.LastZxid())
	}
	body := proto.Encode(nil, &proto.CreateRequest{Path: "/after", Data: []byte("x"), ACL: proto.OpenACLUnsafe()})
	entry := tree.EncodeBatch(nil, []*tree.Txn{{Type: proto.OpCreate, Session: 0x100, Time: 5000, Body: body}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.Propose(ctx, entry); err != nil {
		t.Fatal(err)
	}
	if err := n.WaitApplied(ctx, 3); err != nil {
		t.Fatalf("entry 3 (after the leader's empty entry 2) not applied: %v", err)
	}
	if sm.t.Get("/after") == nil || sm.t.LastZxid() != 13 {
		t.Fatalf("write not applied: zxid %d", sm.t.LastZxid())
	}
	n.Stop()

	n, sm = start()
	defer n.Stop()
	if sm.t.Get("/after") == nil || sm.t.LastZxid() != 13 {
		t.Fatalf("after restart: zxid %d", sm.t.LastZxid())
	}

	// -force replaces the storage, WAL included.
	n.Stop()
	out, err = Install(tr, InstallOptions{DataDir: dataDir, DataLogDir: logDir, MemberID: 1, Force: true})
	if err != nil || len(out.Removed) < 2 {
		t.Fatalf("force: %v, removed %v", err, out.Removed)
	}
}
