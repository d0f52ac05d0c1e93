package config

import (
	"path/filepath"
	"strconv"
	"strings"
)

// KV is one key=value line.
type KV struct {
	Key   string
	Value string
}

// MembershipKey is the KV in Dump's output that starts the membership list
// of a quorum server; FormatConf prints it as "membership: ".
const MembershipKey = "membership"

// Dump returns the effective settings as Apache ZooKeeper 3.8's conf
// four-letter word prints them (ZooKeeperServer.dumpConf, plus
// QuorumZooKeeperServer.dumpConf in a quorum), in the same order. The
// directory sizes are the caller's to measure. dataDir and dataLogDir carry
// the /version-2 suffix ZooKeeper prints; unset ports print as -1; serverId
// is 0 when standalone.
func (c *Config) Dump(dataDirSize, dataLogSize int64) []KV {
	port := func(p int) string {
		if p == 0 {
			return "-1"
		}
		return strconv.Itoa(p)
	}
	itoa := strconv.Itoa
	serverID := 0
	if !c.Standalone() {
		serverID = c.MyID
	}
	kvs := []KV{
		{"clientPort", port(c.ClientPort)},
		{"secureClientPort", port(c.SecureClientPort)},
		{"dataDir", versionDir(c.DataDir)},
		{"dataDirSize", strconv.FormatInt(dataDirSize, 10)},
		{"dataLogDir", versionDir(c.DataLogDir)},
		{"dataLogSize", strconv.FormatInt(dataLogSize, 10)},
		{"tickTime", itoa(c.TickTime)},
		{"maxClientCnxns", itoa(c.MaxClientCnxns)},
		{"minSessionTimeout", itoa(c.MinSessionTimeout)},
		{"maxSessionTimeout", itoa(c.MaxSessionTimeout)},
		{"clientPortListenBacklog", itoa(c.ClientPortListenBacklog)},
		{"serverId", itoa(serverID)},
	}
	if c.Standalone() {
		return kvs
	}
	self, _ := c.Self()
	kvs = append(kvs,
		KV{"initLimit", itoa(c.InitLimit)},
		KV{"syncLimit", itoa(c.SyncLimit)},
		KV{"electionAlg", itoa(c.ElectionAlg)},
		KV{"electionPort", self.ElectionPorts()},
		KV{"quorumPort", self.QuorumPorts()},
		KV{"peerType", itoa(int(c.PeerType))},
		KV{MembershipKey, ""},
	)
	return append(kvs, c.Membership()...)
}

// Membership returns the server.N lines and the version as ZooKeeper
// writes them to /zookeeper/config and the conf output (QuorumMaj.toString):
// servers by id, then version=<hex>.
func (c *Config) Membership() []KV {
	var kvs []KV
	for _, s := range c.Servers {
		kvs = append(kvs, KV{serverKey(s.ID), s.String()})
	}
	return append(kvs, KV{"version", strconv.FormatUint(c.Version, 16)})
}

// versionDir is the directory ZooKeeper's FileTxnSnapLog really uses.
func versionDir(dir string) string {
	if dir == "" {
		return ""
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	return filepath.Join(dir, "version-2")
}

// FormatConf renders Dump's output byte for byte as Apache ZooKeeper's conf
// four-letter word: "key=value\n" lines, then in a quorum "membership: \n"
// followed by the membership lines joined by newlines with no newline after
// the last (ZooKeeper prints QuorumVerifier.toString() as is).
func FormatConf(kvs []KV) string {
	var b strings.Builder
	for i, kv := range kvs {
		if kv.Key == MembershipKey {
			b.WriteString("membership: \n")
			rest := make([]string, 0, len(kvs)-i-1)
			for _, m := range kvs[i+1:] {
				rest = append(rest, m.Key+"="+m.Value)
			}
			b.WriteString(strings.Join(rest, "\n"))
			return b.String()
		}
		b.WriteString(kv.Key)
		b.WriteByte('=')
		b.WriteString(kv.Value)
		b.WriteByte('\n')
	}
	return b.String()
}
