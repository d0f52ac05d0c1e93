package hoststats

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const procNetTCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1606 1 00000000918156db 100 0 0 10 0
   1: 0100007F:0885 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 41873 1 0000000000000000 100 0 0 10 0
   2: 0100007F:0885 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000  1000        0 41999 1 0000000000000000 20 4 30 10 -1
   3: garbage
`

const procNetTCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:0886 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 52001 1 0000000000000000 100 0 0 10 0
`

func TestParseListeners(t *testing.T) {
	ls, err := parseListeners(strings.NewReader(procNetTCP))
	if err != nil {
		t.Fatal(err)
	}
	want := []listener{
		{IP: net.IPv4(0, 0, 0, 0).To4(), Port: 2024, Inode: 1606},
		{IP: net.IPv4(127, 0, 0, 1).To4(), Port: 2181, Inode: 41873},
	}
	if len(ls) != len(want) {
		t.Fatalf("got %+v, want %+v (established sockets and junk skipped)", ls, want)
	}
	for i := range want {
		if !ls[i].IP.Equal(want[i].IP) || ls[i].Port != want[i].Port || ls[i].Inode != want[i].Inode {
			t.Errorf("listener %d = %+v, want %+v", i, ls[i], want[i])
		}
	}
	ls6, err := parseListeners(strings.NewReader(procNetTCP6))
	if err != nil || len(ls6) != 1 || !ls6[0].IP.Equal(net.IPv6loopback) || ls6[0].Port != 2182 {
		t.Errorf("tcp6: %+v, %v; want ::1 port 2182", ls6, err)
	}
}

func TestListenerMatches(t *testing.T) {
	lo := []net.IP{net.IPv4(127, 0, 0, 1)}
	tests := []struct {
		l    listener
		port int
		ips  []net.IP
		want bool
	}{
		{listener{IP: net.IPv4(127, 0, 0, 1), Port: 2181}, 2181, lo, true},
		{listener{IP: net.IPv4zero, Port: 2181}, 2181, lo, true},
		{listener{IP: net.IPv6unspecified, Port: 2181}, 2181, lo, true},
		{listener{IP: net.IPv4(10, 0, 0, 1), Port: 2181}, 2181, lo, false},
		{listener{IP: net.IPv4(127, 0, 0, 1), Port: 2182}, 2181, lo, false},
	}
	for _, tt := range tests {
		if got := tt.l.matches(tt.port, tt.ips); got != tt.want {
			t.Errorf("%+v.matches(%d, %v) = %v", tt.l, tt.port, tt.ips, got)
		}
	}
}

// TestHsperfCaptured reads a file captured from Apache ZooKeeper 3.8 on
// OpenJDK 17 with -Xmx256m -XX:+UseSerialGC; the sums were checked with an
// independent reader.
func TestHsperfCaptured(t *testing.T) {
	b, err := os.ReadFile("testdata/hsperfdata-openjdk17-serial.bin")
	if err != nil {
		t.Fatal(err)
	}
	c, err := parseHsperfLongs(b)
	if err != nil {
		t.Fatal(err)
	}
	h, ok := heapFromCounters(c)
	want := JVMHeap{Used: 34457312, Committed: 268435456, Max: 268435456}
	if !ok || h != want {
		t.Errorf("heap = %+v, %v; want %+v (max = -Xmx256m)", h, ok, want)
	}
}

// buildHsperf writes a minimal hsperfdata file in the given byte order.
func buildHsperf(order binary.ByteOrder, longs map[string]int64) []byte {
	var entries bytes.Buffer
	for name, v := range longs {
		nameOff := hsperfEntryLen
		dataOff := (nameOff + len(name) + 1 + 7) &^ 7
		length := dataOff + 8
		e := make([]byte, length)
		order.PutUint32(e[0:], uint32(length))
		order.PutUint32(e[4:], uint32(nameOff))
		e[12] = 'J'
		order.PutUint32(e[16:], uint32(dataOff))
		copy(e[nameOff:], name)
		order.PutUint64(e[dataOff:], uint64(v))
		entries.Write(e)
	}
	p := make([]byte, hsperfPrologueLen)
	copy(p, hsperfMagic)
	if order == binary.LittleEndian {
		p[4] = 1
	}
	p[5] = 2
	order.PutUint32(p[24:], hsperfPrologueLen)
	order.PutUint32(p[28:], uint32(len(longs)))
	return append(p, entries.Bytes()...)
}

func TestHsperfByteOrders(t *testing.T) {
	longs := map[string]int64{
		"sun.gc.generation.0.space.0.used":  100,
		"sun.gc.generation.0.space.1.used":  10,
		"sun.gc.generation.1.space.0.used":  1000,
		"sun.gc.generation.2.space.0.used":  99999, // PermGen, not heap
		"sun.gc.generation.0.capacity":      200,
		"sun.gc.generation.1.capacity":      2000,
		"sun.gc.generation.0.maxCapacity":   400,
		"sun.gc.generation.1.maxCapacity":   4000,
		"sun.rt.createVmBeginTime":          1,
		"sun.gc.generation.0.space.0.usedX": 5,
	}
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		c, err := parseHsperfLongs(buildHsperf(order, longs))
		if err != nil {
			t.Fatalf("%v: %v", order, err)
		}
		h, ok := heapFromCounters(c)
		if want := (JVMHeap{Used: 1110, Committed: 2200, Max: 4400}); !ok || h != want {
			t.Errorf("%v: heap = %+v, want %+v", order, h, want)
		}
	}
}

func TestHsperfMalformed(t *testing.T) {
	good := buildHsperf(binary.LittleEndian, map[string]int64{"a": 1})
	tests := map[string][]byte{
		"short":       good[:10],
		"bad magic":   append([]byte{0, 0, 0, 0}, good[4:]...),
		"truncated":   good[:len(good)-9],
		"bad version": func() []byte { b := bytes.Clone(good); b[5] = 1; return b }(),
		"huge count":  func() []byte { b := bytes.Clone(good); binary.LittleEndian.PutUint32(b[28:], 1<<30); return b }(),
	}
	for name, b := range tests {
		if _, err := parseHsperfLongs(b); !errors.Is(err, ErrNotHsperf) {
			t.Errorf("%s: err = %v, want ErrNotHsperf", name, err)
		}
	}
}

// TestProcessOfOwnListener finds this test binary by a port it listens on.
func TestProcessOfOwnListener(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	h := New(nil, "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for range 2 { // the second time from the cache
		p, ok, err := h.Process(ctx, l.Addr().String())
		if err != nil || !ok {
			t.Fatalf("Process = %+v, %v, %v", p, ok, err)
		}
		if p.PID != os.Getpid() || p.RSS == 0 || p.OpenFDs <= 0 || p.MaxFDs <= 0 || p.Heap != nil {
			t.Errorf("Process = %+v, want this process (pid %d) with RSS and fds and no JVM heap", p, os.Getpid())
		}
	}
	if _, ok, err := h.Process(ctx, "192.0.2.7:2181"); ok || err != nil {
		t.Errorf("a TEST-NET address: ok=%v err=%v, want not local", ok, err)
	}
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := closed.Addr().String()
	closed.Close()
	if _, ok, err := h.Process(ctx, addr); !ok || !errors.Is(err, ErrNoListener) {
		t.Errorf("nobody listening: ok=%v err=%v, want ErrNoListener", ok, err)
	}
}

func TestPIDFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if pid, err := ReadPIDFile(write("ok", "1234\n")); pid != 1234 || err != nil {
		t.Errorf("ReadPIDFile = %d, %v", pid, err)
	}
	for _, bad := range []string{"", "abc", "-5", "0"} {
		if _, err := ReadPIDFile(write("bad", bad)); err == nil {
			t.Errorf("ReadPIDFile(%q) succeeded", bad)
		}
	}
	if _, err := ReadPIDFile(filepath.Join(dir, "missing")); err == nil {
		t.Error("missing pid file accepted")
	}
	// A pid file overrides the port lookup.
	h := New(nil, write("me", strconv.Itoa(os.Getpid())))
	p, ok, err := h.Process(context.Background(), "127.0.0.1:1")
	if !ok || err != nil || p.PID != os.Getpid() {
		t.Errorf("with pid file: %+v %v %v", p, ok, err)
	}
}

func TestDisks(t *testing.T) {
	dir := t.TempDir()
	h := New([]Dir{{"dataDir", dir}, {"dataLogDir", dir}, {"dataLogDir", filepath.Join(dir, "missing")}}, "")
	fss, _, err := h.Disks(context.Background())
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("err = %v, want the missing dir named", err)
	}
	if len(fss) != 2 {
		t.Fatalf("got %d filesystems, want the 2 readable ones", len(fss))
	}
	for _, fs := range fss {
		if fs.Size == 0 || fs.Free > fs.Size || fs.Used > fs.Size {
			t.Errorf("%+v: implausible sizes", fs)
		}
	}
}
