package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"os"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"zkd/zkd/quorum"
)

// The admin HTTP server answers what Apache ZooKeeper's AdminServer
// (Jetty, admin.serverPort) answers: GET <commandURL> lists the commands as
// links, GET <commandURL>/<name or alias> returns one JSON object with the
// command's fields plus "command" and "error". Every answer is built from
// the same counters and functions as the four-letter words (monitor(),
// stats, connections()), so the two surfaces never disagree.

// adminCommand is one AdminServer command: its primary name, the aliases
// (the four-letter word among them) and what it returns.
type adminCommand struct {
	names []string // primary first
	run   func(s *Server) obj
	// anyState marks commands that answer while not serving (ruok, isro).
	anyState bool
}

// adminCommands lists the commands zkd offers, with Apache 3.8's names.
// leader, observers, voting_view, zabstate, snapshot and restore belong to
// ensembles or need authentication and are not offered yet.
func adminCommands() []adminCommand {
	return []adminCommand{
		{names: []string{"configuration", "conf", "config"}, run: (*Server).adminConf},
		{names: []string{"connection_stat_reset", "crst"}, run: func(s *Server) obj {
			for _, c := range s.connections() {
				c.resetStats()
			}
			return nil
		}},
		{names: []string{"connections", "cons"}, run: func(s *Server) obj {
			return obj{{"connections", s.adminConns(true)}, {"secure_connections", []any{}}}
		}},
		{names: []string{"dirs"}, run: func(s *Server) obj {
			return obj{
				{"datadir_size", DirSize(quorum.SnapDir(s.cfg.DataDir))},
				{"logdir_size", DirSize(quorum.WALDir(s.cfg.DataLogDir))},
			}
		}},
		{names: []string{"dump"}, run: (*Server).adminDump},
		{names: []string{"environment", "env", "envi"}, run: func(s *Server) obj {
			var o obj
			for _, kv := range s.environment() {
				o = append(o, field{kv.Key, kv.Value})
			}
			return o
		}},
		{names: []string{"get_trace_mask", "gtmk"}, run: func(*Server) obj { return obj{{"tracemask", 0}} }},
		{names: []string{"hash", "digest"}, run: func(*Server) obj { return obj{{"digests", []any{}}} }},
		{names: []string{"initial_configuration", "icfg"}, run: func(s *Server) obj {
			text := ""
			if s.cfg.InitialConfig != nil {
				text = s.cfg.InitialConfig()
			}
			return obj{{"initial_configuration", text}}
		}},
		{names: []string{"is_read_only", "isro"}, anyState: true, run: func(*Server) obj { return obj{{"read_only", false}} }},
		{names: []string{"monitor", "mntr"}, run: func(s *Server) obj {
			var o obj
			for _, kv := range s.monitor() {
				o = append(o, field{kv.Key, jsonValue(kv.Value)})
			}
			return o
		}},
		{names: []string{"ruok"}, anyState: true, run: func(*Server) obj { return nil }},
		{names: []string{"server_stats", "srvr"}, run: func(s *Server) obj { return s.adminServerStats(false) }},
		{names: []string{"stat_reset", "srst"}, run: func(s *Server) obj { s.stats.reset(); return nil }},
		{names: []string{"stats", "stat"}, run: func(s *Server) obj { return s.adminServerStats(true) }},
		{names: []string{"system_properties", "sysp"}, run: (*Server).adminSysProps},
		{names: []string{"watch_summary", "wchs"}, run: func(s *Server) obj {
			st := s.db.watches.Stats()
			return obj{{"num_connections", st.Watchers}, {"num_paths", st.Paths}, {"num_total_watches", st.Watches}}
		}},
		{names: []string{"watches", "wchc"}, run: (*Server).adminWatches},
		{names: []string{"watches_by_path", "wchp"}, run: (*Server).adminWatchesByPath},
	}
}

// field and obj are a JSON object that keeps its keys in the order given,
// as Apache's Jackson output does.
type field struct {
	k string
	v any
}

type obj []field

// MarshalJSON writes the fields in order.
func (o obj) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, f := range o {
		if i > 0 {
			b = append(b, ',')
		}
		k, err := json.Marshal(f.k)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(f.v)
		if err != nil {
			return nil, fmt.Errorf("admin: field %s: %w", f.k, err)
		}
		b = append(append(append(b, k...), ':'), v...)
	}
	return append(b, '}'), nil
}

var intRE = regexp.MustCompile(`^-?[0-9]+$`)
var floatRE = regexp.MustCompile(`^-?[0-9]+\.[0-9]+([eE][-+]?[0-9]+)?$`)

// jsonValue turns one mntr value into the JSON value Apache's monitor
// command returns: integers and doubles as numbers printed the same way
// (0.0 stays 0.0), everything else as a string.
func jsonValue(v string) any {
	if intRE.MatchString(v) || floatRE.MatchString(v) {
		return json.Number(v)
	}
	return v
}

// adminHandler serves the command list and the commands under prefix.
func (s *Server) adminHandler(prefix string) http.Handler {
	prefix = "/" + strings.Trim(prefix, "/")
	cmds := adminCommands()
	byName := map[string]*adminCommand{}
	for i := range cmds {
		for _, n := range cmds[i].names {
			byName[n] = &cmds[i]
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := strings.TrimSuffix(r.URL.Path, "/")
		switch {
		case path == prefix:
			s.adminList(w, cmds, prefix)
		case strings.HasPrefix(path, prefix+"/"):
			name := strings.TrimPrefix(path, prefix+"/")
			s.adminRun(w, name, byName[name])
		default:
			http.NotFound(w, r)
		}
	})
}

// adminList is Apache's listing: one link per primary name, sorted.
func (s *Server) adminList(w http.ResponseWriter, cmds []adminCommand, prefix string) {
	names := make([]string, 0, len(cmds))
	for _, c := range cmds {
		names = append(names, c.names[0])
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "<a href=\"%s/%s\">%s</a>\n<br/>\n", prefix, html.EscapeString(n), html.EscapeString(n))
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte(b.String())) //nolint:errcheck
}

// adminRun answers one command. An unknown name gets 404 with Apache's
// "Unknown command: <name>" error (3.9 answers 404; Debian's 3.8.0 answers
// the same body with 200).
func (s *Server) adminRun(w http.ResponseWriter, name string, cmd *adminCommand) {
	status := http.StatusOK
	var body obj
	var errText any
	switch {
	case cmd == nil:
		status, errText = http.StatusNotFound, "Unknown command: "+name
	case !cmd.anyState && !s.serves():
		name, errText = cmd.names[0], "This ZooKeeper instance is not currently serving requests"
	default:
		name, body = cmd.names[0], cmd.run(s)
	}
	body = append(body, field{"command", name}, field{"error", errText})
	out, err := json.MarshalIndent(body, "", "  ")
	if err != nil {
		s.log.Warn("admin command failed", "command", name, "err", err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(out, '\n')) //nolint:errcheck
}

// adminServerStats is srvr's and stat's JSON (Apache's StatCommand and
// ServerStats.toMap): the same numbers the text words print.
func (s *Server) adminServerStats(withConns bool) obj {
	minL, avg, maxL := s.stats.latency()
	last, minR, maxR := s.stats.responseSizes()
	resp := obj{{"last_buffer_size", last}, {"min_buffer_size", minR}, {"max_buffer_size", maxR}}
	var slow uint64
	if s.node != nil {
		slow = s.node.WALStats().SlowFsyncs
	}
	s.db.mu.RLock()
	nodes := s.db.tree.NodeCount()
	s.db.mu.RUnlock()
	o := obj{
		{"version", s.versionString()},
		{"read_only", false},
		{"server_stats", obj{
			{"packets_sent", s.stats.packetsSent.Load()},
			{"packets_received", s.stats.packetsReceived.Load()},
			{"fsync_threshold_exceed_count", slow},
			{"client_response_stats", resp},
			{"data_dir_size", DirSize(quorum.SnapDir(s.cfg.DataDir))},
			{"log_dir_size", DirSize(quorum.WALDir(s.cfg.DataLogDir))},
			{"provider_null", false},
			{"server_state", s.mode()},
			{"last_processed_zxid", s.lastZxid()},
			{"outstanding_requests", s.stats.outstanding.Load()},
			{"avg_latency", json.Number(javaDouble(avg))},
			{"max_latency", maxL},
			{"min_latency", minL},
			{"num_alive_client_connections", len(s.connections())},
			{"auth_failed_count", s.stats.authFailed.Load()},
			{"non_mtlsremote_conn_count", 0},
			{"non_mtlslocal_conn_count", 0},
			{"uptime", time.Since(s.start).Milliseconds()},
		}},
		{"client_response", resp},
		{"node_count", nodes},
	}
	if withConns {
		o = append(o, field{"connections", s.adminConns(false)}, field{"secure_connections", []any{}})
	}
	return o
}

// adminConns is cons' (full) or stat's (brief) list of connections.
func (s *Server) adminConns(full bool) []obj {
	out := []obj{}
	for _, c := range s.sortedConns() {
		o := obj{
			{"remote_socket_address", c.nc.RemoteAddr().String()},
			{"interest_ops", 1},
			{"outstanding_requests", c.st.outstanding.Load()},
			{"packets_received", c.st.received.Load()},
			{"packets_sent", c.st.sent.Load()},
		}
		if full && c.session != 0 {
			c.st.mu.Lock()
			lat := c.st.lat
			c.st.mu.Unlock()
			op, _ := c.st.lastOp.Load().(string)
			o = append(o,
				field{"session_id", c.session},
				field{"last_operation", op},
				field{"established", c.st.established.UnixMilli()},
				field{"session_timeout", c.timeout},
				field{"last_cxid", c.st.lastCxid.Load()},
				field{"last_zxid", c.st.lastZxid.Load()},
				field{"last_response_time", c.st.lastResp.Load()},
				field{"last_latency", c.st.lastLatency.Load()},
				field{"min_latency", lat.min},
				field{"avg_latency", int64(lat.avg())},
				field{"max_latency", lat.max},
			)
		}
		out = append(out, o)
	}
	return out
}

// adminConf is the configuration command's JSON (Apache's
// ZooKeeperServer.getConf): the client port, directories and timeouts.
func (s *Server) adminConf() obj {
	port := 0
	if s.ln != nil {
		if a, ok := s.ln.Addr().(*net.TCPAddr); ok {
			port = a.Port
		}
	}
	// Apache reports server_id 0 for a standalone server.
	var id uint64
	if s.mode() != "standalone" {
		id = s.cfg.ServerID
	}
	return obj{
		{"client_port", port},
		{"data_dir", quorum.SnapDir(s.cfg.DataDir)},
		{"data_log_dir", quorum.WALDir(s.cfg.DataLogDir)},
		{"tick_time", s.cfg.TickTime.Milliseconds()},
		{"max_client_cnxns", s.cfg.MaxClientCnxns},
		{"min_session_timeout", s.cfg.MinSessionTimeout.Milliseconds()},
		{"max_session_timeout", s.cfg.MaxSessionTimeout.Milliseconds()},
		{"server_id", id},
		{"client_port_listen_backlog", -1},
	}
}

// adminDump is dump's JSON: sessions by expiry time and each session's
// ephemerals. Session ids are JSON keys in decimal, as Apache prints them.
func (s *Server) adminDump() obj {
	expiry := map[string][]int64{}
	s.tracker.mu.Lock()
	for id, l := range s.tracker.sessions {
		k := strconv.FormatInt(l.deadline.UnixMilli(), 10)
		expiry[k] = append(expiry[k], id)
	}
	s.tracker.mu.Unlock()
	for _, ids := range expiry {
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	}
	eph := map[string][]string{}
	s.db.mu.RLock()
	for _, id := range s.db.tree.Sessions() {
		if paths := s.db.tree.Session(id).Ephemerals(); len(paths) > 0 {
			eph[strconv.FormatInt(id, 10)] = append([]string(nil), paths...)
		}
	}
	s.db.mu.RUnlock()
	return obj{{"expiry_time_to_session_ids", expiry}, {"session_id_to_ephemeral_paths", eph}}
}

// adminWatches is wchc's JSON: the data watches of each session.
func (s *Server) adminWatches() obj {
	m := map[string][]string{}
	for _, c := range s.connections() {
		if paths := s.db.watches.WatchesOf(c).Data; len(paths) > 0 && c.session != 0 {
			m[strconv.FormatInt(c.session, 10)] = paths
		}
	}
	return obj{{"session_id_to_watched_paths", m}}
}

// adminWatchesByPath is wchp's JSON: the sessions watching each path.
func (s *Server) adminWatchesByPath() obj {
	m := map[string][]int64{}
	s.db.watches.ByPath(func(path string, ws []watchWatcher) {
		ids := []int64{}
		for _, w := range ws {
			if c, ok := w.(*conn); ok {
				ids = append(ids, c.session)
			}
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		m[path] = ids
	})
	return obj{{"path_to_session_ids", m}}
}

// adminSysProps is sysp's JSON. zkd has no Java system properties; it
// reports the ones that describe the process and platform.
func (s *Server) adminSysProps() obj {
	wd, _ := os.Getwd()
	home, _ := os.UserHomeDir()
	return obj{
		{"file.separator", string(os.PathSeparator)},
		{"line.separator", "\n"},
		{"os.arch", runtime.GOARCH},
		{"os.name", osName()},
		{"os.version", kernelVersion()},
		{"path.separator", string(os.PathListSeparator)},
		{"user.dir", wd},
		{"user.home", home},
		{"user.name", os.Getenv("USER")},
		{"zookeeper.version", s.versionString()},
	}
}

// serveHTTP runs an HTTP server on ln until Shutdown; its timeouts bound
// slow or idle clients (admin.idleTimeout for idle keep-alives).
func (s *Server) serveHTTP(name string, ln net.Listener, h http.Handler, idle time.Duration) *http.Server {
	if idle <= 0 {
		idle = 30 * time.Second
	}
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       idle,
		MaxHeaderBytes:    64 << 10,
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Warn("http server stopped", "server", name, "err", err)
		}
	}()
	s.log.Info("serving "+name, "addr", ln.Addr().String())
	return hs
}

// startHTTP starts the admin server and the metrics endpoint as configured.
// Like Apache, an admin server that cannot bind is a warning (the client
// port still serves); a metrics endpoint that cannot bind is an error.
func (s *Server) startHTTP() error {
	if s.cfg.AdminAddr != "" {
		ln, err := net.Listen("tcp", s.cfg.AdminAddr)
		if err != nil {
			s.log.Warn("admin server not started", "addr", s.cfg.AdminAddr, "err", err)
		} else {
			s.adminLn = ln
			url := s.cfg.AdminCommandURL
			if url == "" {
				url = "/commands"
			}
			h := s.adminHandler(url)
			if s.cfg.AdminPprof {
				h = withPprof(h)
			}
			s.httpServers = append(s.httpServers, s.serveHTTP("admin server", ln, h, s.cfg.AdminIdleTimeout))
		}
	}
	if s.cfg.MetricsAddr != "" {
		ln, err := net.Listen("tcp", s.cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("server: listening for metrics on %s: %w", s.cfg.MetricsAddr, err)
		}
		s.metricsLn = ln
		s.httpServers = append(s.httpServers, s.serveHTTP("metrics", ln, s.metricsHandler(), 0))
	}
	return nil
}

// stopHTTP ends the HTTP servers, giving in-flight requests until ctx ends.
func (s *Server) stopHTTP(ctx context.Context) {
	for _, hs := range s.httpServers {
		if err := hs.Shutdown(ctx); err != nil {
			hs.Close()
		}
	}
}

// AdminAddr is the admin server's address, nil when it is not running.
func (s *Server) AdminAddr() net.Addr {
	if s.adminLn == nil {
		return nil
	}
	return s.adminLn.Addr()
}

// MetricsAddr is the metrics endpoint's address, nil when not running.
func (s *Server) MetricsAddr() net.Addr {
	if s.metricsLn == nil {
		return nil
	}
	return s.metricsLn.Addr()
}
