package acl

import "zkd/zkd/proto"

// Fixup validates and expands the ACL of a create or setACL request made by
// a session holding ids, as PrepRequestProcessor.fixupACL does:
//
//  1. Exact duplicates are dropped, first occurrence kept; an empty result
//     is proto.ErrInvalidACL.
//  2. world:anyone is kept.
//  3. An "auth" entry (its id is ignored) becomes one entry with its perms
//     for each of ids whose scheme is an authenticated one (digest, not ip,
//     not super); none is proto.ErrInvalidACL.
//  4. Any other entry must name a known scheme with a valid id (digest
//     "user:hash", ip "address[/bits]"); otherwise proto.ErrInvalidACL.
//
// Perms are not checked, and entries produced by step 3 can duplicate others,
// both as in ZooKeeper. The result never aliases acl.
func Fixup(acl []proto.ACL, ids []proto.ID) ([]proto.ACL, error) {
	uniq := removeDuplicates(acl)
	if len(uniq) == 0 {
		return nil, proto.ErrInvalidACL
	}
	out := make([]proto.ACL, 0, len(uniq))
	for _, a := range uniq {
		switch {
		case a.ID.Scheme == SchemeWorld && a.ID.ID == Anyone:
			out = append(out, a)
		case a.ID.Scheme == SchemeAuth:
			found := false
			for _, id := range ids {
				if p, ok := providerFor(id.Scheme); ok && p.authenticated {
					found = true
					out = append(out, proto.ACL{Perms: a.Perms, ID: id})
				}
			}
			if !found {
				return nil, proto.ErrInvalidACL
			}
		default:
			p, ok := providerFor(a.ID.Scheme)
			if !ok || !p.valid(a.ID.ID) {
				return nil, proto.ErrInvalidACL
			}
			out = append(out, a)
		}
	}
	return out, nil
}

// removeDuplicates keeps the first occurrence of each distinct entry, in order.
// A map takes over for long lists so that a request cannot make apply
// quadratic (ZooKeeper's own loop is).
func removeDuplicates(acl []proto.ACL) []proto.ACL {
	const linear = 16
	out := make([]proto.ACL, 0, len(acl))
	if len(acl) <= linear {
	next:
		for _, a := range acl {
			for _, b := range out {
				if a == b {
					continue next
				}
			}
			out = append(out, a)
		}
		return out
	}
	seen := make(map[proto.ACL]struct{}, len(acl))
	for _, a := range acl {
		if _, dup := seen[a]; !dup {
			seen[a] = struct{}{}
			out = append(out, a)
		}
	}
	return out
}
