package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSummarize(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		want      counts
		pkgFailed bool
		shows     []string // substrings of the output
		hides     []string
	}{
		{
			name: "passing package prints only its ok line",
			in: `{"Action":"run","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Test":"TestA","Output":"=== RUN   TestA\n"}
{"Action":"output","Package":"p","Test":"TestA","Output":"    a_test.go:3: chatter\n"}
{"Action":"pass","Package":"p","Test":"TestA"}
{"Action":"output","Package":"p","Output":"PASS\n"}
{"Action":"output","Package":"p","Output":"ok  \tp\t0.01s\n"}
{"Action":"pass","Package":"p"}`,
			want:  counts{passed: 1},
			shows: []string{"ok  \tp\t0.01s"},
			hides: []string{"chatter", "=== RUN", "PASS\n"},
		},
		{
			name: "failed and skipped tests print their output",
			in: `{"Action":"output","Package":"p","Test":"TestF","Output":"=== RUN   TestF\n"}
{"Action":"output","Package":"p","Test":"TestF","Output":"    f_test.go:9: boom\n"}
{"Action":"output","Package":"p","Test":"TestF","Output":"--- FAIL: TestF (0.00s)\n"}
{"Action":"fail","Package":"p","Test":"TestF"}
{"Action":"output","Package":"p","Test":"TestS","Output":"    s_test.go:2: no java\n"}
{"Action":"output","Package":"p","Test":"TestS","Output":"--- SKIP: TestS (0.00s)\n"}
{"Action":"skip","Package":"p","Test":"TestS"}
{"Action":"output","Package":"p","Output":"FAIL\tp\t0.02s\n"}
{"Action":"fail","Package":"p"}`,
			want:      counts{failed: 1, skipped: 1},
			pkgFailed: true,
			shows:     []string{"boom", "--- FAIL: TestF", "no java", "--- SKIP: TestS", "FAIL\tp\t0.02s"},
			hides:     []string{"=== RUN"},
		},
		{
			name: "build failure",
			in: `{"ImportPath":"p","Action":"build-output","Output":"p/x.go:1:1: syntax error\n"}
{"Action":"output","Package":"p","Output":"FAIL\tp [build failed]\n"}
{"Action":"fail","Package":"p"}`,
			pkgFailed: true,
			shows:     []string{"syntax error", "[build failed]"},
		},
		{
			name:  "plain text passes through",
			in:    "go: unknown flag -x",
			shows: []string{"unknown flag"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			c, pkgFailed, err := summarize(strings.NewReader(tc.in), &out)
			if err != nil {
				t.Fatal(err)
			}
			if c != tc.want || pkgFailed != tc.pkgFailed {
				t.Errorf("counts %v, package failed %v; want %v, %v", c, pkgFailed, tc.want, tc.pkgFailed)
			}
			for _, s := range tc.shows {
				if !strings.Contains(out.String(), s) {
					t.Errorf("output lacks %q:\n%s", s, out.String())
				}
			}
			for _, s := range tc.hides {
				if strings.Contains(out.String(), s) {
					t.Errorf("output shows %q:\n%s", s, out.String())
				}
			}
		})
	}
}

func TestCountsFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "counts")
	if err := os.WriteFile(path, nil, 0o644); err != nil { // as mktemp leaves it
		t.Fatal(err)
	}
	for _, c := range []counts{{3, 0, 1}, {2, 1, 0}} {
		if err := addCounts(path, c); err != nil {
			t.Fatal(err)
		}
	}
	got, err := readCounts(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := (counts{5, 1, 1}); got != want {
		t.Errorf("summed counts %v, want %v", got, want)
	}
	if got.String() != "5 passed, 1 failed, 1 skipped" {
		t.Errorf("closing line %q", got.String())
	}
}
