package ztest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// Debian's zookeeper package puts the server jar in /usr/share/java; its
// manifest Class-Path names the other jars it needs (jute, netty, jetty,
// slf4j-api...). slf4j needs a binding to log at all: we add log4j 1.2 and
// the slf4j-log4j12 bridge, and point log4j at a properties file of ours that
// logs to the console, i.e. to our log file; nothing goes to /var/log.
var apacheJars = []string{
	"/usr/share/java/zookeeper.jar",
	"/usr/share/java/slf4j-log4j12.jar",
	"/usr/share/java/log4j-1.2.jar",
}

const apacheMain = "org.apache.zookeeper.server.quorum.QuorumPeerMain"

const apacheLog4j = `log4j.rootLogger=INFO, CONSOLE
log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender
log4j.appender.CONSOLE.Threshold=INFO
log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout
log4j.appender.CONSOLE.layout.ConversionPattern=%d{ISO8601} %-5p [%t:%C{1}@%L] - %m%n
`

// apacheCommand builds the java command line for s.
//
// Some settings are Java system properties that standalone Apache never
// reads from zoo.cfg under the name people write (ZooKeeperServerMain reads
// znode.container.checkIntervalMs, jute.maxbuffer is read by the jute
// archive, and zoo.cfg's unknown keys only become "zookeeper."+key
// properties, so a cfg key "zookeeper.extendedTypesEnabled" would become
// "zookeeper.zookeeper.extendedTypesEnabled"). So every Extra key that has a
// dot in it is passed as -Dkey=value as well as written to zoo.cfg.
func apacheCommand(s *Server, o Options) (*exec.Cmd, error) {
	props := filepath.Join(s.DataDir, "log4j.properties")
	if err := os.WriteFile(props, []byte(apacheLog4j), 0o644); err != nil {
		return nil, fmt.Errorf("write log4j.properties: %w", err)
	}
	args := []string{
		"-Xmx256m",
		"-XX:+UseSerialGC",
		"-XX:TieredStopAtLevel=1", // faster JVM start; the tests are not benchmarks
		"-Djava.net.preferIPv4Stack=true",
	}
	if o.JavaFlags != nil {
		args = append([]string(nil), o.JavaFlags...)
	}
	args = append(args,
		"-Dlog4j.configuration=file:"+props,
		"-Dzookeeper.log.dir="+s.DataDir,
		"-Dzookeeper.root.logger=INFO,CONSOLE",
		"-Dzookeeper.admin.enableServer=false",
	)
	args = append(args, systemProperties(o.Extra)...)
	args = append(args, "-cp", strings.Join(apacheJars, ":"), apacheMain, s.CfgPath)
	return exec.Command("java", args...), nil
}

// systemProperties returns -Dk=v for every key with a dot, sorted.
func systemProperties(extra map[string]string) []string {
	var out []string
	for k, v := range extra {
		if strings.Contains(k, ".") {
			out = append(out, "-D"+k+"="+v)
		}
	}
	sort.Strings(out)
	return out
}

// apacheAvailable reports why Apache ZooKeeper cannot run here, or nil.
func apacheAvailable() error {
	if _, err := exec.LookPath("java"); err != nil {
		return fmt.Errorf("java not found (apt-get install -y zookeeper): %w", err)
	}
	for _, j := range apacheJars {
		if _, err := os.Stat(j); err != nil {
			return fmt.Errorf("missing %s (apt-get install -y zookeeper): %w", j, err)
		}
	}
	return nil
}
