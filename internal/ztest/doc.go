// Package ztest starts ZooKeeper-protocol servers for a test: either zkd
// (built from ./cmd/zkd once per test binary) or the reference, Apache
// ZooKeeper 3.8 from Debian's zookeeper package, run from its jars; one
// server (Start) or a replicated ensemble (StartEnsemble).
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
//
// # Ensembles
//
// StartEnsemble starts participants and observers at once, each with its
// own myid, data dir and zoo.cfg carrying every server.N line, and returns
// when each answers srvr with a Mode (leader, follower, observer): a member
// serves only once a quorum formed. On loopback each member has free ports
// on 127.0.0.1; with EnsembleOptions.NetNS each runs in its own network
// namespace (10.213.S.N, ports 2181/2888/3888) behind a bridge the test
// process reaches, and Isolate, Partition and Heal drop packets silently
// between them (netns.go). Members are Servers, so Kill (SIGKILL), Stop
// (SIGTERM), Restart, Pause (SIGSTOP) and Resume work one by one; StopAll
// and RestartAll act on all. WaitLeader and Mode read srvr:
//
//	e := ztest.StartEnsemble(t, ztest.EnsembleOptions{Kind: ztest.KindApache, Members: 3})
//	leader, err := e.WaitLeader(time.Minute)
//	leader.Kill()
//	newLeader, err := e.WaitLeaderAmong(e.Others(leader), time.Minute)
//	c, _, err := zk.Connect(ztest.Addrs(e.Others(leader)), 10*time.Second)
package ztest
