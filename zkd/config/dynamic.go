package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// loadDynamic reads dynamicConfigFile when zoo.cfg names one. As in Apache
// ZooKeeper, the static file may then hold no server/group/weight lines, the
// dynamic file holds nothing else, and the version comes from the file
// name's hex suffix (zoo.cfg.dynamic.100000000 → 0x100000000), never from a
// version= line inside.
func (c *Config) loadDynamic() error {
	if c.DynamicConfigFile == "" {
		return nil
	}
	var misplaced []string
	for k := range c.origin {
		if isServerKey(k) || strings.HasPrefix(k, "group.") || strings.HasPrefix(k, "weight.") {
			misplaced = append(misplaced, k)
		}
	}
	if len(misplaced) > 0 {
		sort.Slice(misplaced, func(i, j int) bool { return c.origin[misplaced[i]].Line < c.origin[misplaced[j]].Line })
		return c.errAt(misplaced[0], ErrBadValue, "must be in the dynamic config file %s, not in %s", c.DynamicConfigFile, c.File)
	}
	path := c.resolve(c.DynamicConfigFile)
	data, err := c.read(path)
	c.DynamicConfigFile = path
	if err != nil {
		return c.errAt("dynamicConfigFile", ErrBadValue, "%v", err)
	}
	entries, warns, err := readProperties(bytes.NewReader(data), path)
	c.parseWarnings = append(c.parseWarnings, warns...)
	if err != nil {
		return err
	}
	for _, e := range entries {
		k := canonical(e.Key)
		if k == "version" {
			return &Error{File: e.File, Line: e.Line, Key: e.Key, Err: ErrBadValue,
				Msg: "a dynamic config file takes its version from its name, not from a version= line"}
		}
		if !isServerKey(k) && !strings.HasPrefix(k, "group.") && !strings.HasPrefix(k, "weight.") {
			return &Error{File: e.File, Line: e.Line, Key: e.Key, Err: ErrBadValue,
				Msg: "only server.N, group.N and weight.N lines belong in a dynamic config file"}
		}
	}
	if v, ok := versionFromFilename(path); ok {
		c.Version = v
	}
	return c.apply(entries, true)
}

// versionFromFilename returns the hex number after the last '.' of a
// dynamic config file name, as QuorumPeerConfig.getVersionFromFilename does.
func versionFromFilename(path string) (uint64, bool) {
	i := strings.LastIndexByte(path, '.')
	if i < 0 {
		return 0, false
	}
	v, err := strconv.ParseUint(path[i+1:], 16, 64)
	return v, err == nil
}

func parseHexVersion(v string) (uint64, error) {
	n, err := strconv.ParseUint(strings.TrimPrefix(strings.TrimSpace(v), "0x"), 16, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a hex version number", v)
	}
	return n, nil
}

// resolve makes a path from the config absolute against BaseDir; paths that
// are already absolute are left alone.
func (c *Config) resolve(p string) string {
	if p == "" || filepath.IsAbs(p) || c.BaseDir == "" {
		return p
	}
	return filepath.Join(c.BaseDir, p)
}

func (c *Config) read(path string) ([]byte, error) {
	if c.readFile != nil {
		return c.readFile(path)
	}
	return os.ReadFile(path)
}
