package hoststats

import (
	"fmt"
	"net"
	"strconv"

	"zkd/zkd/config"
)

// ZooCfg is what the exporter needs from a server's zoo.cfg.
type ZooCfg struct {
	Path string
	// Dirs are dataDir and dataLogDir (the latter is dataDir when unset,
	// as in ZooKeeper).
	Dirs []Dir
	// ClientAddr is where the server takes clients: clientPortAddress (or
	// localhost when it listens on all addresses) and clientPort; "" when
	// it has no plain client port.
	ClientAddr string
	// MntrAllowed tells whether 4lw.commands.whitelist lets mntr run.
	MntrAllowed bool
}

// LoadZooCfg reads zoo.cfg with zkd's own reader, so it takes every file
// Apache ZooKeeper and zkd take (relative paths, dynamic config, myid).
func LoadZooCfg(path string) (ZooCfg, error) {
	cfg, _, err := config.Load(path)
	if err != nil {
		return ZooCfg{}, fmt.Errorf("hoststats: %w", err)
	}
	z := ZooCfg{
		Path: path,
		Dirs: []Dir{
			{Role: "dataDir", Path: cfg.DataDir},
			{Role: "dataLogDir", Path: cfg.DataLogDir},
		},
		MntrAllowed: cfg.FourLetterAllowed("mntr"),
	}
	if cfg.ClientPort > 0 {
		host := cfg.ClientPortAddress
		if host == "" || net.ParseIP(host) != nil && net.ParseIP(host).IsUnspecified() {
			host = "localhost"
		}
		z.ClientAddr = net.JoinHostPort(host, strconv.Itoa(cfg.ClientPort))
	}
	return z, nil
}
