// Package lincheck records histories of real ZooKeeper clients working on a
// few znodes used as versioned registers, and checks them for
// linearizability with porcupine (github.com/anishathalye/porcupine).
//
// # Recording
//
// [Start] sets up a fresh parent znode (Workload.Prefix) with Workload.Keys
// children, then runs Workload.Clients clients, each its own go-zookeeper
// session, on a random mix of
//
//   - setData(path, value, version): with the last version the client saw,
//     with a deliberately stale one (so BADVERSION happens), or with -1;
//   - reads: sync(path) then getData(path), one operation from the call of
//     sync to the return of getData;
//   - read-then-set: a read, then a setData with the version it returned.
//
// Every value written is unique ("c<process>-<n>"), so a read names the
// write it saw. Call and return times come from one monotonic clock (the
// Recorder's, [Recorder.Now]); faults injected by a test can be put on the
// same clock with [Recorder.Note] and show up in the visualization.
//
// Outcomes are classified as
//
//   - definite: OK (with the new or read Stat.Version), BADVERSION, NONODE,
//     NODEEXISTS. These are answers of the server and are checked as such;
//   - indeterminate ([Unknown]): connection loss, session expiry, "no
//     server", the per-operation timeout (Workload.OpTimeout), the recording
//     being stopped, and every error not listed above. The write may or may
//     not have happened, at any time after its call.
//
// A read that fails is dropped (it had no effect; History.DroppedReads counts
// them). After an indeterminate outcome the client continues as a new
// logical process (Op.Process, porcupine's ClientId), as Jepsen does, so
// that the operations of one process never overlap; after a timeout it also
// abandons its session and opens a new one, which unblocks the abandoned
// request.
//
// # Model
//
// The model ([Model]) is a map from path to (exists, value, version),
// partitioned by path, so porcupine checks every znode on its own: a history
// is linearizable iff each znode's sub-history is, because operations touch
// one znode each (P-compositionality). The initial state of a znode is
// "absent"; setup's create operations are part of the history. Znodes are
// never deleted.
//
//   - create(v) → OK requires absent and gives (v, version 0); NODEEXISTS
//     requires present and changes nothing.
//   - set(v, e) → OK(n) requires present, e == -1 or e == version, and
//     n == version+1; it gives (v, n). BADVERSION requires present and
//     e != -1 and e != version; NONODE requires absent. Both change nothing.
//   - read → OK(v, n) requires present with exactly value v and version n;
//     NONODE requires absent.
//
// # Indeterminate writes
//
// An indeterminate write may take effect at any instant after its call, or
// never. The textbook encoding gives it a return time after every other
// event (+infinity) and lets it take effect when linearized ("never" being
// "linearized last"). That is sound and complete, and it is kept in the
// tests as the reference model; but porcupine then tries every subset of
// the pending unconditional writes (setData with -1) in front of every later
// operation: with 6 of them in a 4,000-operation znode the check takes
// seconds, with 8 it does not finish in 20 s. Fault tests produce dozens.
//
// So the model is lazy instead. The state of a znode also holds the set of
// pending writes: those with an indeterminate outcome that may still take
// effect. An indeterminate write is an operation on the interval
// [call, call] that adds itself to that set. Before any definite operation
// the model may let pending writes take effect, in any order (each one
// applies if its precondition holds then: setData with a version is a
// compare-and-set, create needs an absent znode), and the operation's
// outcome must be right in the resulting state. porcupine's
// NondeterministicModel carries the resulting set of possible states.
//
// Sound: every sequence the model allows is a real possibility, each write
// taking effect at one instant after its call (after its registration) or
// not at all. Complete: if in the real execution write w took effect at t,
// it is pending from its call until the first operation linearized after t,
// and the model may apply it there, at the same place in the order of
// effects. The search is cut without losing completeness: the model lets
// pending writes take effect only when an outcome needs it, and along each
// sequence of them it stops at the first state that explains the outcome.
// After a successful set or read the version is the one returned, which any
// further write would raise; after the other outcomes (no-ops) further
// writes may as well take effect just before the next operation. A pending
// write that can never take effect is dropped (a create once the znode
// exists, a set whose expected version has passed: versions only grow). What
// stays pending is in effect only unconditional sets and sets with a future
// version, and they cost nothing until a read's value or a version
// jump names them. A randomized test checks the lazy model against the
// reference one on thousands of small histories, linearizable and not.
//
// Classifying an error as indeterminate is always safe (a write that did not
// happen is one of the behaviours allowed for it), only weaker: e.g.
// go-zookeeper's ErrNoServer is in fact returned only for requests it never
// sent, but it is still treated as indeterminate.
//
// # ZooKeeper's guarantees
//
// ZooKeeper linearizes writes; plain reads are only sequentially consistent
// (served by the member the session is on). sync followed by getData is the
// documented way to read the latest state, and the model checks such reads
// as linearizable ones. In an ensemble, sync is not itself a quorum
// operation, so a violation involving only reads around a leader change
// should be read with that in mind.
//
// # Checking
//
// [Check] runs porcupine with a timeout; [Visualize] writes porcupine's HTML
// visualization (with the notes as annotations); [Require] does both for a
// test and leaves the HTML and the history as JSON in a temporary directory
// (or $LINCHECK_DIR) when the check fails.
package lincheck
