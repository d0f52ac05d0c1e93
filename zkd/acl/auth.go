package acl

import "zkd/zkd/proto"

// Authenticate handles an addauth packet (opcode 100, xid -4) as ZooKeeper's
// providers do, returning the identities to add to the connection:
//
//   - "digest": auth is "user:password"; the id is Digest of it, preceded by
//     super:"" when that id equals superDigest ("" means no superuser).
//   - "ip": always succeeds and returns the connection's own ip id; auth is
//     ignored.
//   - anything else: proto.ErrAuthFailed (ZooKeeper answers AUTHFAILED and
//     closes the connection).
//
// The caller adds the ids with AddIDs, which ignores ones already present.
func Authenticate(scheme string, auth []byte, remoteIP string, superDigest string) ([]proto.ID, error) {
	switch scheme {
	case SchemeDigest:
		id := digestOf(decodeJavaUTF8(auth))
		if superDigest != "" && id == superDigest {
			return []proto.ID{{Scheme: SchemeSuper, ID: ""}, {Scheme: SchemeDigest, ID: id}}, nil
		}
		return []proto.ID{{Scheme: SchemeDigest, ID: id}}, nil
	case SchemeIP:
		return ConnectionIDs(remoteIP), nil
	}
	return nil, proto.ErrAuthFailed
}
