package mntr

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Metric is one exported value, named and typed; the collector adds the
// server label and turns it into a Prometheus const metric.
type Metric struct {
	Name   string // full name, e.g. zookeeper_fsynctime_seconds
	Help   string
	Kind   Kind
	Labels []Label // besides the server label; sorted by the collector
	// Value is the value of a Gauge, Counter or Untyped metric.
	Value float64
	// Count, Sum and Quantiles are a Summary's parts (Sum and the
	// quantiles already in the base unit).
	Count     uint64
	Sum       float64
	Quantiles map[float64]float64
}

// reservedLabels are label names a mntr line may carry that would clash
// with ours or Prometheus' target labels; they get a "mntr_" prefix.
var reservedLabels = map[string]bool{"server": true, "instance": true, "job": true, "le": true, "quantile": true}

// Convert names and types every numeric sample of rep. String facts
// (version, server_state, peer_state) are left to the caller. The result
// has no two metrics with the same name and labels: a repeated line keeps
// its first value.
func Convert(rep *Report) []Metric {
	c := newConverter(rep)
	for _, s := range rep.Samples {
		if c.summaryPart(s) {
			continue
		}
		c.plain(s)
	}
	return c.finish()
}

// converter holds the state of one Convert.
type converter struct {
	keys      map[string]bool // every sample key present
	promBases map[string]bool // Prometheus-style summary bases
	out       []Metric
	seen      map[string]bool // name+labels already emitted
	summaries map[string]*summaryAcc
	sumOrder  []string
}

// summaryAcc gathers one summary's parts, from either dialect.
type summaryAcc struct {
	name     string // between namespace and unit
	unit     unit
	help     string
	labels   []Label
	count    float64
	hasCount bool
	sum      float64
	avg      float64
	min      float64
	max      float64
	has      map[string]bool // which of avg/min/max were seen
	q        map[float64]float64
}

func newConverter(rep *Report) *converter {
	c := &converter{
		keys:      map[string]bool{},
		promBases: map[string]bool{},
		seen:      map[string]bool{},
		summaries: map[string]*summaryAcc{},
	}
	for _, s := range rep.Samples {
		c.keys[s.Key] = true
		if s.Label("quantile") != "" {
			c.promBases[s.Key] = true
		}
	}
	for k := range c.keys {
		if base, ok := strings.CutSuffix(k, "_count"); ok && c.keys[base+"_sum"] {
			c.promBases[base] = true
		}
	}
	return c
}

// summaryPart folds s into a summary if it is part of one and reports
// whether it was.
func (c *converter) summaryPart(s Sample) bool {
	// Default provider: <part>_<base>, a summary if cnt_<base> exists.
	for _, p := range summaryParts {
		base, ok := strings.CutPrefix(s.Key, p+"_")
		if !ok || !c.keys["cnt_"+base] {
			continue
		}
		acc := c.acc(base, s.Labels)
		switch p {
		case "cnt":
			acc.count, acc.hasCount = s.Value, true
		case "sum":
			acc.sum = s.Value
		case "avg", "min", "max":
			acc.has[p] = true
			switch p {
			case "avg":
				acc.avg = s.Value
			case "min":
				acc.min = s.Value
			default:
				acc.max = s.Value
			}
		default:
			acc.q[defaultQuantiles[p]] = s.Value
		}
		return true
	}
	// Prometheus provider: <base>{quantile="q"}, <base>_count, <base>_sum.
	if q := s.Label("quantile"); q != "" {
		qv, err := strconv.ParseFloat(q, 64)
		if err != nil {
			return false
		}
		c.acc(s.Key, without(s.Labels, "quantile")).q[qv] = s.Value
		return true
	}
	if base, ok := strings.CutSuffix(s.Key, "_count"); ok && c.promBases[base] {
		acc := c.acc(base, s.Labels)
		acc.count, acc.hasCount = s.Value, true
		return true
	}
	if base, ok := strings.CutSuffix(s.Key, "_sum"); ok && c.promBases[base] {
		c.acc(base, s.Labels).sum = s.Value
		return true
	}
	return false
}

// acc finds or starts the summary for base and labels, resolving summary
// sets and units.
func (c *converter) acc(base string, labels []Label) *summaryAcc {
	name, u := summaryUnit(base)
	help := summaryHelp[name]
	var out []Label
	if set, key, ok := splitSet(base, summarySets); ok {
		name, u, help = set, summarySets[set].unit, summarySets[set].help
		name = strings.TrimSuffix(name, "_ms")
		out = append(out, Label{Name: summarySets[set].label, Value: key})
	} else if info, ok := summarySets[base]; ok {
		name, u, help = strings.TrimSuffix(base, "_ms"), info.unit, info.help
		if k := findLabel(labels, "key"); k != "" {
			out = append(out, Label{Name: info.label, Value: k})
			labels = without(labels, "key")
		}
	}
	out = append(out, renameReserved(labels)...)
	if help == "" {
		help = fmt.Sprintf("ZooKeeper summary %s from mntr", base)
	}
	id := name + "\x00" + labelString(out)
	acc, ok := c.summaries[id]
	if !ok {
		acc = &summaryAcc{name: name, unit: u, help: help, labels: out,
			has: map[string]bool{}, q: map[float64]float64{}}
		c.summaries[id] = acc
		c.sumOrder = append(c.sumOrder, id)
	}
	return acc
}

// splitSet finds a set name at the end of the default provider's
// "<key>_<set>" and returns both parts.
func splitSet(base string, sets map[string]setInfo) (set, key string, ok bool) {
	for name, info := range sets {
		if k, found := strings.CutSuffix(base, "_"+name); found && k != "" && (!info.sid || digits(k)) {
			return name, k, true
		}
	}
	return "", "", false
}

// plain converts a sample that is not part of a summary.
func (c *converter) plain(s Sample) {
	key := s.Key
	// client_java 0.10+ adds _created next to each counter's _total.
	if base, ok := strings.CutSuffix(key, "_created"); ok && c.keys[base+"_total"] {
		return
	}
	if base, ok := strings.CutSuffix(key, "_total"); ok {
		if _, known := plainKeys[base]; known {
			key = base
		}
	}
	labels := renameReserved(s.Labels)
	if info, ok := plainKeys[key]; ok {
		c.emit(Metric{Name: info.metricName(key), Help: info.help, Kind: info.kind,
			Labels: labels, Value: info.unit.scale(s.Value)})
		return
	}
	if set, k, ok := splitSet(key, counterSets); ok {
		c.emit(Metric{Name: Namespace + "_" + set + "_total", Help: counterSets[set].help, Kind: Counter,
			Labels: append([]Label{{Name: counterSets[set].label, Value: k}}, labels...), Value: s.Value})
		return
	}
	if info, ok := counterSets[key]; ok {
		if k := findLabel(s.Labels, "key"); k != "" {
			labels = append([]Label{{Name: info.label, Value: k}}, renameReserved(without(s.Labels, "key"))...)
		}
		c.emit(Metric{Name: Namespace + "_" + key + "_total", Help: info.help, Kind: Counter, Labels: labels, Value: s.Value})
		return
	}
	c.emit(unknown(key, labels, s.Value))
}

// unknown passes a key this exporter does not know through, untyped: the
// Prometheus provider's JVM and process metrics, and keys of versions newer
// than this table. Milliseconds are still made seconds.
func unknown(key string, labels []Label, v float64) Metric {
	kind := Untyped
	help := fmt.Sprintf("mntr key zk_%s, passed through untyped", key)
	switch {
	case strings.HasPrefix(key, "process_"):
		// The provider's own process_* would clash with the exporter's.
		key = "jvm_" + key
		help = "Process metric from the Prometheus metrics provider, via mntr"
	case strings.HasPrefix(key, "jvm_"):
		help = "JVM metric from the Prometheus metrics provider, via mntr"
	}
	if strings.HasSuffix(key, "_total") {
		kind = Counter
	}
	if base, ok := strings.CutSuffix(key, "_ms"); ok {
		key, v = base+"_seconds", v/1000
	}
	return Metric{Name: Namespace + "_" + key, Help: help, Kind: kind, Labels: labels, Value: v}
}

// finish emits the summaries gathered, after the plain metrics.
func (c *converter) finish() []Metric {
	for _, id := range c.sumOrder {
		a := c.summaries[id]
		base := Namespace + "_" + a.name
		suffix := a.unit.suffix()
		if a.hasCount {
			q := make(map[float64]float64, len(a.q))
			for k, v := range a.q {
				q[k] = a.unit.scale(v)
			}
			c.emit(Metric{Name: base + suffix, Help: a.help + ".", Kind: Summary, Labels: a.labels,
				Count: toCount(a.count), Sum: a.unit.scale(a.sum), Quantiles: q})
		}
		for _, p := range []struct{ part, word string }{{"min", "minimum"}, {"max", "maximum"}, {"avg", "average"}} {
			if !a.has[p.part] {
				continue
			}
			v := map[string]float64{"min": a.min, "max": a.max, "avg": a.avg}[p.part]
			c.emit(Metric{Name: base + "_" + p.part + suffix, Help: a.help + ", " + p.word + " since start or reset.",
				Kind: Gauge, Labels: a.labels, Value: a.unit.scale(v)})
		}
	}
	return c.out
}

// emit appends m unless a metric with its name and labels is there.
func (c *converter) emit(m Metric) {
	id := m.Name + "\x00" + labelString(m.Labels)
	if c.seen[id] {
		return
	}
	c.seen[id] = true
	c.out = append(c.out, m)
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func toCount(v float64) uint64 {
	if math.IsNaN(v) || v < 0 {
		return 0
	}
	return uint64(v)
}

func findLabel(ls []Label, name string) string {
	for _, l := range ls {
		if l.Name == name {
			return l.Value
		}
	}
	return ""
}

func without(ls []Label, name string) []Label {
	var out []Label
	for _, l := range ls {
		if l.Name != name {
			out = append(out, l)
		}
	}
	return out
}

func renameReserved(ls []Label) []Label {
	var out []Label
	for _, l := range ls {
		if reservedLabels[l.Name] {
			l.Name = "mntr_" + l.Name
		}
		out = append(out, l)
	}
	return out
}

func labelString(ls []Label) string {
	var b strings.Builder
	for _, l := range ls {
		b.WriteString(l.Name)
		b.WriteByte('=')
		b.WriteString(l.Value)
		b.WriteByte(0)
	}
	return b.String()
}
