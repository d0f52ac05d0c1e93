package config

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
)

// myIDPath is dataDir/myid, where every ZooKeeper server keeps its id.
func (c *Config) myIDPath() string { return filepath.Join(c.DataDir, "myid") }

// readMyID sets MyID from dataDir/myid. A missing file is an error only when
// required (in a quorum); a file that is there must hold a number in
// 1..255 on its first line (surrounding blanks are forgiven; Apache
// ZooKeeper is stricter).
func (c *Config) readMyID(required bool) error {
	path := c.myIDPath()
	data, err := c.read(path)
	if errors.Is(err, fs.ErrNotExist) {
		if !required {
			return nil
		}
		return c.errAt("myid", ErrMyID,
			"%s does not exist; write this server's id into it (one of %s), e.g. echo 1 > %s",
			path, c.serverIDs(), path)
	}
	if err != nil {
		return c.errAt("myid", ErrMyID, "%v", err)
	}
	first, _, _ := strings.Cut(string(data), "\n")
	first = strings.TrimSpace(first)
	id, err := strconv.Atoi(first)
	if err != nil {
		return c.errAt("myid", ErrMyID, "%s holds %q, not a number (want this server's id, one of %s)",
			path, first, c.serverIDs())
	}
	if id < 1 || id > 255 {
		return c.errAt("myid", ErrMyID, "%s holds %d; a server id must be between 1 and 255", path, id)
	}
	c.MyID = id
	return nil
}
