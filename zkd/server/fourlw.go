package server

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"zkd/zkd/quorum"
)

// fourLetterWords are the commands Apache ZooKeeper 3.8 answers on the
// client port (FourLetterCommands).
var fourLetterWords = map[string]bool{
	"ruok": true, "srvr": true, "stat": true, "mntr": true, "conf": true,
	"cons": true, "envi": true, "wchs": true, "wchc": true, "wchp": true,
	"dump": true, "dirs": true, "isro": true, "crst": true, "srst": true,
	"gtmk": true, "stmk": true, "hash": true,
}

// fourLetterWord reports whether the first four bytes of a connection are
// a four-letter word rather than the length of a ConnectRequest.
func fourLetterWord(head []byte) (string, bool) {
	w := string(head)
	return w, fourLetterWords[w]
}

// whitelisted applies 4lw.commands.whitelist (srvr is always allowed,
// because zkServer.sh status depends on it).
func (s *Server) whitelisted(word string) bool {
	wl := s.cfg.FourLetterWords
	return word == "srvr" || wl["*"] || wl[word]
}

// fourLetter answers one command and closes, as ZooKeeper does.
func (s *Server) fourLetter(c *conn, word string) {
	// Consume the word (and stmk's argument) so the close is clean.
	c.br.Discard(4) //nolint:errcheck
	if word == "stmk" {
		c.br.Discard(8) //nolint:errcheck
	}
	var out string
	switch {
	case !s.whitelisted(word):
		out = word + " is not executed because it is not in the whitelist.\n"
	case !s.serves() && word != "ruok" && word != "isro" && word != "conf" && word != "envi":
		out = "This ZooKeeper instance is not currently serving requests\n"
	default:
		out = s.runFourLetter(word, c)
	}
	w := bufio.NewWriter(c.nc)
	w.WriteString(out) //nolint:errcheck
	w.Flush()          //nolint:errcheck
	c.log.Debug("four-letter word", "cmd", word)
}

func (s *Server) runFourLetter(word string, self *conn) string {
	var b strings.Builder
	switch word {
	case "ruok":
		return "imok"
	case "isro":
		if !s.serves() {
			return "null" // what 3.8 answers while it has no quorum
		}
		return "rw"
	case "srvr":
		s.writeServerStats(&b, nil)
	case "stat":
		s.writeServerStats(&b, self)
	case "mntr":
		for _, kv := range s.monitor() {
			fmt.Fprintf(&b, "zk_%s\t%s\n", kv.Key, kv.Value)
		}
	case "conf":
		if s.cfg.Conf != nil {
			b.WriteString(s.cfg.Conf())
		}
	case "cons":
		for _, c := range s.sortedConns() {
			b.WriteString(c.describe(c == self, true))
			b.WriteByte('\n')
		}
		b.WriteByte('\n')
	case "crst":
		for _, c := range s.connections() {
			c.resetStats()
		}
		return "Connection stats reset.\n"
	case "srst":
		s.stats.reset()
		return "Server stats reset.\n"
	case "envi":
		b.WriteString("Environment:\n")
		for _, kv := range s.environment() {
			fmt.Fprintf(&b, "%s=%s\n", kv.Key, kv.Value)
		}
	case "wchs":
		st := s.db.watches.Stats()
		fmt.Fprintf(&b, "%d connections watching %d paths\nTotal watches:%d\n", st.Watchers, st.Paths, st.Watches)
	case "wchc":
		for _, c := range s.sortedConns() {
			// The data table only, as ZooKeeper's wchc.
			paths := s.db.watches.WatchesOf(c).Data
			if len(paths) == 0 {
				continue
			}
			fmt.Fprintf(&b, "0x%x\n", c.session)
			for _, p := range paths {
				fmt.Fprintf(&b, "\t%s\n", p)
			}
		}
	case "wchp":
		s.db.watches.ByPath(func(path string, ws []watchWatcher) {
			fmt.Fprintf(&b, "%s\n", path)
			ids := make([]int64, 0, len(ws))
			for _, w := range ws {
				if c, ok := w.(*conn); ok {
					ids = append(ids, c.session)
				}
			}
			sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
			for _, id := range ids {
				fmt.Fprintf(&b, "\t0x%x\n", id)
			}
		})
	case "dump":
		s.writeDump(&b)
	case "dirs":
		fmt.Fprintf(&b, "datadir_size: %d\nlogdir_size: %d\n", DirSize(quorum.SnapDir(s.cfg.DataDir)), DirSize(quorum.WALDir(s.cfg.DataLogDir)))
	case "gtmk", "stmk":
		return "0\n"
	case "hash":
		return "Digest in the tree: not tracked\n"
	}
	return b.String()
}

func (s *Server) sortedConns() []*conn {
	cs := s.connections()
	sort.Slice(cs, func(i, j int) bool { return cs[i].id < cs[j].id })
	return cs
}

// mode is what srvr prints after "Mode:".
func (s *Server) mode() string {
	if !s.ensemble() || s.node == nil {
		return "standalone"
	}
	return s.node.Role()
}

// versionLine is the form clients parse (go-zookeeper's test harness among
// them): Zookeeper version: 3.8.x-zkd-<ver>, built on MM/DD/YYYY HH:MM GMT.
func (s *Server) versionString() string {
	v := s.cfg.Version
	if v == "" {
		v = "dev"
	}
	return "3.8.4-zkd-" + v + ", built on " + buildDate()
}

func buildDate() string {
	return time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC).Format("01/02/2006 15:04 GMT")
}

func (s *Server) writeServerStats(b *strings.Builder, self *conn) {
	fmt.Fprintf(b, "Zookeeper version: %s\n", s.versionString())
	if self != nil {
		b.WriteString("Clients:\n")
		for _, c := range s.sortedConns() {
			b.WriteString(c.describe(c == self, false))
			b.WriteByte('\n')
		}
		b.WriteByte('\n')
	}
	minL, avg, maxL := s.stats.latency()
	fmt.Fprintf(b, "Latency min/avg/max: %d/%s/%d\n", minL, javaDouble(avg), maxL)
	fmt.Fprintf(b, "Received: %d\n", s.stats.packetsReceived.Load())
	fmt.Fprintf(b, "Sent: %d\n", s.stats.packetsSent.Load())
	fmt.Fprintf(b, "Connections: %d\n", len(s.connections()))
	fmt.Fprintf(b, "Outstanding: %d\n", s.stats.outstanding.Load())
	fmt.Fprintf(b, "Zxid: 0x%x\n", s.lastZxid())
	fmt.Fprintf(b, "Mode: %s\n", s.mode())
	s.db.mu.RLock()
	n := s.db.tree.NodeCount()
	s.db.mu.RUnlock()
	fmt.Fprintf(b, "Node count: %d\n", n)
	if s.ensemble() && s.node.IsLeader() {
		last, minP, maxP := s.stats.proposalSizes()
		fmt.Fprintf(b, "Proposal sizes last/min/max: %d/%d/%d\n", last, minP, maxP)
	}
}

// javaDouble prints a float as Java's Double.toString does for the values
// ZooKeeper prints (always a decimal point).
func javaDouble(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// describe is one line of cons/stat for a connection.
func (c *conn) describe(self, full bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, " /%s[%d](queued=%d,recved=%d,sent=%d", c.nc.RemoteAddr().String(),
		boolInt(!self), c.st.outstanding.Load(), c.st.received.Load(), c.st.sent.Load())
	if full && c.session != 0 {
		c.st.mu.Lock()
		lat := c.st.lat
		c.st.mu.Unlock()
		fmt.Fprintf(&b, ",sid=0x%x,lop=%s,est=%d,to=%d,lcxid=0x%x,lzxid=0x%x,lresp=%d,llat=%d,minlat=%d,avglat=%d,maxlat=%d",
			c.session, c.st.lastOp.Load().(string), c.st.established.UnixMilli(), c.timeout,
			c.st.lastCxid.Load(), c.st.lastZxid.Load(), c.st.lastResp.Load(), c.st.lastLatency.Load(),
			lat.min, int64(lat.avg()), lat.max)
	}
	b.WriteString(")")
	return b.String()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (c *conn) resetStats() {
	c.st.received.Store(0)
	c.st.sent.Store(0)
	c.st.lastOp.Store("NA")
	c.st.lastCxid.Store(0)
	c.st.lastZxid.Store(0)
	c.st.lastResp.Store(0)
	c.st.lastLatency.Store(0)
	c.st.mu.Lock()
	c.st.lat = summary{}
	c.st.mu.Unlock()
}

func (s *Server) environment() []KV {
	host, _ := os.Hostname()
	wd, _ := os.Getwd()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	user := os.Getenv("USER")
	home, _ := os.UserHomeDir()
	return []KV{
		{"zookeeper.version", s.versionString()},
		{"host.name", host},
		{"java.version", runtime.Version()},
		{"java.vendor", "zkd (Go runtime, no JVM)"},
		{"java.home", ""},
		{"java.class.path", ""},
		{"java.library.path", ""},
		{"java.io.tmpdir", os.TempDir()},
		{"java.compiler", "<NA>"},
		{"os.name", osName()},
		{"os.arch", runtime.GOARCH},
		{"os.version", kernelVersion()},
		{"user.name", user},
		{"user.home", home},
		{"user.dir", wd},
		{"os.memory.free", fmt.Sprintf("%dMB", (ms.HeapSys-ms.HeapInuse)>>20)},
		{"os.memory.max", fmt.Sprintf("%dMB", ms.Sys>>20)},
		{"os.memory.total", fmt.Sprintf("%dMB", ms.HeapSys>>20)},
		{"zookeeper.skipACL", yesNo(s.cfg.SkipACL)},
		{"zookeeper.closeSessionTxn.enabled", "true"},
	}
}

// osName is what Java's os.name says on this OS ("Linux").
func osName() string {
	if runtime.GOOS == "" {
		return ""
	}
	return strings.ToUpper(runtime.GOOS[:1]) + runtime.GOOS[1:]
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func kernelVersion() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func (s *Server) writeDump(b *strings.Builder) {
	s.db.mu.RLock()
	defer s.db.mu.RUnlock()
	t := s.db.tree
	ids := t.Sessions()
	fmt.Fprintf(b, "Session Sets (%d)/(%d):\n", len(ids), len(ids))
	for _, id := range ids {
		fmt.Fprintf(b, "0x%x\n", id)
	}
	b.WriteString("ephemeral nodes dump:\n")
	withEph := 0
	for _, id := range ids {
		if len(t.Session(id).Ephemerals()) > 0 {
			withEph++
		}
	}
	fmt.Fprintf(b, "Sessions with Ephemerals (%d):\n", withEph)
	for _, id := range ids {
		eph := t.Session(id).Ephemerals()
		if len(eph) == 0 {
			continue
		}
		fmt.Fprintf(b, "0x%x:\n", id)
		for _, p := range eph {
			fmt.Fprintf(b, "\t%s\n", p)
		}
	}
}

// DirSize sums the sizes of the files directly in dir, as ZooKeeper's
// dirs command sizes the snapshot and log directories.
func DirSize(dir string) int64 {
	if dir == "" {
		return 0
	}
	var total int64
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	for _, e := range entries {
		if info, err := e.Info(); err == nil && !e.IsDir() {
			total += info.Size()
		}
	}
	return total
}
