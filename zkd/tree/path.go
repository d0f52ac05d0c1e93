package tree

import (
	"strings"
	"unicode/utf8"

	"zkd/zkd/proto"
)

// ValidatePath applies ZooKeeper's PathUtils.validatePath rules. A
// sequential create may end in '/', since a counter is appended.
func ValidatePath(path string, sequential bool) error {
	if sequential {
		path += "1"
	}
	if len(path) == 0 || path[0] != '/' {
		return proto.ErrBadArguments
	}
	if len(path) == 1 {
		return nil
	}
	if path[len(path)-1] == '/' {
		return proto.ErrBadArguments
	}
	if !utf8.ValidString(path) {
		return proto.ErrBadArguments
	}
	for seg := range strings.SplitSeq(path[1:], "/") {
		if seg == "" || seg == "." || seg == ".." {
			return proto.ErrBadArguments
		}
	}
	for _, r := range path {
		if r == 0 || (r > 0 && r < 0x20) || (r >= 0x7f && r <= 0x9f) ||
			(r >= 0xd800 && r <= 0xf8ff) || r >= 0xfff0 {
			// Runes past 0xFFFF are surrogate pairs in Java, which fall in
			// the rejected 0xD800-0xF8FF range.
			return proto.ErrBadArguments
		}
	}
	return nil
}

// ParentPath returns the parent of a valid, non-root path.
func ParentPath(path string) string {
	i := strings.LastIndexByte(path, '/')
	if i <= 0 {
		return "/"
	}
	return path[:i]
}

// childName returns the last segment of a valid, non-root path.
func childName(path string) string {
	return path[strings.LastIndexByte(path, '/')+1:]
}

// joinPath joins a parent and a child name.
func joinPath(parent, child string) string {
	if parent == "/" {
		return "/" + child
	}
	return parent + "/" + child
}

// IsAncestor reports whether anc is path or one of its ancestors.
func IsAncestor(anc, path string) bool {
	if anc == "/" || anc == path {
		return true
	}
	return strings.HasPrefix(path, anc) && len(path) > len(anc) && path[len(anc)] == '/'
}
