// Package ztest starts a single ZooKeeper-protocol server for a test: either
// zkd (built from ./cmd/zkd once per test binary) or the reference, Apache
// ZooKeeper 3.8 from Debian's zookeeper package, run from its jars.
//
// Each server listens on a free loopback port, keeps its zoo.cfg, data and log
// in a t.TempDir(), is ready when it answers ruok (or srvr when ruok is not
// whitelisted), and is stopped by t.Cleanup. When the test failed, the last
// lines of the server's log are printed. Only the PID this package started is
// ever signalled.
//
// Start picks the kind from the environment variable ZK_TARGET ("zkd", the
// default, or "apache"), so one suite runs against both:
//
//	ZK_TARGET=apache go test ./test/compat   # the reference
//	go test ./test/compat                    # zkd
//
// A kind that cannot run on this machine (no java or jars, no go toolchain or
// no cmd/zkd yet) makes the test skip, with the reason from Available.
package ztest
