// Package compat is the go-zookeeper compatibility suite: it drives a server
// with github.com/go-zookeeper/zk (and, where that client cannot say what is
// needed, with a few raw packets) and asserts exactly what Apache ZooKeeper
// 3.8 does. Every assertion passes against Apache first:
//
//	ZK_TARGET=apache go test ./test/compat   # the reference
//	go test ./test/compat                    # zkd
//
// One file per area: create, read/write, stat, multi, watches, sessions,
// ACLs, four-letter words, limits. Each test function starts its own server
// (internal/ztest) and stays independent of the others. The package has no
// non-test code; this file only documents it.
package compat
