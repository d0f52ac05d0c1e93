package mntr

import (
	"math"
	"strings"
)

// ServerStates are the values of zk_server_state in Apache ZooKeeper 3.4
// to 3.9 (ZooKeeperServer.State and QuorumPeer.ServerState as printed).
// The collector exports each as a 0/1 series so that a query can count
// leaders without knowing who answered.
var ServerStates = []string{"leader", "follower", "observer", "standalone", "read-only"}

// Version splits zk_version ("3.8.0-5a02a05e..., built on 2022-02-25 08:49
// UTC", zkd: "3.8.4-zkd-1.2.0, built on ...") into the release ("3.8.0"),
// the rest of the version before ", built on" ("5a02a05e...", "zkd-1.2.0")
// and the implementation, "zkd" or "apache". It returns empty strings when
// the reply had no version.
func (r *Report) Version() (release, revision, implementation string) {
	v, ok := r.Strings["version"]
	if !ok {
		return "", "", ""
	}
	v, _, _ = strings.Cut(v, ", built on")
	release, revision, _ = strings.Cut(strings.TrimSpace(v), "-")
	implementation = "apache"
	if strings.HasPrefix(revision, "zkd") {
		implementation = "zkd"
	}
	return release, revision, implementation
}

// Heap is what mntr tells about the server's heap, in bytes; a negative
// field is unknown.
type Heap struct {
	Used, Committed, Max float64
}

// Heap reads the heap from the reply when the server prints it:
//
//   - a JVM with the Prometheus metrics provider dumps
//     jvm_memory_bytes_{used,committed,max}{area="heap"} (client_java 0.x,
//     ZooKeeper 3.6 to 3.9) or jvm_memory_{used,committed,max}_bytes
//     (client_java 1.x);
//   - zkd prints Go's go_memstats_heap_inuse_bytes, go_memstats_heap_sys_bytes
//     and go_gc_gomemlimit_bytes (client_golang's names) when it has them.
//
// The default provider prints no heap at all; then ok is false and the
// exporter falls back to what the host can tell (hoststats).
func (r *Report) Heap() (h Heap, ok bool) {
	h = Heap{Used: -1, Committed: -1, Max: -1}
	for _, s := range r.Samples {
		var dst *float64
		switch s.Key {
		case "jvm_memory_bytes_used", "jvm_memory_used_bytes":
			dst = &h.Used
		case "jvm_memory_bytes_committed", "jvm_memory_committed_bytes":
			dst = &h.Committed
		case "jvm_memory_bytes_max", "jvm_memory_max_bytes":
			dst = &h.Max
		case "go_memstats_heap_inuse_bytes":
			h.Used = s.Value
			continue
		case "go_memstats_heap_sys_bytes":
			h.Committed = s.Value
			continue
		case "go_gc_gomemlimit_bytes":
			// math.MaxInt64 is Go's "no limit".
			if s.Value > 0 && s.Value < math.MaxInt64 {
				h.Max = s.Value
			}
			continue
		default:
			continue
		}
		if s.Label("area") == "heap" && s.Value >= 0 && !math.IsNaN(s.Value) {
			*dst = s.Value
		}
	}
	return h, h.Used >= 0
}
