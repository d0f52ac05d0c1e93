package config

import (
	"sort"
	"strings"
)

// canonical is the one name of a setting. Apache ZooKeeper turns every
// zoo.cfg key it does not parse itself into the system property
// "zookeeper.<key>", so "snapCount" in zoo.cfg and -Dzookeeper.snapCount are
// the same setting; zkd goes one step further and treats "zookeeper.X" and
// "X" as the same wherever they are written.
func canonical(key string) string {
	return strings.TrimPrefix(key, "zookeeper.")
}

// setter parses one value into a Config field. Range checks live in
// Validate, so that a Config built in code is checked the same way.
type setter func(c *Config, v string) error

func intField(f func(*Config) *int) setter {
	return func(c *Config, v string) (err error) {
		*f(c), err = parseInt(v)
		return err
	}
}

func int64Field(f func(*Config) *int64) setter {
	return func(c *Config, v string) (err error) {
		*f(c), err = parseInt64(v)
		return err
	}
}

func portField(f func(*Config) *int) setter {
	return func(c *Config, v string) (err error) {
		*f(c), err = parsePort(v)
		return err
	}
}

func boolField(f func(*Config) *bool) setter {
	return func(c *Config, v string) (err error) {
		*f(c), err = parseBool(v)
		return err
	}
}

func stringField(f func(*Config) *string) setter {
	return func(c *Config, v string) error {
		*f(c) = v
		return nil
	}
}

// settings are the keys zkd models, by canonical name.
var settings = map[string]setter{
	"tickTime":                    intField(func(c *Config) *int { return &c.TickTime }),
	"initLimit":                   intField(func(c *Config) *int { return &c.InitLimit }),
	"syncLimit":                   intField(func(c *Config) *int { return &c.SyncLimit }),
	"connectToLearnerMasterLimit": intField(func(c *Config) *int { return &c.ConnectToLearnerMasterLimit }),
	"dataDir":                     stringField(func(c *Config) *string { return &c.DataDir }),
	"dataLogDir":                  stringField(func(c *Config) *string { return &c.DataLogDir }),
	"clientPort":                  portField(func(c *Config) *int { return &c.ClientPort }),
	"clientPortAddress":           stringField(func(c *Config) *string { return &c.ClientPortAddress }),
	"secureClientPort":            portField(func(c *Config) *int { return &c.SecureClientPort }),
	"secureClientPortAddress":     stringField(func(c *Config) *string { return &c.SecureClientPortAddress }),
	"clientPortListenBacklog":     intField(func(c *Config) *int { return &c.ClientPortListenBacklog }),
	"observerMasterPort":          portField(func(c *Config) *int { return &c.ObserverMasterPort }),
	"maxClientCnxns":              intField(func(c *Config) *int { return &c.MaxClientCnxns }),
	"maxCnxns":                    intField(func(c *Config) *int { return &c.MaxCnxns }),
	"minSessionTimeout":           intField(func(c *Config) *int { return &c.MinSessionTimeout }),
	"maxSessionTimeout":           intField(func(c *Config) *int { return &c.MaxSessionTimeout }),
	"globalOutstandingLimit":      intField(func(c *Config) *int { return &c.GlobalOutstandingLimit }),
	"jute.maxbuffer":              intField(func(c *Config) *int { return &c.JuteMaxBuffer }),
	"4lw.commands.whitelist":      setWhitelist,
	"snapCount":                   intField(func(c *Config) *int { return &c.SnapCount }),
	"preAllocSize":                int64Field(func(c *Config) *int64 { return &c.PreAllocSizeKB }),
	"forceSync":                   boolField(func(c *Config) *bool { return &c.ForceSync }),
	"fsync.warningthresholdms":    int64Field(func(c *Config) *int64 { return &c.FsyncWarningThresholdMs }),
	"autopurge.snapRetainCount":   intField(func(c *Config) *int { return &c.AutopurgeSnapRetainCount }),
	"autopurge.purgeInterval":     intField(func(c *Config) *int { return &c.AutopurgePurgeInterval }),

	"DigestAuthenticationProvider.superDigest": stringField(func(c *Config) *string { return &c.SuperDigest }),
	"skipACL":                         boolField(func(c *Config) *bool { return &c.SkipACL }),
	"extendedTypesEnabled":            boolField(func(c *Config) *bool { return &c.ExtendedTypesEnabled }),
	"znode.container.checkIntervalMs": intField(func(c *Config) *int { return &c.ContainerCheckIntervalMs }),
	"znode.container.maxPerMinute":    intField(func(c *Config) *int { return &c.ContainerMaxPerMinute }),
	"readonlymode.enabled":            boolField(func(c *Config) *bool { return &c.ReadOnlyModeEnabled }),
	"standaloneEnabled":               boolField(func(c *Config) *bool { return &c.StandaloneEnabled }),
	"reconfigEnabled":                 boolField(func(c *Config) *bool { return &c.ReconfigEnabled }),
	"localSessionsEnabled":            boolField(func(c *Config) *bool { return &c.LocalSessionsEnabled }),
	"localSessionsUpgradingEnabled":   boolField(func(c *Config) *bool { return &c.LocalSessionsUpgradingEnabled }),
	"admin.enableServer":              boolField(func(c *Config) *bool { return &c.Admin.EnableServer }),
	"admin.serverAddress":             stringField(func(c *Config) *string { return &c.Admin.ServerAddress }),
	"admin.serverPort":                portField(func(c *Config) *int { return &c.Admin.ServerPort }),
	"admin.commandURL":                stringField(func(c *Config) *string { return &c.Admin.CommandURL }),
	"admin.idleTimeout":               intField(func(c *Config) *int { return &c.Admin.IdleTimeout }),
	"admin.pprofEnabled":              boolField(func(c *Config) *bool { return &c.Admin.PprofEnabled }),
	"metricsProvider.className":       stringField(func(c *Config) *string { return &c.MetricsProvider.ClassName }),
	"metricsProvider.httpHost":        stringField(func(c *Config) *string { return &c.MetricsProvider.HTTPHost }),
	"metricsProvider.httpPort":        portField(func(c *Config) *int { return &c.MetricsProvider.HTTPPort }),
	"metricsProvider.exportJvmInfo":   boolField(func(c *Config) *bool { return &c.MetricsProvider.ExportJvmInfo }),
	"peerType":                        setPeerType,
	"quorumListenOnAllIPs":            boolField(func(c *Config) *bool { return &c.QuorumListenOnAllIPs }),
	"leaderServes":                    boolField(func(c *Config) *bool { return &c.LeaderServes }),
	"electionTimeoutMs":               intField(func(c *Config) *int { return &c.ElectionTimeoutMs }),
	"syncEnabled":                     boolField(func(c *Config) *bool { return &c.SyncEnabled }),
	"electionAlg":                     intField(func(c *Config) *int { return &c.ElectionAlg }),
	"multiAddress.enabled":            boolField(func(c *Config) *bool { return &c.MultiAddressEnabled }),
	"dynamicConfigFile":               stringField(func(c *Config) *string { return &c.DynamicConfigFile }),
	"version":                         setVersion,
}

// setWhitelist reads a comma-separated word list. Blanks also separate
// words: Apache ZooKeeper would take "stat ruok" as one unknown word, which
// is never what was meant.
func setWhitelist(c *Config, v string) error {
	words := map[string]bool{}
	for _, w := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if w == "*" {
			for _, k := range fourLetterWords {
				words[k] = true
			}
			continue
		}
		words[w] = true
	}
	c.FourLetterWhitelist = words
	return nil
}

func setPeerType(c *Config, v string) (err error) {
	c.PeerType, err = parseRole(v)
	return err
}

func setVersion(c *Config, v string) error {
	n, err := parseHexVersion(v)
	if err != nil {
		return err
	}
	c.Version = n
	return nil
}

// cfgOnly are the keys Apache ZooKeeper's QuorumPeerConfig reads from
// zoo.cfg itself and never from a system property; a -D flag for one of
// them is ignored with a warning.
var cfgOnly = map[string]bool{
	"tickTime": true, "initLimit": true, "syncLimit": true, "dataDir": true,
	"dataLogDir": true, "clientPort": true, "clientPortAddress": true,
	"secureClientPort": true, "secureClientPortAddress": true,
	"clientPortListenBacklog": true, "observerMasterPort": true,
	"maxClientCnxns": true, "minSessionTimeout": true, "maxSessionTimeout": true,
	"autopurge.snapRetainCount": true, "autopurge.purgeInterval": true,
	"standaloneEnabled": true, "reconfigEnabled": true,
	"localSessionsEnabled": true, "localSessionsUpgradingEnabled": true,
	"peerType": true, "quorumListenOnAllIPs": true, "syncEnabled": true,
	"electionAlg": true, "dynamicConfigFile": true, "version": true,
	"metricsProvider.className": true, "metricsProvider.httpHost": true,
	"metricsProvider.httpPort": true, "metricsProvider.exportJvmInfo": true,
	"sslQuorum": true, "portUnification": true, "sslQuorumReloadCertFiles": true,
	"quorum.cnxn.threads.size": true, "oraclePath": true,
}

// isCfgOnly also covers the key families QuorumPeerConfig parses.
func isCfgOnly(k string) bool {
	return cfgOnly[k] || isServerKey(k) || strings.HasPrefix(k, "group.") ||
		strings.HasPrefix(k, "weight.") || strings.HasPrefix(k, "metricsProvider.")
}

// isServerKey tells a server.N line from the system properties that also
// start with "server." once "zookeeper." is dropped (server.principal,
// server.realm).
func isServerKey(k string) bool {
	return strings.HasPrefix(k, "server.") && !knownKeys[k]
}

// knownKeys are Apache ZooKeeper 3.8 settings (zoo.cfg keys and system
// properties, canonical names) that zkd accepts without modelling them:
// they land in Config.Extra without a warning.
var knownKeys = setOf(
	// parsed directly by QuorumPeerConfig
	"sslQuorum", "portUnification", "sslQuorumReloadCertFiles",
	"quorum.auth.enableSasl", "quorum.auth.serverRequireSasl", "quorum.auth.learnerRequireSasl",
	"quorum.auth.kerberos.servicePrincipal", "quorum.auth.learner.saslLoginContext",
	"quorum.auth.server.saslLoginContext", "quorum.cnxn.threads.size",
	"jvm.pause.monitor", "jvm.pause.sleep.time.ms", "jvm.pause.warn-threshold.ms",
	"jvm.pause.info-threshold.ms", "multiAddress.reachabilityCheckTimeoutMs",
	"multiAddress.reachabilityCheckEnabled", "oraclePath",
	// system properties (zookeeperAdmin.md and the 3.8 sources)
	"commitLogCount", "snapSizeLimitInKb", "txnLogSizeLimitInKb",
	"maxResponseCacheSize", "maxGetChildrenResponseCacheSize", "emulate353TTLNodes",
	"watchManagerName", "watcherCleanThreadsNum", "watcherCleanThreshold",
	"watcherCleanIntervalInSeconds", "maxInProcessingDeadWatchers", "bitHashCacheSize",
	"fastleader.minNotificationInterval", "fastleader.maxNotificationInterval",
	"connectionMaxTokens", "connectionTokenFillTime", "connectionTokenFillCount",
	"connectionFreezeTime", "connectionDropIncrease", "connectionDropDecrease",
	"connectionDecreaseRatio", "connection_throttle_tokens", "connection_throttle_fill_time",
	"connection_throttle_fill_count", "connection_throttle_freeze_time",
	"connection_throttle_drop_increase", "connection_throttle_drop_decrease",
	"connection_throttle_decrease_ratio", "connection_throttle_weight_enabled",
	"connection_throttle_global_session_weight", "connection_throttle_local_session_weight",
	"connection_throttle_renew_session_weight", "serverCnxnFactory", "flushDelay",
	"maxWriteQueuePollTime", "maxBatchSize", "enforceQuota", "requestThrottleLimit",
	"requestThrottleStallTime", "requestThrottleDropStale", "requestStaleLatencyCheck",
	"requestStaleConnectionCheck", "request_throttle_max_requests",
	"request_throttle_stall_time", "request_throttle_drop_stale",
	"request_stale_latency_check", "request_stale_connection_check",
	"request_throttler.shutdownTimeout", "advancedFlowControlEnabled",
	"netty.advancedFlowControl.enabled", "enableEagerACLCheck", "maxConcurrentSnapSyncs",
	"maxConcurrentDiffSyncs", "leader.maxConcurrentSnapSyncs", "leader.maxConcurrentDiffSyncs",
	"digest.enabled", "closeSessionTxn.enabled", "snapshot.compression.method",
	"snapshot.trust.empty", "audit.enable", "audit.impl.class", "largeRequestMaxBytes",
	"largeRequestThreshold", "outstandingHandshake.limit",
	"netty.server.outstandingHandshake.limit", "netty.server.earlyDropSecureConnectionHandshakes",
	"throttledOpWaitTime", "throttled_op_wait_time", "learner.closeSocketAsync",
	"leader.closeSocketAsync", "learner.asyncSending",
	"forward_learner_requests_to_commit_processor_disabled", "maxTimeToWaitForEpoch",
	"leader.maxTimeToWaitForEpoch", "cnxTimeout", "quorumCnxnTimeoutMs",
	"tcpKeepAlive", "clientTcpKeepAlive", "electionPortBindRetry",
	"observer.reconnectDelayMs", "observer.election.DelayMs", "observer.syncEnabled",
	"observerMaster.sizeLimit", "DigestAuthenticationProvider.enabled",
	"DigestAuthenticationProvider.digestAlg", "X509AuthenticationProvider.superUser",
	"SASLAuthenticationProvider.superPassword", "superUser", "ensembleAuthName",
	"sessionRequireClientSASLAuth", "allowSaslFailedClients", "enforce.auth.enabled",
	"enforce.auth.schemes", "client.portUnification", "client.secure", "fips-mode",
	"follower.skipLearnerRequestToNextProcessor", "jute.maxbuffer.extrasize",
	"nio.numSelectorThreads", "nio.numWorkerThreads", "nio.directBufferBytes",
	"nio.sessionlessCnxnTimeout", "nio.shutdownTimeout", "commitProcessor.numWorkerThreads",
	"commitProcessor.maxReadBatchSize", "commitProcessor.maxCommitBatchSize",
	"commitProcessor.shutdownTimeout", "znode.container.maxNeverUsedIntervalMs",
	"datadir.autocreate", "db.autocreate", "forceSnapshotSync", "snapshotSizeFactor",
	"intBufferStartingSizeBytes", "leader.ackLoggingFrequency",
	"leaderConnectDelayDuringRetryMs", "letAnySaslUserDoX", "requireKerberosConfig",
	"kerberos.canonicalizeHostNames", "kerberos.removeHostFromPrincipal",
	"kerberos.removeRealmFromPrincipal", "kerberos.minReLoginTimeMs", "kinit",
	"security.auth_to_local", "server.principal", "server.realm", "sasl.serverconfig",
	"jmx.log4j.disable", "jmx.log4j.mbean", "follower.nodelay", "leader.nodelay",
	"authProvider", "ssl.authProvider", "request.timeout",
)

// knownPrefixes are key families that are all accepted (TLS, auth
// providers, admin server and metrics provider options, path stats...).
var knownPrefixes = []string{
	"ssl.", "authProvider.", "admin.", "metricsProvider.", "pathStats.",
	"messageTracker.", "jvm.pause.", "quorum.auth.",
}

func setOf(ks ...string) map[string]bool {
	m := make(map[string]bool, len(ks))
	for _, k := range ks {
		m[k] = true
	}
	return m
}

// isKnown reports whether a canonical key is an Apache ZooKeeper setting.
func isKnown(k string) bool {
	if _, ok := settings[k]; ok || knownKeys[k] {
		return true
	}
	for _, p := range knownPrefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// suggest finds the known key an unknown one was probably meant to be:
// the same name in another case, or one or two letters off.
func suggest(k string) string {
	var names []string
	for n := range settings {
		names = append(names, n)
	}
	for n := range knownKeys {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if strings.EqualFold(n, k) {
			return n
		}
	}
	if len(k) < 6 {
		return ""
	}
	for _, n := range names {
		if editDistance(strings.ToLower(n), strings.ToLower(k)) <= 2 {
			return n
		}
	}
	return ""
}

// editDistance is Levenshtein's distance, for short keys only.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
