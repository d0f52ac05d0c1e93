package ztest

import "fmt"

// Available returns nil if servers of kind can run here: java and the Debian
// jars for "apache", the go toolchain and cmd/zkd for "zkd".
func Available(kind string) error {
	switch kind {
	case KindApache:
		return apacheAvailable()
	case KindZkd:
		return zkdAvailable()
	default:
		return fmt.Errorf("ztest: unknown kind %q (want %q or %q)", kind, KindZkd, KindApache)
	}
}
