package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDynamicConfigFile(t *testing.T) {
	static := "dataDir=/var/lib/zk\ninitLimit=10\nsyncLimit=5\ndynamicConfigFile=zoo.cfg.dynamic.100000000\n"
	dynamic := "server.1=zk1:2888:3888:participant;0.0.0.0:2181\nserver.2=zk2:2888:3888:participant;0.0.0.0:2181\n" +
		"server.3=zk3:2888:3888:participant;0.0.0.0:2181\n"
	files := map[string]string{
		"/etc/zk/zoo.cfg.dynamic.100000000": dynamic, // relative to zoo.cfg's directory
		"/var/lib/zk/myid":                  "2\n",
	}
	c, ws := mustParse(t, static, files)
	if len(ws) != 0 {
		t.Errorf("warnings: %v", ws)
	}
	if len(c.Servers) != 3 || c.MyID != 2 || c.ClientPort != 2181 || c.Version != 0x100000000 || c.Standalone() {
		t.Errorf("servers=%d myid=%d clientPort=%d version=%x", len(c.Servers), c.MyID, c.ClientPort, c.Version)
	}

	errs := []struct {
		dynamic, want string
	}{
		{dynamic + "version=100000000\n", "/etc/zk/zoo.cfg.dynamic.100000000:4: version: a dynamic config file takes its version from its name"},
		{dynamic + "tickTime=2000\n", "/etc/zk/zoo.cfg.dynamic.100000000:4: tickTime: only server.N, group.N and weight.N lines"},
		{"server.1=zk1:2888\n", "/etc/zk/zoo.cfg.dynamic.100000000:1: server.1: "},
	}
	for _, tt := range errs {
		files["/etc/zk/zoo.cfg.dynamic.100000000"] = tt.dynamic
		_, _, err := parseText(static, files)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("error %v, want %q", err, tt.want)
		}
	}
}

func TestGroupsAndWeights(t *testing.T) {
	text := minimal + "group.1=1:2:3\ngroup.2=4:5:6\nweight.1=1\nweight.4=0\n"
	c, ws := mustParse(t, text, nil)
	if len(ws) != 0 || c.Groups["1"] != "1:2:3" || c.Groups["2"] != "4:5:6" || c.Weights["4"] != "0" {
		t.Errorf("groups=%v weights=%v warnings=%v", c.Groups, c.Weights, ws)
	}
}

// Load reads a real file; relative paths follow zoo.cfg, not the working
// directory.
func TestLoadResolvesRelativeDirs(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "conf")
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(conf, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "data", "myid"), []byte("1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := "dataDir=../data\ndataLogDir=txnlog\nclientPort=2181\ninitLimit=5\nsyncLimit=2\n" +
		"server.1=127.0.0.1:2888:3888\nserver.2=127.0.0.2:2888:3888\nserver.3=127.0.0.3:2888:3888\n"
	path := filepath.Join(conf, "zoo.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	c, ws, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 0 {
		t.Errorf("warnings: %v", ws)
	}
	if c.DataDir != filepath.Join(dir, "data") || c.DataLogDir != filepath.Join(conf, "txnlog") || c.MyID != 1 {
		t.Errorf("dataDir=%q dataLogDir=%q myid=%d", c.DataDir, c.DataLogDir, c.MyID)
	}
	if c.File != path {
		t.Errorf("File = %q", c.File)
	}

	// Errors name the path as given.
	if err := os.WriteFile(path, []byte("dataDir=/d\nclientPort=x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load(path); err == nil || !strings.HasPrefix(err.Error(), path+":2: clientPort: ") {
		t.Errorf("error %v", err)
	}
	if _, _, err := Load(filepath.Join(dir, "nope.cfg")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// Parse uses the real filesystem for myid.
func TestParseReadsMyIDFromDisk(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "myid"), []byte("3"), 0o644); err != nil {
		t.Fatal(err)
	}
	text := "dataDir=" + dir + "\nclientPort=2181\ninitLimit=5\nsyncLimit=2\n" +
		"server.1=a:2888:3888\nserver.2=b:2888:3888\nserver.3=c:2888:3888\n"
	c, _, err := Parse(strings.NewReader(text), "zoo.cfg")
	if err != nil {
		t.Fatal(err)
	}
	if c.MyID != 3 {
		t.Errorf("MyID = %d", c.MyID)
	}
}

// Validate works on a Config built in code from Default().
func TestValidateInCode(t *testing.T) {
	c := Default()
	c.DataDir, c.ClientPort, c.TickTime = "/srv/zk", 2181, 1000
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.MinSessionTimeout != 2000 || c.MaxSessionTimeout != 20000 || c.DataLogDir != "/srv/zk" {
		t.Errorf("derived: %d %d %q", c.MinSessionTimeout, c.MaxSessionTimeout, c.DataLogDir)
	}
	if err := c.Validate(); err != nil { // idempotent
		t.Fatal(err)
	}
	c.TickTime = -1
	err := c.Validate()
	if err == nil || err.Error() != "tickTime: -1 is too small (want 1 ms or more)" {
		t.Errorf("error %v", err)
	}
}
