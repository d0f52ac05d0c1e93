package ztest

import (
	"fmt"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
)

// Options shape the zoo.cfg written for a server.
type Options struct {
	TickTime  int               // ms; 0 → 2000 (zoo_sample.cfg's value)
	Whitelist string            // 4lw.commands.whitelist; "" → "*"
	Extra     map[string]string // more zoo.cfg keys, written verbatim
	// JavaFlags, for Apache, replace the JVM flags that make a test's JVM
	// start fast (-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1
	// -Djava.net.preferIPv4Stack=true); nil keeps them. A benchmark passes
	// its own (a larger heap, the default GC and JIT). The log4j and log
	// directory flags are always added.
	JavaFlags []string
}

// cfgEntry is one key=value line of zoo.cfg.
type cfgEntry struct{ key, value string }

// entries returns the zoo.cfg lines in a stable order: the base keys first,
// then Extra sorted by key. An Extra key equal to a base key replaces it.
func (o Options) entries(dataDir string, port int) []cfgEntry {
	tick := o.TickTime
	if tick == 0 {
		tick = 2000
	}
	wl := o.Whitelist
	if wl == "" {
		wl = "*"
	}
	base := []cfgEntry{
		{"tickTime", strconv.Itoa(tick)},
		{"dataDir", dataDir},
		{"clientPort", strconv.Itoa(port)},
		{"clientPortAddress", "127.0.0.1"},
		{"4lw.commands.whitelist", wl},
		{"admin.enableServer", "false"},
	}
	return mergeExtra(base, o.Extra)
}

// mergeExtra returns base with extra applied: an extra key equal to a base
// key replaces its value in place, the other extra keys follow sorted.
func mergeExtra(base []cfgEntry, extra map[string]string) []cfgEntry {
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]cfgEntry, 0, len(base)+len(keys))
	for _, e := range base {
		if v, ok := extra[e.key]; ok {
			e.value = v
		}
		out = append(out, e)
	}
	for _, k := range keys {
		if !hasKey(base, k) {
			out = append(out, cfgEntry{k, extra[k]})
		}
	}
	return out
}

func hasKey(es []cfgEntry, k string) bool {
	for _, e := range es {
		if e.key == k {
			return true
		}
	}
	return false
}

// writeConfig writes zoo.cfg into dir and returns its path.
func writeConfig(dir string, es []cfgEntry) (string, error) {
	var b strings.Builder
	b.WriteString("# written by zkd/internal/ztest\n")
	for _, e := range es {
		fmt.Fprintf(&b, "%s=%s\n", e.key, e.value)
	}
	path := dir + "/zoo.cfg"
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return "", fmt.Errorf("ztest: write zoo.cfg: %w", err)
	}
	return path, nil
}

// freePort asks the kernel for a free loopback port. The port is released
// before the server binds it, so another process could take it in between;
// on loopback in a test that race is rare enough.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("ztest: pick a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
