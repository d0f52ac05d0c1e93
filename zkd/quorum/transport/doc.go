// Package transport carries raft messages between the members of an
// ensemble, on the quorumPort of each `server.N=host:quorumPort:electionPort`
// line.
//
// # Connections
//
// Every ordered pair of members has its own TCP connection, opened by the
// sender: member A's messages to B travel on the connection A dialled to
// B, and B's to A on the one B dialled. The dialer only writes frames; the
// acceptor only reads them (it writes nothing after the handshake's status
// byte, so the dialer notices a closed or reset connection by reading it).
// Each connection starts with a handshake:
//
//	 0      4         5      6          8                16               24                   32
//	+------+---------+------+----------+----------------+----------------+--------------------+
//	| ZKDP | version | kind | reserved |  from (u64 BE) |   to (u64 BE)  | membership (u64 BE)|
//	+------+---------+------+----------+----------------+----------------+--------------------+
//	version = 2; kind 0 = stream, 1 = snapshot; reserved = 0;
//	membership = Config.Membership, a digest of the member list
//
//	acceptor answers one byte:
//	0 ok | 1 unsupported version | 2 wrong to-id | 3 unknown from-id | 4 bad kind
//	5 membership differs
//
// A wrong magic closes the connection without an answer. Every rejection
// is logged by the acceptor with the remote address and the reason, and by
// the dialer with the status, so a mismatched server list or myid shows
// on both sides.
//
// After an accepted handshake, the connection carries frames:
//
//	 0                4                8
//	+----------------+----------------+------------------------------+
//	| length (u32 BE)| crc32c (u32 BE)| payload: marshalled          |
//	|  of payload    |  of payload    | raftpb.Message (protobuf)    |
//	+----------------+----------------+------------------------------+
//
// The length is checked against a bound before anything is allocated
// (Config.MaxFrameSize, 64 MiB; Config.MaxSnapshotSize on snapshot
// connections). An over-long length, a checksum mismatch, an undecodable
// payload, or a message whose from/to differ from the handshake's closes
// the connection with a warning naming the peer; the dialer reconnects.
//
// # Rules
//
//  1. Send never blocks. Each peer has a queue bounded by Config.MaxQueue;
//     a message that finds it full is dropped and counted, and the peer's
//     writer then calls OnUnreachable. raft tolerates lost messages: it
//     retransmits appends, and ReportUnreachable moves a follower from
//     pipelined replication back to probing.
//  2. One writer goroutine per peer drains everything queued at each
//     wake-up and writes it with one Write (one per 4 MiB for large
//     batches), so a busy leader batches without timers.
//  3. Order: messages from one member reach the other's Handler in the
//     order they were passed to Send, one Handler call at a time per
//     sender (a reconnecting sender's new stream waits until the old
//     stream's reader has finished). Messages may be lost, never reordered
//     or duplicated on the stream. MsgSnap is the exception (rule 5).
//  4. Failures: a failed dial, rejected handshake, failed or timed-out
//     write (Config.WriteTimeout), or a connection the peer closed drops
//     everything queued for that peer, calls OnUnreachable, and redials
//     after a backoff of 50 ms doubling to 1 s; the backoff resets once a
//     handshake succeeds. Writers dial as soon as the transport starts and
//     keep the stream open, so the first message does not wait for a dial.
//     On Linux the stream also sets TCP_USER_TIMEOUT to WriteTimeout: after
//     a silent partition (no reset), data unacknowledged that long closes
//     the connection, so a healed network is used again within a backoff
//     rather than after TCP's retransmission backoff of up to minutes.
//     An address change (UpdatePeer) redials at once and keeps the queue.
//     A refused dial (nothing listens at the peer's address: it stopped or
//     died) also calls OnPeerGone, the fast hint zkd's failover uses. The
//     first redial after a stream that had been up for a second ends has
//     no backoff, so that hint comes at once.
//  5. Snapshots: a MsgSnap is sent on a connection of its own (kind 1):
//     handshake, one frame, then the acceptor calls Handler and answers one
//     byte (0 accepted, 1 refused by Handler) before both sides close. So
//     a large snapshot never delays heartbeats or appends on the stream,
//     at the cost of ordering: it may reach Handler before or after stream
//     messages sent around it, which raft tolerates (a snapshot carries its
//     term and index; stale ones are ignored). Every MsgSnap gets exactly
//     one OnSnapshotStatus call: failed=false once the peer's Handler
//     accepted it, failed=true (plus OnUnreachable) on any error or after
//     Config.SnapshotTimeout. The snapshot travels whole in memory as one
//     frame; streaming it in chunks is for later.
//  6. Membership: only peers in the configuration (or added by AddPeer)
//     may connect; a handshake from another id, or to another id than
//     ours, is refused. RemovePeer closes both streams; UpdatePeer redials.
//  7. Callbacks and Handler run on transport goroutines, never on the
//     goroutine calling Send, so they may call into raft.Node directly.
//     None runs after Stop returns.
package transport
