package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"
	gproto "google.golang.org/protobuf/proto"

	"zkd/zkd/proto"
	"zkd/zkd/storage/snap"
	"zkd/zkd/storage/wal"
	"zkd/zkd/storage/zkimport"
	"zkd/zkd/tree"
)

// The inspection commands print storage files for people, as Apache
// ZooKeeper's zkSnapShotToolkit and zkTxnLogToolkit do: zkd's own
// snapshots and WAL, and ZooKeeper's files before an import. They only
// read.

// runSnapshotDump is `zkd snapshot-dump [-data] FILE`.
func runSnapshotDump(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("zkd snapshot-dump", flag.ContinueOnError)
	fs.SetOutput(stderr)
	withData := fs.Bool("data", false, "print each node's data")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: zkd snapshot-dump [-data] FILE   (a dataDir/zkd/snapshot.* file)")
		return 2
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	if err := dumpSnapshot(w, fs.Arg(0), *withData); err != nil {
		w.Flush()
		fmt.Fprintf(stderr, "zkd snapshot-dump: %v\n", err)
		return 1
	}
	return 0
}

func dumpSnapshot(w io.Writer, path string, withData bool) error {
	meta, body, err := snap.OpenFile(path)
	if err != nil {
		return err
	}
	defer body.Close()
	br := bufio.NewReaderSize(body, 1<<20)
	var n [4]byte
	if _, err := io.ReadFull(br, n[:]); err != nil {
		return fmt.Errorf("%s: conf state length: %w", path, err)
	}
	buf := make([]byte, binary.BigEndian.Uint32(n[:]))
	if len(buf) > 1<<20 {
		return fmt.Errorf("%s: conf state of %d bytes is implausible", path, len(buf))
	}
	if _, err := io.ReadFull(br, buf); err != nil {
		return fmt.Errorf("%s: conf state: %w", path, err)
	}
	var cs pb.ConfState
	if err := gproto.Unmarshal(buf, &cs); err != nil {
		return fmt.Errorf("%s: conf state: %w", path, err)
	}
	t, err := tree.ReadSnapshot(br, tree.Options{})
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(w, "zkd snapshot %s\n", path)
	fmt.Fprintf(w, "raft index %d, term %d, last zxid %#x, %d bytes\n", meta.Index, meta.Term, meta.LastZxid, meta.BodyLen)
	fmt.Fprintf(w, "members: voters %v, learners %v\n", cs.Voters, cs.Learners)
	fmt.Fprintf(w, "%d sessions, %d nodes (%d ephemeral)\n\n", t.SessionCount(), t.NodeCount()-1, t.EphemeralCount())
	for _, id := range t.Sessions() {
		s := t.Session(id)
		owner := "any server" // from a snapshot older than owners, or imported
		if s.Owner != 0 {
			owner = fmt.Sprintf("server %d", s.Owner)
		}
		fmt.Fprintf(w, "session 0x%016x timeout %d ms, %d ephemerals, writes through %s\n", id, s.Timeout, len(s.Ephemerals()), owner)
	}
	if t.SessionCount() > 0 {
		fmt.Fprintln(w)
	}
	t.Walk(func(p string, node *tree.Node) {
		var st proto.Stat
		node.Stat(&st)
		printStat(w, p, &st, node.EphemeralOwner(), zkimport.FormatACL(t.ACL(node)))
		if withData {
			fmt.Fprintf(w, "  data = %q\n", node.Data())
		}
	})
	return nil
}

// printStat prints a node the way both snapshot dumps do.
func printStat(w io.Writer, path string, st *proto.Stat, rawOwner int64, acl string) {
	fmt.Fprintf(w, "%s\n", path)
	fmt.Fprintf(w, "  cZxid = %#x  mZxid = %#x  pZxid = %#x\n", st.Czxid, st.Mzxid, st.Pzxid)
	fmt.Fprintf(w, "  ctime = %s  mtime = %s\n", fmtTime(st.Ctime), fmtTime(st.Mtime))
	fmt.Fprintf(w, "  dataVersion = %d  cversion = %d  aclVersion = %d\n", st.Version, st.Cversion, st.Aversion)
	owner := fmt.Sprintf("%#x", st.EphemeralOwner)
	switch {
	case rawOwner == tree.ContainerOwner:
		owner += " (container)"
	case rawOwner != st.EphemeralOwner && rawOwner != 0:
		owner += fmt.Sprintf(" (TTL %d ms)", rawOwner&tree.MaxTTL)
	}
	fmt.Fprintf(w, "  ephemeralOwner = %s  dataLength = %d  numChildren = %d\n", owner, st.DataLength, st.NumChildren)
	fmt.Fprintf(w, "  acl = %s\n", acl)
}

func fmtTime(ms int64) string {
	if ms == 0 {
		return "0"
	}
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z")
}

// runLogDump is `zkd log-dump DIR`.
func runLogDump(args []string, stderr io.Writer) int {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(stderr, "usage: zkd log-dump DIR   (a dataLogDir/zkd folder)")
		return 2
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	if err := dumpLog(w, args[0]); err != nil {
		w.Flush()
		fmt.Fprintf(stderr, "zkd log-dump: %v\n", err)
		return 1
	}
	return 0
}

func dumpLog(w io.Writer, dir string) error {
	names, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	segments := 0
	for _, e := range names {
		if strings.HasSuffix(e.Name(), ".wal") {
			segments++
		}
	}
	if segments == 0 {
		return fmt.Errorf("no WAL segments (*.wal) in %s", dir)
	}
	// wal.Open replays the log as a server would; the read-only FS keeps
	// it from repairing, preallocating or locking anything.
	l, rec, err := wal.Open(dir, wal.Options{FS: readOnlyFS{}, Logger: discardLogger()})
	if err != nil {
		return err
	}
	defer l.Close()
	fmt.Fprintf(w, "zkd transaction log %s: %d segment(s)\n", dir, segments)
	fmt.Fprintf(w, "hard state: term %d, vote %d, commit %d\n", rec.State.Term, rec.State.Vote, rec.State.Commit)
	fmt.Fprintf(w, "snapshot mark: index %d, term %d\n", rec.Snapshot.Index, rec.Snapshot.Term)
	if rec.TornTail != nil {
		fmt.Fprintf(w, "torn tail: %s at offset %d: %s (a server would truncate it)\n", rec.TornTail.File, rec.TornTail.Offset, rec.TornTail.Reason)
	}
	fmt.Fprintf(w, "%d entries from index %d\n\n", len(rec.Entries), rec.FirstIndex)
	for _, e := range rec.Entries {
		dumpEntry(w, e)
	}
	return nil
}

func dumpEntry(w io.Writer, e wal.Entry) {
	switch pb.EntryType(e.Kind) {
	case pb.EntryType_EntryConfChange:
		var cc pb.ConfChange
		if err := gproto.Unmarshal(e.Data, &cc); err != nil {
			fmt.Fprintf(w, "index %d term %d conf change (undecodable: %v)\n", e.Index, e.Term, err)
			return
		}
		fmt.Fprintf(w, "index %d term %d conf change %s node %d\n", e.Index, e.Term, cc.GetType(), cc.GetNodeId())
		return
	case pb.EntryType_EntryConfChangeV2:
		fmt.Fprintf(w, "index %d term %d conf change v2 (%d bytes)\n", e.Index, e.Term, len(e.Data))
		return
	}
	if len(e.Data) == 0 {
		fmt.Fprintf(w, "index %d term %d empty (a new leader's first entry)\n", e.Index, e.Term)
		return
	}
	txns, err := tree.DecodeBatch(e.Data)
	if err != nil {
		fmt.Fprintf(w, "index %d term %d undecodable batch: %v\n", e.Index, e.Term, err)
		return
	}
	fmt.Fprintf(w, "index %d term %d %d txn(s)\n", e.Index, e.Term, len(txns))
	for _, t := range txns {
		fmt.Fprintf(w, "  %s session 0x%x cxid %#x server %d %s %s\n", fmtTime(t.Time), t.Session, t.Cxid, t.Origin, txnName(t.Type), describeZkdTxn(t))
	}
}

// txnName is a txn type's name: the client opcode's, or zkd's own.
func txnName(op proto.OpCode) string {
	if op == tree.OpMoveSession {
		return "moveSession"
	}
	return op.String()
}

// describeZkdTxn summarises a zkd txn's body: the client's request record,
// or a session txn's own.
func describeZkdTxn(t *tree.Txn) string {
	switch t.Type {
	case proto.OpCreateSession:
		var b tree.CreateSessionBody
		if err := proto.Decode(t.Body, &b); err != nil {
			return "undecodable: " + err.Error()
		}
		return fmt.Sprintf("timeout=%d", b.Timeout)
	case proto.OpCloseSession:
		return ""
	case tree.OpMoveSession: // its body is the password
		return "(the session's client now writes through this server)"
	case proto.OpDeleteContainer:
		var b tree.PathBody
		if err := proto.Decode(t.Body, &b); err != nil {
			return "undecodable: " + err.Error()
		}
		return "path=" + b.Path
	}
	req := proto.RequestFor(t.Type)
	if req == nil {
		return fmt.Sprintf("(%d bytes)", len(t.Body))
	}
	if err := proto.Decode(t.Body, req); err != nil {
		return "undecodable: " + err.Error()
	}
	return describeRequest(req)
}

func describeRequest(req proto.Record) string {
	switch r := req.(type) {
	case *proto.CreateRequest:
		return fmt.Sprintf("path=%s data=%d flags=%d acl=%s", r.Path, len(r.Data), r.Flags, zkimport.FormatACL(r.ACL))
	case *proto.CreateTTLRequest:
		return fmt.Sprintf("path=%s data=%d flags=%d ttl=%d acl=%s", r.Path, len(r.Data), r.Flags, r.TTL, zkimport.FormatACL(r.ACL))
	case *proto.DeleteRequest:
		return fmt.Sprintf("path=%s version=%d", r.Path, r.Version)
	case *proto.SetDataRequest:
		return fmt.Sprintf("path=%s data=%d version=%d", r.Path, len(r.Data), r.Version)
	case *proto.SetACLRequest:
		return fmt.Sprintf("path=%s version=%d acl=%s", r.Path, r.Version, zkimport.FormatACL(r.ACL))
	case *proto.CheckVersionRequest:
		return fmt.Sprintf("path=%s version=%d", r.Path, r.Version)
	case *proto.MultiRequest:
		parts := make([]string, len(r.Ops))
		for i, op := range r.Ops {
			parts[i] = fmt.Sprintf("{%s %s}", op.Type, describeRequest(op.Request))
		}
		return fmt.Sprintf("%d ops: %s", len(r.Ops), strings.Join(parts, " "))
	}
	return fmt.Sprintf("%+v", req)
}

// runZKSnapshotDump is `zkd zk-snapshot-dump [-data] FILE`.
func runZKSnapshotDump(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("zkd zk-snapshot-dump", flag.ContinueOnError)
	fs.SetOutput(stderr)
	withData := fs.Bool("data", false, "print each node's data")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: zkd zk-snapshot-dump [-data] FILE   (an Apache ZooKeeper version-2/snapshot.* file)")
		return 2
	}
	s, err := zkimport.ReadSnapshotFile(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "zkd zk-snapshot-dump: %v\n", err)
		return 1
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	stream := s.Stream
	if stream == "" {
		stream = "checked"
	}
	fmt.Fprintf(w, "ZooKeeper snapshot %s\n", s.Path)
	fmt.Fprintf(w, "zxid %#x, format version %d, dbid %d, stream %s\n", s.Zxid, s.Version, s.DBID, stream)
	if s.Digest != nil {
		fmt.Fprintf(w, "digest: zxid %#x, version %d, value %d\n", s.Digest.Zxid, s.Digest.Version, s.Digest.Digest)
	}
	if s.LastProcessedZxid != 0 {
		fmt.Fprintf(w, "last processed zxid %#x\n", s.LastProcessedZxid)
	}
	fmt.Fprintf(w, "%d sessions, %d ACL lists, %d nodes\n\n", len(s.Sessions), len(s.ACLs), len(s.Nodes))
	for _, sess := range s.Sessions {
		fmt.Fprintf(w, "session 0x%016x timeout %d ms\n", sess.ID, sess.Timeout)
	}
	for _, ref := range s.ACLOrder {
		fmt.Fprintf(w, "acl %d = %s\n", ref, zkimport.FormatACL(s.ACLs[ref]))
	}
	fmt.Fprintln(w)
	// Children are counted from the paths, as ZooKeeper rebuilds them.
	children := make(map[string]int32, len(s.Nodes))
	for _, n := range s.Nodes {
		if i := strings.LastIndexByte(n.Path, '/'); i >= 0 {
			children[n.Path[:i]]++
		}
	}
	for _, n := range s.Nodes {
		path := n.Path
		if path == "" {
			path = "/"
		}
		nc := children[n.Path]
		st := proto.Stat{
			Czxid: n.Stat.Czxid, Mzxid: n.Stat.Mzxid, Pzxid: n.Stat.Pzxid, Ctime: n.Stat.Ctime, Mtime: n.Stat.Mtime,
			Version: n.Stat.Version, Cversion: 2*n.Stat.Cversion - nc, Aversion: n.Stat.Aversion,
			DataLength: int32(len(n.Data)), NumChildren: nc,
		}
		st.EphemeralOwner = zkimport.ClientEphemeralOwner(n.Stat.EphemeralOwner)
		acl := fmt.Sprintf("%d", n.ACL)
		if list, ok := s.ACLs[n.ACL]; ok {
			acl += " " + zkimport.FormatACL(list)
		} else if n.ACL == zkimport.OpenACLRef {
			acl += " " + zkimport.FormatACL(proto.OpenACLUnsafe())
		} else {
			acl += " (missing from the ACL table)"
		}
		printStat(w, path, &st, n.Stat.EphemeralOwner, acl)
		if *withData {
			fmt.Fprintf(w, "  data = %q\n", n.Data)
		}
	}
	return 0
}

// runZKLogDump is `zkd zk-log-dump FILE`.
func runZKLogDump(args []string, stderr io.Writer) int {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintln(stderr, "usage: zkd zk-log-dump FILE   (an Apache ZooKeeper version-2/log.* file)")
		return 2
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	fmt.Fprintf(w, "ZooKeeper transaction log %s\n", args[0])
	info, err := zkimport.ReadLogFile(args[0], func(e *zkimport.LogEntry) error {
		h := e.Header
		fmt.Fprintf(w, "%s session 0x%x cxid %#x zxid %#x %s %s", fmtTime(h.Time), h.ClientID, h.Cxid, h.Zxid, h.Type, zkimport.Describe(e.Txn))
		if e.Digest != nil {
			fmt.Fprintf(w, " digest=%d/%d", e.Digest.Version, e.Digest.TreeDigest)
		}
		fmt.Fprintln(w)
		return nil
	})
	if err != nil {
		w.Flush()
		fmt.Fprintf(stderr, "zkd zk-log-dump: %v\n", err)
		return 1
	}
	fmt.Fprintf(w, "EOF reached after %d txns (format version %d, dbid %d, data ends at offset %d)\n", info.Entries, info.Version, info.DBID, info.End)
	if info.Torn != nil {
		fmt.Fprintf(w, "torn record at offset %d: %s (never acknowledged; ZooKeeper ignores it)\n", info.Torn.Offset, info.Torn.Reason)
	}
	return 0
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// readOnlyFS is the OS filesystem with every write discarded, so that
// wal.Open can replay a log for inspection without changing it (no tail
// repair, no preallocation, no lock: a running server's log can be read).
type readOnlyFS struct{}

var errReadOnly = errors.New("read-only inspection")

func (readOnlyFS) Create(string) (wal.File, error) { return discardFile{}, nil }
func (readOnlyFS) Open(name string) (wal.File, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	return roFile{f}, nil
}
func (readOnlyFS) Remove(string) error         { return nil }
func (readOnlyFS) Rename(string, string) error { return errReadOnly }
func (readOnlyFS) List(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name()
	}
	return names, nil
}
func (readOnlyFS) MkdirAll(string) error          { return nil }
func (readOnlyFS) SyncDir(string) error           { return nil }
func (readOnlyFS) Lock(string) (io.Closer, error) { return io.NopCloser(nil), nil }

// roFile reads a real file and ignores writes.
type roFile struct{ f *os.File }

func (r roFile) ReadAt(p []byte, off int64) (int, error) { return r.f.ReadAt(p, off) }
func (roFile) WriteAt(p []byte, _ int64) (int, error)    { return len(p), nil }
func (r roFile) Close() error                            { return r.f.Close() }
func (roFile) Sync() error                               { return nil }
func (roFile) Truncate(int64) error                      { return nil }
func (roFile) Allocate(int64, int64) error               { return nil }
func (r roFile) Size() (int64, error) {
	fi, err := r.f.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// discardFile is a file that holds nothing (a segment the WAL would
// prepare in the background).
type discardFile struct{}

func (discardFile) ReadAt([]byte, int64) (int, error)      { return 0, io.EOF }
func (discardFile) WriteAt(p []byte, _ int64) (int, error) { return len(p), nil }
func (discardFile) Close() error                           { return nil }
func (discardFile) Sync() error                            { return nil }
func (discardFile) Truncate(int64) error                   { return nil }
func (discardFile) Allocate(int64, int64) error            { return nil }
func (discardFile) Size() (int64, error)                   { return 0, nil }
