package diff

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"zkd/internal/ztest"
)

var update = flag.Bool("update", false, "rewrite testdata/<client>.golden from the Apache runs")

// apacheOnly is true under ZK_TARGET=apache: only the reference halves run.
func apacheOnly() bool { return os.Getenv("ZK_TARGET") == ztest.KindApache }

// TestDiff runs every client's scenario against Apache ZooKeeper and zkd:
// TestDiff/<client>/apache (also checked against the golden file),
// TestDiff/<client>/zkd and TestDiff/<client>/compare.
func TestDiff(t *testing.T) {
	for _, c := range Clients(".") {
		t.Run(c.Name, func(t *testing.T) {
			if err := c.Available(); err != nil {
				t.Skipf("%s cannot run here: %v", c.Name, err)
			}
			var transcripts = map[string]string{}
			raws := map[string]string{}
			half := func(kind string, start func(testing.TB, ztest.Options) *ztest.Server) {
				t.Run(kind, func(t *testing.T) {
					t0 := time.Now()
					s := start(t, c.Options)
					t1 := time.Now()
					raw, err := runClient(c, s.Addr)
					t.Logf("%s: server up in %v, %s ran in %v", kind, t1.Sub(t0).Round(time.Millisecond),
						c.Name, time.Since(t1).Round(time.Millisecond))
					raws[kind] = raw
					if err != nil {
						t.Fatalf("%s against %s: %v", c.Name, kind, err)
					}
					transcripts[kind] = c.Norm.Normalize(raw)
					if kind == ztest.KindApache {
						checkGolden(t, c.Name, transcripts[kind])
					}
				})
			}
			half(ztest.KindApache, ztest.StartApache)
			if apacheOnly() {
				return
			}
			half(ztest.KindZkd, ztest.StartZkd)
			t.Run("compare", func(t *testing.T) {
				a, okA := transcripts[ztest.KindApache]
				z, okZ := transcripts[ztest.KindZkd]
				if !okA || !okZ {
					t.Skip("needs both the apache and the zkd transcript")
				}
				if d := LineDiff("apache", a, "zkd", z); d != "" {
					t.Errorf("%s transcripts differ (- apache, + zkd):\n%s%s", c.Name, d, keepRaw(t, c.Name, raws))
				}
			})
		})
	}
}

// checkGolden compares the Apache transcript with testdata/<name>.golden,
// or rewrites the file under -update.
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (create it with go test ./test/diff -run 'TestDiff//apache' -update): %v", err)
	}
	if d := LineDiff(path, string(want), "apache", got); d != "" {
		t.Errorf("the Apache transcript no longer matches %s; if the scenario changed on purpose, "+
			"rerun with -update and review the golden diff:\n%s", path, d)
	}
}

// keepRaw saves the raw client outputs where a failed run can be studied
// and says where.
func keepRaw(t *testing.T, name string, raws map[string]string) string {
	dir, err := os.MkdirTemp("", "zkdiff-"+name+"-")
	if err != nil {
		return ""
	}
	for kind, raw := range raws {
		if err := os.WriteFile(filepath.Join(dir, kind+".raw"), []byte(raw), 0o644); err != nil {
			t.Logf("keep raw output: %v", err)
		}
	}
	return "raw outputs: " + dir + "\n"
}
