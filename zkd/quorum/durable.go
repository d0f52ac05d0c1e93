package quorum

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"zkd/zkd/storage/snap"
	"zkd/zkd/storage/wal"
)

// durable keeps raft's log on disk: entries and hard state in the WAL
// (dataLogDir), snapshots of the state machine in dataDir. raft reads the
// log from mem, which durable fills on recovery and keeps in step with the
// WAL afterwards.
//
// mem holds only the tail of the log: everything is durable in the WAL, so
// once applied an entry stays in memory only while a member that is a
// little behind may still need it (Node.trimLog). A member further behind
// gets a snapshot: raft asks storage() for one, which is the newest
// snapshot file, or, when that is older than the start of mem, none yet
// (raft retries) and a request for a new one (snapshotWanted).
type durable struct {
	mem   *raft.MemoryStorage
	wal   *wal.WAL
	snaps *snap.Dir
	log   *slog.Logger

	mu sync.Mutex
	// own is the newest snapshot this member wrote itself (metadata only);
	// the one loaded at start or received from a leader is mem's.
	own *pb.SnapshotMetadata
	// wanted is set when raft needed a snapshot to send and the newest one
	// did not reach the start of mem.
	wanted atomic.Bool
}

// memLog is the raft.Storage raft runs on: mem, except that Snapshot
// answers from the snapshot files (durable.snapshotToSend).
type memLog struct {
	*raft.MemoryStorage
	d *durable
}

// Snapshot is what raft sends a member whose next entry is no longer in
// memory.
func (l memLog) Snapshot() (*pb.Snapshot, error) { return l.d.snapshotToSend() }

// storage is the raft.Storage for raft.Config.
func (d *durable) storage() raft.Storage { return memLog{MemoryStorage: d.mem, d: d} }

// StorageSubdir is the folder zkd keeps its files in, inside dataDir
// (snapshots) and dataLogDir (the WAL). Apache ZooKeeper uses version-2
// there; a separate name lets both sets of files sit side by side, which
// is what `zkd import` of a ZooKeeper dataDir needs.
const StorageSubdir = "zkd"

// SnapDir and WALDir are where a member's snapshots and log live.
func SnapDir(dataDir string) string   { return filepath.Join(dataDir, StorageSubdir) }
func WALDir(dataLogDir string) string { return filepath.Join(dataLogDir, StorageSubdir) }

// recovered is what opening the storage found.
type recovered struct {
	fresh     bool   // nothing on disk: bootstrap a new group
	snapIndex uint64 // index of the loaded snapshot (0 = none)
	commit    uint64 // raft commit index from the WAL's hard state
	term      uint64 // raft term from the WAL's hard state
	confState *pb.ConfState
}

// openDurable loads the newest snapshot into sm, replays the WAL into
// memory, and returns the storage raft will run on.
func openDurable(cfg Config, sm StateMachine) (*durable, recovered, error) {
	var rec recovered
	if err := os.MkdirAll(WALDir(cfg.DataLogDir), 0o750); err != nil {
		return nil, rec, fmt.Errorf("quorum: creating %s: %w", WALDir(cfg.DataLogDir), err)
	}
	snaps, err := snap.Open(SnapDir(cfg.DataDir), snap.Options{Logger: cfg.Logger})
	if err != nil {
		return nil, rec, fmt.Errorf("quorum: opening snapshot directory: %w", err)
	}
	d := &durable{mem: raft.NewMemoryStorage(), snaps: snaps, log: cfg.Logger}

	meta, body, err := snaps.LoadNewest()
	path := meta.Path
	switch {
	case errors.Is(err, snap.ErrNotFound):
	case err != nil:
		return nil, rec, fmt.Errorf("quorum: loading snapshot: %w", err)
	default:
		var r io.Reader = body
		if cfg.Progress != nil {
			r = newProgressReader(body, cfg.Progress)
		}
		cs, err := restoreSnapshot(r, sm)
		body.Close()
		if err != nil {
			return nil, rec, fmt.Errorf("quorum: restoring %s: %w", path, err)
		}
		s := &pb.Snapshot{Metadata: &pb.SnapshotMetadata{
			ConfState: cs, Index: proto.Uint64(meta.Index), Term: proto.Uint64(meta.Term),
		}}
		if err := d.mem.ApplySnapshot(s); err != nil {
			return nil, rec, fmt.Errorf("quorum: applying snapshot %s to the log: %w", path, err)
		}
		rec.snapIndex = meta.Index
		rec.confState = cs
		cfg.Logger.Info("loaded snapshot", "file", path, "index", meta.Index, "term", meta.Term,
			"zxid", fmt.Sprintf("0x%x", meta.LastZxid))
	}

	w, r, err := wal.Open(WALDir(cfg.DataLogDir), wal.Options{
		SegmentSize: cfg.SegmentSize, NoSync: cfg.NoSync, SlowSync: cfg.SlowSync, Logger: cfg.Logger,
	})
	if err != nil {
		return nil, rec, fmt.Errorf("quorum: opening transaction log: %w", err)
	}
	d.wal = w
	if r.Snapshot.Index > rec.snapIndex {
		w.Close()
		return nil, rec, fmt.Errorf("quorum: the transaction log in %s starts after a snapshot at index %d, but the newest snapshot in %s is at %d: a snapshot file is missing",
			cfg.DataLogDir, r.Snapshot.Index, cfg.DataDir, rec.snapIndex)
	}
	if r.TornTail != nil {
		cfg.Logger.Warn("transaction log had a torn tail (a write cut short by a crash); truncated it",
			"file", r.TornTail.File, "offset", r.TornTail.Offset, "reason", r.TornTail.Reason)
	}
	var ents []*pb.Entry
	for _, e := range r.Entries {
		if e.Index <= rec.snapIndex {
			continue
		}
		ents = append(ents, &pb.Entry{
			Index: proto.Uint64(e.Index), Term: proto.Uint64(e.Term),
			Type: pb.EntryType(e.Kind).Enum(), Data: e.Data,
		})
	}
	if err := d.mem.Append(ents); err != nil {
		w.Close()
		return nil, rec, fmt.Errorf("quorum: replaying transaction log: %w", err)
	}
	// A snapshot received from the leader is on disk before the hard state
	// that commits up to it: a crash in between leaves a commit index
	// behind the snapshot, which the snapshot itself proves committed.
	commit := max(r.State.Commit, rec.snapIndex)
	term, vote := r.State.Term, r.State.Vote
	if rec.snapIndex > 0 && meta.Term > term {
		// The log has no hard state as new as the snapshot: dataLogDir was
		// emptied or replaced while dataDir kept its snapshots. Raft must
		// not run in a term before the snapshot's (it panics answering a
		// vote in term 0), and the vote, if any, was for an older term.
		cfg.Logger.Warn("the transaction log has no state as new as the snapshot (was dataLogDir emptied?); "+
			"starting from the snapshot, anything logged after it is gone from this member",
			"dataLogDir", cfg.DataLogDir, "snapshot", path, "snapshot_term", meta.Term, "log_term", r.State.Term)
		term, vote = meta.Term, 0
	}
	hs := &pb.HardState{Term: proto.Uint64(term), Vote: proto.Uint64(vote), Commit: proto.Uint64(commit)}
	if r.State != (wal.State{}) || rec.snapIndex > 0 {
		if err := d.mem.SetHardState(hs); err != nil {
			w.Close()
			return nil, rec, fmt.Errorf("quorum: restoring hard state: %w", err)
		}
	}
	rec.commit = commit
	rec.term = term
	rec.fresh = rec.snapIndex == 0 && len(r.Entries) == 0 && r.State == (wal.State{})
	if !rec.fresh {
		cfg.Logger.Info("replaying transaction log", "entries", len(ents), "commit", r.State.Commit)
	}
	return d, rec, nil
}

// save makes a Ready's hard state and entries durable (one fsync), then
// hands them to raft's in-memory log.
func (d *durable) save(hs *pb.HardState, ents []*pb.Entry) error {
	var st *wal.State
	if hs != nil && !raft.IsEmptyHardState(hs) {
		st = &wal.State{Term: hs.GetTerm(), Vote: hs.GetVote(), Commit: hs.GetCommit()}
	}
	if st != nil || len(ents) > 0 {
		wents := make([]wal.Entry, len(ents))
		for i, e := range ents {
			wents[i] = wal.Entry{Index: e.GetIndex(), Term: e.GetTerm(), Kind: uint8(e.GetType()), Data: e.GetData()}
		}
		if err := d.wal.Save(st, wents); err != nil {
			return err
		}
	}
	if st != nil {
		if err := d.mem.SetHardState(hs); err != nil {
			return fmt.Errorf("quorum: hard state: %w", err)
		}
	}
	if len(ents) > 0 {
		if err := d.mem.Append(ents); err != nil {
			return fmt.Errorf("quorum: appending to the in-memory log: %w", err)
		}
	}
	return nil
}

// writeSnapshot writes a snapshot file for index/term with the conf state
// in front of the state machine's bytes. It runs off the raft loop.
func (d *durable) writeSnapshot(index, term uint64, zxid int64, cs *pb.ConfState, write func(io.Writer) error) (string, error) {
	csBytes, err := proto.Marshal(cs)
	if err != nil {
		return "", fmt.Errorf("quorum: encoding conf state: %w", err)
	}
	return d.snaps.Save(snap.Meta{Index: index, Term: term, LastZxid: zxid}, func(w io.Writer) error {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(csBytes)))
		if _, err := w.Write(n[:]); err != nil {
			return err
		}
		if _, err := w.Write(csBytes); err != nil {
			return err
		}
		return write(w)
	})
}

// snapshotTaken records a snapshot of this member's own once its file is
// on disk and compacts the logs behind it: the WAL up to index, raft's
// in-memory log up to index-keep (Node.trimLog usually went further
// already: that is not an error).
func (d *durable) snapshotTaken(index, term uint64, cs *pb.ConfState, keep uint64) error {
	if index <= d.newestSnapshot() {
		return nil // a newer snapshot (one from the leader) is in place
	}
	d.mu.Lock()
	d.own = &pb.SnapshotMetadata{ConfState: proto.Clone(cs).(*pb.ConfState), Index: proto.Uint64(index), Term: proto.Uint64(term)}
	d.mu.Unlock()
	if err := d.compactMem(index - min(index, keep)); err != nil {
		return err
	}
	if err := d.wal.MarkSnapshot(wal.SnapshotMark{Index: index, Term: term}); err != nil {
		return fmt.Errorf("quorum: marking snapshot in the log: %w", err)
	}
	if err := d.wal.Compact(index); err != nil {
		return fmt.Errorf("quorum: compacting the transaction log: %w", err)
	}
	return nil
}

// compactMem drops raft's in-memory entries up to and including upTo (the
// entry at upTo keeps its term, for raft's consistency check), as far as
// mem holds them. Entries already dropped are not an error.
func (d *durable) compactMem(upTo uint64) error {
	first, _ := d.mem.FirstIndex()
	last, _ := d.mem.LastIndex()
	upTo = min(upTo, last)
	if upTo < first {
		return nil // compacted already (Compact would say ErrCompacted)
	}
	if err := d.mem.Compact(upTo); err != nil && !errors.Is(err, raft.ErrCompacted) {
		return fmt.Errorf("quorum: compacting the in-memory log: %w", err)
	}
	return nil
}

// newestSnapshot is the index of the newest snapshot on disk: this
// member's own, or the one loaded at start or received (0 = none).
func (d *durable) newestSnapshot() uint64 {
	d.mu.Lock()
	own := d.own.GetIndex()
	d.mu.Unlock()
	s, _ := d.mem.Snapshot()
	return max(own, s.GetMetadata().GetIndex())
}

// snapshotToSend is raft's Storage.Snapshot: the newest snapshot on disk
// (ensemble.go's sendSnapshot reads its file), provided mem goes on from
// it. A snapshot older than that would leave the member it is sent to
// still short of mem's first entry, and raft would send it again and
// again; so then there is none yet (raft retries at the next heartbeat
// response) and the raft loop is asked to take a new one.
func (d *durable) snapshotToSend() (*pb.Snapshot, error) {
	s, err := d.mem.Snapshot()
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	if d.own.GetIndex() > s.GetMetadata().GetIndex() {
		s = &pb.Snapshot{Metadata: proto.Clone(d.own).(*pb.SnapshotMetadata)}
	}
	d.mu.Unlock()
	if d.snapshotStale(s.GetMetadata().GetIndex()) {
		d.wanted.Store(true)
		return nil, raft.ErrSnapshotTemporarilyUnavailable
	}
	return s, nil
}

// snapshotStale reports whether a snapshot at index leaves a gap before
// the first entry in mem.
func (d *durable) snapshotStale(index uint64) bool {
	first, _ := d.mem.FirstIndex()
	return index == 0 || index+1 < first
}

// snapshotWanted reports (once) that raft needed a snapshot to send and
// that the newest one is still too old.
func (d *durable) snapshotWanted() bool {
	return d.wanted.Swap(false) && d.snapshotStale(d.newestSnapshot())
}

// purge keeps the newest retain snapshots (autopurge.snapRetainCount).
func (d *durable) purge(retain int) {
	removed, _, err := d.snaps.Purge(retain)
	if err != nil {
		d.log.Warn("purging old snapshots", "err", err)
		return
	}
	if len(removed) > 0 {
		d.log.Info("purged old snapshots", "removed", len(removed), "retained", retain)
	}
}

func (d *durable) close() error { return d.wal.Close() }

func walMark(index, term uint64) wal.SnapshotMark { return wal.SnapshotMark{Index: index, Term: term} }

// restoreSnapshot reads the conf state written in front of a snapshot and
// gives the rest to the state machine.
func restoreSnapshot(body io.Reader, sm StateMachine) (*pb.ConfState, error) {
	// Read straight from body: the tree reader checks a bytes.Reader's
	// Len against the length the snapshot declares.
	br := body
	var n [4]byte
	if _, err := io.ReadFull(br, n[:]); err != nil {
		return nil, fmt.Errorf("reading conf state length: %w", err)
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > 1<<20 {
		return nil, fmt.Errorf("conf state of %d bytes is implausible", size)
	}
	buf := make([]byte, size)
	if _, err := io.ReadFull(br, buf); err != nil {
		return nil, fmt.Errorf("reading conf state: %w", err)
	}
	cs := &pb.ConfState{}
	if err := proto.Unmarshal(buf, cs); err != nil {
		return nil, fmt.Errorf("decoding conf state: %w", err)
	}
	if err := sm.Restore(br); err != nil {
		return nil, err
	}
	return cs, nil
}

// progressReader reports how much of a snapshot has been read. It keeps
// the Len of the reader it wraps, which the tree reader checks lengths
// against.
type progressReader struct {
	r        io.Reader
	lenOf    interface{ Len() int }
	total    int64
	done     int64
	report   func(stage string, done, total int64)
	reported time.Time
}

func newProgressReader(r io.Reader, report func(string, int64, int64)) io.Reader {
	l, ok := r.(interface{ Len() int })
	if !ok {
		return r
	}
	return &progressReader{r: r, lenOf: l, total: int64(l.Len()), report: report, reported: time.Now()}
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.done += int64(n)
	if now := time.Now(); now.Sub(p.reported) >= progressEvery {
		p.reported = now
		p.report("loading snapshot", p.done, p.total)
	}
	return n, err
}

func (p *progressReader) Len() int { return p.lenOf.Len() }
