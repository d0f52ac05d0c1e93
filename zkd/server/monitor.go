package server

import (
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"zkd/zkd/watch"
)

type watchWatcher = watch.Watcher

// monitor returns mntr's keys (without the zk_ prefix) in a stable order:
// the two fixed keys, the 3.4-era keys tools grep for, then the 3.6+
// gauges and summaries.
func (s *Server) monitor() []KV {
	minL, avg, maxL := s.stats.latency()
	s.db.mu.RLock()
	t := s.db.tree
	nodes, eph, size, sessions := t.NodeCount(), t.EphemeralCount(), t.DataSize(), t.SessionCount()
	s.db.mu.RUnlock()
	openFDs, maxFDs := fdCounts()
	last, minR, maxR := s.stats.responseSizes()
	i := func(v int64) string { return strconv.FormatInt(v, 10) }
	kv := []KV{
		{"version", s.versionString()},
		{"server_state", s.mode()},
	}
	kv = append(kv, s.quorumMonitor()...)
	kv = append(kv, []KV{
		{"avg_latency", javaDouble(avg)},
		{"max_latency", i(maxL)},
		{"min_latency", i(minL)},
		{"packets_received", i(s.stats.packetsReceived.Load())},
		{"packets_sent", i(s.stats.packetsSent.Load())},
		{"num_alive_connections", i(int64(len(s.connections())))},
		{"outstanding_requests", i(s.stats.outstanding.Load())},
		{"znode_count", i(int64(nodes))},
		{"watch_count", i(int64(s.db.watches.Count()))},
		{"ephemerals_count", i(int64(eph))},
		{"approximate_data_size", i(size)},
		{"open_file_descriptor_count", i(openFDs)},
		{"max_file_descriptor_count", i(maxFDs)},
		{"uptime", i(time.Since(s.start).Milliseconds())},
		{"global_sessions", i(int64(sessions))},
		{"local_sessions", "0"},
		{"connection_drop_probability", "0.0"},
		{"last_client_response_size", i(last)},
		{"max_client_response_size", i(maxR)},
		{"min_client_response_size", i(minR)},
		{"outstanding_tls_handshake", "0"},
		{"auth_failed_count", i(s.stats.authFailed.Load())},
		{"non_mtls_remote_conn_count", "0"},
		{"non_mtls_local_conn_count", "0"},
	}...)
	s.stats.mu.Lock()
	for _, sum := range []struct {
		name string
		v    summary
	}{{"readlatency", s.stats.readLat}, {"updatelatency", s.stats.updateLat}} {
		kv = append(kv,
			KV{"avg_" + sum.name, javaDouble(sum.v.avg())},
			KV{"min_" + sum.name, i(sum.v.min)},
			KV{"max_" + sum.name, i(sum.v.max)},
			KV{"cnt_" + sum.name, i(sum.v.count)},
			KV{"sum_" + sum.name, i(sum.v.sum)},
		)
	}
	s.stats.mu.Unlock()
	// The Go heap, zkd's equivalent of the JVM heap an operator watches
	// (zk-exporter turns these into its heap metrics).
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	kv = append(kv,
		KV{"go_memstats_heap_inuse_bytes", i(int64(ms.HeapInuse))},
		KV{"go_memstats_heap_sys_bytes", i(int64(ms.HeapSys))},
		KV{"go_gc_gomemlimit_bytes", i(debug.SetMemoryLimit(-1))},
	)
	// fsynctime: the WAL's data fsyncs, in ms, as ZooKeeper's summary.
	if s.node != nil {
		ws := s.node.WALStats()
		kv = append(kv,
			KV{"avg_fsynctime", javaDouble(float64(ws.FsyncAvg.Microseconds()) / 1000)},
			KV{"min_fsynctime", i(ws.FsyncMin.Milliseconds())},
			KV{"max_fsynctime", i(ws.FsyncMax.Milliseconds())},
			KV{"cnt_fsynctime", i(int64(ws.Fsyncs))},
			KV{"sum_fsynctime", i(ws.FsyncTotal.Milliseconds())},
		)
	}
	return kv
}

// fdCounts reads this process' open and maximum file descriptors.
func fdCounts() (open, max int64) {
	if entries, err := os.ReadDir("/proc/self/fd"); err == nil {
		open = int64(len(entries))
	}
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err == nil {
		max = int64(rl.Cur)
	}
	return open, max
}

// quorumMonitor are the mntr keys of an ensemble member: zk_peer_state on
// every member, and on the leader ZooKeeper's leader-only gauges (with
// zk_followers, the 3.5 name tools still grep for, beside zk_learners).
func (s *Server) quorumMonitor() []KV {
	if !s.ensemble() || s.node == nil {
		return nil
	}
	i := func(v int64) string { return strconv.FormatInt(v, 10) }
	peerState := "looking"
	switch s.mode() {
	case "leader":
		peerState = "leading - broadcast"
	case "follower":
		peerState = "following - broadcast"
	case "observer":
		peerState = "observing - broadcast"
	}
	kv := []KV{{"peer_state", peerState}}
	fs := s.node.Followers()
	if fs == nil {
		return kv
	}
	c := countFollowers(fs)
	last, minP, maxP := s.stats.proposalSizes()
	s.mu.Lock()
	leading := s.leadingSince
	s.mu.Unlock()
	return append(kv,
		KV{"learners", i(int64(c.learners))},
		KV{"followers", i(int64(c.followers))},
		KV{"synced_followers", i(int64(c.synced))},
		KV{"synced_non_voting_followers", "0"},
		KV{"synced_observers", i(int64(c.syncedObservers))},
		KV{"pending_syncs", i(s.stats.pendingSyncs.Load())},
		KV{"leader_uptime", i(time.Since(leading).Milliseconds())},
		KV{"last_proposal_size", i(last)},
		KV{"max_proposal_size", i(maxP)},
		KV{"min_proposal_size", i(minP)},
	)
}
