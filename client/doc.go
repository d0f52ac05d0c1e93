// Package client is a small ZooKeeper client built on the jute records of
// zkd/zkd/proto. It exists so that zkcli (and tests) can speak the protocol
// without a Java runtime and without depending on a third-party client whose
// error strings and event order would leak into zkcli's output.
//
// A Client owns one session. It connects to one server of a list, keeps the
// session alive with pings every third of the negotiated timeout, and on a
// broken connection moves to the next server presenting the same session id
// and password, re-sending the auth identities and watches it holds. One
// reader goroutine dispatches replies by xid to the waiting call and watch
// notifications, in arrival order, to the Watcher given at Connect.
//
// Calls are synchronous (Get, Create, ...) or asynchronous (Go returns a
// channel); either way the server's error comes back as a proto.ErrCode.
package client
