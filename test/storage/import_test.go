package storage_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"zkd/internal/ztest"
	"zkd/zkd/storage/zkimport"
)

// The import test: Apache ZooKeeper 3.8 (Debian's package) takes thousands
// of writes of every kind through the Go client, with a snapCount small
// enough that the state is spread over many snapshots and logs, and the
// last writes sit only in a log. A client walks Apache's tree, Apache is
// stopped (SIGTERM, or SIGKILL), `zkd import` converts its dataDir, zkd
// starts on the result, and the same walk must find the same tree: every
// path, its data, every stat field and its ACL. A session that stayed open
// across the move reconnects to zkd with its id and password and still
// owns its ephemerals, and a sequential create continues its parent's
// counter.

const (
	impUser, impPass = "importer", "secret"
	impSessionTTL    = 30 * time.Second // the live session's timeout
)

func TestImportFromApache(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Apache ZooKeeper and zkd")
	}
	variants := []struct {
		name   string
		kill   bool
		stream string // zookeeper.snapshot.compression.method
	}{
		{"sigterm", false, ""},
		{"sigkill-gz", true, "gz"},
		{"sigterm-snappy", false, "snappy"},
	}
	bin := impBuild(t)
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			impRun(t, bin, v.kill, v.stream)
		})
	}
}

func impRun(t *testing.T, bin string, kill bool, stream string) {
	extra := map[string]string{
		"zookeeper.extendedTypesEnabled": "true",
		"snapCount":                      "300",
	}
	if stream != "" {
		extra["zookeeper.snapshot.compression.method"] = stream
	}
	apache := ztest.StartApache(t, ztest.Options{Extra: extra})

	// The live session's client follows this address: Apache's now, zkd's
	// once it runs, so it reconnects with its session id and password.
	hosts := &impHosts{addr: apache.Addr}
	live, _, err := zk.Connect([]string{apache.Addr}, impSessionTTL, zk.WithHostProvider(hosts), zk.WithLogInfo(false), zk.WithLogger(impQuiet{}))
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	writer := impDial(t, apache.Addr)
	impAwait(t, live)

	model := impPopulate(t, writer, live)
	if stream != "" {
		impExpectFiles(t, apache.DataDir, "."+stream)
	}
	// Closing the writer logs a closeSession (3.8: with its ephemerals'
	// paths) after the last snapshot.
	writer.Close()

	before := impWalk(t, apache.Addr)
	if len(before) < 3000 {
		t.Fatalf("only %d nodes written", len(before))
	}
	liveID := live.SessionID()
	if kill {
		apache.Kill()
	} else {
		apache.Stop()
	}

	// What the import will read: several snapshots, and txns after the
	// newest one.
	_, rep, err := zkimport.Load(apache.DataDir, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("import report:\n%s", rep)
	if rep.TxnsReplayed == 0 || rep.SnapshotZxid == 0 || rep.Sessions != 1 {
		t.Fatalf("want a snapshot, txns after it and one open session; got %+v", rep)
	}

	// zkd import, for the zkd configured on Apache's dataDir.
	cfgDir := t.TempDir()
	cfg := filepath.Join(cfgDir, "zoo.cfg")
	impWrite(t, cfg, "tickTime=2000\ndataDir="+apache.DataDir+"\nclientPort=2181\n")
	out, err := exec.Command(bin, "import", apache.DataDir, cfg).CombinedOutput()
	if err != nil {
		t.Fatalf("zkd import: %v\n%s", err, out)
	}
	t.Logf("zkd import:\n%s", out)
	// A second import must not overwrite what the first wrote.
	if out, err := exec.Command(bin, "import", apache.DataDir, cfg).CombinedOutput(); err == nil || !strings.Contains(string(out), "-force") {
		t.Fatalf("second import: %v\n%s", err, out)
	}

	srv := ztest.StartZkd(t, ztest.Options{Extra: map[string]string{
		"dataDir":                        apache.DataDir,
		"zookeeper.extendedTypesEnabled": "true",
	}})

	// The live session moves to zkd with its id and password.
	hosts.set(srv.Addr)
	impAwait(t, live)
	if live.SessionID() != liveID {
		t.Fatalf("session %#x became %#x: the import lost it", liveID, live.SessionID())
	}
	for _, p := range model.liveEphemerals {
		_, st, err := live.Get(p)
		if err != nil || st.EphemeralOwner != liveID {
			t.Fatalf("ephemeral %s after the move: %v, owner %#x", p, err, st.EphemeralOwner)
		}
	}

	after := impWalk(t, srv.Addr)
	impCompare(t, before, after)

	// A sequential create continues the imported counter: the stored
	// cversion is (cversion + numChildren) / 2 of what clients see.
	for _, parent := range model.seqParents {
		st := before[parent].stat
		want := (st.Cversion + st.NumChildren) / 2
		name, err := live.Create(parent+"/next-", nil, zk.FlagSequence, zk.WorldACL(zk.PermAll))
		if err != nil {
			t.Fatal(err)
		}
		if got := name[len(name)-10:]; got != fmt.Sprintf("%010d", want) {
			t.Fatalf("sequential create under %s got %s, want suffix %010d", parent, name, want)
		}
	}
	// The inspection commands read both servers' files.
	zkdDir := filepath.Join(apache.DataDir, "zkd")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"zk-snapshot-dump", "-data", rep.Snapshot}, "/imp/acl/digest0"},
		{[]string{"zk-log-dump", rep.LogFiles[len(rep.LogFiles)-1]}, "closeSession"},
		{[]string{"snapshot-dump", filepath.Join(zkdDir, "snapshot.0000000000000001")}, "raft index 1, term 1"},
		// Imported sessions have no owner; the live one's resume on zkd
		// made zkd its owner through the log.
		{[]string{"snapshot-dump", filepath.Join(zkdDir, "snapshot.0000000000000001")}, "writes through any server"},
		{[]string{"log-dump", zkdDir}, fmt.Sprintf("session 0x%x cxid 0x0 server 1 moveSession", liveID)},
		{[]string{"log-dump", zkdDir}, fmt.Sprintf("create path=%s/next-", model.seqParents[0])},
	} {
		out, err := exec.Command(bin, c.args...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), c.want) {
			t.Fatalf("zkd %s: %v, no %q in:\n%.2000s", strings.Join(c.args, " "), err, c.want, out)
		}
	}

	// And the live session's ephemerals go when it closes.
	live.Close()
	check := impDial(t, srv.Addr)
	defer check.Close()
	for _, p := range model.liveEphemerals {
		if ok, _, err := check.Exists(p); err != nil || ok {
			t.Fatalf("ephemeral %s after its session closed: %v %v", p, ok, err)
		}
	}
}

// impModel is what the population left for later checks.
type impModel struct {
	liveEphemerals []string
	seqParents     []string
}

// impPopulate writes every kind of znode and change. Containers always
// keep a child (an emptied container would be removed by either server's
// timer at a moment the test does not control), TTLs are an hour.
func impPopulate(t *testing.T, w, live *zk.Conn) impModel {
	t.Helper()
	var m impModel
	open := zk.WorldACL(zk.PermAll)
	digest := zk.DigestACL(zk.PermRead|zk.PermWrite|zk.PermAdmin, impUser, impPass)
	adminOnly := zk.DigestACL(zk.PermAdmin, impUser, impPass)
	ipACL := []zk.ACL{{Perms: zk.PermAll, Scheme: "ip", ID: "127.0.0.1"}, {Perms: zk.PermRead, Scheme: "world", ID: "anyone"}}
	must := func(err error, what string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	create := func(p string, data []byte, flags int32, acl []zk.ACL) string {
		t.Helper()
		name, err := w.Create(p, data, flags, acl)
		must(err, "create "+p)
		return name
	}
	must(w.AddAuth("digest", []byte(impUser+":"+impPass)), "auth")

	create("/imp", []byte("import test"), 0, open)
	// Plain trees with data of many sizes, some nodes later deleted so
	// that cversion and numChildren differ.
	for d := range 45 {
		dir := fmt.Sprintf("/imp/d%02d", d)
		create(dir, []byte(dir), 0, open)
		for i := range 70 {
			data := bytes.Repeat([]byte{byte('a' + i%26)}, (i*37+d)%700)
			create(fmt.Sprintf("%s/n%03d", dir, i), data, 0, open)
		}
		for i := 0; i < 70; i += 7 {
			must(w.Delete(fmt.Sprintf("%s/n%03d", dir, i), -1), "delete")
		}
	}
	// Sequential counters, with deletes in between.
	for s := range 5 {
		dir := fmt.Sprintf("/imp/seq%d", s)
		create(dir, nil, 0, open)
		m.seqParents = append(m.seqParents, dir)
		for i := range 40 + s*7 {
			name := create(dir+"/s-", []byte(strconv.Itoa(i)), zk.FlagSequence, open)
			if i%3 == 0 {
				must(w.Delete(name, -1), "delete "+name)
			}
		}
	}
	// ACLs: digest, auth (stored as the writer's digest), ip, and one no
	// client here may read; setACL moves aversion.
	create("/imp/acl", nil, 0, open)
	for i := range 20 {
		create(fmt.Sprintf("/imp/acl/digest%d", i), []byte("d"), 0, digest)
		create(fmt.Sprintf("/imp/acl/auth%d", i), []byte("a"), 0, zk.AuthACL(zk.PermAll))
		create(fmt.Sprintf("/imp/acl/ip%d", i), []byte("i"), 0, ipACL)
	}
	create("/imp/acl/adminonly", []byte("secret"), 0, adminOnly)
	for i := range 20 {
		for v := 0; v <= i%4; v++ {
			_, err := w.SetACL(fmt.Sprintf("/imp/acl/ip%d", i), ipACL, int32(v))
			must(err, "setACL")
		}
	}
	// setData versions.
	for i := range 200 {
		p := fmt.Sprintf("/imp/d%02d/n%03d", i%30, 1+i%50)
		if i%50%7 == 6 {
			continue // deleted above
		}
		_, err := w.Set(p, []byte(fmt.Sprintf("v%d", i)), -1)
		if errors.Is(err, zk.ErrNoNode) {
			continue
		}
		must(err, "set "+p)
	}
	// Containers (each keeps a child) and TTL nodes.
	create("/imp/cont", nil, 0, open)
	for i := range 15 {
		c, err := w.CreateContainer(fmt.Sprintf("/imp/cont/c%d", i), []byte("c"), zk.FlagContainer, open)
		must(err, "container")
		create(c+"/keep", nil, 0, open)
		if i%2 == 0 {
			create(c+"/gone", nil, 0, open)
			must(w.Delete(c+"/gone", -1), "delete in container")
		}
	}
	create("/imp/ttl", nil, 0, open)
	for i := range 15 {
		_, err := w.CreateTTL(fmt.Sprintf("/imp/ttl/t%d", i), []byte("t"), zk.FlagTTL, open, time.Hour)
		must(err, "ttl")
		_, err = w.CreateTTL("/imp/ttl/s-", nil, zk.FlagPersistentSequentialWithTTL, open, time.Hour)
		must(err, "sequential ttl")
	}
	// Ephemerals of the live session (they must move to zkd) and of the
	// writer (they must go when it closes).
	create("/imp/eph", nil, 0, open)
	for i := range 10 {
		p, err := live.Create(fmt.Sprintf("/imp/eph/live%d", i), []byte("e"), zk.FlagEphemeral, open)
		must(err, "ephemeral")
		m.liveEphemerals = append(m.liveEphemerals, p)
		p, err = live.Create("/imp/eph/lseq-", nil, zk.FlagEphemeralSequential, open)
		must(err, "ephemeral sequential")
		m.liveEphemerals = append(m.liveEphemerals, p)
		create(fmt.Sprintf("/imp/eph/writer%d", i), nil, zk.FlagEphemeral, open)
	}
	// Multis: one that commits, one that fails (a logged error txn).
	for i := range 20 {
		base := fmt.Sprintf("/imp/multi%d", i)
		_, err := w.Multi(
			&zk.CreateRequest{Path: base, Data: []byte("m"), Acl: open},
			&zk.CreateRequest{Path: base + "/child", Acl: open},
			&zk.SetDataRequest{Path: "/imp", Data: []byte(base), Version: -1},
			&zk.CheckVersionRequest{Path: base, Version: 0},
		)
		must(err, "multi")
		_, err = w.Multi(
			&zk.DeleteRequest{Path: base + "/child", Version: -1},
			&zk.CheckVersionRequest{Path: base, Version: 99},
		)
		if !errors.Is(err, zk.ErrBadVersion) {
			t.Fatalf("failing multi: %v", err)
		}
	}
	// Txns that fail: logged as error txns, consuming zxids.
	for i := 1; i <= 12; i++ {
		if i%7 == 0 {
			continue // deleted above
		}
		if _, err := w.Create(fmt.Sprintf("/imp/d00/n%03d", i), nil, 0, open); !errors.Is(err, zk.ErrNodeExists) {
			t.Fatalf("duplicate create: %v", err)
		}
	}
	// The last writes, after the last snapshot whatever its random point.
	for i := range 150 {
		create(fmt.Sprintf("/imp/tail%03d", i), []byte("tail"), 0, open)
	}
	return m
}

// impNode is what a client sees of a node.
type impNode struct {
	data    []byte
	stat    zk.Stat
	acl     []zk.ACL
	dataErr string // getData refused (ACL), identical on both servers
	aclErr  string
	kidsErr string
}

// impWalk reads the whole tree as a client authenticated as the digest
// user: data, stat, ACL and children of every node.
func impWalk(t *testing.T, addr string) map[string]impNode {
	t.Helper()
	c := impDial(t, addr)
	defer c.Close()
	if err := c.AddAuth("digest", []byte(impUser+":"+impPass)); err != nil {
		t.Fatal(err)
	}
	out := map[string]impNode{}
	var walk func(p string)
	walk = func(p string) {
		var n impNode
		data, st, err := c.Get(p)
		if err != nil {
			n.dataErr = err.Error()
			_, st, err = c.Exists(p)
			if err != nil {
				t.Fatalf("exists %s: %v", p, err)
			}
		}
		n.data, n.stat = data, *st
		if n.acl, _, err = c.GetACL(p); err != nil {
			n.aclErr = err.Error()
		}
		kids, _, err := c.Children(p)
		if err != nil {
			n.kidsErr = err.Error() // an ACL without READ: the stat says how many
		}
		out[p] = n
		sort.Strings(kids)
		for _, k := range kids {
			walk(strings.TrimSuffix(p, "/") + "/" + k)
		}
	}
	walk("/")
	return out
}

func impCompare(t *testing.T, want, got map[string]impNode) {
	t.Helper()
	var diffs []string
	for p, w := range want {
		g, ok := got[p]
		switch {
		case !ok:
			diffs = append(diffs, "missing: "+p)
		case !bytes.Equal(w.data, g.data) || w.dataErr != g.dataErr:
			diffs = append(diffs, fmt.Sprintf("%s data: %q (%s), want %q (%s)", p, g.data, g.dataErr, w.data, w.dataErr))
		case w.stat != g.stat:
			diffs = append(diffs, fmt.Sprintf("%s stat:\n   got  %+v\n   want %+v", p, g.stat, w.stat))
		case w.kidsErr != g.kidsErr:
			diffs = append(diffs, fmt.Sprintf("%s children: %s, want %s", p, g.kidsErr, w.kidsErr))
		case !reflect.DeepEqual(w.acl, g.acl) || w.aclErr != g.aclErr:
			diffs = append(diffs, fmt.Sprintf("%s acl: %v (%s), want %v (%s)", p, g.acl, g.aclErr, w.acl, w.aclErr))
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			diffs = append(diffs, "extra: "+p)
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		if len(diffs) > 30 {
			diffs = append(diffs[:30], fmt.Sprintf("... and %d more", len(diffs)-30))
		}
		t.Fatalf("%d of %d nodes differ after the import:\n%s", len(diffs), len(want), strings.Join(diffs, "\n"))
	}
	t.Logf("all %d nodes match: data, stat and ACL", len(want))
}

// impHosts is a HostProvider whose one address the test switches.
type impHosts struct {
	mu   sync.Mutex
	addr string
}

func (h *impHosts) Init([]string) error { return nil }
func (h *impHosts) Len() int            { return 1 }
func (h *impHosts) Connected()          {}
func (h *impHosts) Next() (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.addr, true
}
func (h *impHosts) set(addr string) {
	h.mu.Lock()
	h.addr = addr
	h.mu.Unlock()
}

type impQuiet struct{}

func (impQuiet) Printf(string, ...any) {}

func impDial(t *testing.T, addr string) *zk.Conn {
	t.Helper()
	c, _, err := zk.Connect([]string{addr}, impSessionTTL, zk.WithLogInfo(false), zk.WithLogger(impQuiet{}))
	if err != nil {
		t.Fatal(err)
	}
	impAwait(t, c)
	return c
}

// impAwait waits (bounded) until c has a session.
func impAwait(t *testing.T, c *zk.Conn) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for c.State() != zk.StateHasSession {
		if time.Now().After(deadline) {
			t.Fatalf("no session after 20s (state %v)", c.State())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// impExpectFiles checks Apache wrote snapshots with the extension ext.
func impExpectFiles(t *testing.T, dataDir, ext string) {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(dataDir, zkimport.VersionDir, "snapshot.*"+ext))
	if len(names) < 2 {
		t.Fatalf("Apache wrote %d %s snapshots", len(names), ext)
	}
}

func impWrite(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// impBuild builds cmd/zkd into the test's temporary directory, for
// running `zkd import` as an operator would.
func impBuild(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skipf("no go toolchain to build zkd: %v", err)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "zkd")
	cmd := exec.Command("go", "build", "-o", bin, "zkd/cmd/zkd")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build zkd/cmd/zkd: %v\n%s", err, out)
	}
	return bin
}
