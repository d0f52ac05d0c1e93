package tree

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// byCompareKeys orders keys with their names in recs, by compareKeys.
func byCompareKeys(recs []capturedRec) func(a, b capturedKey) int {
	return func(a, b capturedKey) int {
		return compareKeys(recs[a.i].node.name(), a.sub, recs[b.i].node.name(), b.sub)
	}
}

// recsNamed is a record per name, its node called that.
func recsNamed(names []string) []capturedRec {
	recs := make([]capturedRec, len(names))
	for i, n := range names {
		recs[i].node = newNode(n, nil)
	}
	return recs
}

// keySet builds a directory's keys from names: a key per name, and a
// subtree key for every third; and the records they name.
func keySet(names []string) ([]capturedKey, []capturedRec) {
	var keys []capturedKey
	for i := range names {
		keys = append(keys, capturedKey{i: int32(i)})
		if i%3 == 0 {
			keys = append(keys, capturedKey{i: int32(i), sub: true})
		}
	}
	return keys, recsNamed(names)
}

func TestSortKeys(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	seq := func(prefix string, n int) []string {
		var out []string
		for i := range n {
			out = append(out, fmt.Sprintf("%s%010d", prefix, i))
		}
		return out
	}
	random := func(n, maxLen int, alphabet string) []string {
		seen := map[string]bool{}
		var out []string
		for len(out) < n {
			b := make([]byte, 1+rng.IntN(maxLen))
			for i := range b {
				b[i] = alphabet[rng.IntN(len(alphabet))]
			}
			if !seen[string(b)] {
				seen[string(b)] = true
				out = append(out, string(b))
			}
		}
		return out
	}
	tests := []struct {
		name  string
		names []string
	}{
		{"empty", nil},
		{"one", []string{"a"}},
		{"below the cutoff", []string{"b", "a", "a-b", "c", "a.b"}},
		{"sequential nodes", seq("queue-", 5000)},
		{"prefixes of each other", []string{"a", "aa", "aaa", "aaaa", "a-", "a.", "a0", "ab", "a!", "b", "", "\xff", "\x00"}},
		{"names around '/' and '.'", random(3000, 8, "-.0a")},
		{"any bytes but '/'", random(3000, 12, "\x00\x01.-0129AZaz\x7f\x80\xfe\xff")},
		{"long shared prefix", seq(strings.Repeat("p", 300), 1000)},
		// Two letters, one of them the byte 0, up to 40 long: groups tied
		// on 8, 16, 24 bytes, with keys ending inside every window.
		{"ties across windows", random(3000, 40, "\x00a")},
		{"lengths around the windows", append(seq("0123456", 300), append(seq("012345670123456", 300), seq("01234567012345670", 300)...)...)},
		{"mixed lengths", append(seq("x", 500), random(500, 30, "xyz0123456789")...)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			keys, recs := keySet(tc.names)
			rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
			want := slices.Clone(keys)
			slices.SortFunc(want, byCompareKeys(recs))
			var s keySorter
			s.sort(keys, recs)
			if !slices.Equal(keys, want) {
				for i := range keys {
					if keys[i] != want[i] {
						t.Fatalf("first difference at %d of %d: got %+v, want %+v", i, len(keys), keys[i], want[i])
					}
				}
			}
		})
	}
}

// FuzzSortKeys: keySorter agrees with a comparison sort on any names.
func FuzzSortKeys(f *testing.F) {
	f.Add([]byte("a\x00aa\x00a-\x00a.\x00b"), uint8(3))
	f.Add([]byte("queue-0001\x00queue-0002\x00queue-0010\x00queue-0100"), uint8(2))
	f.Fuzz(func(t *testing.T, raw []byte, every uint8) {
		// Distinct names, each also with four suffixes: enough keys for
		// the radix path, and many that are prefixes of others.
		seen := map[string]bool{}
		var names []string
		for _, n := range strings.Split(strings.ReplaceAll(string(raw), "/", ""), "\x00") {
			for _, suffix := range []string{"", "0", "1", "2", "3"} {
				if !seen[n+suffix] {
					seen[n+suffix] = true
					names = append(names, n+suffix)
				}
			}
		}
		var keys []capturedKey
		for i := range names {
			keys = append(keys, capturedKey{i: int32(i)})
			if every > 0 && i%int(every) == 0 {
				keys = append(keys, capturedKey{i: int32(i), sub: true})
			}
		}
		recs := recsNamed(names)
		want := slices.Clone(keys)
		order := byCompareKeys(recs)
		slices.SortFunc(want, order)
		var s keySorter
		s.sort(keys, recs)
		for i := range keys {
			if order(keys[i], want[i]) != 0 {
				t.Fatalf("at %d: got %+v, want %+v", i, keys[i], want[i])
			}
		}
	})
}

// BenchmarkSortKeys: one large directory of sequential nodes and of the
// bench's create names, each name in its node as a snapshot finds it: the
// radix sort against a comparison sort.
func BenchmarkSortKeys(b *testing.B) {
	var names []string
	for i := range 500_000 {
		names = append(names, fmt.Sprintf("c-%010d", i))
	}
	for s := range 32 { // and the create cell's <run>-<session>-<n>
		for n := range 15_000 {
			names = append(names, fmt.Sprintf("1a2b3c4d-%d-%d", s, n))
		}
	}
	keys, recs := keySet(names)
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	work := make([]capturedKey, len(keys))
	b.Run("radix", func(b *testing.B) {
		var s keySorter
		for b.Loop() {
			copy(work, keys)
			s.sort(work, recs)
		}
	})
	b.Run("compare", func(b *testing.B) {
		for b.Loop() {
			copy(work, keys)
			slices.SortFunc(work, byCompareKeys(recs))
		}
	})
}
