package zkimport

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"zkd/zkd/proto"
	"zkd/zkd/tree"
)

// maxNotApplied bounds the examples of txns that did not apply kept in a
// Report.
const maxNotApplied = 10

// maxSnapshotsTried is how many snapshots, newest first, Load tries before
// it gives up, as FileSnap.deserialize does.
const maxSnapshotsTried = 100

// Load rebuilds the state Apache ZooKeeper would serve from dataDir and
// dataLogDir (each holding version-2; dataLogDir "" means dataDir): the
// newest snapshot that verifies, every logged txn after it, then the
// removal of ephemerals whose session is gone. A newer snapshot that fails
// verification is skipped, as ZooKeeper skips it, and reported; the txn
// logs must then reach back to the older one, or Load fails rather than
// silently lose the txns between them.
func Load(dataDir, dataLogDir string) (*tree.Tree, Report, error) {
	var rep Report
	if dataLogDir == "" {
		dataLogDir = dataDir
	}
	snapDir, logDir := versionDir(dataDir), versionDir(dataLogDir)
	rep.SnapDir, rep.LogDir = snapDir, logDir
	snaps, err := listFiles(snapDir, snapPrefix)
	if err != nil {
		return nil, rep, err
	}
	logs, err := listFiles(logDir, logPrefix)
	if err != nil {
		return nil, rep, err
	}
	dt, snapZxid, err := loadSnapshot(snaps, &rep)
	if err != nil {
		return nil, rep, err
	}
	if dt == nil {
		if len(logs) == 0 {
			return nil, rep, fmt.Errorf("%w: no snapshot.* or log.* files in %s or %s", ErrNoData, snapDir, logDir)
		}
		rep.Warnings = append(rep.Warnings, "no snapshot: replaying the logs from an empty tree, as ZooKeeper 3.4 does")
		dt, snapZxid = freshDataTree(), 0
	}
	if len(logs) == 0 && snapZxid > 0 {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf(
			"no log.* files in %s: only the snapshot is imported; if ZooKeeper's dataLogDir is elsewhere, give it, or the txns after zxid %#x are lost",
			logDir, snapZxid))
	}
	if err := replayLogs(dt, logs, snapZxid, &rep); err != nil {
		return nil, rep, err
	}
	rep.OrphanEphemerals, err = dropDeadEphemerals(dt)
	if err != nil {
		return nil, rep, err
	}
	t, err := buildTree(dt, &rep)
	if err != nil {
		return nil, rep, err
	}
	rep.LastZxid = dt.lastZxid
	return t, rep, nil
}

// versionDir is dir/version-2, or dir itself when it holds ZooKeeper's
// files directly (the version-2 folder was given).
func versionDir(dir string) string {
	v := filepath.Join(dir, VersionDir)
	if fi, err := os.Stat(v); err == nil && fi.IsDir() {
		return v
	}
	return dir
}

// zkFile is a snapshot or log file with the zxid of its name.
type zkFile struct {
	path string
	zxid int64
}

// listFiles lists dir's files named prefix.<hex zxid>[...], by zxid
// ascending. A missing directory holds none.
func listFiles(dir, prefix string) ([]zkFile, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("zkimport: %w", err)
	}
	var out []zkFile
	for _, e := range ents {
		if zxid, ok := zxidFromName(e.Name(), prefix); ok && e.Type().IsRegular() {
			out = append(out, zkFile{path: filepath.Join(dir, e.Name()), zxid: zxid})
		}
	}
	slices.SortFunc(out, func(a, b zkFile) int {
		return cmp.Or(cmp.Compare(a.zxid, b.zxid), strings.Compare(a.path, b.path))
	})
	return out, nil
}

// loadSnapshot reads the newest snapshot that verifies into a dataTree.
// It returns nil when there is none to read.
func loadSnapshot(snaps []zkFile, rep *Report) (*dataTree, int64, error) {
	tried := 0
	for i := len(snaps) - 1; i >= 0 && tried < maxSnapshotsTried; i-- {
		tried++
		s, err := ReadSnapshotFile(snaps[i].path)
		if errors.Is(err, ErrCorrupt) {
			rep.SkippedSnapshots = append(rep.SkippedSnapshots, err.Error())
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		dt, err := fromSnapshot(s)
		if err != nil {
			return nil, 0, err
		}
		rep.Snapshot, rep.SnapshotZxid = s.Path, s.Zxid
		rep.SnapshotSessions, rep.SnapshotNodes = len(s.Sessions), len(s.Nodes)
		return dt, s.Zxid, nil
	}
	if len(rep.SkippedSnapshots) > 0 {
		return nil, 0, fmt.Errorf("%w: none of the %d snapshots tried verifies; the newest: %s",
			ErrCorrupt, tried, rep.SkippedSnapshots[0])
	}
	return nil, 0, nil
}

// fromSnapshot builds the DataTree a snapshot describes, as
// DataTree.deserialize does: children from paths, ephemerals indexed by
// owner, ACL references resolved through the table.
func fromSnapshot(s *Snapshot) (*dataTree, error) {
	dt := newDataTree()
	for _, sess := range s.Sessions {
		dt.sessions[sess.ID] = sess.Timeout
	}
	for _, n := range s.Nodes {
		z := &znode{data: n.Data, stat: n.Stat}
		if n.ACL == OpenACLRef {
			z.acl = openACL
		} else if list, ok := s.ACLs[n.ACL]; ok {
			z.acl = list
		} else {
			ref := n.ACL
			z.badRef = &ref
		}
		dt.nodes[n.Path] = z
		if n.Path != "" {
			parent, child, err := splitPath(n.Path)
			if err != nil {
				return nil, fmt.Errorf("zkimport: %s: %w", s.Path, err)
			}
			dt.nodes[parent].addChild(child)
			if isEphemeral(n.Stat.EphemeralOwner) {
				dt.addEphemeral(n.Stat.EphemeralOwner, n.Path)
			}
		}
	}
	dt.lastZxid = s.Zxid
	return dt, nil
}

// replayLogs applies every txn after snapZxid, reading the logs as
// FileTxnIterator does: from the last log that starts at or before the
// first txn wanted, skipping txns up to snapZxid in it.
func replayLogs(dt *dataTree, logs []zkFile, snapZxid int64, rep *Report) error {
	want := snapZxid + 1
	start := 0
	for i, f := range logs {
		if f.zxid < want {
			start = i
		}
	}
	var (
		fastForward = true
		highest     = snapZxid
		prev        = snapZxid
		prevFile    = rep.Snapshot
	)
	for _, f := range logs[start:] {
		info, err := ReadLogFile(f.path, func(e *LogEntry) error {
			z := e.Header.Zxid
			if fastForward && z < want {
				rep.TxnsSkipped++
				return nil
			}
			fastForward = false
			if gap := zxidGap(prev, z); gap != "" {
				return fmt.Errorf("zkimport: %s at offset %d: txn %#x follows %#x (in %s): %s; a log file is missing or was purged, and importing would lose those txns",
					f.path, e.Offset, z, prev, prevFile, gap)
			}
			if z < highest && highest != 0 {
				rep.Warnings = append(rep.Warnings, fmt.Sprintf("%s at offset %d: txn %#x comes after %#x; replayed anyway, as ZooKeeper does", f.path, e.Offset, z, highest))
			} else {
				highest = z
			}
			prev, prevFile = z, f.path
			rc, err := dt.processTxn(e.Header, e.Txn, false)
			if err != nil {
				return fmt.Errorf("zkimport: %s at offset %d: txn %#x: %w", f.path, e.Offset, z, err)
			}
			rep.TxnsReplayed++
			if rc != proto.ErrOK && !failedWhenLogged(e.Txn) {
				rep.TxnsFailed++
				if len(rep.NotApplied) < maxNotApplied {
					rep.NotApplied = append(rep.NotApplied, fmt.Sprintf("zxid %#x %s %s: %v", z, e.Header.Type, Describe(e.Txn), rc))
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		rep.LogFiles = append(rep.LogFiles, f.path)
		if info.Torn != nil {
			rep.TornRecords = append(rep.TornRecords, fmt.Sprintf("%s at offset %d: %s", f.path, info.Torn.Offset, info.Torn.Reason))
		}
	}
	if highest > dt.lastZxid {
		dt.lastZxid = highest
	}
	return nil
}

// zxidGap says why next cannot follow prev in a complete log, or "". Within
// an epoch (the high 32 bits) every txn takes the next counter; a new epoch
// starts its counter again.
func zxidGap(prev, next int64) string {
	if next>>32 != prev>>32 || next <= prev+1 {
		return ""
	}
	return fmt.Sprintf("%d txns between them are missing", next-prev-1)
}

// dropDeadEphemerals removes the ephemerals of sessions that are no longer
// open, as ZooKeeperServer.loadData does after a restore, at the last zxid.
func dropDeadEphemerals(dt *dataTree) (int, error) {
	var dead []int64
	for owner, set := range dt.ephemerals {
		if _, open := dt.sessions[owner]; !open && len(set) > 0 {
			dead = append(dead, owner)
		}
	}
	slices.Sort(dead)
	n := 0
	for _, owner := range dead {
		n += len(dt.ephemerals[owner])
		if err := dt.killSession(owner, dt.lastZxid, nil); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// failedWhenLogged reports whether txn records a request that failed (an
// error txn, or a multi with an error op): its replay changes nothing and
// is not a replay failure.
func failedWhenLogged(txn Txn) bool {
	switch t := txn.(type) {
	case *ErrorTxn:
		return true
	case *MultiTxn:
		for _, op := range t.Ops {
			if op.Type == proto.OpError {
				return true
			}
		}
	}
	return false
}
