package diff

import (
	"regexp"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	zk := Normalizer{
		Drop:  []*regexp.Regexp{regexp.MustCompile(`^SLF4J:`)},
		Aside: []Aside{{"events", regexp.MustCompile(`WatchedEvent `)}},
		Values: []Value{
			{Zxid, "zxid", regexp.MustCompile(`[cm]zxid=(0x[0-9a-f]+|[0-9a-f]+)`)},
			{Mask, "time", regexp.MustCompile(`time=(\d+)`)},
			{Session, "session", regexp.MustCompile(`owner=(0x[0-9a-f]+|[0-9a-f]+)`)},
		},
		SortRuns: regexp.MustCompile(`^\t`),
		SortList: regexp.MustCompile(`^\[(.*)\]$`),
	}
	tests := []struct {
		name string
		n    Normalizer
		raw  string
		want string
	}{
		{"zero value drops blanks and trailing space", Normalizer{}, "a  \n\n\r\nb\r\n", "a\nb\n"},
		{"drop", zk, "SLF4J: noise\nkept\n", "kept\n-- events\n"},
		{
			"zxids keep their equalities",
			zk, "czxid=0x1f mzxid=0x1f\nczxid=0x1f mzxid=0x20\n",
			"czxid=Z1 mzxid=Z1\nczxid=Z1 mzxid=Z2\n-- events\n",
		},
		{"hex with or without 0x is one value", zk, "owner=0xab\nowner=ab\nowner=0\n", "owner=S1\nowner=S1\nowner=0\n-- events\n"},
		{"times masked", zk, "ctime=123 mtime=456\n", "ctime=<time> mtime=<time>\n-- events\n"},
		{
			"aside lines leave the main section",
			zk, "one\nWatchedEvent a\ntwo\nWatchedEvent b\n",
			"one\ntwo\n-- events\nWatchedEvent a\nWatchedEvent b\n",
		},
		{
			"an aside cutting a line keeps the prefix",
			zk, "valueWatchedEvent x\n\nStat:\n",
			"value\nStat:\n-- events\nWatchedEvent x\n",
		},
		{
			"labels follow the final order, asides last",
			zk, "WatchedEvent owner=0x2\nowner=0x1\n",
			"owner=S1\n-- events\nWatchedEvent owner=S2\n",
		},
		{"runs sorted", zk, "ls\n\tb\n\ta\nx\n\td\n\tc\n", "ls\n\ta\n\tb\nx\n\tc\n\td\n-- events\n"},
		{"lists sorted", zk, "[b, c, a]\n[]\n", "[a, b, c]\n[]\n-- events\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.n.Normalize(tc.raw); got != tc.want {
				t.Errorf("Normalize(%q)\n got %q\nwant %q", tc.raw, got, tc.want)
			}
		})
	}
}

func TestLineDiff(t *testing.T) {
	tests := []struct {
		name, a, b string
		want       []string // lines the diff must contain
	}{
		{"equal", "x\ny\n", "x\ny\n", nil},
		{"changed line", "a\nb\nc\n", "a\nB\nc\n", []string{"- b", "+ B", "  a", "  c"}},
		{"added at end", "a\n", "a\nb\n", []string{"+ b"}},
		{"removed at start", "a\nb\n", "b\n", []string{"- a"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := LineDiff("A", tc.a, "B", tc.b)
			if tc.want == nil {
				if d != "" {
					t.Fatalf("equal inputs gave a diff:\n%s", d)
				}
				return
			}
			lines := strings.Split(d, "\n")
			for _, w := range tc.want {
				if !contains(lines, w) {
					t.Errorf("diff lacks %q:\n%s", w, d)
				}
			}
		})
	}
}

func TestLineDiffContext(t *testing.T) {
	var a, b []string
	for i := 0; i < 40; i++ {
		line := strings.Repeat("x", i%7+1)
		a = append(a, line)
		b = append(b, line)
	}
	b[5], b[30] = "changed5", "changed30"
	d := LineDiff("A", strings.Join(a, "\n"), "B", strings.Join(b, "\n"))
	if n := strings.Count(d, "@@ A line"); n != 2 {
		t.Errorf("want 2 hunks for two far-apart changes, got %d:\n%s", n, d)
	}
	if n := len(strings.Split(d, "\n")); n > 2+2*(1+2+2*diffContext)+1 {
		t.Errorf("diff shows more than the context around the changes (%d lines):\n%s", n, d)
	}
}

func contains(lines []string, s string) bool {
	for _, l := range lines {
		if l == s {
			return true
		}
	}
	return false
}
