package config

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Validate fills in the defaults that depend on other settings and checks
// every setting. It is the one place that does so (Load, Parse and
// ApplySystemProperties call it) and may be called again after a change.
// The steps, in order:
//
//  1. Single values are in range. A few that Apache ZooKeeper silently
//     corrects are corrected the same way, with a warning
//     (autopurge.snapRetainCount < 3, snapCount < 2).
//  2. dataDir is set; dataDir, dataLogDir are made absolute against BaseDir;
//     dataLogDir defaults to dataDir.
//  3. Session timeouts: 0 (or ZooKeeper's -1) becomes 2×tickTime and
//     20×tickTime; min must not exceed max.
//  4. The four-letter whitelist always holds srvr, and isro when
//     readonlymode.enabled.
//  5. The ensemble: participant and observer counts, duplicate addresses.
//  6. In a quorum: initLimit and syncLimit are set, myid is read from
//     dataDir and names a server line, peerType agrees with that line, and
//     that line's ";port" becomes the client port.
//  7. Some client port exists.
//
// Every problem found is returned (joined), each naming its key and line.
func (c *Config) Validate() error {
	v := &validation{c: c}
	v.ranges()
	v.dirs()
	v.sessions()
	v.whitelist()
	v.ensemble()
	v.quorum()
	v.clientPort()
	c.checkWarnings = v.warns
	return errors.Join(v.errs...)
}

// validation collects the findings of one Validate run.
type validation struct {
	c     *Config
	errs  []error
	warns []Warning
	// noSelf is set when myid could not be read, so the client port that
	// this server's line may give is unknown.
	noSelf bool
}

func (v *validation) fail(k string, sentinel error, format string, args ...any) {
	v.errs = append(v.errs, v.c.errAt(k, sentinel, format, args...))
}

func (v *validation) warn(k string, format string, args ...any) {
	v.warns = append(v.warns, v.c.warnAt(k, format, args...))
}

// atLeast fails key k when n < lo.
func (v *validation) atLeast(k string, n, lo int64, unit string) {
	if n < lo {
		v.fail(k, ErrBadValue, "%d is too small (want %d %sor more)", n, lo, unit)
	}
}

func (v *validation) ranges() {
	c := v.c
	v.atLeast("tickTime", int64(c.TickTime), 1, "ms ")
	v.atLeast("initLimit", int64(c.InitLimit), 0, "ticks ")
	v.atLeast("syncLimit", int64(c.SyncLimit), 0, "ticks ")
	v.atLeast("connectToLearnerMasterLimit", int64(c.ConnectToLearnerMasterLimit), 0, "ticks ")
	v.atLeast("maxClientCnxns", int64(c.MaxClientCnxns), 0, "")
	v.atLeast("maxCnxns", int64(c.MaxCnxns), 0, "")
	v.atLeast("minSessionTimeout", int64(c.MinSessionTimeout), -1, "ms ")
	v.atLeast("maxSessionTimeout", int64(c.MaxSessionTimeout), -1, "ms ")
	v.atLeast("globalOutstandingLimit", int64(c.GlobalOutstandingLimit), 1, "")
	v.atLeast("jute.maxbuffer", int64(c.JuteMaxBuffer), 1, "bytes ")
	v.atLeast("preAllocSize", c.PreAllocSizeKB, 1, "KB ")
	v.atLeast("fsync.warningthresholdms", c.FsyncWarningThresholdMs, 0, "ms ")
	v.atLeast("znode.container.checkIntervalMs", int64(c.ContainerCheckIntervalMs), 1, "ms ")
	v.atLeast("znode.container.maxPerMinute", int64(c.ContainerMaxPerMinute), 1, "")
	v.atLeast("admin.idleTimeout", int64(c.Admin.IdleTimeout), 1, "ms ")
	v.atLeast("clientPortListenBacklog", int64(c.ClientPortListenBacklog), -1, "")
	for _, p := range []struct {
		key  string
		port int
	}{
		{"clientPort", c.ClientPort}, {"secureClientPort", c.SecureClientPort},
		{"observerMasterPort", c.ObserverMasterPort}, {"admin.serverPort", c.Admin.ServerPort},
		{"metricsProvider.httpPort", c.MetricsProvider.HTTPPort},
	} {
		if p.port < 0 || p.port > 65535 {
			v.fail(p.key, ErrBadValue, "%d is not a port (want 1..65535)", p.port)
		}
	}
	if c.SnapCount < 2 {
		v.warn("snapCount", "%d is too small; using 2, as Apache ZooKeeper does", c.SnapCount)
		c.SnapCount = 2
	}
	if c.AutopurgeSnapRetainCount < 3 {
		v.warn("autopurge.snapRetainCount", "%d is below the minimum; keeping 3 snapshots, as Apache ZooKeeper does", c.AutopurgeSnapRetainCount)
		c.AutopurgeSnapRetainCount = 3
	}
	if c.AutopurgePurgeInterval < 0 {
		v.warn("autopurge.purgeInterval", "%d: a negative interval disables purging, like 0", c.AutopurgePurgeInterval)
		c.AutopurgePurgeInterval = 0
	}
	if c.ElectionAlg != 3 {
		v.fail("electionAlg", ErrBadValue, "%d: only 3 (fast leader election) exists", c.ElectionAlg)
	}
	if c.SuperDigest != "" && !strings.Contains(c.SuperDigest, ":") {
		v.fail("DigestAuthenticationProvider.superDigest", ErrBadValue,
			"%q does not have the form super:<base64 sha1 digest>", c.SuperDigest)
	}
	if !strings.HasPrefix(c.Admin.CommandURL, "/") {
		v.fail("admin.commandURL", ErrBadValue, "%q must start with '/'", c.Admin.CommandURL)
	}
	if c.ClientPortAddress != "" && c.ClientPort == 0 {
		v.fail("clientPortAddress", ErrMissing, "is set but clientPort is not")
	}
	if c.SecureClientPortAddress != "" && c.SecureClientPort == 0 {
		v.fail("secureClientPortAddress", ErrMissing, "is set but secureClientPort is not")
	}
}

func (v *validation) dirs() {
	c := v.c
	if c.DataDir == "" {
		v.fail("dataDir", ErrMissing, "not set; add dataDir=/path/to/data (snapshots and myid live there)")
		return
	}
	c.DataDir = c.resolve(c.DataDir)
	if c.DataLogDir == "" {
		c.DataLogDir = c.DataDir
	}
	c.DataLogDir = c.resolve(c.DataLogDir)
}

func (v *validation) sessions() {
	c := v.c
	if c.TickTime <= 0 {
		return // already reported
	}
	if c.MinSessionTimeout <= 0 {
		c.MinSessionTimeout = 2 * c.TickTime
	}
	if c.MaxSessionTimeout <= 0 {
		c.MaxSessionTimeout = 20 * c.TickTime
	}
	if c.MinSessionTimeout > c.MaxSessionTimeout {
		k := "minSessionTimeout"
		if _, ok := c.origin[k]; !ok {
			k = "maxSessionTimeout"
		}
		v.fail(k, ErrBadValue, "minSessionTimeout %d is larger than maxSessionTimeout %d",
			c.MinSessionTimeout, c.MaxSessionTimeout)
	}
}

func (v *validation) whitelist() {
	c := v.c
	if c.FourLetterWhitelist == nil {
		c.FourLetterWhitelist = map[string]bool{}
	}
	c.FourLetterWhitelist["srvr"] = true
	if c.ReadOnlyModeEnabled {
		c.FourLetterWhitelist["isro"] = true
	}
	var unknown []string
	for w := range c.FourLetterWhitelist {
		if !contains(fourLetterWords, w) {
			unknown = append(unknown, w)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		v.warn("4lw.commands.whitelist", "unknown four-letter words %s ignored (known: %s)",
			strings.Join(unknown, ", "), strings.Join(fourLetterWords, ", "))
		for _, w := range unknown {
			delete(c.FourLetterWhitelist, w)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (v *validation) ensemble() {
	c := v.c
	voting := c.votingCount()
	observers := len(c.Servers) - voting
	switch {
	case len(c.Servers) == 0:
		if !c.StandaloneEnabled {
			v.fail("standaloneEnabled", ErrMissing, "is false, so server.N lines are needed (at least one participant)")
		}
		return
	case voting == 0:
		v.fail(serverKey(c.Servers[0].ID), ErrBadValue, "observers without participants is not an ensemble")
	case voting == 1 && c.StandaloneEnabled:
		if observers > 0 {
			v.fail(serverKey(c.Servers[0].ID), ErrBadValue,
				"observers need a quorum of at least two participants (or standaloneEnabled=false)")
		} else {
			v.warn(serverKey(c.Servers[0].ID), "a single server line: running standalone (set standaloneEnabled=false to run a quorum of one)")
		}
	case voting == 2:
		v.warn(serverKey(c.Servers[0].ID), "2 participants tolerate no failure; run at least 3")
	case voting%2 == 0:
		v.warn(serverKey(c.Servers[0].ID), "%d participants tolerate no more failures than %d; consider an odd number", voting, voting-1)
	}
	// Two servers may not listen on the same host and port.
	type hostPort struct {
		host string
		port int
	}
	used := map[hostPort]int{}
	for _, s := range c.Servers {
		if len(s.MoreAddrs) > 0 && !c.MultiAddressEnabled {
			v.warn(serverKey(s.ID), "several addresses: Apache ZooKeeper needs multiAddress.enabled=true for this; zkd uses %s:%d", s.Host, s.QuorumPort)
		}
		hps := []hostPort{}
		for _, a := range s.addrs() {
			hps = append(hps, hostPort{a.Host, a.QuorumPort}, hostPort{a.Host, a.ElectionPort})
		}
		if s.ClientPort != 0 && !isWildcard(s.ClientAddr) {
			hps = append(hps, hostPort{s.ClientAddr, s.ClientPort})
		}
		for _, hp := range hps {
			if other, ok := used[hp]; ok && other != s.ID {
				v.fail(serverKey(s.ID), ErrBadValue, "%s:%d is also used by server.%d", bracketHost(hp.host), hp.port, other)
			}
			used[hp] = s.ID
		}
	}
}

func serverKey(id int) string { return fmt.Sprintf("server.%d", id) }

func isWildcard(host string) bool {
	return host == "" || host == "0.0.0.0" || host == "::" || host == "0:0:0:0:0:0:0:0"
}

func (v *validation) quorum() {
	c := v.c
	if len(c.Servers) == 0 {
		return
	}
	standalone := c.Standalone()
	if !standalone {
		if c.InitLimit == 0 {
			v.fail("initLimit", ErrMissing, "not set; add initLimit=10 (ticks a follower may take to connect and sync to the leader)")
		}
		if c.SyncLimit == 0 {
			v.fail("syncLimit", ErrMissing, "not set; add syncLimit=5 (ticks a follower may lag behind the leader)")
		}
	}
	if c.ConnectToLearnerMasterLimit == 0 {
		c.ConnectToLearnerMasterLimit = c.InitLimit
	}
	if c.MyID == 0 && c.DataDir != "" {
		if err := c.readMyID(!standalone); err != nil {
			v.errs = append(v.errs, err)
			v.noSelf = true
			return
		}
	}
	if c.MyID == 0 {
		return
	}
	self, ok := c.Self()
	if !ok {
		if standalone {
			v.warn("myid", "%d is not one of the server lines (%s); running standalone", c.MyID, c.serverIDs())
			return
		}
		v.errs = append(v.errs, c.errAt("myid", ErrMyID, "%d (from %s) is not one of the server lines (%s)",
			c.MyID, c.myIDPath(), c.serverIDs()))
		v.noSelf = true
		return
	}
	if c.PeerType != self.Role {
		if _, set := c.origin["peerType"]; set {
			v.warn("peerType", "%s, but server.%d says %s; using the server line, as Apache ZooKeeper does", c.PeerType, self.ID, self.Role)
		}
		c.PeerType = self.Role
	}
	if self.ClientPort != 0 {
		if c.ClientPort != 0 && (c.ClientPort != self.ClientPort ||
			(!isWildcard(c.ClientPortAddress) && c.ClientPortAddress != self.ClientAddr)) {
			v.fail(serverKey(self.ID), ErrBadValue, "client address %s:%d differs from clientPort%s %s:%d",
				bracketHost(self.ClientAddr), self.ClientPort, addressSuffix(c.ClientPortAddress),
				bracketHost(orWildcard(c.ClientPortAddress)), c.ClientPort)
			return
		}
		c.ClientPort, c.ClientPortAddress = self.ClientPort, self.ClientAddr
	}
}

func addressSuffix(a string) string {
	if a == "" {
		return ""
	}
	return "/clientPortAddress"
}

func orWildcard(a string) string {
	if a == "" {
		return "0.0.0.0"
	}
	return a
}

func (c *Config) serverIDs() string {
	ids := make([]string, len(c.Servers))
	for i, s := range c.Servers {
		ids[i] = fmt.Sprint(s.ID)
	}
	return strings.Join(ids, ", ")
}

func (v *validation) clientPort() {
	c := v.c
	if c.ClientPort == 0 && c.SecureClientPort == 0 && !v.noSelf {
		msg := "not set; add clientPort=2181"
		if len(c.Servers) > 0 {
			msg = "not set, and this server's server.N line has no ;port part; add clientPort=2181"
		}
		v.fail("clientPort", ErrMissing, "%s", msg)
	}
}
