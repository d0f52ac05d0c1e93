package config

import "sort"

// Config is one server's configuration: zoo.cfg, the dynamic config file,
// dataDir/myid and the -D flags of java.env, merged and validated. Fields
// hold effective values once Validate has run (Load and Parse run it).
type Config struct {
	// File is the name errors and warnings use for zoo.cfg.
	File string
	// BaseDir is the directory relative dataDir, dataLogDir and
	// dynamicConfigFile are resolved against: zoo.cfg's own directory.
	BaseDir string

	// TickTime is the basic time unit in ms. Apache ZooKeeper's code default
	// is 3000; the 2000 people know comes from zoo_sample.cfg.
	TickTime int
	// InitLimit and SyncLimit are in ticks; both are required in a quorum.
	InitLimit int
	SyncLimit int
	// ConnectToLearnerMasterLimit is in ticks; 0 means InitLimit.
	ConnectToLearnerMasterLimit int

	// DataDir holds snapshots and myid (required). DataLogDir holds the
	// transaction log and defaults to DataDir.
	DataDir    string
	DataLogDir string

	// ClientPort is the plain client port; after Validate it is the port
	// this server listens on, taken from its own server.N line when that
	// line has a ";port" part. 0 = no plain listener.
	ClientPort              int
	ClientPortAddress       string // "" = all addresses
	SecureClientPort        int    // 0 = no TLS listener
	SecureClientPortAddress string
	ClientPortListenBacklog int // -1 = the OS default
	ObserverMasterPort      int // 0 = observers follow the leader

	MaxClientCnxns int // per client IP; 0 = unlimited
	MaxCnxns       int // all clients; 0 = unlimited
	// MinSessionTimeout and MaxSessionTimeout are in ms; Validate turns 0
	// (or ZooKeeper's -1) into 2×TickTime and 20×TickTime.
	MinSessionTimeout int
	MaxSessionTimeout int

	GlobalOutstandingLimit int
	JuteMaxBuffer          int // bytes; the largest znode or request
	// FourLetterWhitelist is the set of allowed four-letter words; srvr is
	// always in it, and isro too when ReadOnlyModeEnabled.
	FourLetterWhitelist map[string]bool

	SnapCount               int
	PreAllocSizeKB          int64
	ForceSync               bool
	FsyncWarningThresholdMs int64
	// AutopurgeSnapRetainCount is at least 3; AutopurgePurgeInterval is in
	// hours, 0 = never purge.
	AutopurgeSnapRetainCount int
	AutopurgePurgeInterval   int

	// SuperDigest is "super:<base64 sha1>", "" = no super user.
	SuperDigest              string
	SkipACL                  bool
	ExtendedTypesEnabled     bool // TTL nodes
	ContainerCheckIntervalMs int
	ContainerMaxPerMinute    int
	ReadOnlyModeEnabled      bool

	StandaloneEnabled             bool
	ReconfigEnabled               bool
	LocalSessionsEnabled          bool
	LocalSessionsUpgradingEnabled bool

	Admin           Admin
	MetricsProvider MetricsProvider

	// PeerType is this server's role; Validate makes it agree with its own
	// server.N line, as ZooKeeper does.
	PeerType             Role
	QuorumListenOnAllIPs bool
	// LeaderServes is leaderServes (default yes): whether the leader takes
	// client connections.
	LeaderServes bool
	// ElectionTimeoutMs is zkd's own key: how long followers go without
	// hearing from the leader before electing another (raft's election
	// timeout). 0 means min(600, syncLimit × tickTime); see docs/ensemble.md.
	ElectionTimeoutMs   int
	SyncEnabled         bool // observers write their log to disk
	ElectionAlg         int  // only 3 exists
	MultiAddressEnabled bool

	// DynamicConfigFile holds the server.N lines when set; Version is the
	// dynamic config's version (hex in files and in /zookeeper/config).
	DynamicConfigFile string
	Version           uint64

	// Servers are the server.N lines sorted by ID.
	Servers []Server
	// Groups and Weights keep group.N and weight.N raw, keyed by N.
	Groups  map[string]string
	Weights map[string]string

	// MyID is this server's id from dataDir/myid; 0 when standalone without
	// a myid file.
	MyID int

	// Extra holds every other key, under its name without a "zookeeper."
	// prefix.
	Extra map[string]string

	origin        map[string]origin
	parseWarnings []Warning
	propWarnings  []Warning
	checkWarnings []Warning
	// readFile reads myid and the dynamic file; nil means os.ReadFile.
	// Tests put a map behind it.
	readFile func(string) ([]byte, error)
}

// Admin is the embedded HTTP admin server (admin.* keys).
type Admin struct {
	EnableServer  bool
	ServerAddress string
	ServerPort    int
	CommandURL    string
	IdleTimeout   int // ms
	// PprofEnabled is zkd's own admin.pprofEnabled (default no): Go's
	// profiling endpoints under /debug/pprof/ on the admin server. Off by
	// default because a CPU profile or trace costs the server while it runs
	// and the admin port has no authentication.
	PprofEnabled bool
}

// MetricsProvider is the metricsProvider.* keys. zkd serves Prometheus
// metrics when ClassName names ZooKeeper's Prometheus provider.
type MetricsProvider struct {
	ClassName     string
	HTTPHost      string
	HTTPPort      int
	ExportJvmInfo bool
}

// Class names of Apache ZooKeeper's metrics providers.
const (
	DefaultMetricsProviderClass    = "org.apache.zookeeper.metrics.impl.DefaultMetricsProvider"
	PrometheusMetricsProviderClass = "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider"
)

// Prometheus reports whether the Prometheus endpoint is configured.
func (m MetricsProvider) Prometheus() bool {
	return m.ClassName == PrometheusMetricsProviderClass
}

// FourLetterWords are all the words Apache ZooKeeper 3.8 knows; "*" in
// 4lw.commands.whitelist means all of them.
var fourLetterWords = []string{
	"conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "hash", "isro",
	"mntr", "ruok", "srst", "srvr", "stat", "stmk", "wchc", "wchp", "wchs",
}

// FourLetterWords returns the words Apache ZooKeeper 3.8 knows, sorted.
func FourLetterWords() []string { return append([]string(nil), fourLetterWords...) }

// Default returns a Config holding Apache ZooKeeper's code defaults (not
// zoo_sample.cfg's). DataDir is empty: it has no default.
func Default() *Config {
	return &Config{
		TickTime:                 3000,
		ClientPortListenBacklog:  -1,
		MaxClientCnxns:           60,
		GlobalOutstandingLimit:   1000,
		JuteMaxBuffer:            0xfffff,
		FourLetterWhitelist:      map[string]bool{"srvr": true},
		SnapCount:                100000,
		PreAllocSizeKB:           65536,
		ForceSync:                true,
		FsyncWarningThresholdMs:  1000,
		AutopurgeSnapRetainCount: 3,
		ContainerCheckIntervalMs: 60000,
		ContainerMaxPerMinute:    10000,
		StandaloneEnabled:        true,
		LeaderServes:             true,
		Admin: Admin{
			EnableServer:  true,
			ServerAddress: "0.0.0.0",
			ServerPort:    8080,
			CommandURL:    "/commands",
			IdleTimeout:   30000,
		},
		MetricsProvider: MetricsProvider{
			ClassName:     DefaultMetricsProviderClass,
			HTTPHost:      "0.0.0.0",
			HTTPPort:      7000,
			ExportJvmInfo: true,
		},
		PeerType:    Participant,
		SyncEnabled: true,
		ElectionAlg: 3,
		Groups:      map[string]string{},
		Weights:     map[string]string{},
		Extra:       map[string]string{},
		origin:      map[string]origin{},
	}
}

// Standalone reports whether this server runs alone: no server lines, or a
// single participant while standaloneEnabled is true (ZooKeeper's own rule,
// QuorumPeerConfig.isDistributed).
func (c *Config) Standalone() bool {
	if len(c.Servers) == 0 {
		return true
	}
	return c.StandaloneEnabled && c.votingCount() <= 1
}

func (c *Config) votingCount() int {
	n := 0
	for _, s := range c.Servers {
		if s.Role == Participant {
			n++
		}
	}
	return n
}

// Server returns the server.N line with the given id.
func (c *Config) Server(id int) (Server, bool) {
	i := sort.Search(len(c.Servers), func(i int) bool { return c.Servers[i].ID >= id })
	if i < len(c.Servers) && c.Servers[i].ID == id {
		return c.Servers[i], true
	}
	return Server{}, false
}

// Self returns this server's own server.N line (the one for MyID).
func (c *Config) Self() (Server, bool) {
	if c.MyID == 0 {
		return Server{}, false
	}
	return c.Server(c.MyID)
}

// FourLetterAllowed reports whether a four-letter word may run.
func (c *Config) FourLetterAllowed(word string) bool {
	return word == "srvr" || c.FourLetterWhitelist[word] ||
		(word == "isro" && c.ReadOnlyModeEnabled)
}

// Warnings returns every warning found so far: while parsing, while applying
// system properties and by the last Validate.
func (c *Config) Warnings() []Warning {
	var out []Warning
	out = append(out, c.parseWarnings...)
	out = append(out, c.propWarnings...)
	return append(out, c.checkWarnings...)
}
