package tree_test

import (
	"testing"

	"zkd/zkd/proto"
	"zkd/zkd/tree"
)

// TestValidatePath walks every rule of PathUtils.validatePath. Java checks
// the path as UTF-16 chars, so a character outside the BMP (an emoji) is a
// surrogate pair, inside the forbidden \ud800-\uf8ff range; bytes that are
// not UTF-8 become U+FFFD when the server decodes the string, inside the
// forbidden \ufff0-\uffff range.
func TestValidatePath(t *testing.T) {
	tests := []struct {
		path string
		seq  bool
		ok   bool
	}{
		{"/", false, true},
		{"/a", false, true},
		{"/a/b/c", false, true},
		{"/zookeeper", false, true},
		{"/a b", false, true},
		{"/.a", false, true},
		{"/a.", false, true},
		{"/..a", false, true},
		{"/a..", false, true},
		{"/a..b", false, true},
		{"/...", false, true},
		{"/a/.../b", false, true},
		{"/é", false, true},
		{"/a\u00a0", false, true},
		{"/a\u00ff", false, true},
		{"/a\ud7ff", false, true},
		{"/a\uf900", false, true},
		{"/a\uffef", false, true},

		{"", false, false},
		{"a", false, false},
		{"a/b", false, false},
		{" /a", false, false},
		{"/a/", false, false},
		{"//", false, false},
		{"//a", false, false},
		{"/a//b", false, false},
		{"/.", false, false},
		{"/..", false, false},
		{"/a/.", false, false},
		{"/a/..", false, false},
		{"/./a", false, false},
		{"/../a", false, false},
		{"/a/./b", false, false},
		{"/a/../b", false, false},
		{"/a\x00", false, false},
		{"/a\x00b", false, false},
		{"/a\x01", false, false},
		{"/a\tb", false, false},
		{"/a\nb", false, false},
		{"/a\x1f", false, false},
		{"/a\x7f", false, false},
		{"/a\u0080", false, false},
		{"/a\u009f", false, false},
		{"/a\ue000", false, false}, // private use, inside \ud800-\uf8ff
		{"/a\uf8ff", false, false},
		{"/a\ufff0", false, false},
		{"/a\ufffd", false, false},
		{"/a\uffff", false, false},
		{"/a\U0001F600", false, false}, // surrogate pair in Java
		{"/a\U00010000", false, false},
		{"/a\xff", false, false},         // not UTF-8: U+FFFD once decoded
		{"/a\xed\xa0\x80", false, false}, // an encoded lone surrogate

		// A sequential create's path gets a counter appended, so it may end
		// in '/'; everything else still applies.
		{"/", true, true},
		{"/a/", true, true},
		{"/a/b-", true, true},
		{"", true, false},
		{"a", true, false},
		{"/a//", true, false},
		{"/a/./", true, false},
		{"/a\x01/", true, false},
	}
	for _, tc := range tests {
		err := tree.ValidatePath(tc.path, tc.seq)
		if (err == nil) != tc.ok {
			t.Errorf("ValidatePath(%q, %v) = %v, want ok=%v", tc.path, tc.seq, err, tc.ok)
		}
		if err != nil && err != proto.ErrBadArguments {
			t.Errorf("ValidatePath(%q, %v) = %v, want ErrBadArguments", tc.path, tc.seq, err)
		}
	}
}

// TestCreateRejectsInvalidPaths applies ValidatePath's rejects through
// create under an existing parent, where ZooKeeper reaches validatePath.
func TestCreateRejectsInvalidPaths(t *testing.T) {
	for _, p := range []string{
		"/p/", "/p/.", "/p/..", "/p/a\x01", "/p/a\x7f", "/p/a\u0085", "/p/a\ue000",
		"/p/a\ufffe", "/p/a\U0001F600", "/p/a\xff", "/.", "/..", "/a\x1f",
	} {
		f := newFixture(t, tree.Options{})
		f.must(create("/p", "", proto.ModePersistent))
		before := dump(f.tr)
		if r := f.do(create(p, "", proto.ModePersistent)); r.Err != proto.ErrBadArguments {
			t.Errorf("create %q: %v, want BadArguments", p, r.Err)
		}
		if got := dump(f.tr); got != before {
			t.Errorf("create %q changed the tree", p)
		}
	}
}

func TestParentPathAndAncestors(t *testing.T) {
	for path, want := range map[string]string{
		"/a": "/", "/a/b": "/a", "/a/b/c": "/a/b", "/0000000001": "/",
	} {
		if got := tree.ParentPath(path); got != want {
			t.Errorf("ParentPath(%q) = %q, want %q", path, got, want)
		}
	}
	tests := []struct {
		anc, path string
		want      bool
	}{
		{"/", "/", true},
		{"/", "/a/b", true},
		{"/a", "/a", true},
		{"/a", "/a/b", true},
		{"/a", "/a/b/c", true},
		{"/a", "/ab", false},
		{"/a", "/ab/c", false},
		{"/a/b", "/a", false},
		{"/a/b", "/a/c", false},
	}
	for _, tc := range tests {
		if got := tree.IsAncestor(tc.anc, tc.path); got != tc.want {
			t.Errorf("IsAncestor(%q, %q) = %v, want %v", tc.anc, tc.path, got, tc.want)
		}
	}
}
