package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alecthomas/kingpin/v2"
	"github.com/prometheus/exporter-toolkit/bootstrap"
)

func TestSplitHosts(t *testing.T) {
	tests := map[string]string{
		"":                         "",
		"zk01:2181":                "zk01:2181",
		" zk01:2181, zk02:2181 ,,": "zk01:2181|zk02:2181",
	}
	for in, want := range tests {
		if got := strings.Join(splitHosts(in), "|"); got != want {
			t.Errorf("splitHosts(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestNewHandler checks the flag rules: targets from zoo.cfg, a pid file
// only with one target, a bad zoo.cfg named in the error.
func TestNewHandler(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "zoo.cfg")
	os.WriteFile(cfg, []byte("dataDir="+dir+"\nclientPort=2999\nclientPortAddress=127.0.0.1\n4lw.commands.whitelist=srvr\n"), 0o644)
	tests := []struct {
		args    []string
		wantErr string
	}{
		{args: []string{"--zk.config=" + cfg}},
		{args: []string{"--zk.hosts=a:1,b:2", "--zk.pid-file=/run/zk.pid"}, wantErr: "one process but there are 2 targets"},
		{args: []string{"--zk.config=" + filepath.Join(dir, "missing.cfg")}, wantErr: "--zk.config"},
		{args: []string{"--zk.hosts=nohost"}, wantErr: "want host:port"},
	}
	for _, tt := range tests {
		app := kingpin.New("test", "")
		f := addFlags(app)
		if _, err := app.Parse(tt.args); err != nil {
			t.Fatal(err)
		}
		_, err := newHandler(&bootstrap.Bootstrap{Logger: slog.New(slog.DiscardHandler)}, f)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%v: %v", tt.args, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%v: err = %v, want %q", tt.args, err, tt.wantErr)
		}
	}
}
