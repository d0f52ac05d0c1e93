package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The configurations operators actually wrote (seeds/*.txt, Korean blog
// posts) and Debian's example, as files in testdata.
func TestSeedConfigs(t *testing.T) {
	tests := []struct {
		file       string
		files      map[string]string // myid files
		errs       []string          // every substring must appear; nil = success
		standalone bool
		myID       int
		tick       int
		minMax     [2]int
		dataDir    string
		dataLogDir string
		clientPort int
		servers    int
		warnings   []string // substrings that must appear among the warnings
	}{
		{
			// The snippet as printed: "..." stands for zoo_sample.cfg.
			file:  "seed000_snippet.cfg",
			files: map[string]string{"/data1/zookeeper/myid": "1\n"},
			errs: []string{
				"seed000_snippet.cfg: initLimit: not set",
				"seed000_snippet.cfg: syncLimit: not set",
				"seed000_snippet.cfg: clientPort: not set",
			},
			warnings: []string{`"..." is not a key=value line`},
		},
		{
			file:    "seed000_zoo.cfg",
			files:   map[string]string{"/data1/zookeeper/myid": "1\n"},
			myID:    1,
			tick:    2000,
			minMax:  [2]int{4000, 40000},
			dataDir: "/data1/zookeeper", dataLogDir: "/data1/zookeeper",
			clientPort: 2181, servers: 3,
		},
		{
			file:  "seed001_snippet.cfg",
			files: map[string]string{"/data/zoo/data/myid": "1\n"},
			errs:  []string{"initLimit: not set", "syncLimit: not set", "clientPort: not set"},
		},
		{
			// cp zoo_sample.cfg zoo.cfg, then dataDir and servers appended:
			// dataDir is set twice and the appended one wins.
			file:    "seed001_zoo.cfg",
			files:   map[string]string{"/data/zoo/data/myid": "2\n"},
			myID:    2,
			tick:    2000,
			minMax:  [2]int{4000, 40000},
			dataDir: "/data/zoo/data", dataLogDir: "/data/zoo/data",
			clientPort: 2181, servers: 3,
			warnings: []string{"also set on line 12 (dataDir=/tmp/zookeeper); this later value wins"},
		},
		{
			// "tickTime=2000 #ms" and a trailing blank after dataDir.
			file:       "seed002_standalone.cfg",
			standalone: true,
			tick:       2000,
			minMax:     [2]int{4000, 40000},
			dataDir:    "/Users/tom/zookeeper", dataLogDir: "/Users/tom/zookeeper",
			clientPort: 2181,
			warnings:   []string{`"2000 #ms": '#' starts a comment only at the start of a line; using "2000"`},
		},
		{
			file:    "seed002_quorum.cfg",
			files:   map[string]string{"/disk1/zookeeper/myid": "3"},
			myID:    3,
			tick:    2000,
			minMax:  [2]int{4000, 40000},
			dataDir: "/disk1/zookeeper", dataLogDir: "/disk2/zookeeper",
			clientPort: 2181, servers: 3,
		},
		{
			file:    "seed003_zoo.cfg",
			files:   map[string]string{"/data/myid": "1\n"},
			myID:    1,
			tick:    2000,
			minMax:  [2]int{4000, 40000},
			dataDir: "/data", dataLogDir: "/data",
			clientPort: 2181, servers: 3,
		},
		{
			file:       "debian_conf_example.cfg",
			standalone: true,
			tick:       2000,
			minMax:     [2]int{4000, 40000},
			dataDir:    "/tmp/zookeeper", dataLogDir: "/tmp/zookeeper",
			clientPort: 2181,
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			c, ws, err := parseFile(t, tt.file, tt.files)
			for _, w := range tt.warnings {
				if !hasWarning(ws, 0, "", w) {
					t.Errorf("no warning containing %q in %v", w, ws)
				}
			}
			if tt.errs != nil {
				if err == nil {
					t.Fatalf("want errors %q, got none", tt.errs)
				}
				for _, e := range tt.errs {
					if !strings.Contains(err.Error(), e) {
						t.Errorf("error %q does not contain %q", err, e)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.warnings == nil && len(ws) > 0 {
				t.Errorf("unexpected warnings: %v", ws)
			}
			if c.Standalone() != tt.standalone || c.MyID != tt.myID || c.TickTime != tt.tick ||
				c.MinSessionTimeout != tt.minMax[0] || c.MaxSessionTimeout != tt.minMax[1] ||
				c.DataDir != tt.dataDir || c.DataLogDir != tt.dataLogDir ||
				c.ClientPort != tt.clientPort || len(c.Servers) != tt.servers {
				t.Errorf("got standalone=%v myid=%d tick=%d min/max=%d/%d dataDir=%q dataLogDir=%q clientPort=%d servers=%d",
					c.Standalone(), c.MyID, c.TickTime, c.MinSessionTimeout, c.MaxSessionTimeout,
					c.DataDir, c.DataLogDir, c.ClientPort, len(c.Servers))
			}
		})
	}
}

// Seed 000 shows the conf output of its ensemble (ZooKeeper 3.4.10); every
// line it printed must match what zkd's Dump says for the same zoo.cfg.
func TestSeed000ConfOutput(t *testing.T) {
	c, _, err := parseFile(t, "seed000_zoo.cfg", map[string]string{"/data1/zookeeper/myid": "1\n"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, kv := range c.Dump(0, 0) {
		got[kv.Key] = kv.Value
	}
	want, err := os.ReadFile(filepath.Join("testdata", "seed000_conf.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(want)), "\n") {
		k, v, _ := strings.Cut(line, "=")
		if got[k] != v {
			t.Errorf("%s: got %q, ZooKeeper printed %q", k, got[k], v)
		}
	}
	if c.AutopurgeSnapRetainCount != 3 || c.AutopurgePurgeInterval != 1 {
		t.Errorf("autopurge = %d/%d, want 3/1", c.AutopurgeSnapRetainCount, c.AutopurgePurgeInterval)
	}
}
