// Package quorum is zkd's replicated log, on go.etcd.io/raft/v3.
//
// A standalone server is a one-member group: writes take exactly the path
// they take in an ensemble (propose → commit → apply), so adding peers adds
// transport, not a second code path.
//
// The loop follows raft's contract, in this order for each Ready:
//
//  1. append Entries (and HardState) to Storage;
//  2. send Messages (none while the group has one member);
//  3. hand CommittedEntries to the StateMachine in log order, applying
//     conf changes to raft itself;
//  4. answer ReadStates whose index has been applied;
//  5. Advance.
//
// Storage is in memory for now; the durable WAL (dataLogDir) replaces it
// behind raft.Storage without changing this loop.
package quorum
