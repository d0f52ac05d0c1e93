package config

import (
	"os"
	"path/filepath"
	"testing"
)

// The golden files are the conf four-letter word of Apache ZooKeeper 3.8.0
// (Debian's package) run with the .cfg next to them; the sizes are what it
// measured.
func TestDumpMatchesZooKeeper(t *testing.T) {
	tests := []struct {
		cfg, golden string
		files       map[string]string
		dataSize    int64
	}{
		{"zk380_standalone.cfg", "zk380_standalone.conf", nil, 457},
		{"zk380_quorum.cfg", "zk380_quorum.conf", map[string]string{"/tmp/zkref/q1/data/myid": "1\n"}, 567},
	}
	for _, tt := range tests {
		t.Run(tt.cfg, func(t *testing.T) {
			c, _, err := parseFile(t, tt.cfg, tt.files)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join("testdata", tt.golden))
			if err != nil {
				t.Fatal(err)
			}
			if got := FormatConf(c.Dump(tt.dataSize, tt.dataSize)); got != string(want) {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestDumpMultiAddressAndVersion(t *testing.T) {
	text := "dataDir=/d\ninitLimit=10\nsyncLimit=5\nmultiAddress.enabled=true\n" +
		"server.1=a1:2888:3888|a2:2889:3889;2181\nserver.2=b:2888:3888;2181\nserver.3=c:2888:3888;2181\n" +
		"dataLogDir=/l\nsecureClientPort=2281\n"
	c, _ := mustParse(t, text, map[string]string{"/d/myid": "1"})
	c.Version = 0x100000000
	got := map[string]string{}
	for _, kv := range c.Dump(1, 2) {
		got[kv.Key] = kv.Value
	}
	for k, v := range map[string]string{
		"clientPort": "2181", "secureClientPort": "2281", "dataDir": "/d/version-2", "dataDirSize": "1",
		"dataLogDir": "/l/version-2", "dataLogSize": "2", "serverId": "1", "electionPort": "3888|3889",
		"quorumPort": "2888|2889", "peerType": "0", "server.1": "a1:2888:3888|a2:2889:3889:participant;0.0.0.0:2181",
		"version": "100000000",
	} {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}
