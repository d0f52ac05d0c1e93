package wal

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The crash test runs the test binary again as a writer (crashChild),
// kills it with SIGKILL at random moments and checks the log after each
// kill. The child reports on stdout:
//
//	R                  opened, about to write
//	B <first> <n> <term>  about to Save entries first..first+n-1 of term
//	A <last>           that Save returned: acknowledged
//	M <index> <term>   about to MarkSnapshot
//	S <index> <term>   MarkSnapshot returned
const (
	crashDirEnv  = "ZKD_WAL_CRASH_DIR"
	crashSeedEnv = "ZKD_WAL_CRASH_SEED"
	crashSegSize = 16 << 10
)

// crashPayload is the data of entry (index, term) in the crash test: up to
// 3000 bytes, so that batches span sectors and segments.
func crashPayload(index, term uint64) []byte {
	n := int((index*31 + term*17) % 3000)
	return bytes.Repeat([]byte(fmt.Sprintf("%d/%d;", index, term)), n/4+1)[:n]
}

func crashEntries(first uint64, n int, term uint64) []Entry {
	es := make([]Entry, n)
	for i := range es {
		idx := first + uint64(i)
		es[i] = Entry{Index: idx, Term: term, Kind: uint8(idx % 2), Data: crashPayload(idx, term)}
	}
	return es
}

// TestMain turns the test binary into the crash test's writer when the
// parent asks for one (crashDirEnv set), instead of a skipped test.
func TestMain(m *testing.M) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		crashChild(dir)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// crashChild is the writer TestCrash kills: it appends batches and prints
// each acknowledged index.
func crashChild(dir string) {
	seed, _ := strconv.ParseUint(os.Getenv(crashSeedEnv), 10, 64)
	fail := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, format+"\n", args...)
		os.Exit(2)
	}
	w, rec, err := Open(dir, Options{SegmentSize: crashSegSize, Logger: quiet()})
	if err != nil {
		fail("open: %v", err)
	}
	snap, last, term := rec.Snapshot, rec.Snapshot.Index, max(rec.Snapshot.Term, 1)
	if n := len(rec.Entries); n > 0 {
		last, term = rec.Entries[n-1].Index, max(term, rec.Entries[n-1].Term)
	}
	lastTerm := term
	if len(rec.Entries) == 0 {
		lastTerm = snap.Term
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	out := os.Stdout
	fmt.Fprintln(out, "R")
	for {
		if rng.IntN(30) == 0 && last > snap.Index {
			m := SnapshotMark{Index: last, Term: lastTerm}
			fmt.Fprintf(out, "M %d %d\n", m.Index, m.Term)
			if err := w.MarkSnapshot(m); err != nil {
				fail("mark: %v", err)
			}
			fmt.Fprintf(out, "S %d %d\n", m.Index, m.Term)
			snap = m
			if err := w.Compact(m.Index + 1); err != nil {
				fail("compact: %v", err)
			}
			continue
		}
		first := last + 1
		if back := uint64(1 + rng.IntN(3)); rng.IntN(8) == 0 && last > snap.Index+back {
			term++ // rewrite the tail, as a new leader would
			first = last + 1 - back
		}
		n := 1 + rng.IntN(12)
		fmt.Fprintf(out, "B %d %d %d\n", first, n, term)
		if err := w.Save(&State{Term: term, Vote: 1, Commit: first - 1}, crashEntries(first, n, term)); err != nil {
			fail("save: %v", err)
		}
		last, lastTerm = first+uint64(n)-1, term
		fmt.Fprintf(out, "A %d\n", last)
	}
}

func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("kills child processes; skipped with -short")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	var (
		m                         model // the log as acknowledged (and as found after each crash)
		acked, torn, partial, cut int
	)
	for iter := range 30 {
		lines, stderr := runCrashChild(t, dir, iter, rng)
		// Replay the child's report: what was acknowledged, and the one
		// call in flight when it died (if any).
		var (
			pendingBatch []Entry
			pendingState State
			pendingMark  *SnapshotMark
		)
		for _, l := range lines {
			f := strings.Fields(l)
			num := func(i int) uint64 { v, _ := strconv.ParseUint(f[i], 10, 64); return v }
			switch f[0] {
			case "B":
				pendingBatch = crashEntries(num(1), int(num(2)), num(3))
				pendingState = State{Term: num(3), Vote: 1, Commit: num(1) - 1}
			case "A":
				m.save(&pendingState, pendingBatch)
				pendingBatch = nil
				acked++
			case "M":
				pendingMark = &SnapshotMark{Index: num(1), Term: num(2)}
			case "S":
				m.mark(*pendingMark)
				pendingMark = nil
			}
		}
		w, rec, err := Open(dir, Options{SegmentSize: crashSegSize, Logger: quiet()})
		if err != nil {
			t.Fatalf("iteration %d: Open after SIGKILL: %v\nchild stderr: %s", iter, err, stderr)
		}
		if rec.TornTail != nil {
			torn++
		}
		// The log must be the acknowledged one, plus possibly a prefix of the
		// batch or the mark that was in flight; nothing else.
		candidates := []model{m}
		for k := 1; k <= len(pendingBatch); k++ {
			c := cloneModel(m)
			c.save(nil, pendingBatch[:k])
			candidates = append(candidates, c)
			if k == len(pendingBatch) {
				c = cloneModel(c)
				c.state = pendingState
				candidates = append(candidates, c)
			}
		}
		if pendingMark != nil {
			c := cloneModel(m)
			c.mark(*pendingMark)
			candidates = append(candidates, c)
		}
		found := -1
		for i, c := range candidates {
			if sameLog(rec, &c) {
				found = i
				break
			}
		}
		if found < 0 {
			t.Fatalf("iteration %d: recovered state %+v snapshot %+v entries %s; acknowledged state %+v snapshot %+v entries %s; in flight %s mark %v",
				iter, rec.State, rec.Snapshot, span(rec.Entries), m.state, m.snap, span(m.expect()), span(pendingBatch), pendingMark)
		}
		if found > 0 {
			partial++
		}
		if len(pendingBatch) > 0 || pendingMark != nil {
			cut++
		}
		m = candidates[found]
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("30 SIGKILLs: %d acknowledged batches, %d kills during a write, %d of which left some or all of it on disk, %d torn tails truncated; log now %s",
		acked, cut, partial, torn, span(m.expect()))
}

// runCrashChild starts the writer, kills it after a random delay (sometimes
// before it has even finished opening) and returns the complete lines it
// printed and its stderr.
func runCrashChild(t *testing.T, dir string, iter int, rng *rand.Rand) ([]string, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashSeedEnv+"="+strconv.Itoa(iter))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	linec := make(chan string, 1024)
	go func() {
		defer close(linec)
		r := bufio.NewReader(stdout)
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return // a partial last line is dropped: it may not be a whole report
			}
			linec <- strings.TrimSpace(l)
		}
	}()
	var lines []string
	delay := time.Duration(rng.IntN(250)) * time.Millisecond
	if rng.IntN(5) == 0 { // kill from the start: maybe during Open's recovery
		delay = time.Duration(rng.IntN(30)) * time.Millisecond
	} else {
		select { // wait until it is writing
		case l, ok := <-linec:
			if !ok {
				cmd.Wait()
				t.Fatalf("child exited before writing: %s", stderr.String())
			}
			lines = append(lines, l)
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Fatal("child did not start writing within 20s")
		}
	}
	kill := time.After(delay)
	for killed := false; ; {
		select {
		case l, ok := <-linec:
			if !ok {
				err := cmd.Wait()
				if !killed {
					t.Fatalf("child exited by itself (%v): %s", err, stderr.String())
				}
				return lines, stderr.String()
			}
			lines = append(lines, l)
		case <-kill:
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
}

func cloneModel(m model) model {
	m.ents = append([]Entry(nil), m.ents...)
	return m
}

// sameLog reports whether rec is exactly the log of model c.
func sameLog(rec *Recovered, c *model) bool {
	want := c.expect()
	if rec.State != c.state || rec.Snapshot != c.snap || len(rec.Entries) != len(want) {
		return false
	}
	for i, e := range rec.Entries {
		w := want[i]
		if e.Index != w.Index || e.Term != w.Term || e.Kind != w.Kind || !bytes.Equal(e.Data, w.Data) {
			return false
		}
	}
	return true
}
