package server

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The native /metrics endpoint stands in for Apache ZooKeeper's
// PrometheusMetricsProvider: the same metric names (no zk_ prefix), read at
// scrape time from monitor(), the function mntr prints, so a dashboard made
// for Apache works and mntr, the admin server and /metrics agree. Go
// runtime and process metrics replace the JVM ones.

// metricsHandler serves /metrics from a registry of this server's own (no
// global registry, so several servers in one test process do not clash).
func (s *Server) metricsHandler() http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		&zkCollector{s: s},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slogPrinter{s}}))
	return mux
}

type slogPrinter struct{ s *Server }

// Println logs promhttp's errors through the server's logger.
func (p slogPrinter) Println(v ...any) {
	p.s.log.Warn("metrics", "err", strings.TrimSpace(fmt.Sprintln(v...)))
}

// summaryNames are mntr's avg/min/max/cnt/sum groups that Apache exports as
// Prometheus summaries (<name>_count, <name>_sum) rather than gauges.
var summaryNames = []string{"readlatency", "updatelatency", "fsynctime"}

// skipGauges are mntr keys that are not numbers or that the Go collector
// already exports under its own names.
var skipGauges = map[string]bool{
	"version": true, "server_state": true,
	"go_memstats_heap_inuse_bytes": true, "go_memstats_heap_sys_bytes": true, "go_gc_gomemlimit_bytes": true,
}

// zkCollector turns one mntr snapshot into metrics at every scrape. Its
// metric set depends on what mntr prints, so it is an unchecked collector
// (Describe sends nothing).
type zkCollector struct{ s *Server }

// Describe is empty: the metrics are known only at scrape time.
func (*zkCollector) Describe(chan<- *prometheus.Desc) {}

// Collect reads monitor() and emits its numbers as Apache names them.
func (z *zkCollector) Collect(ch chan<- prometheus.Metric) {
	kvs := z.s.monitor()
	vals := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		vals[kv.Key] = kv.Value
	}
	inSummary := map[string]bool{}
	for _, name := range summaryNames {
		cnt, okC := parseNum(vals["cnt_"+name])
		sum, okS := parseNum(vals["sum_"+name])
		for _, p := range []string{"avg_", "min_", "max_", "cnt_", "sum_"} {
			inSummary[p+name] = true
		}
		if !okC || !okS {
			continue
		}
		desc := prometheus.NewDesc(name, name+" summary in ms (as Apache ZooKeeper's "+name+")", nil, nil)
		ch <- prometheus.MustNewConstSummary(desc, uint64(cnt), sum, nil)
	}
	for _, kv := range kvs {
		if skipGauges[kv.Key] || inSummary[kv.Key] {
			continue
		}
		v, ok := parseNum(kv.Value)
		if !ok {
			continue
		}
		desc := prometheus.NewDesc(kv.Key, "mntr's zk_"+kv.Key, nil, nil)
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, v)
	}
}

func parseNum(s string) (float64, bool) {
	v, err := strconv.ParseFloat(s, 64)
	return v, err == nil
}
