package mntr

import (
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseLine(t *testing.T) {
	tests := []struct {
		name   string
		line   string
		sample *Sample
		str    [2]string // key, value of a string fact
	}{
		{name: "integer", line: "zk_znode_count\t5", sample: &Sample{Key: "znode_count", Value: 5}},
		{name: "negative", line: "zk_last_client_response_size\t-1", sample: &Sample{Key: "last_client_response_size", Value: -1}},
		{name: "java double", line: "zk_avg_latency\t0.0714", sample: &Sample{Key: "avg_latency", Value: 0.0714}},
		{name: "exponent", line: "zk_uptime\t1.6308337E7", sample: &Sample{Key: "uptime", Value: 16308337}},
		{name: "spaces not tab", line: "zk_znode_count   145", sample: &Sample{Key: "znode_count", Value: 145}},
		{name: "crlf", line: "zk_znode_count\t7\r", sample: &Sample{Key: "znode_count", Value: 7}},
		{name: "quantile label", line: "zk_fsynctime{quantile=\"0.5\"}\t2.0",
			sample: &Sample{Key: "fsynctime", Labels: []Label{{"quantile", "0.5"}}, Value: 2}},
		{name: "two labels", line: "zk_write_per_namespace{key=\"app0\",quantile=\"0.99\"}\t97.0",
			sample: &Sample{Key: "write_per_namespace", Labels: []Label{{"key", "app0"}, {"quantile", "0.99"}}, Value: 97}},
		{name: "label value with spaces", line: "zk_jvm_gc_collection_seconds_count{gc=\"PS Scavenge\"}\t12.0",
			sample: &Sample{Key: "jvm_gc_collection_seconds_count", Labels: []Label{{"gc", "PS Scavenge"}}, Value: 12}},
		{name: "label value with comma and brace", line: "zk_x{a=\"b,c}\",d=\"e\"}\t1",
			sample: &Sample{Key: "x", Labels: []Label{{"a", "b,c}"}, {"d", "e"}}, Value: 1}},
		{name: "empty labels", line: "zk_x{}\t3", sample: &Sample{Key: "x", Labels: []Label{}, Value: 3}},
		{name: "NaN", line: "zk_x{quantile=\"0.5\"}\tNaN", sample: &Sample{Key: "x", Labels: []Label{{"quantile", "0.5"}}, Value: math.NaN()}},
		{name: "version string", line: "zk_version\t3.8.0-abc, built on 2022-02-25 08:49 UTC", str: [2]string{"version", "3.8.0-abc, built on 2022-02-25 08:49 UTC"}},
		{name: "state string", line: "zk_server_state\tleader", str: [2]string{"server_state", "leader"}},
		{name: "peer state with spaces", line: "zk_peer_state\tleading - broadcast", str: [2]string{"peer_state", "leading - broadcast"}},
		{name: "hex is a string", line: "zk_build\t0x1p3", str: [2]string{"build", "0x1p3"}},
		{name: "no prefix", line: "mntr is not executed because it is not in the whitelist."},
		{name: "no value", line: "zk_znode_count"},
		{name: "blank value", line: "zk_znode_count\t  "},
		{name: "unterminated labels", line: "zk_broken{key=\"x\t1.0"},
		{name: "labelled string", line: "zk_x{key=\"x\"}\thello"},
		{name: "bad key", line: "zk_a-b\t1"},
		{name: "bad label name", line: "zk_a{b-c=\"d\"}\t1"},
		{name: "label name with a digit first", line: "zk_a{0b=\"c\"}\t1"},
		{name: "reserved label name", line: "zk_a{__name__=\"c\"}\t1"},
		{name: "nothing after labels", line: "zk_a{b=\"c\"}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := ParseString(tt.line)
			switch {
			case tt.sample != nil:
				if len(rep.Samples) != 1 {
					t.Fatalf("samples = %+v, skipped = %q; want one", rep.Samples, rep.Skipped)
				}
				got := rep.Samples[0]
				if got.Key != tt.sample.Key || !reflect.DeepEqual(got.Labels, tt.sample.Labels) || !sameFloat(got.Value, tt.sample.Value) {
					t.Errorf("sample = %+v, want %+v", got, *tt.sample)
				}
			case tt.str[0] != "":
				if got := rep.Strings[tt.str[0]]; got != tt.str[1] || len(rep.Samples) != 0 {
					t.Errorf("strings = %q, samples = %+v; want %q=%q", rep.Strings, rep.Samples, tt.str[0], tt.str[1])
				}
			default:
				if len(rep.Skipped) != 1 || len(rep.Samples) != 0 || len(rep.Strings) != 0 {
					t.Errorf("want the line skipped, got samples %+v strings %q skipped %q", rep.Samples, rep.Strings, rep.Skipped)
				}
			}
		})
	}
}

func sameFloat(a, b float64) bool {
	return a == b || math.IsNaN(a) && math.IsNaN(b)
}

// TestParseCapturedReplies reads every reply in testdata: every line must be
// understood except the three junk lines planted in the Prometheus-provider
// sample.
func TestParseCapturedReplies(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) < 6 {
		t.Fatalf("testdata: %v, %d files", err, len(files))
	}
	wantSkipped := map[string]int{"apache-3.8-prometheus-provider.txt": 3}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			rep := parseFile(t, f)
			if got, want := len(rep.Skipped), wantSkipped[filepath.Base(f)]; got != want {
				t.Errorf("skipped %d lines, want %d: %q", got, want, rep.Skipped)
			}
			if rep.Strings["version"] == "" || rep.Strings["server_state"] == "" {
				t.Errorf("version/server_state missing: %q", rep.Strings)
			}
			lines := strings.Count(readFile(t, f), "\n")
			if got := len(rep.Samples) + len(rep.Strings) + len(rep.Skipped); got != lines {
				t.Errorf("accounted for %d lines of %d", got, lines)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	tests := []struct {
		file, release, revision, impl string
	}{
		{"zkd.txt", "3.8.4", "zkd-0.1.0", "zkd"},
		{"apache-3.8.0-standalone.txt", "3.8.0", "${mvngit.commit.id}", "apache"},
		{"apache-3.4.14-leader.txt", "3.4.14", "4c25d480e66aadd371de8bd2fd8da255ac140bcf", "apache"},
		{"apache-3.6.1-leader.txt", "3.6.1", "-104dcb3e3fb464b30c5186d229e00af9f332524b", "apache"},
	}
	for _, tt := range tests {
		rel, rev, impl := parseFile(t, "testdata/"+tt.file).Version()
		if rel != tt.release || rev != tt.revision || impl != tt.impl {
			t.Errorf("%s: Version() = %q, %q, %q; want %q, %q, %q", tt.file, rel, rev, impl, tt.release, tt.revision, tt.impl)
		}
	}
	if rel, rev, impl := ParseString("zk_znode_count\t1\n").Version(); rel+rev+impl != "" {
		t.Errorf("no version line: got %q %q %q", rel, rev, impl)
	}
}

func TestHeap(t *testing.T) {
	tests := []struct {
		name string
		text string
		want Heap
		ok   bool
	}{
		{"default provider has none", readFile(t, "testdata/apache-3.8.0-standalone.txt"), Heap{-1, -1, -1}, false},
		{"prometheus provider", readFile(t, "testdata/apache-3.8-prometheus-provider.txt"), Heap{41943040, 134217728, 268435456}, true},
		{"client_java 1.x names", "zk_jvm_memory_used_bytes{area=\"heap\"}\t10\nzk_jvm_memory_max_bytes{area=\"heap\"}\t-1\n", Heap{10, -1, -1}, true},
		{"zkd go runtime", "zk_go_memstats_heap_inuse_bytes\t100\nzk_go_memstats_heap_sys_bytes\t200\nzk_go_gc_gomemlimit_bytes\t300\n", Heap{100, 200, 300}, true},
		{"go without a memory limit", "zk_go_memstats_heap_inuse_bytes\t100\nzk_go_gc_gomemlimit_bytes\t9.223372036854776E18\n", Heap{100, -1, -1}, true},
	}
	for _, tt := range tests {
		got, ok := ParseString(tt.text).Heap()
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: Heap() = %+v, %v; want %+v, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

func parseFile(t *testing.T, path string) *Report {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep, err := Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
