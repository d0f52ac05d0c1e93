package mntr

import "strings"

// Namespace prefixes every metric named from mntr. It is "zookeeper", not
// "zkd", because the same names describe zkd and Apache ZooKeeper servers.
const Namespace = "zookeeper"

// Kind is the Prometheus type a key becomes.
type Kind int

// Kinds of metrics.
const (
	Gauge Kind = iota
	Counter
	Untyped
	Summary
)

// unit is what a key's value is measured in on the wire; the metric is in
// the base unit.
type unit int

const (
	unitNone   unit = iota
	unitMillis      // printed in ms, exported in seconds
	unitBytes
)

func (u unit) suffix() string {
	switch u {
	case unitMillis:
		return "_seconds"
	case unitBytes:
		return "_bytes"
	}
	return ""
}

func (u unit) scale(v float64) float64 {
	if u == unitMillis {
		return v / 1000
	}
	return v
}

// keyInfo says how a plain (non-summary) mntr key becomes a metric.
type keyInfo struct {
	// name is the metric name between the namespace and the unit suffix;
	// "" means the key itself, less a trailing "_count" for counters.
	name string
	kind Kind
	unit unit
	help string
}

// metricName builds zookeeper_<name><unit>[_total].
func (k keyInfo) metricName(key string) string {
	n := k.name
	if n == "" {
		n = key
		if k.kind == Counter {
			n = strings.TrimSuffix(n, "_count")
		}
	}
	n = Namespace + "_" + n + k.unit.suffix()
	if k.kind == Counter {
		n += "_total"
	}
	return n
}

// plainKeys covers every plain key Apache ZooKeeper 3.4 to 3.9 and zkd
// print. ServerStats values that only grow (packets, auth failures) are
// counters even where 3.6+ registers them as gauges: they restart at zero
// only on a server restart or an srst, which rate() handles as a reset.
//
// Gauges whose key ends in _count are renamed to a plural noun, since a
// gauge called *_count reads as a summary's count to Prometheus tooling.
var plainKeys = map[string]keyInfo{
	// ServerStats and the data tree (all versions).
	"avg_latency":                {name: "latency_avg", unit: unitMillis, help: "Average request latency since the server started or its statistics were reset (zk_avg_latency)."},
	"min_latency":                {name: "latency_min", unit: unitMillis, help: "Minimum request latency since start or reset (zk_min_latency)."},
	"max_latency":                {name: "latency_max", unit: unitMillis, help: "Maximum request latency since start or reset (zk_max_latency)."},
	"packets_received":           {kind: Counter, help: "Packets received from clients (zk_packets_received)."},
	"packets_sent":               {kind: Counter, help: "Packets sent to clients (zk_packets_sent)."},
	"num_alive_connections":      {help: "Client connections open now (zk_num_alive_connections)."},
	"outstanding_requests":       {help: "Requests queued and not yet answered (zk_outstanding_requests)."},
	"znode_count":                {name: "znodes", help: "Znodes in the data tree (zk_znode_count)."},
	"watch_count":                {name: "watches", help: "Watches set by clients (zk_watch_count)."},
	"ephemerals_count":           {name: "ephemerals", help: "Ephemeral znodes (zk_ephemerals_count)."},
	"approximate_data_size":      {unit: unitBytes, help: "Approximate size of znode paths and data (zk_approximate_data_size)."},
	"open_file_descriptor_count": {name: "open_file_descriptors", help: "File descriptors the server process has open (zk_open_file_descriptor_count)."},
	"max_file_descriptor_count":  {name: "max_file_descriptors", help: "File descriptor limit of the server process (zk_max_file_descriptor_count)."},
	"fsync_threshold_exceed_count": {kind: Counter, name: "fsync_threshold_exceeded",
		help: "Transaction log fsyncs slower than fsync.warningthresholdms (zk_fsync_threshold_exceed_count, 3.4/3.5)."},
	// Leader only.
	"followers":                   {help: "Learners (followers and observers) connected to this leader (zk_followers, up to 3.5)."},
	"learners":                    {help: "Learners connected to this leader (zk_learners, 3.6+)."},
	"synced_followers":            {help: "Voting followers in sync with this leader (zk_synced_followers)."},
	"synced_non_voting_followers": {help: "Non-voting followers in sync with this leader (zk_synced_non_voting_followers)."},
	"synced_observers":            {help: "Observers in sync with this leader (zk_synced_observers)."},
	"pending_syncs":               {help: "Learners waiting for this leader to sync them (zk_pending_syncs)."},
	"last_proposal_size":          {unit: unitBytes, help: "Size of the last proposal (zk_last_proposal_size)."},
	"min_proposal_size":           {unit: unitBytes, help: "Smallest proposal since start (zk_min_proposal_size)."},
	"max_proposal_size":           {unit: unitBytes, help: "Largest proposal since start (zk_max_proposal_size)."},
	// 3.6+ gauges.
	"quorum_size":                 {help: "Voting members in the ensemble's configuration (zk_quorum_size)."},
	"uptime":                      {help: "Time since the server started (zk_uptime).", unit: unitMillis},
	"leader_uptime":               {help: "Time since this server became leader (zk_leader_uptime).", unit: unitMillis},
	"global_sessions":             {help: "Global sessions (zk_global_sessions)."},
	"local_sessions":              {help: "Local sessions (zk_local_sessions)."},
	"connection_drop_probability": {help: "Probability of dropping a new connection under load, 0 to 1 (zk_connection_drop_probability)."},
	"last_client_response_size":   {unit: unitBytes, help: "Size of the last response to a client, -1 before the first (zk_last_client_response_size)."},
	"min_client_response_size":    {unit: unitBytes, help: "Smallest response to a client, -1 before the first (zk_min_client_response_size)."},
	"max_client_response_size":    {unit: unitBytes, help: "Largest response to a client, -1 before the first (zk_max_client_response_size)."},
	"outstanding_tls_handshake":   {help: "TLS handshakes in progress (zk_outstanding_tls_handshake)."},
	// ServerStats and ServerMetrics counters (3.6+).
	"auth_failed_count":                          {kind: Counter, help: "Failed authentications (zk_auth_failed_count)."},
	"non_mtls_remote_conn_count":                 {kind: Counter, help: "Remote connections without mutual TLS (zk_non_mtls_remote_conn_count)."},
	"non_mtls_local_conn_count":                  {kind: Counter, help: "Local connections without mutual TLS (zk_non_mtls_local_conn_count)."},
	"add_dead_watcher_stall_time":                {kind: Counter, unit: unitMillis, help: "Time spent stalled adding dead watchers (zk_add_dead_watcher_stall_time)."},
	"bytes_received_count":                       {kind: Counter, name: "received", unit: unitBytes, help: "Bytes received from clients (zk_bytes_received_count)."},
	"response_bytes":                             {kind: Counter, name: "response", unit: unitBytes, help: "Bytes of responses sent to clients (zk_response_bytes)."},
	"watch_bytes":                                {kind: Counter, name: "watch", unit: unitBytes, help: "Bytes of watch notifications sent (zk_watch_bytes)."},
	"cnxn_closed_without_zk_server_running":      {kind: Counter, help: "Connections closed because the server was not running (zk_cnxn_closed_without_zk_server_running)."},
	"commit_count":                               {kind: Counter, help: "Commits performed on this member (zk_commit_count)."},
	"connection_drop_count":                      {kind: Counter, help: "Connections dropped (zk_connection_drop_count)."},
	"connection_rejected":                        {kind: Counter, help: "Connections rejected (zk_connection_rejected)."},
	"connection_request_count":                   {kind: Counter, help: "Incoming client connection requests (zk_connection_request_count)."},
	"connection_revalidate_count":                {kind: Counter, help: "Connection revalidations (zk_connection_revalidate_count)."},
	"dead_watchers_cleared":                      {kind: Counter, help: "Dead watchers cleared (zk_dead_watchers_cleared)."},
	"dead_watchers_queued":                       {kind: Counter, help: "Dead watchers queued for cleaning (zk_dead_watchers_queued)."},
	"diff_count":                                 {kind: Counter, help: "Learner syncs done by DIFF (zk_diff_count)."},
	"snap_count":                                 {kind: Counter, help: "Learner syncs done by SNAP (zk_snap_count)."},
	"digest_mismatches_count":                    {kind: Counter, help: "Data tree digest mismatches (zk_digest_mismatches_count)."},
	"ensemble_auth_fail":                         {kind: Counter, help: "Failed ensemble authentications (zk_ensemble_auth_fail)."},
	"ensemble_auth_skip":                         {kind: Counter, help: "Skipped ensemble authentications (zk_ensemble_auth_skip)."},
	"ensemble_auth_success":                      {kind: Counter, help: "Successful ensemble authentications (zk_ensemble_auth_success)."},
	"insecure_admin_count":                       {kind: Counter, help: "Admin requests over plain HTTP (zk_insecure_admin_count)."},
	"large_requests_rejected":                    {kind: Counter, help: "Requests rejected for size (zk_large_requests_rejected)."},
	"learner_commit_received_count":              {kind: Counter, help: "Commits received by this learner (zk_learner_commit_received_count)."},
	"learner_proposal_received_count":            {kind: Counter, help: "Proposals received by this learner (zk_learner_proposal_received_count)."},
	"looking_count":                              {kind: Counter, help: "Times this server entered leader election (zk_looking_count)."},
	"outstanding_changes_queued":                 {kind: Counter, help: "Outstanding changes queued (zk_outstanding_changes_queued)."},
	"outstanding_changes_removed":                {kind: Counter, help: "Outstanding changes removed (zk_outstanding_changes_removed)."},
	"prep_processor_request_queued":              {kind: Counter, help: "Requests queued to the prep processor (zk_prep_processor_request_queued)."},
	"proposal_count":                             {kind: Counter, help: "Proposals made by this leader (zk_proposal_count)."},
	"quit_leading_due_to_disloyal_voter":         {kind: Counter, help: "Times the leader quit because a voter was disloyal (zk_quit_leading_due_to_disloyal_voter)."},
	"request_commit_queued":                      {kind: Counter, help: "Requests queued for commit (zk_request_commit_queued)."},
	"request_throttle_wait_count":                {kind: Counter, help: "Requests that waited in the throttler (zk_request_throttle_wait_count)."},
	"requests_not_forwarded_to_commit_processor": {kind: Counter, help: "Requests not forwarded to the commit processor (zk_requests_not_forwarded_to_commit_processor)."},
	"response_packet_cache_hits":                 {kind: Counter, help: "Response cache hits for getData (zk_response_packet_cache_hits)."},
	"response_packet_cache_misses":               {kind: Counter, help: "Response cache misses for getData (zk_response_packet_cache_misses)."},
	"response_packet_get_children_cache_hits":    {kind: Counter, help: "Response cache hits for getChildren (zk_response_packet_get_children_cache_hits)."},
	"response_packet_get_children_cache_misses":  {kind: Counter, help: "Response cache misses for getChildren (zk_response_packet_get_children_cache_misses)."},
	"revalidate_count":                           {kind: Counter, help: "Session revalidations (zk_revalidate_count)."},
	"sessionless_connections_expired":            {kind: Counter, help: "Connections closed before a session was made (zk_sessionless_connections_expired)."},
	"skip_learner_request_to_next_processor_count": {kind: Counter,
		help: "Learner requests skipped to the next processor (zk_skip_learner_request_to_next_processor_count)."},
	"stale_replies":                 {kind: Counter, help: "Stale replies (zk_stale_replies)."},
	"stale_requests":                {kind: Counter, help: "Stale requests (zk_stale_requests)."},
	"stale_requests_dropped":        {kind: Counter, help: "Stale requests dropped (zk_stale_requests_dropped)."},
	"stale_sessions_expired":        {kind: Counter, help: "Stale sessions expired (zk_stale_sessions_expired)."},
	"sync_processor_request_queued": {kind: Counter, help: "Requests queued to the sync processor (zk_sync_processor_request_queued)."},
	"throttled_ops":                 {kind: Counter, help: "Operations throttled (zk_throttled_ops)."},
	"tls_handshake_exceeded":        {kind: Counter, help: "TLS handshakes over the limit (zk_tls_handshake_exceeded)."},
	"unrecoverable_error_count":     {kind: Counter, help: "Unrecoverable errors (zk_unrecoverable_error_count)."},
	"unsuccessful_handshake":        {kind: Counter, help: "Unsuccessful handshakes (zk_unsuccessful_handshake)."},
}

// setInfo describes a ZooKeeper summary set or counter set: one summary
// per key (a namespace, a peer's server id), whose key the default
// provider writes into the mntr name and the Prometheus provider into a
// "key" label.
type setInfo struct {
	label string // what the key is called in our label
	unit  unit
	help  string
	// sid says the key is a server id: only digits, so that
	// quorum_ack_latency is not read as the ack_latency of server "quorum".
	sid bool
}

var summarySets = map[string]setInfo{
	"read_per_namespace":         {label: "namespace", unit: unitBytes, help: "Bytes read per top-level namespace (zk_*_read_per_namespace)."},
	"write_per_namespace":        {label: "namespace", unit: unitBytes, help: "Bytes written per top-level namespace (zk_*_write_per_namespace)."},
	"ack_latency":                {label: "sid", sid: true, unit: unitMillis, help: "Proposal ack latency per follower server id, on the leader (zk_*_ack_latency)."},
	"learner_handler_qp_size":    {label: "sid", sid: true, help: "Queued packets per learner handler, on the leader (zk_*_learner_handler_qp_size)."},
	"learner_handler_qp_time_ms": {label: "sid", sid: true, unit: unitMillis, help: "Time packets wait per learner handler, on the leader (zk_*_learner_handler_qp_time_ms)."},
}

var counterSets = map[string]setInfo{
	"quota_exceeded_error_per_namespace": {label: "namespace", help: "Quota exceeded errors per namespace (zk_*_quota_exceeded_error_per_namespace)."},
}

// summaryHelp documents the summaries operators look at; the others get a
// generic help naming their mntr keys.
var summaryHelp = map[string]string{
	"readlatency":            "Latency of read requests",
	"updatelatency":          "Latency of write requests",
	"fsynctime":              "Time to fsync the transaction log",
	"snapshottime":           "Time to write a snapshot",
	"election_time":          "Time taken by leader elections",
	"follower_sync_time":     "Time for a follower to sync with the leader",
	"unavailable_time":       "Time the server was unavailable (no quorum)",
	"jvm_pause_time":         "JVM pauses seen by the pause monitor",
	"dbinittime":             "Time to load the database at start",
	"startup_snap_load_time": "Time to load the snapshot at start",
	"quorum_ack_latency":     "Time from proposal to quorum ack, on the leader",
	"proposal_latency":       "Time from proposal to commit, on the leader",
}

// summaryUnit picks the unit of summary base from its name: "_ms" suffixes
// and names about time or latency are milliseconds in ZooKeeper's code;
// per-namespace sizes are bytes; everything else (queue sizes, batch sizes,
// watch counts) has no unit.
func summaryUnit(base string) (string, unit) {
	if n, ok := strings.CutSuffix(base, "_ms"); ok {
		return n, unitMillis
	}
	if strings.HasSuffix(base, "_per_namespace") {
		return base, unitBytes
	}
	if strings.Contains(base, "latency") || strings.Contains(base, "time") {
		return base, unitMillis
	}
	return base, unitNone
}

// defaultQuantiles maps the default provider's percentile prefixes.
var defaultQuantiles = map[string]float64{"p50": 0.5, "p95": 0.95, "p99": 0.99, "p999": 0.999}

// summaryParts are the prefixes the default provider spells a summary
// with.
var summaryParts = []string{"avg", "min", "max", "cnt", "sum", "p50", "p95", "p99", "p999"}
