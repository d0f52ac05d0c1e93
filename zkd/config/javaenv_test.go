package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseJavaEnv(t *testing.T) {
	const mb, gb = 1 << 20, 1 << 30
	tests := []struct {
		name  string
		text  string
		props map[string]string
		xmx   int64
	}{
		{"seed 000", `export JVMFLAGS="-Xmx1024m"` + "\n", map[string]string{}, 1024 * mb},
		{"empty", "", map[string]string{}, 0},
		{"comments only", "# nothing here\n\n   # still nothing\n", map[string]string{}, 0},
		{"server flags and self reference",
			"SERVER_JVMFLAGS=\"-Xmx2g -Dzookeeper.snapCount=5000\"\n" +
				"SERVER_JVMFLAGS=\"$SERVER_JVMFLAGS -Djute.maxbuffer=4194304\"\nexport SERVER_JVMFLAGS\n",
			map[string]string{"zookeeper.snapCount": "5000", "jute.maxbuffer": "4194304"}, 2 * gb},
		{"braces, single quotes, unquoted",
			"JVMFLAGS='-Dreadonlymode.enabled=true'\nJVMFLAGS=${JVMFLAGS}\\ -Dzookeeper.4lw.commands.whitelist=*\n",
			map[string]string{"readonlymode.enabled": "true", "zookeeper.4lw.commands.whitelist": "*"}, 0},
		{"JVMFLAGS come after SERVER_JVMFLAGS, last wins",
			"JVMFLAGS=\"-Xmx1g -Dzookeeper.snapCount=1\"\nSERVER_JVMFLAGS=\"-Xmx4g -Dzookeeper.snapCount=2\"\n",
			map[string]string{"zookeeper.snapCount": "1"}, 1 * gb},
		{"ZK_SERVER_HEAP is overridden by an -Xmx flag",
			"ZK_SERVER_HEAP=2048\nSERVER_JVMFLAGS=-Xmx512M\n", map[string]string{}, 512 * mb},
		{"ZK_SERVER_HEAP alone", "export ZK_SERVER_HEAP=3000\n", map[string]string{}, 3000 * mb},
		{"append and default expansion",
			"JVMFLAGS=-Da=1\nJVMFLAGS+=\" -Db=${UNSET:-2}\"\n", map[string]string{"a": "1", "b": "2"}, 0},
		{"multi-line double quotes and continuation",
			"SERVER_JVMFLAGS=\"-Xmx256k\n  -Dzookeeper.forceSync=no\" \\\n\nJVMFLAGS=-Dx\n",
			map[string]string{"zookeeper.forceSync": "no", "x": ""}, 256 << 10},
		{"other commands are skipped",
			"if [ -n \"$FOO\" ]; then\n  echo $JVMFLAGS\nfi\nJVMFLAGS=\"$(hostname) -Dzookeeper.skipACL=yes `date`\"\n",
			map[string]string{"zookeeper.skipACL": "yes"}, 0},
		{"escaped dollar stays literal", `JVMFLAGS="-Dk=\$HOME"`, map[string]string{"k": "$HOME"}, 0},
		{"a command with a prefix assignment is not an assignment",
			"JVMFLAGS=-Da=1 java -version\n", map[string]string{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			props, xmx, err := parseJavaEnv(tt.text, "java.env")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(props, tt.props) || xmx != tt.xmx {
				t.Errorf("got %v xmx=%d, want %v xmx=%d", props, xmx, tt.props, tt.xmx)
			}
		})
	}
}

func TestParseJavaEnvErrors(t *testing.T) {
	tests := []struct{ text, want string }{
		{"# line 1\nJVMFLAGS=\"-Xmx1g\n", "java.env:2: unterminated double quote"},
		{"\n\nJVMFLAGS='-Xmx1g\n", "java.env:3: unterminated single quote"},
		{"JVMFLAGS=-Xmx1q\n", `java.env: -Xmx1q: "1q" is not a heap size`},
		{"JVMFLAGS=-Xmx\n", `java.env: -Xmx: "" is not a heap size`},
	}
	for _, tt := range tests {
		_, _, err := parseJavaEnv(tt.text, "java.env")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %q", tt.text, err, tt.want)
		}
	}
}

func TestLoadJavaEnvFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "java.env")
	if err := os.WriteFile(path, []byte("export SERVER_JVMFLAGS=\"-Xmx2g -Dzookeeper.snapCount=7\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	props, xmx, err := LoadJavaEnv(path)
	if err != nil || props["zookeeper.snapCount"] != "7" || xmx != 2<<30 {
		t.Fatalf("got %v %d %v", props, xmx, err)
	}
	if _, _, err := LoadJavaEnv(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestApplySystemProperties(t *testing.T) {
	text := minimal + "snapCount=1000\n4lw.commands.whitelist=ruok\n"
	c, _ := mustParse(t, text, nil)
	warns, err := c.ApplySystemProperties(map[string]string{
		"zookeeper.snapCount":                                "5",                  // zoo.cfg wins
		"zookeeper.4lw.commands.whitelist":                   "*",                  // zoo.cfg wins
		"jute.maxbuffer":                                     "4194304",            // applied
		"zookeeper.skipACL":                                  "yes",                // applied
		"readonlymode.enabled":                               "true",               // applied; isro joins the whitelist
		"zookeeper.commitLogCount":                           "800",                // known, kept in Extra
		"zookeeper.tickTime":                                 "100",                // zoo.cfg only: ignored
		"zookeeper.log.dir":                                  "/var/log/zookeeper", // not a setting: silent
		"java.net.preferIPv4Stack":                           "true",               // not a setting: silent
		"zookeeper.DigestAuthenticationProvider.superDigest": "super:abc=",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.SnapCount != 1000 || c.FourLetterWhitelist["mntr"] {
		t.Errorf("zoo.cfg did not win: snapCount=%d whitelist=%v", c.SnapCount, c.FourLetterWhitelist)
	}
	if c.JuteMaxBuffer != 4194304 || !c.SkipACL || !c.ReadOnlyModeEnabled || !c.FourLetterWhitelist["isro"] ||
		c.SuperDigest != "super:abc=" || c.Extra["commitLogCount"] != "800" || c.TickTime != 3000 {
		t.Errorf("properties not applied: %+v", c)
	}
	if !hasWarning(warns, 0, "-Dzookeeper.snapCount", "zoo.cfg:3 sets snapCount, and zoo.cfg wins") {
		t.Errorf("no zoo.cfg-wins warning: %v", warns)
	}
	if !hasWarning(warns, 0, "-Dzookeeper.tickTime", "reads tickTime only from zoo.cfg") {
		t.Errorf("no cfg-only warning: %v", warns)
	}
	if len(warns) != 3 {
		t.Errorf("want 3 warnings, got %v", warns)
	}
	if !hasWarning(c.Warnings(), 0, "-Dzookeeper.tickTime", "") {
		t.Errorf("Warnings() lacks the property warnings")
	}

	// A bad property value names the flag.
	_, err = c.ApplySystemProperties(map[string]string{"zookeeper.snapSizeLimitInKb": "1", "zookeeper.preAllocSize": "lots"})
	if err == nil || !strings.Contains(err.Error(), `-Dzookeeper.preAllocSize: "lots" is not a number`) || !errors.Is(err, ErrBadValue) {
		t.Errorf("bad property: %v", err)
	}
	// And Validate runs again: an out-of-range property fails.
	_, err = c.ApplySystemProperties(map[string]string{"zookeeper.globalOutstandingLimit": "0"})
	if err == nil || !strings.Contains(err.Error(), "-Dzookeeper.globalOutstandingLimit: 0 is too small") {
		t.Errorf("out-of-range property: %v", err)
	}
}
