// Package collector is the zk-exporter's prometheus.Collector: at each
// scrape it asks every ZooKeeper server for mntr, all at once under one
// deadline, reads the host stats of those that run on this host, and turns
// it all into const metrics. It keeps no mirrored values between scrapes;
// its only state is a failure counter and what it last logged per server,
// so that a server going down is logged once, not at every scrape.
package collector

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"zkd/exporter/hoststats"
	"zkd/exporter/mntr"
)

// Fetcher returns one mntr reply from addr within ctx; mntr.Fetch is the
// real one, tests substitute their own.
type Fetcher func(ctx context.Context, addr string) ([]byte, error)

// Host reads host stats; *hoststats.Host is the real one.
type Host interface {
	Disks(ctx context.Context) ([]hoststats.Filesystem, []hoststats.DeviceIO, error)
	// Process returns the process serving addr; ok is false when addr is
	// not on this host.
	Process(ctx context.Context, addr string) (p hoststats.Process, ok bool, err error)
}

// Options configure a Collector.
type Options struct {
	// Targets are the servers' client addresses, host:port.
	Targets []string
	// Timeout bounds one scrape: every target's connect and read, and the
	// host stats. 0 means mntr.Timeout.
	Timeout time.Duration
	// Fetch defaults to mntr.Fetch.
	Fetch Fetcher
	// Host is nil for no host stats.
	Host Host
	// Logger defaults to slog.Default().
	Logger *slog.Logger
}

// Collector implements prometheus.Collector. It is unchecked (Describe
// sends nothing) because the set of mntr metrics depends on the servers'
// versions.
type Collector struct {
	targets []string
	timeout time.Duration
	fetch   Fetcher
	host    Host
	log     *slog.Logger

	failures  *prometheus.CounterVec
	disksBusy atomic.Bool // a disk read that outlived its scrape is still running

	mu      sync.Mutex
	lastErr map[string]string // by "server/what": the condition last logged
}

// New checks the options and returns a Collector.
func New(o Options) (*Collector, error) {
	if len(o.Targets) == 0 {
		return nil, errors.New("collector: no targets")
	}
	var targets []string
	for _, t := range o.Targets {
		t = strings.TrimSpace(t)
		if _, port, err := net.SplitHostPort(t); err != nil || port == "" {
			return nil, fmt.Errorf("collector: target %q: want host:port", t)
		}
		if !slices.Contains(targets, t) {
			targets = append(targets, t)
		}
	}
	c := &Collector{
		targets: targets,
		timeout: o.Timeout,
		fetch:   o.Fetch,
		host:    o.Host,
		log:     o.Logger,
		lastErr: map[string]string{},
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ExporterNamespace,
			Name:      "mntr_failures_total",
			Help:      "Scrapes in which a server did not answer mntr, by reason: refused, connect, timeout, not_whitelisted, not_serving, empty, truncated, too_large, read.",
		}, []string{"server", "reason"}),
	}
	if c.timeout <= 0 {
		c.timeout = mntr.Timeout
	}
	if c.fetch == nil {
		c.fetch = mntr.Fetch
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	return c, nil
}

// Targets returns the servers scraped, deduplicated, in order.
func (c *Collector) Targets() []string { return slices.Clone(c.targets) }

// Describe sends nothing: the collector is unchecked.
func (c *Collector) Describe(chan<- *prometheus.Desc) {}

// Collect scrapes every target and the host under one deadline.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()

	results := make([]targetResult, len(c.targets))
	var disks diskResult
	var wg sync.WaitGroup
	for i, addr := range c.targets {
		wg.Go(func() { results[i] = c.scrapeTarget(ctx, addr) })
	}
	if c.host != nil {
		wg.Go(func() { disks = c.scrapeDisks(ctx) })
	}
	wg.Wait()

	for _, r := range results {
		c.emitTarget(ch, r)
	}
	if c.host != nil {
		c.emitDisks(ch, disks)
	}
	c.failures.Collect(ch)
	ch <- prometheus.MustNewConstMetric(scrapeDurationDesc, prometheus.GaugeValue, time.Since(start).Seconds())
}

// targetResult is what one target gave in one scrape.
type targetResult struct {
	addr     string
	err      error
	report   *mntr.Report
	metrics  []mntr.Metric
	duration time.Duration

	local   bool // the server runs on this host
	proc    hoststats.Process
	procErr error
}

func (c *Collector) scrapeTarget(ctx context.Context, addr string) targetResult {
	r := targetResult{addr: addr}
	if c.host != nil {
		// /proc first: it is quick, and a hung mntr must not leave it
		// with an expired context.
		r.proc, r.local, r.procErr = c.host.Process(ctx, addr)
	}
	start := time.Now()
	b, err := c.fetch(ctx, addr)
	if err == nil {
		r.report, err = mntr.Parse(bytes.NewReader(b))
	}
	if err == nil {
		r.metrics = mntr.Convert(r.report)
	}
	r.err, r.duration = err, time.Since(start)
	return r
}

// diskResult is what the host's disks gave in one scrape.
type diskResult struct {
	fss      []hoststats.Filesystem
	ios      []hoststats.DeviceIO
	err      error
	duration time.Duration
}

// scrapeDisks reads the disks, giving up at the deadline. statfs on a hung
// NFS mount never returns, so the read runs on its own goroutine and at
// most one such read is ever outstanding.
func (c *Collector) scrapeDisks(ctx context.Context) diskResult {
	start := time.Now()
	if !c.disksBusy.CompareAndSwap(false, true) {
		return diskResult{err: errors.New("the disk read of an earlier scrape has not returned yet")}
	}
	done := make(chan diskResult, 1)
	go func() {
		defer c.disksBusy.Store(false)
		fss, ios, err := c.host.Disks(ctx)
		done <- diskResult{fss: fss, ios: ios, err: err}
	}()
	select {
	case r := <-done:
		r.duration = time.Since(start)
		return r
	case <-ctx.Done():
		return diskResult{err: fmt.Errorf("disk read: %w", ctx.Err()), duration: time.Since(start)}
	}
}

// emitTarget sends one target's metrics.
func (c *Collector) emitTarget(ch chan<- prometheus.Metric, r targetResult) {
	server := r.addr
	ch <- prometheus.MustNewConstMetric(mntrDurationDesc, prometheus.GaugeValue, r.duration.Seconds(), server)
	c.emitProcess(ch, r)
	if r.err != nil {
		reason := mntr.Reason(r.err)
		c.failures.WithLabelValues(server, reason).Inc()
		c.logChange(server+"/mntr", reason, slog.LevelWarn, failureMessage(reason), "server", server, "reason", reason, "err", r.err)
		ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, 0, server)
		return
	}
	c.logChange(server+"/mntr", "", slog.LevelInfo, "ZooKeeper server answers mntr", "server", server)
	ch <- prometheus.MustNewConstMetric(upDesc, prometheus.GaugeValue, 1, server)
	ch <- prometheus.MustNewConstMetric(skippedDesc, prometheus.GaugeValue, float64(len(r.report.Skipped)), server)
	if len(r.report.Skipped) > 0 {
		c.log.Debug("mntr lines not understood", "server", server, "lines", r.report.Skipped)
	}
	c.emitFacts(ch, server, r.report)
	for _, m := range r.metrics {
		pm, err := constMetric(server, m)
		if err != nil {
			c.log.Debug("mntr metric dropped", "server", server, "metric", m.Name, "err", err)
			continue
		}
		ch <- pm
	}
}

// failureMessage is the log line for a server that did not answer mntr,
// with the fix where there is one.
func failureMessage(reason string) string {
	switch reason {
	case "not_whitelisted":
		return "ZooKeeper server refuses mntr: add mntr to 4lw.commands.whitelist in its zoo.cfg"
	case "not_serving":
		return "ZooKeeper server is up but not serving requests (leader election, or no quorum)"
	case "timeout":
		return "ZooKeeper server did not answer mntr before the deadline (hung, overloaded, or a firewall dropping packets)"
	case "refused", "connect":
		return "ZooKeeper server is down: cannot connect to its client port"
	}
	return "ZooKeeper server gave no usable mntr reply"
}

// emitFacts sends the state, info and string metrics.
func (c *Collector) emitFacts(ch chan<- prometheus.Metric, server string, rep *mntr.Report) {
	state := rep.Strings["server_state"]
	for _, s := range mntr.ServerStates {
		v := 0.0
		if s == state {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(stateDesc, prometheus.GaugeValue, v, server, s)
	}
	if state != "" && !slices.Contains(mntr.ServerStates, state) {
		ch <- prometheus.MustNewConstMetric(stateDesc, prometheus.GaugeValue, 1, server, utf8(state))
	}
	release, revision, impl := rep.Version()
	ch <- prometheus.MustNewConstMetric(infoDesc, prometheus.GaugeValue, 1,
		server, utf8(release), utf8(revision), impl, utf8(rep.Strings["peer_state"]))
	keys := make([]string, 0, len(rep.Strings))
	for k := range rep.Strings {
		if k != "version" && k != "server_state" && k != "peer_state" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		ch <- prometheus.MustNewConstMetric(stringInfoDesc, prometheus.GaugeValue, 1, server, k, utf8(rep.Strings[k]))
	}
}

// emitProcess sends the process and heap metrics of a target. The heap
// comes from mntr when the server prints it (any target), else from the
// JVM's hsperfdata (local targets).
func (c *Collector) emitProcess(ch chan<- prometheus.Metric, r targetResult) {
	server := r.addr
	if r.local && r.procErr != nil {
		c.logChange(server+"/process", r.procErr.Error(), slog.LevelWarn, "cannot read the server process on this host", "server", server, "err", r.procErr)
	} else if r.local {
		c.logChange(server+"/process", "", slog.LevelInfo, "server process found on this host", "server", server, "pid", r.proc.PID)
	}
	procOK := r.local && r.procErr == nil
	if procOK {
		p := r.proc
		ch <- prometheus.MustNewConstMetric(procRSSDesc, prometheus.GaugeValue, float64(p.RSS), server)
		if p.OpenFDs >= 0 {
			ch <- prometheus.MustNewConstMetric(procOpenFDsDesc, prometheus.GaugeValue, float64(p.OpenFDs), server)
		}
		if p.MaxFDs >= 0 {
			ch <- prometheus.MustNewConstMetric(procMaxFDsDesc, prometheus.GaugeValue, float64(p.MaxFDs), server)
		}
	}
	var heap mntr.Heap
	ok := false
	if r.report != nil {
		heap, ok = r.report.Heap()
	}
	if !ok && procOK && r.proc.Heap != nil {
		h := r.proc.Heap
		heap, ok = mntr.Heap{Used: float64(h.Used), Committed: float64(h.Committed), Max: float64(h.Max)}, true
	}
	if !ok {
		return
	}
	for _, v := range []struct {
		d *prometheus.Desc
		v float64
	}{{heapUsedDesc, heap.Used}, {heapCommittedDesc, heap.Committed}, {heapMaxDesc, heap.Max}} {
		if v.v >= 0 {
			ch <- prometheus.MustNewConstMetric(v.d, prometheus.GaugeValue, v.v, server)
		}
	}
}

// emitDisks sends the filesystem and device metrics.
func (c *Collector) emitDisks(ch chan<- prometheus.Metric, d diskResult) {
	ch <- prometheus.MustNewConstMetric(hostDurationDesc, prometheus.GaugeValue, d.duration.Seconds())
	if d.err != nil {
		c.logChange("host/disks", d.err.Error(), slog.LevelWarn, "cannot read the ZooKeeper directories' filesystems", "err", d.err)
	} else {
		c.logChange("host/disks", "", slog.LevelInfo, "ZooKeeper directories' filesystems readable")
	}
	for _, fs := range d.fss {
		l := []string{fs.Dir.Role, fs.Dir.Path, fs.Device}
		for _, v := range []struct {
			d *prometheus.Desc
			v uint64
		}{{fsSizeDesc, fs.Size}, {fsFreeDesc, fs.Free}, {fsUsedDesc, fs.Used},
			{fsInodesDesc, fs.Inodes}, {fsIFreeDesc, fs.InodesFree}, {fsIUsedDesc, fs.InodesUsed}} {
			ch <- prometheus.MustNewConstMetric(v.d, prometheus.GaugeValue, float64(v.v), l...)
		}
	}
	for _, io := range d.ios {
		for _, v := range []struct {
			d *prometheus.Desc
			v float64
		}{{diskReadsDesc, float64(io.Reads)}, {diskWritesDesc, float64(io.Writes)},
			{diskReadBytesDesc, float64(io.ReadBytes)}, {diskWrittenBytesDesc, float64(io.WrittenBytes)},
			{diskReadTimeDesc, io.ReadTime.Seconds()}, {diskWriteTimeDesc, io.WriteTime.Seconds()},
			{diskBusyDesc, io.Busy.Seconds()}} {
			ch <- prometheus.MustNewConstMetric(v.d, prometheus.CounterValue, v.v, io.Device)
		}
	}
}

// logChange logs msg at level when the condition cond under key changes:
// a failure once when it starts (or turns into another failure), and
// "recovered" once when cond becomes "" again. A condition that persists
// is logged once, not at every scrape.
func (c *Collector) logChange(key, cond string, level slog.Level, msg string, args ...any) {
	c.mu.Lock()
	last := c.lastErr[key]
	c.lastErr[key] = cond
	c.mu.Unlock()
	switch {
	case cond == last:
	case cond != "":
		c.log.Log(context.Background(), level, msg, args...)
	default:
		c.log.Info("recovered: "+msg, args...)
	}
}

// constMetric builds the Prometheus metric for m with the server label.
func constMetric(server string, m mntr.Metric) (prometheus.Metric, error) {
	names := []string{"server"}
	values := []string{server}
	for _, l := range m.Labels {
		names = append(names, l.Name)
		values = append(values, utf8(l.Value))
	}
	desc := prometheus.NewDesc(m.Name, m.Help, names, nil)
	switch m.Kind {
	case mntr.Summary:
		return prometheus.NewConstSummary(desc, m.Count, m.Sum, m.Quantiles, values...)
	case mntr.Counter:
		return prometheus.NewConstMetric(desc, prometheus.CounterValue, m.Value, values...)
	case mntr.Gauge:
		return prometheus.NewConstMetric(desc, prometheus.GaugeValue, m.Value, values...)
	default:
		return prometheus.NewConstMetric(desc, prometheus.UntypedValue, m.Value, values...)
	}
}

// utf8 makes a label value from the wire valid, as Prometheus requires.
func utf8(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }
