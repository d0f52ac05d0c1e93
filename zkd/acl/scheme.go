package acl

import "zkd/zkd/proto"

// Scheme and id names with a fixed meaning in ZooKeeper.
const (
	SchemeWorld  = "world"  // world:anyone is everybody
	SchemeAuth   = "auth"   // placeholder expanded by Fixup to the caller's ids
	SchemeDigest = "digest" // digest:user:base64(sha1(user:password))
	SchemeIP     = "ip"     // ip:address or ip:address/bits
	SchemeSuper  = "super"  // identity that bypasses every check; never valid in an ACL

	// Anyone is the only id the world scheme knows.
	Anyone = "anyone"
)

// provider is what ZooKeeper's AuthenticationProvider contributes to ACL
// decisions. Only the providers ZooKeeper registers by default exist.
type provider struct {
	// authenticated says whether ids of this scheme prove who the caller is;
	// only those are substituted for "auth" (isAuthenticated).
	authenticated bool
	valid         func(id string) bool
	matches       func(id, expr string) bool
	user          func(id string) string
}

// providerFor returns the provider of scheme, as ProviderRegistry would.
func providerFor(scheme string) (provider, bool) {
	switch scheme {
	case SchemeDigest:
		return provider{authenticated: true, valid: digestValid, matches: digestMatches, user: digestUser}, true
	case SchemeIP:
		return provider{authenticated: false, valid: ipValid, matches: ipMatches, user: ipUser}, true
	}
	return provider{}, false
}

// UserName is the user part of id as whoAmI reports it (AuthUtil.getUser):
// the user of a digest id, the address of an ip id, and "" for schemes
// without a provider, super included.
func UserName(id proto.ID) string {
	p, ok := providerFor(id.Scheme)
	if !ok {
		return ""
	}
	return p.user(id.ID)
}
