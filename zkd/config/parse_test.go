package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

const minimal = "dataDir=/var/lib/zk\nclientPort=2181\n"

func TestDefaults(t *testing.T) {
	c, ws := mustParse(t, minimal, nil)
	if len(ws) != 0 {
		t.Errorf("warnings: %v", ws)
	}
	want := Default()
	want.File, want.BaseDir = "zoo.cfg", "/etc/zk"
	want.DataDir, want.DataLogDir, want.ClientPort = "/var/lib/zk", "/var/lib/zk", 2181
	want.MinSessionTimeout, want.MaxSessionTimeout = 6000, 60000
	for _, f := range []struct {
		name      string
		got, want any
	}{
		{"TickTime", c.TickTime, 3000},
		{"MinSessionTimeout", c.MinSessionTimeout, 6000},
		{"MaxSessionTimeout", c.MaxSessionTimeout, 60000},
		{"MaxClientCnxns", c.MaxClientCnxns, 60},
		{"MaxCnxns", c.MaxCnxns, 0},
		{"GlobalOutstandingLimit", c.GlobalOutstandingLimit, 1000},
		{"JuteMaxBuffer", c.JuteMaxBuffer, 0xfffff},
		{"FourLetterWhitelist", c.FourLetterWhitelist, map[string]bool{"srvr": true}},
		{"SnapCount", c.SnapCount, 100000},
		{"PreAllocSizeKB", c.PreAllocSizeKB, int64(65536)},
		{"ForceSync", c.ForceSync, true},
		{"FsyncWarningThresholdMs", c.FsyncWarningThresholdMs, int64(1000)},
		{"Autopurge", [2]int{c.AutopurgeSnapRetainCount, c.AutopurgePurgeInterval}, [2]int{3, 0}},
		{"Container", [2]int{c.ContainerCheckIntervalMs, c.ContainerMaxPerMinute}, [2]int{60000, 10000}},
		{"StandaloneEnabled", c.StandaloneEnabled, true},
		{"ReconfigEnabled", c.ReconfigEnabled, false},
		{"Admin", c.Admin, Admin{true, "0.0.0.0", 8080, "/commands", 30000, false}},
		{"MetricsProvider", c.MetricsProvider, MetricsProvider{DefaultMetricsProviderClass, "0.0.0.0", 7000, true}},
		{"PeerType", c.PeerType, Participant},
		{"ElectionAlg", c.ElectionAlg, 3},
		{"ClientPortListenBacklog", c.ClientPortListenBacklog, -1},
		{"Standalone", c.Standalone(), true},
		{"MyID", c.MyID, 0},
		{"DataLogDir", c.DataLogDir, "/var/lib/zk"},
	} {
		if !reflect.DeepEqual(f.got, f.want) {
			t.Errorf("%s = %v, want %v", f.name, f.got, f.want)
		}
	}
}

func TestSessionTimeoutDefaults(t *testing.T) {
	tests := []struct {
		text     string
		min, max int
	}{
		{"", 6000, 60000},
		{"tickTime=2000\n", 4000, 40000},
		{"tickTime=2000\nminSessionTimeout=1000\n", 1000, 40000},
		{"tickTime=2000\nmaxSessionTimeout=100000\n", 4000, 100000},
		{"minSessionTimeout=-1\nmaxSessionTimeout=-1\n", 6000, 60000},
		{"tickTime=500\n", 1000, 10000},
	}
	for _, tt := range tests {
		c, _ := mustParse(t, minimal+tt.text, nil)
		if c.MinSessionTimeout != tt.min || c.MaxSessionTimeout != tt.max {
			t.Errorf("%q: min/max = %d/%d, want %d/%d", tt.text, c.MinSessionTimeout, c.MaxSessionTimeout, tt.min, tt.max)
		}
	}
}

func TestSettings(t *testing.T) {
	tests := []struct {
		text  string
		check func(c *Config) bool
	}{
		{"4lw.commands.whitelist=stat, ruok,conf\n", func(c *Config) bool {
			return reflect.DeepEqual(c.FourLetterWhitelist, map[string]bool{"stat": true, "ruok": true, "conf": true, "srvr": true})
		}},
		{"4lw.commands.whitelist=*\n", func(c *Config) bool { return len(c.FourLetterWhitelist) == len(fourLetterWords) }},
		{"readonlymode.enabled=true\n", func(c *Config) bool {
			return c.ReadOnlyModeEnabled && c.FourLetterWhitelist["isro"] && c.FourLetterAllowed("isro") && !c.FourLetterAllowed("mntr")
		}},
		{"zookeeper.4lw.commands.whitelist=mntr\n", func(c *Config) bool { return c.FourLetterAllowed("mntr") }},
		{"jute.maxbuffer=4194304\n", func(c *Config) bool { return c.JuteMaxBuffer == 4194304 }},
		{"zookeeper.jute.maxbuffer=0x400000\n", func(c *Config) bool { return c.JuteMaxBuffer == 0x400000 }},
		{"snapCount=5000\n", func(c *Config) bool { return c.SnapCount == 5000 }},
		{"zookeeper.snapCount=5000\n", func(c *Config) bool { return c.SnapCount == 5000 }},
		{"preAllocSize=1024\n", func(c *Config) bool { return c.PreAllocSizeKB == 1024 }},
		{"forceSync=no\n", func(c *Config) bool { return !c.ForceSync }},
		{"zookeeper.forceSync=yes\n", func(c *Config) bool { return c.ForceSync }},
		{"fsync.warningthresholdms=50\n", func(c *Config) bool { return c.FsyncWarningThresholdMs == 50 }},
		{"zookeeper.fsync.warningthresholdms=70\n", func(c *Config) bool { return c.FsyncWarningThresholdMs == 70 }},
		{"autopurge.snapRetainCount=5\nautopurge.purgeInterval=24\n", func(c *Config) bool {
			return c.AutopurgeSnapRetainCount == 5 && c.AutopurgePurgeInterval == 24
		}},
		{"DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=\n", func(c *Config) bool {
			return c.SuperDigest == "super:D/InIHSb7yEEbrWz8b9l71RjZJU="
		}},
		{"zookeeper.DigestAuthenticationProvider.superDigest=super:x=\n", func(c *Config) bool { return c.SuperDigest == "super:x=" }},
		{"skipACL=yes\n", func(c *Config) bool { return c.SkipACL }},
		{"extendedTypesEnabled=true\n", func(c *Config) bool { return c.ExtendedTypesEnabled }},
		{"zookeeper.extendedTypesEnabled=true\n", func(c *Config) bool { return c.ExtendedTypesEnabled }},
		{"znode.container.checkIntervalMs=1000\nznode.container.maxPerMinute=5\n", func(c *Config) bool {
			return c.ContainerCheckIntervalMs == 1000 && c.ContainerMaxPerMinute == 5
		}},
		{"maxClientCnxns=0\nmaxCnxns=500\n", func(c *Config) bool { return c.MaxClientCnxns == 0 && c.MaxCnxns == 500 }},
		{"globalOutstandingLimit=5\n", func(c *Config) bool { return c.GlobalOutstandingLimit == 5 }},
		{"localSessionsEnabled=true\nlocalSessionsUpgradingEnabled=true\n", func(c *Config) bool {
			return c.LocalSessionsEnabled && c.LocalSessionsUpgradingEnabled
		}},
		{"admin.enableServer=false\nadmin.serverAddress=127.0.0.1\nadmin.serverPort=9090\nadmin.commandURL=/cmd\nadmin.idleTimeout=5000\nadmin.pprofEnabled=true\n",
			func(c *Config) bool { return c.Admin == Admin{false, "127.0.0.1", 9090, "/cmd", 5000, true} }},
		{"metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider\n" +
			"metricsProvider.httpHost=127.0.0.1\nmetricsProvider.httpPort=7001\nmetricsProvider.exportJvmInfo=false\n",
			func(c *Config) bool {
				return c.MetricsProvider.Prometheus() && c.MetricsProvider.HTTPHost == "127.0.0.1" &&
					c.MetricsProvider.HTTPPort == 7001 && !c.MetricsProvider.ExportJvmInfo
			}},
		{"clientPortAddress=127.0.0.1\nsecureClientPort=2281\n", func(c *Config) bool {
			return c.ClientPortAddress == "127.0.0.1" && c.SecureClientPort == 2281
		}},
		{"dataLogDir=/var/log/zk-txn\n", func(c *Config) bool { return c.DataLogDir == "/var/log/zk-txn" }},
		{"sslQuorum=false\nsnapshot.compression.method=gz\nzookeeper.digest.enabled=false\n", func(c *Config) bool {
			return c.Extra["sslQuorum"] == "false" && c.Extra["snapshot.compression.method"] == "gz" && c.Extra["digest.enabled"] == "false"
		}},
		{"ssl.keyStore.location=/etc/zk/ks.jks\nauthProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider\n", func(c *Config) bool {
			return c.Extra["ssl.keyStore.location"] == "/etc/zk/ks.jks" && strings.HasSuffix(c.Extra["authProvider.1"], "SASLAuthenticationProvider")
		}},
		// Java properties: "key: value" and "key = value", escapes, continuation.
		{"tickTime: 2500\n", func(c *Config) bool { return c.TickTime == 2500 }},
		{"tickTime = 2500\n", func(c *Config) bool { return c.TickTime == 2500 }},
		{"  tickTime=2500   \n", func(c *Config) bool { return c.TickTime == 2500 }},
		{"dataLogDir=/var/\\\n    log/zk\n", func(c *Config) bool { return c.DataLogDir == "/var/log/zk" }},
		{"dataLogDir=/opt/zk\\\\logs\n", func(c *Config) bool { return c.DataLogDir == `/opt/zk\logs` }},
		{"! a Java-style comment\ntickTime=2100\n", func(c *Config) bool { return c.TickTime == 2100 }},
		{"\uFEFFtickTime=2100\r\n", func(c *Config) bool { return c.TickTime == 2100 }},
		{"dataLogDir=\"/quoted/dir\"\n", func(c *Config) bool { return c.DataLogDir == "/quoted/dir" }},
	}
	for _, tt := range tests {
		c, ws, err := parseText(minimal+tt.text, nil)
		if err != nil {
			t.Errorf("%q: %v", tt.text, err)
			continue
		}
		if len(ws) != 0 {
			t.Errorf("%q: warnings %v", tt.text, ws)
		}
		if !tt.check(c) {
			t.Errorf("%q: check failed: %+v", tt.text, c)
		}
	}
}

// Every key Apache ZooKeeper's QuorumPeerConfig parses itself
// (servers.md §2.9) and the system properties named in the brief are
// accepted without a warning.
func TestKnownKeysDoNotWarn(t *testing.T) {
	keys := map[string]string{
		"clientPortAddress": "0.0.0.0", "secureClientPort": "2281", "secureClientPortAddress": "0.0.0.0",
		"observerMasterPort": "2191", "clientPortListenBacklog": "100", "tickTime": "2000",
		"maxClientCnxns": "60", "minSessionTimeout": "4000", "maxSessionTimeout": "40000",
		"initLimit": "10", "syncLimit": "5", "connectToLearnerMasterLimit": "10", "electionAlg": "3",
		"quorumListenOnAllIPs": "false", "peerType": "participant", "syncEnabled": "true",
		"autopurge.snapRetainCount": "3", "autopurge.purgeInterval": "0",
		"standaloneEnabled": "true", "reconfigEnabled": "false", "sslQuorum": "false",
		"portUnification": "false", "sslQuorumReloadCertFiles": "false",
		"quorum.cnxn.threads.size": "20", "metricsProvider.className": DefaultMetricsProviderClass,
		"metricsProvider.numWorkerThreads": "1", "multiAddress.enabled": "false",
		"multiAddress.reachabilityCheckTimeoutMs": "1000", "multiAddress.reachabilityCheckEnabled": "true",
		"oraclePath": "/tmp/oracle", "version": "0", "localSessionsEnabled": "false",
		"localSessionsUpgradingEnabled": "false", "quorum.auth.enableSasl": "false",
		"jvm.pause.monitor": "false", "4lw.commands.whitelist": "srvr", "admin.enableServer": "true",
		"jute.maxbuffer": "1048575", "readonlymode.enabled": "false",
		"znode.container.checkIntervalMs": "60000", "znode.container.maxPerMinute": "10000",
		"DigestAuthenticationProvider.superDigest": "super:x", "zookeeper.skipACL": "no",
		"snapCount": "100000", "commitLogCount": "500", "snapSizeLimitInKb": "4194304",
		"txnLogSizeLimitInKb": "-1", "preAllocSize": "65536", "globalOutstandingLimit": "1000",
		"maxBatchSize": "1000", "fsync.warningthresholdms": "1000", "digest.enabled": "true",
		"closeSessionTxn.enabled": "true", "enforceQuota": "false", "extendedTypesEnabled": "false",
		"zookeeper.request_throttle_max_requests": "0", "zookeeper.connection_throttle_tokens": "0",
		"admin.snapshot.enabled": "false", "ssl.quorum.keyStore.location": "/x",
		"zookeeper.server.principal": "zookeeper/_HOST", "maxCnxns": "0", "forceSync": "yes",
	}
	var b strings.Builder
	b.WriteString(minimal)
	for k, v := range keys {
		b.WriteString(k + "=" + v + "\n")
	}
	_, ws, err := parseText(b.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 0 {
		t.Errorf("warnings: %v", ws)
	}
}

func TestWarnings(t *testing.T) {
	tests := []struct {
		text string
		line int
		key  string
		msg  string
	}{
		{"frobnicate=yes\n", 3, "frobnicate", "not an Apache ZooKeeper setting"},
		{"ticktime=5000\n", 3, "ticktime", "did you mean tickTime? keys are case-sensitive"},
		{"initLimt=10\n", 3, "initLimt", "did you mean initLimit?"},
		{"tickTime=2000\ntickTime=4000\n", 4, "tickTime", "also set on line 3 (tickTime=2000); this later value wins"},
		{"snapCount=100\nzookeeper.snapCount=200\n", 4, "zookeeper.snapCount", "also set on line 3"},
		{"tickTime=2000 # ms\n", 3, "tickTime", `using "2000"`},
		{"autopurge.snapRetainCount=1\n", 3, "autopurge.snapRetainCount", "keeping 3 snapshots"},
		{"autopurge.purgeInterval=-1\n", 3, "autopurge.purgeInterval", "disables purging"},
		{"snapCount=1\n", 3, "snapCount", "using 2"},
		{"4lw.commands.whitelist=stat,frob\n", 3, "4lw.commands.whitelist", "unknown four-letter words frob ignored"},
		{"...\n", 3, "", `"..." is not a key=value line; ignored`},
		{"[server]\n", 3, "", "zoo.cfg has no sections"},
		{"peerType=observer\n", 0, "", ""}, // standalone: nothing to reconcile, no warning expected below
	}
	for _, tt := range tests {
		c, ws := mustParse(t, minimal+tt.text, nil)
		if tt.msg == "" {
			if len(ws) != 0 {
				t.Errorf("%q: unexpected warnings %v", tt.text, ws)
			}
			continue
		}
		if !hasWarning(ws, tt.line, tt.key, tt.msg) {
			t.Errorf("%q: want warning line %d key %q containing %q; got %v", tt.text, tt.line, tt.key, tt.msg, ws)
		}
		if tt.key == "frobnicate" && c.Extra["frobnicate"] != "yes" {
			t.Errorf("unknown key not kept in Extra: %v", c.Extra)
		}
		if !reflect.DeepEqual(ws, c.Warnings()) {
			t.Errorf("%q: returned warnings differ from Warnings()", tt.text)
		}
	}
}

// Bad values name file, line and key. Missing settings have no line; they
// name file and key.
func TestErrors(t *testing.T) {
	quorum := "initLimit=10\nsyncLimit=5\nserver.1=zk1:2888:3888\nserver.2=zk2:2888:3888\nserver.3=zk3:2888:3888\n"
	myid1 := map[string]string{"/var/lib/zk/myid": "1\n"}
	tests := []struct {
		name     string
		text     string // appended to dataDir= (line 1) unless it sets its own
		files    map[string]string
		want     string // the message must contain this
		sentinel error
	}{
		{"port not a number", "clientPort=abc\n", nil, `zoo.cfg:2: clientPort: "abc" is not a number`, ErrBadValue},
		{"port too big", "clientPort=70000\n", nil, `zoo.cfg:2: clientPort: 70000 is not a port`, ErrBadValue},
		{"negative tick", "clientPort=2181\ntickTime=-5\n", nil, `zoo.cfg:3: tickTime: -5 is too small`, ErrBadValue},
		{"zero tick", "clientPort=2181\ntickTime=0\n", nil, `zoo.cfg:3: tickTime: 0 is too small`, ErrBadValue},
		{"tick not a number", "clientPort=2181\ntickTime=2s\n", nil, `zoo.cfg:3: tickTime: "2s" is not a number`, ErrBadValue},
		{"int overflow", "clientPort=2181\nmaxClientCnxns=99999999999\n", nil, `zoo.cfg:3: maxClientCnxns: "99999999999" is out of range`, ErrBadValue},
		{"min above max", "clientPort=2181\nminSessionTimeout=50000\nmaxSessionTimeout=40000\n", nil,
			`zoo.cfg:3: minSessionTimeout: minSessionTimeout 50000 is larger than maxSessionTimeout 40000`, ErrBadValue},
		{"min above derived max", "clientPort=2181\ntickTime=1000\nminSessionTimeout=30000\n", nil,
			`zoo.cfg:4: minSessionTimeout: minSessionTimeout 30000 is larger than maxSessionTimeout 20000`, ErrBadValue},
		{"negative maxClientCnxns", "clientPort=2181\nmaxClientCnxns=-1\n", nil, `zoo.cfg:3: maxClientCnxns: -1 is too small`, ErrBadValue},
		{"bad bool", "clientPort=2181\nforceSync=maybe\n", nil, `zoo.cfg:3: forceSync: "maybe" is not a boolean`, ErrBadValue},
		{"bad bool via prefix", "clientPort=2181\nzookeeper.skipACL=sure\n", nil, `zoo.cfg:3: zookeeper.skipACL: "sure" is not a boolean`, ErrBadValue},
		{"electionAlg", "clientPort=2181\nelectionAlg=1\n", nil, `zoo.cfg:3: electionAlg: 1: only 3`, ErrBadValue},
		{"peerType", "clientPort=2181\npeerType=leader\n", nil, `zoo.cfg:3: peerType: unrecognised peer type "leader"`, ErrBadValue},
		{"superDigest", "clientPort=2181\nDigestAuthenticationProvider.superDigest=abc\n", nil,
			`zoo.cfg:3: DigestAuthenticationProvider.superDigest: "abc" does not have the form super:`, ErrBadValue},
		{"admin port", "clientPort=2181\nadmin.serverPort=80800\n", nil, `zoo.cfg:3: admin.serverPort: 80800 is not a port`, ErrBadValue},
		{"commandURL", "clientPort=2181\nadmin.commandURL=commands\n", nil, `zoo.cfg:3: admin.commandURL: "commands" must start with '/'`, ErrBadValue},
		{"container rate", "clientPort=2181\nznode.container.maxPerMinute=0\n", nil, `zoo.cfg:3: znode.container.maxPerMinute: 0 is too small`, ErrBadValue},
		{"jute.maxbuffer", "clientPort=2181\njute.maxbuffer=1MB\n", nil, `zoo.cfg:3: jute.maxbuffer: "1MB" is not a number`, ErrBadValue},
		{"clientPortAddress alone", "clientPortAddress=10.0.0.1\n", nil, `zoo.cfg:2: clientPortAddress: is set but clientPort is not`, ErrMissing},
		{"clientPort missing", "tickTime=2000\n", nil, `zoo.cfg: clientPort: not set; add clientPort=2181`, ErrMissing},
		{"dataDir missing", "!clientPort=2181\n", nil, `zoo.cfg: dataDir: not set`, ErrMissing},
		{"standaloneEnabled=false alone", "clientPort=2181\nstandaloneEnabled=false\n", nil,
			`zoo.cfg:3: standaloneEnabled: is false, so server.N lines are needed`, ErrMissing},
		// server.N grammar
		{"server missing election port", "clientPort=2181\nserver.1=zk1:2888\n", nil,
			`zoo.cfg:3: server.1: "zk1:2888" does not have the form server_config`, ErrBadValue},
		{"server same ports", "clientPort=2181\nserver.1=zk1:2888:2888\n", nil,
			`zoo.cfg:3: server.1: quorum and election port must be different`, ErrBadValue},
		{"server port not a number", "clientPort=2181\nserver.1=zk1:abc:3888\n", nil,
			`zoo.cfg:3: server.1: quorum port: "abc" is not a number`, ErrBadValue},
		{"server bad role", "clientPort=2181\nserver.1=zk1:2888:3888:leader\n", nil,
			`zoo.cfg:3: server.1: unrecognised peer type "leader"`, ErrBadValue},
		{"server id 0", "clientPort=2181\nserver.0=zk1:2888:3888\n", nil, `zoo.cfg:3: server.0: server id 0 is out of range`, ErrBadValue},
		{"server id 256", "clientPort=2181\nserver.256=zk1:2888:3888\n", nil, `zoo.cfg:3: server.256: server id 256 is out of range`, ErrBadValue},
		{"server id word", "clientPort=2181\nserver.one=zk1:2888:3888\n", nil, `zoo.cfg:3: server.one: "one" is not a server id`, ErrBadValue},
		{"server client part too long", "clientPort=2181\nserver.1=zk1:2888:3888;zk1:2181:1\n", nil,
			`zoo.cfg:3: server.1: "zk1:2888:3888;zk1:2181:1" does not have the form`, ErrBadValue},
		{"server client port word", "clientPort=2181\nserver.1=zk1:2888:3888;abc\n", nil,
			`zoo.cfg:3: server.1: client port: "abc" is not a number`, ErrBadValue},
		{"server two semicolons", "clientPort=2181\nserver.1=zk1:2888:3888;2181;2182\n", nil,
			`zoo.cfg:3: server.1: "zk1:2888:3888;2181;2182" does not have the form`, ErrBadValue},
		{"server roles differ", "clientPort=2181\nserver.1=a:1:2:observer|b:1:2:participant\n", nil,
			`zoo.cfg:3: server.1: multiple addresses should have the same role`, ErrBadValue},
		{"server ipv6 unclosed", "clientPort=2181\nserver.1=[::1:2888:3888\n", nil,
			`zoo.cfg:3: server.1: "[::1:2888:3888" starts with '[' but has no matching ']'`, ErrBadValue},
		{"server duplicate address", "clientPort=2181\ninitLimit=10\nsyncLimit=5\nserver.1=zk1:2888:3888\nserver.2=zk1:2888:3889\n", myid1,
			`zoo.cfg:6: server.2: zk1:2888 is also used by server.1`, ErrBadValue},
		// quorum
		{"initLimit missing", "clientPort=2181\nsyncLimit=5\nserver.1=zk1:2888:3888\nserver.2=zk2:2888:3888\n", myid1,
			`zoo.cfg: initLimit: not set; add initLimit=10`, ErrMissing},
		{"syncLimit missing", "clientPort=2181\ninitLimit=5\nserver.1=zk1:2888:3888\nserver.2=zk2:2888:3888\n", myid1,
			`zoo.cfg: syncLimit: not set; add syncLimit=5`, ErrMissing},
		{"observers only", "clientPort=2181\nserver.1=zk1:2888:3888:observer\n", nil,
			`zoo.cfg:3: server.1: observers without participants`, ErrBadValue},
		{"observer without quorum", "clientPort=2181\nserver.1=zk1:2888:3888\nserver.2=zk2:2888:3888:observer\n", nil,
			`zoo.cfg:3: server.1: observers need a quorum`, ErrBadValue},
		{"client port conflict", "clientPort=2181\n" + quorum + "server.1=zk1:2888:3888;2182\n", myid1,
			`zoo.cfg:8: server.1: client address 0.0.0.0:2182 differs from clientPort 0.0.0.0:2181`, ErrBadValue},
		{"client address conflict", "clientPort=2181\nclientPortAddress=10.0.0.1\n" + quorum + "server.1=zk1:2888:3888;10.0.0.2:2181\n", myid1,
			`zoo.cfg:9: server.1: client address 10.0.0.2:2181 differs from clientPort/clientPortAddress 10.0.0.1:2181`, ErrBadValue},
		{"quorum without client port", quorum, myid1,
			`zoo.cfg: clientPort: not set, and this server's server.N line has no ;port part`, ErrMissing},
		// dynamic config
		{"dynamic file missing", "clientPort=2181\ndynamicConfigFile=zoo.cfg.dynamic\n", nil,
			`zoo.cfg:3: dynamicConfigFile: open /etc/zk/zoo.cfg.dynamic`, ErrBadValue},
		{"server line beside dynamic file", "clientPort=2181\ndynamicConfigFile=/etc/zk/d\nserver.1=zk1:2888:3888\n",
			map[string]string{"/etc/zk/d": "server.1=zk1:2888:3888\n"},
			`zoo.cfg:4: server.1: must be in the dynamic config file`, ErrBadValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := "dataDir=/var/lib/zk\n" + tt.text
			if strings.HasPrefix(tt.text, "!") {
				text = tt.text
			}
			_, _, err := parseText(text, tt.files)
			if err == nil {
				t.Fatalf("no error for\n%s", text)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error\n  %v\ndoes not contain\n  %s", err, tt.want)
			}
			if !errors.Is(err, tt.sentinel) {
				t.Errorf("errors.Is(%v, %v) is false", err, tt.sentinel)
			}
		})
	}
}

// All bad values are reported at once.
func TestErrorsAreJoined(t *testing.T) {
	_, _, err := parseText("dataDir=/d\nclientPort=abc\ntickTime=x\nserver.1=bad\n", nil)
	if err == nil {
		t.Fatal("no error")
	}
	for _, key := range []string{"clientPort", "tickTime", "server.1"} {
		e := findError(err, key)
		if e == nil {
			t.Errorf("no error for %s in %v", key, err)
			continue
		}
		if e.File != "zoo.cfg" || e.Line == 0 {
			t.Errorf("%s: file/line = %q/%d", key, e.File, e.Line)
		}
	}
}

func TestStandalone(t *testing.T) {
	myid := map[string]string{"/var/lib/zk/myid": "1"}
	base := minimal + "initLimit=10\nsyncLimit=5\n"
	tests := []struct {
		text       string
		standalone bool
		myID       int
	}{
		{"", true, 0},
		{"server.1=zk1:2888:3888\n", true, 1}, // one line: ZooKeeper runs standalone
		{"server.1=zk1:2888:3888\nstandaloneEnabled=false\n", false, 1}, // a quorum of one
		{"server.1=zk1:2888:3888\nserver.2=zk2:2888:3888\nserver.3=zk3:2888:3888\n", false, 1},
		{"server.1=zk1:2888:3888\nserver.2=zk2:2888:3888\nserver.3=zk3:2888:3888:observer\n", false, 1},
	}
	for _, tt := range tests {
		c, _ := mustParse(t, base+tt.text, myid)
		if c.Standalone() != tt.standalone || c.MyID != tt.myID {
			t.Errorf("%q: standalone=%v myid=%d, want %v %d", tt.text, c.Standalone(), c.MyID, tt.standalone, tt.myID)
		}
	}
	// Without myid, one server line still runs standalone.
	c, _ := mustParse(t, base+"server.1=zk1:2888:3888\n", nil)
	if !c.Standalone() || c.MyID != 0 {
		t.Errorf("single line without myid: standalone=%v myid=%d", c.Standalone(), c.MyID)
	}
}

func TestQuorumDerived(t *testing.T) {
	text := "dataDir=/var/lib/zk\ninitLimit=10\nsyncLimit=5\npeerType=participant\n" +
		"server.1=zk1:2888:3888;2181\nserver.2=zk2:2888:3888;2181\nserver.3=zk3:2888:3888:observer;10.0.0.3:2182\n"
	c, ws := mustParse(t, text, map[string]string{"/var/lib/zk/myid": "3\n"})
	if c.ClientPort != 2182 || c.ClientPortAddress != "10.0.0.3" {
		t.Errorf("client port from own line: %s:%d", c.ClientPortAddress, c.ClientPort)
	}
	if c.PeerType != Observer {
		t.Errorf("peerType = %v, want observer from server.3", c.PeerType)
	}
	if !hasWarning(ws, 4, "peerType", "server.3 says observer") {
		t.Errorf("no peerType warning: %v", ws)
	}
	if c.ConnectToLearnerMasterLimit != 10 {
		t.Errorf("connectToLearnerMasterLimit = %d, want initLimit", c.ConnectToLearnerMasterLimit)
	}
	if !hasWarning(ws, 0, "server.1", "2 participants tolerate no failure") {
		t.Errorf("no warning about two participants: %v", ws)
	}
	self, ok := c.Self()
	if !ok || self.ID != 3 || self.Role != Observer {
		t.Errorf("Self() = %+v, %v", self, ok)
	}
}
