package collector

import "github.com/prometheus/client_golang/prometheus"

// ExporterNamespace prefixes the metrics about the exporter itself; the
// servers' metrics use mntr.Namespace ("zookeeper").
const ExporterNamespace = "zk_exporter"

// Every fixed metric, named and documented in one place. The mntr metrics
// are named by exporter/mntr (keys.go) since their set depends on the
// server version.
var (
	upDesc = prometheus.NewDesc("zookeeper_up",
		"1 if the server answered mntr within the deadline, 0 if it is down, hung, refused mntr (not in 4lw.commands.whitelist) or is not serving; zk_exporter_mntr_failures_total and the exporter log say which.",
		[]string{"server"}, nil)
	stateDesc = prometheus.NewDesc("zookeeper_server_state",
		"1 for the server's current zk_server_state (leader, follower, observer, standalone, read-only), 0 for the others.",
		[]string{"server", "state"}, nil)
	infoDesc = prometheus.NewDesc("zookeeper_info",
		"Always 1; the server's version (release and revision from zk_version), implementation (zkd or apache) and zk_peer_state.",
		[]string{"server", "version", "revision", "implementation", "peer_state"}, nil)
	stringInfoDesc = prometheus.NewDesc("zookeeper_mntr_string_info",
		"Always 1; an mntr line with a string value this exporter has no better place for.",
		[]string{"server", "key", "value"}, nil)

	// Process of a server on this host.
	procRSSDesc = prometheus.NewDesc("zookeeper_process_resident_memory_bytes",
		"Resident set size of the server process (from /proc).", []string{"server"}, nil)
	procOpenFDsDesc = prometheus.NewDesc("zookeeper_process_open_fds",
		"File descriptors the server process has open (from /proc; needs the server's user or root).", []string{"server"}, nil)
	procMaxFDsDesc = prometheus.NewDesc("zookeeper_process_max_fds",
		"Soft limit on the server process' open file descriptors (from /proc).", []string{"server"}, nil)
	heapUsedDesc = prometheus.NewDesc("zookeeper_process_heap_used_bytes",
		"Heap in use: JVM from mntr's Prometheus-provider jvm_memory metrics or the hsperfdata GC counters, zkd from its mntr Go heap keys.", []string{"server"}, nil)
	heapCommittedDesc = prometheus.NewDesc("zookeeper_process_heap_committed_bytes",
		"Heap committed (reserved from the OS), same sources as zookeeper_process_heap_used_bytes.", []string{"server"}, nil)
	heapMaxDesc = prometheus.NewDesc("zookeeper_process_heap_max_bytes",
		"Heap limit (-Xmx for a JVM, GOMEMLIMIT for zkd), same sources as zookeeper_process_heap_used_bytes.", []string{"server"}, nil)

	// Filesystems under dataDir and dataLogDir.
	fsLabels       = []string{"dir", "path", "device"}
	fsSizeDesc     = prometheus.NewDesc("zookeeper_filesystem_size_bytes", "Size of the filesystem holding the ZooKeeper directory (dir is its zoo.cfg key).", fsLabels, nil)
	fsFreeDesc     = prometheus.NewDesc("zookeeper_filesystem_free_bytes", "Bytes available to non-root users on the filesystem holding the ZooKeeper directory.", fsLabels, nil)
	fsUsedDesc     = prometheus.NewDesc("zookeeper_filesystem_used_bytes", "Bytes used on the filesystem holding the ZooKeeper directory.", fsLabels, nil)
	fsInodesDesc   = prometheus.NewDesc("zookeeper_filesystem_inodes", "Inodes of the filesystem holding the ZooKeeper directory (0 if it has no fixed inode table).", fsLabels, nil)
	fsIFreeDesc    = prometheus.NewDesc("zookeeper_filesystem_inodes_free", "Free inodes on the filesystem holding the ZooKeeper directory.", fsLabels, nil)
	fsIUsedDesc    = prometheus.NewDesc("zookeeper_filesystem_inodes_used", "Used inodes on the filesystem holding the ZooKeeper directory.", fsLabels, nil)
	diskLabels     = []string{"device"}
	diskReadsDesc  = prometheus.NewDesc("zookeeper_disk_reads_completed_total", "Reads completed by a block device under a ZooKeeper directory.", diskLabels, nil)
	diskWritesDesc = prometheus.NewDesc("zookeeper_disk_writes_completed_total",
		"Writes completed by a block device under a ZooKeeper directory.", diskLabels, nil)
	diskReadBytesDesc = prometheus.NewDesc("zookeeper_disk_read_bytes_total",
		"Bytes read from a block device under a ZooKeeper directory.", diskLabels, nil)
	diskWrittenBytesDesc = prometheus.NewDesc("zookeeper_disk_written_bytes_total",
		"Bytes written to a block device under a ZooKeeper directory.", diskLabels, nil)
	diskReadTimeDesc = prometheus.NewDesc("zookeeper_disk_read_time_seconds_total",
		"Time spent on reads by a block device under a ZooKeeper directory.", diskLabels, nil)
	diskWriteTimeDesc = prometheus.NewDesc("zookeeper_disk_write_time_seconds_total",
		"Time spent on writes by a block device under a ZooKeeper directory (rate over writes: average write latency).", diskLabels, nil)
	diskBusyDesc = prometheus.NewDesc("zookeeper_disk_io_time_seconds_total",
		"Time a block device under a ZooKeeper directory was busy (rate: utilisation).", diskLabels, nil)

	// The exporter's own work.
	scrapeDurationDesc = prometheus.NewDesc(ExporterNamespace+"_scrape_duration_seconds",
		"Time the last scrape took, all targets and host stats together.", nil, nil)
	mntrDurationDesc = prometheus.NewDesc(ExporterNamespace+"_mntr_duration_seconds",
		"Time fetching and reading mntr took, per server.", []string{"server"}, nil)
	hostDurationDesc = prometheus.NewDesc(ExporterNamespace+"_hoststats_duration_seconds",
		"Time reading the filesystems and disks took.", nil, nil)
	skippedDesc = prometheus.NewDesc(ExporterNamespace+"_mntr_lines_skipped",
		"Lines of the server's last mntr reply this exporter could not read.", []string{"server"}, nil)
)
