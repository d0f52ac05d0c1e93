// Package snap keeps snapshots of the replicated state in dataDir: one file
// per snapshot, written atomically, checksummed, found by name and purged
// by count. It knows nothing of the tree: the body is whatever the caller
// streams (zkd/tree's Capture.WriteTo), and comes back as a reader for
// tree.ReadSnapshot.
//
// # Contract
//
//  1. Save writes snapshot.<index>.tmp, fsyncs it, renames it to
//     snapshot.<index> and fsyncs the directory. A snapshot file is whole
//     or absent: a crash or error before the rename leaves only a .tmp,
//     which Open and Purge delete (with a log line) and List never shows.
//  2. Load and LoadNewest verify the header checksum, the file length and
//     the body checksum before returning the body. A failure is an error
//     wrapping ErrCorrupt that names the file and the offset; LoadNewest
//     never falls back to an older snapshot by itself (that would silently
//     roll the state back). The caller decides, with List and Load.
//  3. Purge keeps the newest N snapshots (at least MinRetain, ZooKeeper's
//     autopurge.snapRetainCount minimum) and reports the index of the
//     oldest one kept: the log must keep every entry after it.
//
// # Files
//
//	snapshot.<index>        e.g. snapshot.00000000000004d2
//	snapshot.<index>.tmp    being written (or left by a crash)
//
// index is the raft index the snapshot includes, as 16 lower-case hex
// digits, so names sort by index and read like ZooKeeper's snapshot.<zxid>.
// Other names in the directory are left alone.
//
// # Layout
//
// All integers are little-endian, as in the WAL. Everything here is part of
// the on-disk format.
//
//	offset 0                                                            56
//	+--------------+---------+-------+-------+------+----------+---------+-----+------+
//	| "ZKDSNAP\0"  | version | flags | index | term | lastZxid | bodyLen | crc | zero |
//	| 8 B          | u32 = 1 | u32=0 | u64   | u64  | i64      | u64     | u32 | u32  |
//	+--------------+---------+-------+-------+------+----------+---------+-----+------+
//	0              8         12      16      24     32         40        48    52
//	crc = CRC-32C of bytes 0..47
//
//	56             body: bodyLen bytes, the caller's stream
//
//	56+bodyLen     trailer
//	+----------+----------+
//	| bodyCRC  | "ZEND"   |
//	| u32      | 4 B      |
//	+----------+----------+
//	bodyCRC = CRC-32C of the body
//
// The file is exactly 56 + bodyLen + 8 bytes long; anything else is
// corruption (a snapshot is renamed into place only once complete, so
// unlike the log's tail it is never legitimately torn).
package snap
