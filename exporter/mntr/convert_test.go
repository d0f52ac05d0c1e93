package mntr

import (
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestConvert checks the name, type, labels and value of a chosen metric
// from each captured reply.
func TestConvert(t *testing.T) {
	type want struct {
		name   string
		labels string // "a=b,c=d"
		kind   Kind
		value  float64 // or the summary's sum
		count  uint64
		q      map[float64]float64
	}
	tests := []struct {
		file string
		want []want
	}{
		{"zkd.txt", []want{
			{name: "zookeeper_znodes", kind: Gauge, value: 12},
			{name: "zookeeper_packets_received_total", kind: Counter, value: 74},
			{name: "zookeeper_latency_max_seconds", kind: Gauge, value: 0.001},
			{name: "zookeeper_latency_avg_seconds", kind: Gauge, value: 0.013513513513513514 / 1000},
			{name: "zookeeper_uptime_seconds", kind: Gauge, value: 2.038},
			{name: "zookeeper_approximate_data_size_bytes", kind: Gauge, value: 354},
			{name: "zookeeper_auth_failed_total", kind: Counter, value: 0},
			{name: "zookeeper_updatelatency_seconds", kind: Summary, value: 0.001, count: 27, q: map[float64]float64{}},
			{name: "zookeeper_updatelatency_max_seconds", kind: Gauge, value: 0.001},
			{name: "zookeeper_readlatency_seconds", kind: Summary, value: 0, count: 47, q: map[float64]float64{}},
		}},
		{"apache-3.8.0-standalone.txt", []want{
			{name: "zookeeper_open_file_descriptors", kind: Gauge, value: 42},
			{name: "zookeeper_received_bytes_total", kind: Counter, value: 3122},
			{name: "zookeeper_updatelatency_seconds", kind: Summary, value: 0.088, count: 28,
				q: map[float64]float64{0.5: 0.001, 0.95: 0.02, 0.99: 0.025, 0.999: 0.025}},
			{name: "zookeeper_prep_processor_queue_time_seconds", kind: Summary, value: 0.004, count: 75,
				q: map[float64]float64{0.5: 0, 0.95: 0, 0.99: 0.002, 0.999: 0.002}},
			{name: "zookeeper_sync_processor_batch_size", kind: Summary, value: 28, count: 28, q: map[float64]float64{}},
			{name: "zookeeper_sync_processor_batch_size_avg", kind: Gauge, value: 1},
			{name: "zookeeper_write_per_namespace_bytes", labels: "namespace=app0", kind: Summary, value: 376, count: 9, q: map[float64]float64{}},
			{name: "zookeeper_read_per_namespace_max_bytes", labels: "namespace=app1", kind: Gauge, value: 170},
			{name: "zookeeper_snapshottime_seconds", kind: Summary, value: 0.004, count: 1, q: map[float64]float64{}},
			{name: "zookeeper_add_dead_watcher_stall_time_seconds_total", kind: Counter, value: 0},
			{name: "zookeeper_connection_drop_total", kind: Counter, value: 0},
			{name: "zookeeper_quorum_ack_latency_seconds", kind: Summary, value: 0, count: 0,
				q: map[float64]float64{0.5: 0, 0.95: 0, 0.99: 0, 0.999: 0}},
		}},
		{"apache-3.4.14-leader.txt", []want{
			{name: "zookeeper_followers", kind: Gauge, value: 2},
			{name: "zookeeper_synced_followers", kind: Gauge, value: 2},
			{name: "zookeeper_fsync_threshold_exceeded_total", kind: Counter, value: 1},
			{name: "zookeeper_max_proposal_size_bytes", kind: Gauge, value: 187},
			{name: "zookeeper_latency_max_seconds", kind: Gauge, value: 0.012},
		}},
		{"apache-3.6.1-leader.txt", []want{
			{name: "zookeeper_quorum_size", kind: Gauge, value: 2},
			{name: "zookeeper_leader_uptime_seconds", kind: Gauge, value: 567.6},
			{name: "zookeeper_ack_latency_seconds", labels: "sid=2", kind: Summary, value: 0.033, count: 22, q: map[float64]float64{}},
			{name: "zookeeper_election_time_seconds", kind: Summary, value: 0.212, count: 1, q: map[float64]float64{}},
			{name: "zookeeper_fsynctime_max_seconds", kind: Gauge, value: 0.009},
		}},
		{"apache-3.9.3-follower.txt", []want{
			{name: "zookeeper_looking_total", kind: Counter, value: 1},
			{name: "zookeeper_quota_exceeded_error_per_namespace_total", labels: "namespace=app1", kind: Counter, value: 2},
			{name: "zookeeper_some_future_gauge", kind: Untyped, value: 7},
			{name: "zookeeper_some_future_wait_seconds", kind: Untyped, value: 1.5},
			{name: "zookeeper_jvm_pause_time_seconds", kind: Summary, value: 0, count: 0,
				q: map[float64]float64{0.5: 0, 0.95: 0, 0.99: 0, 0.999: 0}},
			{name: "zookeeper_follower_sync_time_seconds", kind: Summary, value: 0.031, count: 1, q: map[float64]float64{}},
		}},
		{"apache-3.8-prometheus-provider.txt", []want{
			{name: "zookeeper_uptime_seconds", kind: Gauge, value: 16308.337},
			{name: "zookeeper_znodes", kind: Gauge, value: 145},
			{name: "zookeeper_packets_received_total", kind: Counter, value: 54321},
			{name: "zookeeper_fsynctime_seconds", kind: Summary, value: 2.468, count: 1234, q: map[float64]float64{0.5: 0.002}},
			{name: "zookeeper_om_proposal_process_time_seconds", kind: Summary, value: 0, count: 0,
				q: map[float64]float64{0.5: math.NaN(), 0.9: math.NaN(), 0.99: math.NaN()}},
			{name: "zookeeper_write_per_namespace_bytes", labels: "namespace=my app", kind: Summary, value: 5, count: 1, q: map[float64]float64{0.5: 5}},
			{name: "zookeeper_quota_exceeded_error_per_namespace_total", labels: "namespace=app0", kind: Counter, value: 3},
			{name: "zookeeper_jvm_memory_bytes_used", labels: "area=heap", kind: Untyped, value: 41943040},
			{name: "zookeeper_jvm_gc_collection_seconds", labels: "gc=PS Scavenge", kind: Summary, value: 0.094, count: 12, q: map[float64]float64{}},
			{name: "zookeeper_jvm_info", labels: "runtime=OpenJDK Runtime Environment,vendor=Eclipse Adoptium,version=11.0.14.1+1", kind: Untyped, value: 1},
			{name: "zookeeper_jvm_process_cpu_seconds_total", kind: Counter, value: 123.45},
			{name: "zookeeper_jvm_process_open_fds", kind: Untyped, value: 96},
			{name: "zookeeper_jvm_classes_loaded_total", kind: Counter, value: 4321},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ms := Convert(parseFile(t, filepath.Join("testdata", tt.file)))
			byID := map[string]Metric{}
			for _, m := range ms {
				byID[m.Name+"|"+labelsText(m.Labels)] = m
			}
			for _, w := range tt.want {
				m, ok := byID[w.name+"|"+w.labels]
				if !ok {
					t.Errorf("no %s{%s}; have %s", w.name, w.labels, names(ms))
					continue
				}
				if m.Kind != w.kind {
					t.Errorf("%s: kind %v, want %v", w.name, m.Kind, w.kind)
				}
				got := m.Value
				if m.Kind == Summary {
					got = m.Sum
					if m.Count != w.count || !sameQuantiles(m.Quantiles, w.q) {
						t.Errorf("%s: count %d quantiles %v, want %d %v", w.name, m.Count, m.Quantiles, w.count, w.q)
					}
				}
				if !near(got, w.value) {
					t.Errorf("%s{%s}: value %v, want %v", w.name, w.labels, got, w.value)
				}
				if m.Help == "" {
					t.Errorf("%s: no help", w.name)
				}
			}
		})
	}
}

var validName = regexp.MustCompile(`^zookeeper_[a-z0-9_]+$`)

// TestConvertNaming checks the conventions on every metric of every reply:
// valid names, _total exactly on counters, no _count/_sum on gauges and
// counters, no ms left, no duplicate series.
func TestConvertNaming(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txt")
	for _, f := range files {
		seen := map[string]bool{}
		for _, m := range Convert(parseFile(t, f)) {
			id := m.Name + "|" + labelsText(m.Labels)
			if seen[id] {
				t.Errorf("%s: duplicate %s", f, id)
			}
			seen[id] = true
			if !validName.MatchString(m.Name) {
				t.Errorf("%s: bad name %q", f, m.Name)
			}
			if (m.Kind == Counter) != strings.HasSuffix(m.Name, "_total") && m.Kind != Untyped {
				t.Errorf("%s: %s is %v: _total must mark exactly the counters", f, m.Name, m.Kind)
			}
			if m.Kind == Gauge || m.Kind == Counter {
				if strings.HasSuffix(m.Name, "_count") || strings.HasSuffix(m.Name, "_sum") {
					t.Errorf("%s: %s (%v) ends like a summary part", f, m.Name, m.Kind)
				}
			}
			if strings.Contains(m.Name+"_", "_ms_") {
				t.Errorf("%s: %s keeps milliseconds", f, m.Name)
			}
			for _, l := range m.Labels {
				if reservedLabels[l.Name] {
					t.Errorf("%s: %s has reserved label %q", f, m.Name, l.Name)
				}
			}
		}
	}
}

// TestConvertDuplicateLine keeps the first of two identical keys.
func TestConvertDuplicateLine(t *testing.T) {
	ms := Convert(ParseString("zk_znode_count\t1\nzk_znode_count\t2\n"))
	if len(ms) != 1 || ms[0].Value != 1 {
		t.Errorf("got %+v, want one metric with the first value", ms)
	}
}

// TestConvertReservedLabel renames a label that would clash with ours.
func TestConvertReservedLabel(t *testing.T) {
	ms := Convert(ParseString("zk_x{server=\"a\",instance=\"b\"}\t1\n"))
	if len(ms) != 1 || labelsText(ms[0].Labels) != "mntr_server=a,mntr_instance=b" {
		t.Errorf("got %+v", ms)
	}
}

func labelsText(ls []Label) string {
	var parts []string
	for _, l := range ls {
		parts = append(parts, l.Name+"="+l.Value)
	}
	return strings.Join(parts, ",")
}

func names(ms []Metric) string {
	var out []string
	for _, m := range ms {
		out = append(out, fmt.Sprintf("%s{%s}", m.Name, labelsText(m.Labels)))
	}
	return strings.Join(out, " ")
}

func near(a, b float64) bool {
	return sameFloat(a, b) || math.Abs(a-b) < 1e-9
}

func sameQuantiles(a, b map[float64]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range b {
		if got, ok := a[k]; !ok || !near(got, v) {
			return false
		}
	}
	return true
}
