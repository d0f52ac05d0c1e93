package config

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ApplySystemProperties applies Java system properties (the -D flags
// LoadJavaEnv found) to a loaded Config, then validates it again.
//
// Apache ZooKeeper sets the -D flags first and then copies each zoo.cfg key
// it does not parse itself into System.setProperty("zookeeper.<key>"), so
// for the same setting zoo.cfg wins; zkd does the same (with a warning, so
// the operator knows the flag is dead). Properties for keys ZooKeeper reads
// only from zoo.cfg (tickTime, dataDir, server.N, ...) are ignored with a
// warning, as ZooKeeper ignores them. Properties that are no ZooKeeper
// setting at all (java.*, log4j, zookeeper.log.dir...) are ignored silently.
//
// The returned warnings are also kept in Warnings().
func (c *Config) ApplySystemProperties(props map[string]string) ([]Warning, error) {
	if c.origin == nil {
		c.origin = map[string]origin{}
	}
	if c.Extra == nil {
		c.Extra = map[string]string{}
	}
	names := make([]string, 0, len(props))
	for n := range props {
		names = append(names, n)
	}
	sort.Strings(names)
	var (
		warns []Warning
		errs  []error
	)
	for _, n := range names {
		k, v := canonical(n), strings.TrimSpace(props[n])
		flag := "-D" + n
		if !isKnown(k) && !isCfgOnly(k) {
			continue
		}
		if isCfgOnly(k) {
			warns = append(warns, Warning{Key: flag,
				Message: fmt.Sprintf("ignored: Apache ZooKeeper reads %s only from zoo.cfg", k)})
			continue
		}
		if o, ok := c.origin[k]; ok && o.FromFile {
			warns = append(warns, Warning{Key: flag,
				Message: fmt.Sprintf("ignored: %s:%d sets %s, and zoo.cfg wins", o.File, o.Line, o.Key)})
			continue
		}
		c.origin[k] = origin{Key: flag}
		if set := settings[k]; set != nil {
			if err := set(c, v); err != nil {
				errs = append(errs, &Error{Key: flag, Msg: err.Error(), Err: ErrBadValue})
			}
			continue
		}
		c.Extra[k] = v
	}
	c.propWarnings = append(c.propWarnings, warns...)
	if len(errs) > 0 {
		return warns, errors.Join(errs...)
	}
	return warns, c.Validate()
}
