package zkimport

import (
	"fmt"
	"strings"
)

// Report says what Load read and rebuilt.
type Report struct {
	SnapDir, LogDir string

	// Snapshot is the snapshot loaded ("" when the logs were replayed from
	// an empty tree) and SnapshotZxid the zxid of its name.
	Snapshot         string
	SnapshotZxid     int64
	SnapshotNodes    int
	SnapshotSessions int
	// SkippedSnapshots are newer snapshots that failed verification, each
	// with the reason, newest first.
	SkippedSnapshots []string

	LogFiles     []string // read, in order
	TxnsReplayed int      // txns after the snapshot's zxid, applied
	TxnsSkipped  int      // txns at or before it (already in the snapshot)
	// TxnsFailed counts replayed txns whose change did not apply (a node
	// the fuzzy snapshot already had or no longer had), as ZooKeeper's
	// replay ignores them.
	TxnsFailed int
	// NotApplied describes the first few of them.
	NotApplied  []string
	TornRecords []string // logs ending in a record cut short by a crash

	// OrphanEphemerals were owned by sessions no longer open; ZooKeeper
	// removes them when it loads, and so did the import.
	OrphanEphemerals int

	// The imported state.
	Nodes      int   // znodes, the root and /zookeeper nodes included
	Ephemerals int   // of them, owned by open sessions
	Sessions   int   // open sessions
	ACLs       int   // distinct ACL lists in use
	LastZxid   int64 // of the last txn the state includes

	Warnings []string
}

// String is the report as lines for people.
func (r Report) String() string {
	var b strings.Builder
	if r.Snapshot != "" {
		fmt.Fprintf(&b, "snapshot:   %s (zxid %#x, %d nodes, %d sessions)\n", r.Snapshot, r.SnapshotZxid, r.SnapshotNodes, r.SnapshotSessions)
	} else {
		fmt.Fprintf(&b, "snapshot:   none in %s\n", r.SnapDir)
	}
	for _, s := range r.SkippedSnapshots {
		fmt.Fprintf(&b, "skipped:    %s\n", s)
	}
	fmt.Fprintf(&b, "logs:       %d file(s) in %s\n", len(r.LogFiles), r.LogDir)
	fmt.Fprintf(&b, "txns:       %d replayed (%d did not apply, as on a ZooKeeper restart), %d already in the snapshot\n",
		r.TxnsReplayed, r.TxnsFailed, r.TxnsSkipped)
	for _, n := range r.NotApplied {
		fmt.Fprintf(&b, "not applied: %s\n", n)
	}
	for _, t := range r.TornRecords {
		fmt.Fprintf(&b, "torn:       %s (never acknowledged; ignored as ZooKeeper does)\n", t)
	}
	if r.OrphanEphemerals > 0 {
		fmt.Fprintf(&b, "removed:    %d ephemerals of closed sessions\n", r.OrphanEphemerals)
	}
	fmt.Fprintf(&b, "imported:   %d nodes (%d ephemeral), %d sessions, %d ACL lists, last zxid %#x\n",
		r.Nodes, r.Ephemerals, r.Sessions, r.ACLs, r.LastZxid)
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "warning:    %s\n", w)
	}
	return b.String()
}
