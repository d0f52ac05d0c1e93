// Package acl implements ZooKeeper's access control as pure functions: the
// digest and ip authentication schemes, the permission check, the fix-up
// applied to ACLs on create and setACL, zkCli's ACL syntax, and an interning
// cache that lets every znode store its ACL as one small integer.
//
// Nothing here does I/O, starts goroutines, reads clocks or keeps global
// state: the replicated state machine calls it from apply, which must decide
// the same way on every replica.
//
// The behaviour is Apache ZooKeeper 3.8's, read from its sources:
//
//  1. A connection starts with one identity, ip:<remote address>
//     (ConnectionIDs; NIOServerCnxn adds it in its constructor).
//  2. addauth runs Authenticate. "digest" adds digest:<user>:<base64 SHA1 of
//     "user:password">, and super:"" first when that id equals the configured
//     superDigest (DigestAuthenticationProvider.handleAuthentication). "ip"
//     succeeds and adds the connection's own ip id again. Any other scheme
//     fails with proto.ErrAuthFailed. AddIDs keeps the resulting identity set
//     in the order ZooKeeper lists it (ServerCnxn.getAuthInfo).
//  3. create and setACL run Fixup on the requested list
//     (PrepRequestProcessor.fixupACL): duplicates go, "auth" entries expand to
//     the session's authenticated ids, anything else must name a known scheme
//     with a valid id, or the request fails with proto.ErrInvalidACL.
//     Permission bits are not validated, as in ZooKeeper.
//  4. Every other access runs Check (ZooKeeperServer.checkACL): skipACL, an
//     empty ACL or a super identity allow everything; otherwise one entry
//     must share a bit with the requested perm and be world:anyone, or match
//     one of the session's ids of the same scheme through that scheme's rule.
//     Which operations are checked at all (exists and getACL are not) is the
//     caller's business.
//
// Known schemes are those ZooKeeper registers by default: "digest" (equality
// match, authenticated) and "ip" (address or CIDR match, not authenticated).
// Entries of any other scheme never match and are refused by Fixup; "world"
// is special-cased for the single id "anyone" only.
//
// Deliberate differences from 3.8, all in corner cases:
//   - ip ACLs also accept IPv6 addresses and prefixes, parsed as ZooKeeper's
//     master branch does (ZOOKEEPER-4240); 3.8 refuses them as invalid.
//   - addauth data is decoded as UTF-8 (JDK 17's rules for malformed input),
//     which is what ZooKeeper does under a UTF-8 locale or on JDK 18+; under
//     a POSIX locale on older JDKs ZooKeeper would use ASCII.
//   - Only SHA1 digests (the default of zookeeper.DigestAuthenticationProvider.digestAlg),
//     and the digest provider cannot be disabled.
//
// Errors that a client will see are returned as bare proto.ErrCode values
// (proto.ErrInvalidACL, proto.ErrAuthFailed), so both err.(proto.ErrCode) and
// errors.Is work.
package acl
