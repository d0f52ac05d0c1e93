// Package zkcli tests the zkcli shell end to end: its one-shot output is
// compared with Debian's zkCli.sh (Apache ZooKeeper 3.8) run against the same
// server, for zkd and for Apache ZooKeeper itself, and its interactive mode
// is driven in a real terminal through tmux (send-keys, capture-pane).
//
//	go test ./test/zkcli
//
// Tests skip when zkCli.sh, java or tmux are missing. The package has no
// non-test code; this file only documents it.
package zkcli
