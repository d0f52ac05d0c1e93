package exporter

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"zkd/internal/ztest"
)

// startApacheEnsemble starts n Apache ZooKeeper 3.8 servers as one
// ensemble on loopback: server.N lines with free quorum and election
// ports, a myid in each dataDir. The servers start together, since each
// one is only ready (serving) once a quorum has formed.
func startApacheEnsemble(t *testing.T, n int) []*ztest.Server {
	t.Helper()
	extra := map[string]string{"initLimit": "10", "syncLimit": "5"}
	for i := 1; i <= n; i++ {
		extra["server."+strconv.Itoa(i)] = fmt.Sprintf("127.0.0.1:%d:%d", freePort(t), freePort(t))
	}
	servers := make([]*ztest.Server, n)
	g := &goroutineTB{TB: t}
	var wg sync.WaitGroup
	for i := 1; i <= n; i++ {
		dataDir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dataDir, "myid"), []byte(strconv.Itoa(i)+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		o := ztest.Options{Whitelist: "*", Extra: map[string]string{"dataDir": dataDir}}
		for k, v := range extra {
			o.Extra[k] = v
		}
		wg.Go(func() { servers[i-1] = ztest.StartApache(g, o) })
	}
	wg.Wait()
	if err := g.err(); err != nil {
		t.Fatalf("start an Apache ensemble of %d: %v", n, err)
	}
	return servers
}

// waitForLeader waits until one server of the ensemble says it leads and
// the others follow, and returns the leader.
func waitForLeader(t *testing.T, servers []*ztest.Server) *ztest.Server {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		var leader *ztest.Server
		followers := 0
		last = ""
		for _, s := range servers {
			out, err := s.FourLetter("mntr")
			if err != nil {
				last += err.Error() + "; "
				continue
			}
			switch {
			case strings.Contains(out, "zk_server_state\tleader"):
				leader = s
			case strings.Contains(out, "zk_server_state\tfollower"):
				followers++
			}
			if leader != nil && strings.Contains(out, "zk_synced_followers\t") {
				last = "leader reports " + lineOf(out, "zk_synced_followers")
			}
		}
		if leader != nil && followers == len(servers)-1 {
			return leader
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no leader with %d followers within 60s (%s)", len(servers)-1, last)
	return nil
}

func lineOf(text, key string) string {
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, key+"\t") {
			return l
		}
	}
	return ""
}
