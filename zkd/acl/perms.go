package acl

import (
	"errors"
	"fmt"
	"strings"

	"zkd/zkd/proto"
)

// ValidPerms reports whether perms uses only the five defined bits. ZooKeeper
// stores any int32 it is given (Fixup does too); this is for tools that want
// to refuse typos before sending.
func ValidPerms(perms int32) bool { return perms&^proto.PermAll == 0 }

// PermString writes perms as zkCli's getAcl does (ZKUtil.getPermString, which
// orders the letters c, d, r, w, a), e.g. "cdrwa" for
// proto.PermAll and "r" for proto.PermRead; undefined bits are not shown.
func PermString(perms int32) string {
	b := make([]byte, 0, 5)
	for _, p := range [...]struct {
		letter byte
		perm   int32
	}{
		{'c', proto.PermCreate}, {'d', proto.PermDelete}, {'r', proto.PermRead},
		{'w', proto.PermWrite}, {'a', proto.PermAdmin},
	} {
		if perms&p.perm != 0 {
			b = append(b, p.letter)
		}
	}
	return string(b)
}

// ParseACL reads zkCli's ACL syntax, "scheme:id:perms" entries separated by
// commas (AclParser.parse): the scheme runs to the first colon, the perms
// follow the last, and the id is what lies between, so
// "digest:user:hash:rw" has id "user:hash". Perms are letters of "cdrwa" in
// any order.
//
// Like zkCli, which prints its complaints and carries on, ParseACL skips an
// entry without two colons and ignores an unknown perm letter; it returns
// the entries it kept together with an error naming each problem, so a tool
// may warn and proceed or refuse.
func ParseACL(s string) ([]proto.ACL, error) {
	var errs []error
	acl := []proto.ACL{}
	for _, entry := range javaSplit(s, ",", 0) {
		first, last := strings.IndexByte(entry, ':'), strings.LastIndexByte(entry, ':')
		if first < 0 || first == last {
			errs = append(errs, fmt.Errorf("acl: %q does not have the form scheme:id:perm", entry))
			continue
		}
		var perms int32
		for _, r := range entry[last+1:] {
			switch r {
			case 'r':
				perms |= proto.PermRead
			case 'w':
				perms |= proto.PermWrite
			case 'c':
				perms |= proto.PermCreate
			case 'd':
				perms |= proto.PermDelete
			case 'a':
				perms |= proto.PermAdmin
			default:
				errs = append(errs, fmt.Errorf("acl: %q: unknown perm type %q", entry, r))
			}
		}
		acl = append(acl, proto.ACL{Perms: perms, ID: proto.ID{Scheme: entry[:first], ID: entry[first+1 : last]}})
	}
	return acl, errors.Join(errs...)
}

// FormatACL writes acl in the syntax ParseACL reads, entries joined by
// commas, e.g. "world:anyone:cdrwa,digest:user:hash:r".
func FormatACL(acl []proto.ACL) string {
	var sb strings.Builder
	for i, a := range acl {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(a.ID.Scheme + ":" + a.ID.ID + ":" + PermString(a.Perms))
	}
	return sb.String()
}
