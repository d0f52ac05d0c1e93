// Package bench is zkbench's load generator: a ZooKeeper client made only
// for measuring, built directly on the zkd/zkd/proto records, and the
// comparison table `make bench` prints.
//
// # How a run measures
//
//  1. Sessions are opened up front (Dial: a plain handshake, no watches, no
//     reconnects, no ping loop) and spread over the servers round-robin.
//  2. The tree the mix needs is made before the clock starts: <root>/k/
//     with Keys keys of ValueSize bytes for set, get, exists, children and
//     multi; <root>/c for create. Existing keys are reused as they are.
//  3. Each session runs a pipeline (pipeline.go): up to Inflight requests
//     outstanding; as each reply frees a slot the next request is appended,
//     and the batch is written in one write just before the read would
//     block. Replies come back in request order (ZooKeeper's per-session
//     FIFO), so matching a reply is comparing its xid with the oldest
//     outstanding one.
//  4. A request's latency runs from the write that carried it to the read
//     of its reply. Replies that arrive inside the measurement window
//     [start+Warmup, start+Warmup+Duration) are counted: successful ones in
//     a Histogram per session and op kind, failed ones by error code.
//     Throughput is successful replies over the window's length.
//  5. No request is sent after the window; the last replies are drained
//     (bounded by ReplyTimeout), the sessions closed with closeSession, and
//     the per-session counts merged into a Report.
//
// Every run is bounded: in time by Duration (and ReplyTimeout on every
// wait), in count by MaxOps when set. Populate mode is bounded by its
// count, watch mode by Duration in rounds (watch.go).
//
// The load generator shares the machine with the server it measures, so
// its hot path is kept cheap: records are reused, reply bodies are not
// decoded (but a multi's, to find its error), and one write carries many
// requests.
//
// # Failover probes
//
// probe.go measures, for zkbench ensemble, how soon after a fault an
// ensemble takes a write again: FreshWrite with a new session per try,
// Session.FirstWrite with a session opened before the fault that resumes
// itself on another server. Both retry every 20 ms with no back-off of
// their own, so the times are the servers', not a client library's.
package bench
