package acl

import "zkd/zkd/proto"

// Check reports whether a session holding ids may do perm on a znode whose
// ACL is acl (ZooKeeperServer.checkACL). It allows when skipACL is set
// (zookeeper.skipACL=yes), when acl is empty, when ids include a super
// identity, or when some entry shares at least one bit with perm and either
// is world:anyone or matches one of ids of the same scheme: digest ids by
// equality, ip ids by address or prefix. Entries of other schemes ("auth"
// left in an imported tree, "world" with another id, unknown schemes) never
// match.
//
// perm is usually a single proto.Perm* bit; a mask is allowed when any one
// of its bits suffices, which is how ZooKeeper treats proto.PermAll.
func Check(acl []proto.ACL, perm int32, ids []proto.ID, skipACL bool) bool {
	if skipACL || len(acl) == 0 {
		return true
	}
	for _, id := range ids {
		if id.Scheme == SchemeSuper {
			return true
		}
	}
	for _, a := range acl {
		if a.Perms&perm == 0 {
			continue
		}
		if a.ID.Scheme == SchemeWorld && a.ID.ID == Anyone {
			return true
		}
		p, ok := providerFor(a.ID.Scheme)
		if !ok {
			continue
		}
		for _, id := range ids {
			if id.Scheme == a.ID.Scheme && p.matches(id.ID, a.ID.ID) {
				return true
			}
		}
	}
	return false
}
