// Package tree is zkd's replicated state machine: the znode tree, the
// sessions table and the ACL table, changed only by Apply.
//
// The contract that makes every replica identical:
//
//  1. Apply(zxid, txn) depends only on the tree and the txn. Wall-clock
//     time (ctime, mtime, TTL expiry), session ids, passwords and the
//     identities used for ACL checks all travel inside the txn.
//  2. Every decision that changes state is taken here, from the committed
//     tree: ACL checks of writes, version checks, NodeExists/NoNode,
//     sequence numbers, container and TTL removal, session close and the
//     ephemerals it removes. A failed write is a result of Apply, the same
//     on every replica, and still consumes its zxid (as in ZooKeeper).
//  3. Apply reports each change as a (path, event type) through the Emit
//     callback in the order ZooKeeper's DataTree fires watches, so the
//     caller can trigger watches while it still holds the tree exclusively.
//  4. A multi is all or nothing: its ops are applied in order with an undo
//     journal and rolled back on the first failure; its events are emitted
//     only when it succeeds. All ops of a multi share one zxid.
//
// Memory (node.go, dir.go): the tree is hierarchical, not a map of paths.
// A znode is one allocation, its 96 bytes of fields followed by its name
// and (up to 1 KiB in all) its data; its parent's child set holds a
// pointer to it (a short sorted list, or an open-addressing hash table of
// pointers). Nodes are never changed in place: Apply puts a changed copy
// where the node was, which is what lets a snapshot record pointers
// instead of copying the tree (capture_cow.go).
//
// The tree does no locking and touches no files or clocks; the owner
// serialises Apply against reads (a sync.RWMutex in the server). Snapshots
// stream through an io.Writer/io.Reader the caller provides (snapshot.go).
package tree
