// Command zkd is a ZooKeeper-compatible coordination server.
//
//	zkd [flags] [zoo.cfg]           run the server (default conf/zoo.cfg)
//	zkd COMMAND [args]              one of the commands in commands.go
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"zkd/zkd/config"
	"zkd/zkd/logfile"
	"zkd/zkd/quorum"
	"zkd/zkd/server"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0"

const defaultConfig = "conf/zoo.cfg"

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

func run(args []string, stderr io.Writer) int {
	if len(args) > 0 {
		if cmd, ok := lookupCommand(args[0]); ok {
			return cmd.run(args[1:], stderr)
		}
	}
	fs := flag.NewFlagSet("zkd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "path to zoo.cfg (or give it as the only argument)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file (go tool pprof)")
	memProfile := fs.String("memprofile", "", "write a heap profile to this file on shutdown (go tool pprof)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: zkd [flags] [zoo.cfg]\n       zkd COMMAND [args]\n\ncommands:\n%s\nflags:\n", commandUsage())
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	path := *cfgPath
	if path == "" && fs.NArg() > 0 {
		path = fs.Arg(0)
	}
	if path == "" {
		path = defaultConfig
	}
	logOut, closeLog, err := logDestination(stderr)
	if err != nil {
		fmt.Fprintf(stderr, "zkd: %v\n", err)
		return 1
	}
	defer closeLog()
	log := newLogger(logOut, *logLevel)
	cfg, err := loadConfig(path, log)
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	stopProfiles, err := startProfiles(*cpuProfile, *memProfile, log)
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	defer stopProfiles()
	// GOGC from the live heap, unless set in the environment (gcpolicy.go).
	defer startGCPolicy(ctx, os.Getenv, log)()
	sd := systemd{log: log} // sd_notify (systemd.go)
	scfg := serverConfig(cfg)
	scfg.InitialConfig = func() string { return initialConfig(path) } // admin icfg
	scfg.Progress = sd.progress
	srv, err := server.New(scfg, log)
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	if !cfg.ForceSync {
		log.Warn("forceSync=no: acknowledged writes can be lost on power failure")
	}
	sd.loading(path)
	if err := srv.Start(ctx); err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	sd.ready(srv)
	go sd.watchdog(ctx, srv)
	if os.Getenv("NOTIFY_SOCKET") != "" {
		go sd.statusLoop(ctx, srv)
	}
	<-ctx.Done()
	sd.stopping()
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.Shutdown(sctx)
	return 0
}

// snapRetain is how many snapshots to keep: autopurge.snapRetainCount when
// autopurge.purgeInterval is on, else all of them, as ZooKeeper does.
func snapRetain(c *config.Config) int {
	if c.AutopurgePurgeInterval > 0 {
		return c.AutopurgeSnapRetainCount
	}
	return 0
}

// logDestination is stderr (journald under systemd), or, when ZOO_LOG_DIR
// is set as zkServer.sh users set it, a size-rotated file there named as
// ZooKeeper names its own (zookeeper-USER-server-HOST.log).
func logDestination(stderr io.Writer) (io.Writer, func(), error) {
	dir := os.Getenv("ZOO_LOG_DIR")
	if dir == "" {
		return stderr, func() {}, nil
	}
	host, _ := os.Hostname()
	user := os.Getenv("USER")
	if user == "" {
		user = "zkd"
	}
	path := filepath.Join(dir, fmt.Sprintf("zookeeper-%s-server-%s.log", user, host))
	f, err := logfile.Open(path, logfile.DefaultMaxSize, logfile.DefaultMaxBackups)
	if err != nil {
		return nil, nil, fmt.Errorf("ZOO_LOG_DIR: %w", err)
	}
	fmt.Fprintf(stderr, "zkd: logging to %s\n", path)
	return f, func() { f.Close() }, nil
}

func newLogger(w io.Writer, level string) *slog.Logger {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		lv = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: lv}))
}

// loadConfig reads zoo.cfg and, like zkServer.sh, a java.env beside it:
// its -D flags act as zoo.cfg keys and its -Xmx becomes the Go runtime's
// soft memory limit.
func loadConfig(path string, log *slog.Logger) (*config.Config, error) {
	cfg, warnings, err := config.Load(path)
	for _, w := range warnings {
		log.Warn("config", "warning", w.String())
	}
	if err != nil {
		return nil, err
	}
	envPath := filepath.Join(filepath.Dir(path), "java.env")
	if _, statErr := os.Stat(envPath); statErr == nil {
		props, xmx, err := config.LoadJavaEnv(envPath)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", envPath, err)
		}
		warnings, err := cfg.ApplySystemProperties(props)
		for _, w := range warnings {
			log.Warn("java.env", "warning", w.String())
		}
		if err != nil {
			return nil, err
		}
		if xmx > 0 {
			debug.SetMemoryLimit(xmx)
			log.Info("memory limit from java.env -Xmx", "bytes", xmx)
		}
	}
	return cfg, nil
}

func checkConfig(args []string, stderr io.Writer) int {
	path := defaultConfig
	if len(args) > 0 {
		path = args[0]
	}
	cfg, warnings, err := config.Load(path)
	for _, w := range warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		var ce *config.Error
		if errors.As(err, &ce) {
			return 1
		}
		return 1
	}
	fmt.Fprintln(os.Stdout, config.FormatConf(cfg.Dump(0, 0)))
	return 0
}

// serverConfig maps the validated zoo.cfg onto the server's settings.
func serverConfig(c *config.Config) server.Config {
	addr := c.ClientPortAddress
	if addr == "" {
		addr = "0.0.0.0"
	}
	tick := time.Duration(c.TickTime) * time.Millisecond
	sc := server.Config{
		ServerID:               1,
		ClientAddr:             addr + ":" + strconv.Itoa(c.ClientPort),
		TickTime:               tick,
		MinSessionTimeout:      time.Duration(c.MinSessionTimeout) * time.Millisecond,
		MaxSessionTimeout:      time.Duration(c.MaxSessionTimeout) * time.Millisecond,
		MaxBuffer:              c.JuteMaxBuffer,
		MaxClientCnxns:         c.MaxClientCnxns,
		SuperDigest:            c.SuperDigest,
		SkipACL:                c.SkipACL,
		ExtendedTypes:          c.ExtendedTypesEnabled,
		ContainerCheckInterval: time.Duration(c.ContainerCheckIntervalMs) * time.Millisecond,
		ContainerMaxPerMinute:  c.ContainerMaxPerMinute,
		FourLetterWords:        c.FourLetterWhitelist,
		DataDir:                c.DataDir,
		DataLogDir:             c.DataLogDir,
		PreAllocSize:           c.PreAllocSizeKB * 1024,
		NoSync:                 !c.ForceSync,
		SlowSync:               time.Duration(c.FsyncWarningThresholdMs) * time.Millisecond,
		SnapCount:              c.SnapCount,
		SnapRetain:             snapRetain(c),
		Conf: func() string {
			return config.FormatConf(c.Dump(server.DirSize(quorum.SnapDir(c.DataDir)), server.DirSize(quorum.WALDir(c.DataLogDir))))
		},
		Version: version,
		// The admin server and /metrics (zkd/server/admin.go, metrics.go).
		AdminAddr:        adminAddr(c),
		AdminCommandURL:  c.Admin.CommandURL,
		AdminIdleTimeout: time.Duration(c.Admin.IdleTimeout) * time.Millisecond,
		AdminPprof:       c.Admin.PprofEnabled,
		MetricsAddr:      metricsAddr(c),
	}
	if !c.Standalone() {
		ensembleConfig(c, &sc)
	}
	return sc
}

// ensembleConfig maps the server.N lines and the quorum timings onto the
// server's settings (docs/ensemble.md explains the mapping).
func ensembleConfig(c *config.Config, sc *server.Config) {
	sc.ServerID = uint64(c.MyID)
	for _, s := range c.Servers {
		sc.Peers = append(sc.Peers, quorum.Peer{
			ID:       uint64(s.ID),
			Addr:     net.JoinHostPort(s.Host, strconv.Itoa(s.QuorumPort)),
			Observer: s.Role == config.Observer,
		})
	}
	self, _ := c.Self()
	host := self.Host
	if c.QuorumListenOnAllIPs {
		host = "0.0.0.0"
	}
	sc.PeerAddr = net.JoinHostPort(host, strconv.Itoa(self.QuorumPort))
	sc.LeaderServes = c.LeaderServes
	lines := make([]string, 0, len(c.Servers)+1)
	for _, kv := range c.Membership() {
		lines = append(lines, kv.Key+"="+kv.Value)
	}
	sc.Membership = []byte(strings.Join(lines, "\n"))
	tick := time.Duration(c.TickTime) * time.Millisecond
	sc.ElectionTimeout = min(server.DefaultElectionTimeout, time.Duration(c.SyncLimit)*tick)
	if c.ElectionTimeoutMs > 0 {
		sc.ElectionTimeout = time.Duration(c.ElectionTimeoutMs) * time.Millisecond
	}
	sc.SnapshotTimeout = max(time.Duration(c.InitLimit)*tick, time.Minute)
	sc.ProposalTimeout = max(time.Duration(c.SyncLimit)*tick, 10*time.Second)
}

// initialConfig is zoo.cfg's text as the initial_configuration admin
// command shows it.
func initialConfig(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(b)
}

// adminAddr is admin.serverAddress:admin.serverPort, "" when
// admin.enableServer is off.
func adminAddr(c *config.Config) string {
	if !c.Admin.EnableServer {
		return ""
	}
	return net.JoinHostPort(c.Admin.ServerAddress, strconv.Itoa(c.Admin.ServerPort))
}

// metricsAddr is metricsProvider.httpHost:httpPort when the Prometheus
// provider is configured, else "".
func metricsAddr(c *config.Config) string {
	if !c.MetricsProvider.Prometheus() {
		return ""
	}
	return net.JoinHostPort(c.MetricsProvider.HTTPHost, strconv.Itoa(c.MetricsProvider.HTTPPort))
}
