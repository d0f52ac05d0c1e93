package storage_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"

	"zkd/internal/ztest"
)

// The disk-full test: zkd's dataDir and dataLogDir on a small tmpfs that
// the test fills. Writes must fail with an error (not hang), the log must
// say why, reads and the process must go on, and once space is back writes
// must succeed again without a restart, with nothing acknowledged lost.

const (
	fullSize     = "8m"
	fullSegment  = "512"    // preAllocSize in KB: the log rolls every few hundred writes
	fullValue    = 2 << 10  // bytes per write
	fullRoom     = 64 << 10 // bytes left free after filling: less than a segment
	fullOpLimit  = 10 * time.Second
	fullMaxWrite = 5000 // writes before giving up on filling the disk
)

func TestDiskFullRefusesWritesAndRecovers(t *testing.T) {
	mnt := t.TempDir()
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size="+fullSize); err != nil {
		t.Fatalf("mount -t tmpfs -o size=%s tmpfs %s: %v: this test needs root (CAP_SYS_ADMIN); CI runs it as root", fullSize, mnt, err)
	}
	// Registered before StartZkd, so it runs after the server is stopped.
	t.Cleanup(func() {
		if err := syscall.Unmount(mnt, 0); err != nil {
			t.Errorf("umount %s: %v", mnt, err)
		}
	})
	srv := ztest.StartZkd(t, ztest.Options{TickTime: 500, Extra: map[string]string{
		"dataDir":      filepath.Join(mnt, "data"),
		"dataLogDir":   filepath.Join(mnt, "log"),
		"preAllocSize": fullSegment,
	}})
	writer := storageDial(t, srv.Addr)
	reader := storageDial(t, srv.Addr)
	if _, err := writer.Create("/full", nil, 0, zk.WorldACL(zk.PermAll)); err != nil {
		t.Fatal(err)
	}
	value := make([]byte, fullValue)
	for i := range value {
		value[i] = byte('a' + i%26)
	}
	ackedData := map[string]bool{}       // paths whose create was acknowledged
	var open []string                    // creates whose outcome the client never learnt
	refused := []string{"/full/refused"} // creates answered SYSTEMERROR: never applied

	filler := filepath.Join(mnt, "filler")
	left := fullFill(t, filler, fullRoom)
	t.Logf("filled the %s tmpfs: %d bytes free", fullSize, left)

	// Write until the server refuses.
	var seen []string // what the client saw, in order
	n, full := 0, false
	start := time.Now()
	for ; n < fullMaxWrite && !full; n++ {
		p := fmt.Sprintf("/full/n%05d", n)
		took, err := fullBounded(func() error {
			_, err := writer.Create(p, value, 0, zk.WorldACL(zk.PermAll))
			return err
		})
		switch {
		case err == nil:
			ackedData[p] = true
		case errors.Is(err, errHung):
			t.Fatalf("create %s after %d writes hung for %v: a full disk must give the client an error", p, n, fullOpLimit)
		case isSystemError(err):
			seen = append(seen, fmt.Sprintf("create %s: %q after %v", p, err, took.Round(time.Millisecond)))
			refused = append(refused, p)
			full = true
		default:
			seen = append(seen, fmt.Sprintf("create %s: %q after %v", p, err, took.Round(time.Millisecond)))
			open = append(open, p)
		}
	}
	if !full {
		t.Fatalf("%d writes of %d bytes on a full %s tmpfs, no refusal; the client saw: %v", n, fullValue, fullSize, seen)
	}
	t.Logf("after %d acknowledged writes in %v the client saw:\n  %s", len(ackedData), time.Since(start).Round(time.Millisecond), strings.Join(seen, "\n  "))

	// The server names the problem, keeps running and serves reads.
	log := srv.LogTail(200)
	for _, want := range []string{"cannot write the transaction log", "no space left on device"} {
		if !strings.Contains(log, want) {
			t.Errorf("server log does not say %q; tail:\n%s", want, srv.LogTail(20))
		}
	}
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "cannot write the transaction log") {
			t.Logf("server log: %s", line)
			break
		}
	}
	if !srv.Running() {
		t.Fatal("zkd exited on a full disk")
	}
	if ans, err := srv.FourLetter("ruok"); err != nil || ans != "imok" {
		t.Errorf("ruok on a full disk: %q, %v", ans, err)
	}
	for _, c := range []struct {
		name string
		conn *zk.Conn
	}{{"another session", reader}, {"the writing session", writer}} {
		var kids []string
		_, err := fullBounded(func() (err error) {
			kids, _, err = c.conn.Children("/full")
			return err
		})
		if err != nil || len(kids) < len(ackedData) {
			t.Errorf("reading /full in %s on a full disk: %d children, %v; want at least %d", c.name, len(kids), err, len(ackedData))
		}
	}
	// A further write is refused at once, not queued.
	took, err := fullBounded(func() error {
		_, err := reader.Create("/full/refused", nil, 0, zk.WorldACL(zk.PermAll))
		return err
	})
	if !isSystemError(err) || took > time.Second {
		t.Errorf("write on a full disk from another session: %v after %v; want ZooKeeper's SYSTEMERROR at once", err, took)
	}

	// Space comes back: writes succeed again without a restart.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	freed := time.Now()
	var first time.Duration
	for i := 0; ; i++ {
		p := fmt.Sprintf("/full/after%05d", i)
		_, err := fullBounded(func() error {
			_, err := writer.Create(p, value, 0, zk.WorldACL(zk.PermAll))
			return err
		})
		if err == nil {
			ackedData[p] = true
			if first == 0 {
				first = time.Since(freed)
			}
			if i >= 50 {
				break
			}
			continue
		}
		if first != 0 || time.Since(freed) > 10*time.Second {
			t.Fatalf("writes after freeing space: %v (%v after the filler was removed)", err, time.Since(freed))
		}
		if isSystemError(err) {
			refused = append(refused, p)
		} else {
			open = append(open, p)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("writes succeed again %v after the filler was removed", first.Round(time.Millisecond))
	if !strings.Contains(srv.LogTail(200), "writable again") {
		t.Errorf("server log does not say the log is writable again; tail:\n%s", srv.LogTail(20))
	}

	// The log survived: a crash and restart keep every acknowledged write.
	srv.Kill()
	srv.Restart(t)
	c := storageDial(t, srv.Addr)
	paths := make([]string, 0, len(ackedData))
	for p := range ackedData {
		paths = append(paths, p)
	}
	got := storageGetAll(c, paths)
	lost := 0
	for _, p := range paths {
		if g := got[p]; g.err != nil || g.data != string(value) {
			lost++
			if lost <= 5 {
				t.Errorf("after restart %s: %v (%d bytes), acknowledged before", p, g.err, len(g.data))
			}
		}
	}
	for _, p := range open {
		_, _, err := c.Get(p)
		t.Logf("write of open outcome %s: after restart %v", p, errOrPresent(err))
	}
	for _, p := range refused {
		if _, _, err := c.Get(p); !errors.Is(err, zk.ErrNoNode) {
			t.Errorf("write %s was refused with SYSTEMERROR, after restart: %v", p, errOrPresent(err))
		}
	}
	t.Logf("after restart: %d acknowledged writes present, %d refused ones absent", len(paths)-lost, len(refused))
	if lost > 0 {
		t.Errorf("%d of %d acknowledged writes lost after the disk was full", lost, len(paths))
	}
	if strings.Contains(srv.LogTail(200), "torn") {
		t.Errorf("restart found a torn log tail after a full disk:\n%s", srv.LogTail(20))
	}
}

func errOrPresent(err error) string {
	if err == nil {
		return "present"
	}
	return err.Error()
}

// isSystemError reports ZooKeeper's SYSTEMERROR (-1), which zkd answers
// while the log cannot be written. go-zookeeper has no name for it.
func isSystemError(err error) bool {
	return err != nil && strings.HasSuffix(err.Error(), "unknown error: -1")
}

var errHung = errors.New("no answer")

// fullBounded runs op, giving up after fullOpLimit: a client call that
// never returns is the failure this test looks for.
func fullBounded(op func() error) (time.Duration, error) {
	start := time.Now()
	done := make(chan error, 1)
	go func() { done <- op() }()
	select {
	case err := <-done:
		return time.Since(start), err
	case <-time.After(fullOpLimit):
		return fullOpLimit, errHung
	}
}

// fullFill writes the file path until the filesystem is full, then gives
// back room bytes, and returns the bytes free.
func fullFill(t *testing.T, path string, room int64) int64 {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	var size int64
	for {
		n, err := f.Write(chunk)
		size += int64(n)
		if errors.Is(err, syscall.ENOSPC) {
			break
		}
		if err != nil {
			t.Fatalf("filling %s: %v", path, err)
		}
		if size > 1<<30 {
			t.Fatalf("filling %s: over 1 GiB written and the filesystem is not full", path)
		}
	}
	if err := f.Truncate(max(0, size-room)); err != nil {
		t.Fatal(err)
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(filepath.Dir(path), &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bavail) * st.Bsize
}
