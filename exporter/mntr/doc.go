// Package mntr fetches and reads the reply to ZooKeeper's "mntr" four-letter
// word, and names what it reads the Prometheus way.
//
// # The wire
//
// The client connects, writes the four bytes "mntr" and reads until the
// server closes the connection. Nothing else is ever sent: in particular
// never "srst", which would reset the server's latency and packet
// statistics for every other observer. One deadline covers connect, write
// and read (Fetch), so a hung server costs a scrape at most that long.
//
// The reply is one line per value, "zk_<key>\t<value>\n", in three dialects
// that this package reads alike:
//
//  1. 3.4 and 3.5: a fixed list of ServerStats keys (zk_avg_latency,
//     zk_server_state, zk_followers on a leader...), integers only.
//  2. 3.6 to 3.9 with the default metrics provider (and zkd): the same keys
//     plus the provider's dump, where a summary X is spelled out as
//     zk_avg_X, zk_min_X, zk_max_X, zk_cnt_X, zk_sum_X and, for percentile
//     summaries, zk_p50_X ... zk_p999_X. A summary set (per namespace, per
//     peer) puts its key inside the name: zk_cnt_app0_write_per_namespace.
//     Averages print as Java doubles ("0.0714").
//  3. 3.6+ with the Prometheus metrics provider: the provider's registry as
//     Prometheus samples, labels and all: zk_fsynctime{quantile="0.5"},
//     zk_fsynctime_count, zk_write_per_namespace{key="app0",quantile="0.5"},
//     zk_jvm_memory_bytes_used{area="heap"}, values as Java doubles
//     including "NaN" and exponents ("1.6308337E7"); label values may hold
//     spaces (gc="PS Scavenge").
//
// Some values are strings: zk_version, zk_server_state and, in a quorum,
// zk_peer_state ("following - broadcast"). A line this package does not
// understand is skipped and reported in Report.Skipped, never fatal.
//
// # Names
//
// Convert turns a Report into Metrics named zookeeper_<key> with base units
// (milliseconds become seconds, sizes get _bytes), _total on counters, and
// summaries as Prometheus summaries; the table is in keys.go and in
// exporter/README.md. Keys it does not know keep their name and are
// untyped.
package mntr
