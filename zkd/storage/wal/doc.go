// Package wal is zkd's write-ahead log: the replicated log and raft's
// HardState, kept in dataLogDir (ZooKeeper's transaction log directory). It
// stores raft-shaped records (Entry, State, SnapshotMark) without importing
// raft; zkd/quorum builds raft's Storage on it.
//
// # Contract
//
//  1. Open replays the log and returns what raft needs to restart
//     (Recovered): the last State, the last snapshot mark and the entries
//     after it, contiguous, with every rewrite applied.
//  2. Save appends a batch (entries, then State) with one write and one
//     fsync, and returns only once the batch is durable (group commit). An
//     entry at or below the last index replaces it and drops what follows
//     (raft may rewrite its uncommitted tail); replay applies the same rule.
//  3. MarkSnapshot records that a snapshot exists; Compact then drops the
//     whole segments that only hold entries the snapshot covers, and
//     deletes their files in the background (WaitCompacted waits for that).
//  4. A failed Save (disk full) writes nothing that counts; the next Save
//     writes over it and succeeds once space is back, without a restart.
//  5. For a raft Ready that carries a snapshot, call MarkSnapshot before
//     Save: the entries that follow the snapshot continue from its index.
//
// The write side (Save, MarkSnapshot, Compact, Close) is serialized by a
// mutex; Stats may be called from any goroutine and never waits for a write.
//
// # Files
//
// dataLogDir holds segment files named
//
//	<seq>-<first index>.wal     e.g. 0000000000000003-00000000000a1b2c.wal
//
// with both numbers as 16 lower-case hex digits. seq is 1 for the first
// segment ever and grows by one per segment, so sorting names sorts the log;
// a missing seq is corruption. The first index (the index the next entry had
// when the segment was created) is for people and tools only: a rewrite can
// put lower indexes in a later segment. A segment is being prepared under the
// name <seq>.wal.tmp (Open deletes leftovers), and the file LOCK is flocked
// while a WAL is open.
//
// Each segment is preallocated to Options.SegmentSize (64 MiB, ZooKeeper's
// preAllocSize) and then written sequentially. A batch is never split: a new
// segment starts when the next batch does not fit.
//
// # Segment layout
//
//	offset 0                                                          32
//	       +--------+---------+-----------+-------------+------+--------+
//	       | "ZKDW" | version | seq       | first index | 0    | crc    |
//	       | 4 B    | u32 = 1 | u64       | u64         | u32  | u32    |
//	       +--------+---------+-----------+-------------+------+--------+
//	       crc = CRC-32C of bytes 0..27
//
//	32     State record        (the State when the segment was created)
//	72     SnapshotMark record (the mark when the segment was created)
//	104    records of Save and MarkSnapshot calls, in call order ...
//	       zeros to the end of the preallocated file
//
// The preamble (State and mark) makes every segment replayable without the
// ones before it, which is what lets Compact delete old segments.
//
// # Record layout
//
// All integers are little-endian. Every record starts at a multiple of 8.
//
//	+-------------+-------------+------+------------------+-----------+
//	| length  u32 | crc     u32 | type | body             | padding   |
//	+-------------+-------------+------+------------------+-----------+
//	|<-- 8-byte header -------->|<-- length bytes ------->|<- 0..7 -->|
//
//	length  = 1 + len(body), 1..maxRecordLen (MaxEntrySize + 18); larger is damage
//	crc     = CRC-32C over the 4 length bytes, the type byte and the body
//	padding = zero bytes up to the next multiple of 8 (not checksummed)
//
//	type 1  entry     body: index u64 | term u64 | kind u8 | data
//	type 2  state     body: term u64  | vote u64 | commit u64
//	type 3  snapshot  body: index u64 | term u64
//
// Why padded: the 8-byte header of a record then never straddles a sector
// or page, so a torn write cannot leave half a length word pointing into
// the middle of later data, and the end-of-data check reads aligned words.
// It costs at most 7 bytes per record. Why the length is in the CRC: a bit
// flip in the length cannot make a different byte range verify.
//
// A zero length word where a record should start is the end of written data:
// a preallocated segment is zeros after it.
//
// # Recovery
//
// Open reads every segment in order and decodes records until the first that
// does not verify (a bad length, a CRC mismatch, an unknown type, a partial
// header or non-zero bytes after the end-of-data marker). Then:
//
//   - if that is in the last segment and no valid record follows it at any
//     aligned offset, it is a torn tail: the write of a batch that was never
//     acknowledged. Open truncates the file there, preallocates it again
//     (zeros), fsyncs, logs a warning and reports it in Recovered.TornTail;
//   - anything else is corruption: Open fails with a CorruptionError naming
//     the file and offset, e.g. "wal: corrupt record in
//     0000000000000001-0000000000000001.wal at offset 4096: crc mismatch
//     (valid records follow)", and errors.Is(err, ErrCorrupt). A damaged or
//     unknown segment header, a missing segment, or a log that does not
//     continue right after its snapshot mark are corruption too. The WAL
//     never drops data silently; repairing is an operator's decision
//     (Repair cuts the last segment at its first damage, keeping a .broken
//     copy).
//
// One case lands on the refusing side although it is a torn write: a power
// loss can persist the pages of the last batch out of order, leaving zeros
// in its first page and valid records in a later one. Nothing tells that
// apart from a damaged sector in the middle of acknowledged data, so Open
// refuses and Repair is the way out.
//
// Damage can only be torn in the last segment because a segment is fsynced
// before a newer one is created, even with NoSync.
//
// Limit: a bit flip in the very last record of the log looks exactly like a
// torn write (nothing valid follows it), so it is truncated as one, with the
// warning and TornTail. That record may have been acknowledged; the other
// replicas still hold it, and raft sends it again.
//
// Every length read from disk is bounded by maxRecordLen and by the bytes
// left in the file before anything is allocated or checksummed.
//
// # Failed writes
//
// Records are written with pwrite at explicit offsets, so the position is
// never unknown and there is no sticky "broken" state. When a write or fsync
// fails, the batch does not count (the in-memory log does not change) and
// the byte range it may have touched is remembered; the next Save first
// zeroes that range and fsyncs, then writes its batch at the last good
// offset. Zeroing first matters: otherwise a shorter new batch could leave
// complete stale records of the failed one after it. Segment creation fails
// cleanly (nothing renamed) when the disk is full, because the file is
// allocated in full before it becomes part of the log; a later Save retries.
//
// # Measured choices (ext4 on a virtio disk, 2 cores, Go 1.26)
//
// fsync: fdatasync after one pwrite of the whole batch. O_DSYNC on the same
// pwrite measured the same within noise (median 60-130 us per append for
// 128 B - 16 KiB batches either way), and fdatasync keeps the sync a
// separate, timed step for Stats and the slow-fsync warning.
//
// Preallocation: fallocate, then a zero fill, in a background goroutine
// (preparer). fallocate alone is instant but leaves "unwritten" extents, and
// every fdatasync that converts some costs a journal commit: appends of
// 4 KiB - 256 KiB batches measured 1.3-1.7x slower than in a zero-filled
// file (e.g. 16 KiB: 128 us vs 78 us median; 256 KiB: 350 us vs 228 us).
// The zero fill costs about 60 ms per 64 MiB, so it is done off the write
// path while the previous segment fills, and written back to the disk 256
// KiB at a time (sync_file_range) rather than by one fsync at the end: that
// fsync flushed 64 MiB in one burst (192 MiB on a 3-member ensemble sharing
// a disk, whose members cut segments at the same index), and the log's own
// fsyncs queued behind it for 100-350 ms (see fillZeros). fallocate first
// still makes a full disk fail fast, before any zero is written. Through
// Save (BenchmarkPreallocate, medians of 5): 16 x 1 KiB batches take 103 us
// zero-filled vs 194 us fallocate-only. The cost: the zero fill doubles the bytes written, so at
// very high throughput (256 x 1 KiB batches, ~300 MB/s) fallocate-only was
// faster (about 400 us vs 700 us per batch). ZooKeeper traffic is many small
// transactions, where latency matters, hence the zero fill. See also
// BenchmarkSyncMethod.
package wal
