// Package zkimport reads Apache ZooKeeper's on-disk data (versions 3.4 to
// 3.9) and rebuilds the state a ZooKeeper server would serve from it, as a
// zkd tree: the nodes with every stat field, the ACLs, and the sessions
// still open with their ephemerals.
//
// # What it reads
//
//	dataDir/version-2/snapshot.<zxid>[.gz|.snappy]   fuzzy snapshots
//	dataLogDir/version-2/log.<zxid>                  transaction logs
//
// A snapshot is a FileHeader ("ZKSN", 2, dbid), the sessions (id,
// timeout), the ACL table (long → ACL list; -1 is OPEN_ACL_UNSAFE and is
// not stored), the nodes as (path, DataNode) pairs depth first from the
// root (whose path is ""), ended by the path "/", and a seal: the Adler-32
// of every byte before it and the string "/". 3.6 and later add the zxid
// digest and a second seal, 3.9 optionally the last processed zxid and a
// third. The stream may be gzip (.gz) or xerial snappy (.snappy); the
// checksums cover the uncompressed bytes.
//
// A log is a FileHeader ("ZKLG", 2, dbid) and records of an Adler-32
// (long), a length (int), that many bytes (TxnHeader, the txn record,
// since 3.6 a TxnDigest) and the byte 'B'; the rest of the preallocated
// file is zeros.
//
// # How it rebuilds the state
//
// Load does what ZooKeeper's restore does (FileTxnSnapLog.restore, then
// ZooKeeperServer.loadData): it takes the newest snapshot that verifies,
// replays every logged txn after the snapshot's zxid with the semantics of
// DataTree.processTxn, then removes the ephemerals of sessions that are no
// longer open. A snapshot is fuzzy (taken while txns kept applying), so the
// replay is idempotent as ZooKeeper's is: a create of a node already there
// fails but still raises the parent's cversion and pzxid, a delete raises
// the parent's pzxid even when the child is gone, setData and setACL set
// the version the txn carries. The stored cversion is the number of
// children ever created (the sequence counter), as zkd's tree keeps it.
//
// Session passwords are not on disk: ZooKeeper derives them from the
// session id (java.util.Random seeded with id ^ 0xB3415C00), and so does
// the import, so clients reconnect with the password they hold.
//
// /zookeeper/config is not imported: it describes the ensemble, and zkd
// keeps its own. Every other node is, /zookeeper/quota's children
// included.
//
// Damage is an error naming the file and the byte offset (for gz and
// snappy snapshots, the offset in the uncompressed stream), never a
// panic. A record cut short at the end of a log (a crash mid-write) ends
// that log, as it does for ZooKeeper, and is reported.
package zkimport
