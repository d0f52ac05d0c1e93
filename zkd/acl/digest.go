package acl

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Digest turns "user:password" into the id a digest ACL names,
// "user:" + base64(SHA1("user:password")), as
// DigestAuthenticationProvider.generateDigest does. The user is everything
// before the first colon, so the password may contain colons; without a
// colon the whole string is the user. This is also how an operator computes
// the superDigest setting from "super:password".
//
// The only error is input that is not UTF-8: a Java string cannot hold it,
// so ZooKeeper has no digest to agree with.
func Digest(userPassword string) (string, error) {
	if !utf8.ValidString(userPassword) {
		return "", fmt.Errorf("acl: digest of %q: not valid UTF-8", userPassword)
	}
	return digestOf(userPassword), nil
}

// digestOf is generateDigest for a string known to be UTF-8.
func digestOf(userPassword string) string {
	user, _, _ := strings.Cut(userPassword, ":")
	sum := sha1.Sum([]byte(userPassword))
	return user + ":" + base64.StdEncoding.EncodeToString(sum[:])
}

// digestValid is DigestAuthenticationProvider.isValid: exactly two parts
// around colons once trailing empty parts are dropped, so "u:h" and "u:h:"
// are valid but "u:" and "u:h:x" are not.
func digestValid(id string) bool { return len(javaSplit(id, ":", 0)) == 2 }

// digestMatches is DigestAuthenticationProvider.matches: the session's id
// must equal the ACL's.
func digestMatches(id, expr string) bool { return id == expr }

// digestUser is DigestAuthenticationProvider.getUserName: the part before
// the first colon. (An id of colons only makes ZooKeeper throw; it gets "".)
func digestUser(id string) string {
	parts := javaSplit(id, ":", 0)
	if len(parts) == 0 {
		return ""
	}
	return parts[0]
}
