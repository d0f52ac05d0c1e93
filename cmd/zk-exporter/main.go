// Command zk-exporter is the Prometheus exporter for ZooKeeper servers,
// zkd and Apache ZooKeeper 3.4 to 3.9: mntr from each server at scrape
// time, plus the disks and process of the servers on this host. See
// exporter/README.md.
package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/bootstrap"

	"zkd/exporter/collector"
	"zkd/exporter/hoststats"
	"zkd/exporter/mntr"
)

// defaultAddress is :9141, the port the Prometheus wiki's default port
// allocations register for a ZooKeeper exporter (the two older Go
// exporters use it too). This exporter replaces them, one per host, so it
// takes their port rather than a new one that dashboards and firewall
// rules would have to learn.
const defaultAddress = ":9141"

// flags are zk-exporter's own flags; the toolkit adds --web.* and --log.*.
type flags struct {
	hosts     *string
	configs   *[]string
	timeout   *time.Duration
	pidFile   *string
	hostStats *bool
}

func addFlags(app *kingpin.Application) flags {
	return flags{
		hosts: app.Flag("zk.hosts",
			"Comma-separated host:port client addresses of the servers to scrape. Default: the client address of each --zk.config, else localhost:2181.").String(),
		configs: app.Flag("zk.config",
			"zoo.cfg of a server on this host (repeatable): its dataDir and dataLogDir get filesystem and disk metrics.").Strings(),
		timeout: app.Flag("zk.timeout",
			"Deadline for one scrape: connecting to every server, reading mntr, and reading the host stats.").Default(mntr.Timeout.String()).Duration(),
		pidFile: app.Flag("zk.pid-file",
			"PID file of the server, instead of finding the process by its client port (one server only).").String(),
		hostStats: app.Flag("collector.host",
			"Export the disks and process of servers on this host (--no-collector.host to turn off).").Default("true").Bool(),
	}
}

func main() {
	fillVersion()
	app := kingpin.New("zk-exporter",
		"Prometheus exporter for ZooKeeper servers (zkd and Apache ZooKeeper 3.4 to 3.9): mntr, and the disks and process of the servers on this host.")
	f := addFlags(app)
	runner := bootstrap.New(bootstrap.Config{
		App:            app,
		Name:           "zk_exporter",
		Description:    "Prometheus exporter for ZooKeeper servers: mntr plus dataDir/dataLogDir disks, process memory and heap.",
		DefaultAddress: defaultAddress,
		MetricsHandlerFactory: func(b *bootstrap.Bootstrap) (http.Handler, error) {
			return newHandler(b, f)
		},
	})
	if err := runner.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "zk-exporter:", err)
		os.Exit(1)
	}
}

// newHandler wires the collector from the parsed flags.
func newHandler(b *bootstrap.Bootstrap, f flags) (http.Handler, error) {
	log := b.Logger
	var dirs []hoststats.Dir
	var cfgTargets []string
	for _, path := range *f.configs {
		z, err := hoststats.LoadZooCfg(path)
		if err != nil {
			return nil, fmt.Errorf("--zk.config: %w", err)
		}
		if !z.MntrAllowed {
			log.Warn("zoo.cfg does not whitelist mntr: the server will refuse it and zookeeper_up will be 0; add mntr to 4lw.commands.whitelist",
				"config", path)
		}
		dirs = append(dirs, z.Dirs...)
		if z.ClientAddr != "" {
			cfgTargets = append(cfgTargets, z.ClientAddr)
		}
	}
	targets := splitHosts(*f.hosts)
	if len(targets) == 0 {
		targets = cfgTargets
	}
	if len(targets) == 0 {
		targets = []string{"localhost:2181"}
	}
	if *f.pidFile != "" && len(targets) != 1 {
		return nil, fmt.Errorf("--zk.pid-file names one process but there are %d targets", len(targets))
	}
	opts := collector.Options{Targets: targets, Timeout: *f.timeout, Logger: log}
	if *f.hostStats {
		opts.Host = hoststats.New(dirs, *f.pidFile)
	}
	c, err := collector.New(opts)
	if err != nil {
		return nil, err
	}
	log.Info("scraping ZooKeeper servers", "targets", strings.Join(c.Targets(), ","), "timeout", *f.timeout,
		"host_stats", *f.hostStats, "dirs", len(dirs))

	reg := prometheus.NewRegistry()
	reg.MustRegister(c, versioncollector.NewCollector(collector.ExporterNamespace))
	var h http.Handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorHandling: promhttp.ContinueOnError,
		ErrorLog:      slogPrinter{log},
	})
	if !b.DisableExporterMetrics {
		reg.MustRegister(
			collectors.NewGoCollector(),
			collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		)
		h = promhttp.InstrumentMetricHandler(reg, h)
	}
	return h, nil
}

// fillVersion takes the version and revision from the Go build info when
// the release build did not set them with -ldflags -X
// github.com/prometheus/common/version.Version=..., so that
// zk_exporter_build_info is never blank.
func fillVersion() {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return
	}
	if version.Version == "" {
		version.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && (version.Revision == "" || version.Revision == "unknown") {
			version.Revision = s.Value
		}
	}
}

// splitHosts reads --zk.hosts.
func splitHosts(s string) []string {
	var out []string
	for _, h := range strings.Split(s, ",") {
		if h = strings.TrimSpace(h); h != "" {
			out = append(out, h)
		}
	}
	return out
}

// slogPrinter lets promhttp report gathering errors (a metric dropped for
// inconsistency) through the exporter's logger.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Println(v ...any) { p.log.Error(fmt.Sprint(v...)) }
