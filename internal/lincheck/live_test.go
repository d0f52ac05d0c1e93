package lincheck

import (
	"context"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"zkd/internal/ztest"
)

// TestLiveKillRestart records 5 clients on 2 keys against a real server
// (zkd, or Apache ZooKeeper with ZK_TARGET=apache), SIGKILLs it in the
// middle, restarts it, and checks the history. It requires indeterminate
// writes and BADVERSION answers to occur, so both paths are exercised, and
// successful writes after the restart, so the clients did recover.
func TestLiveKillRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a server for several seconds")
	}
	s := ztest.Start(t, ztest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rec, err := Start(ctx, Workload{
		Servers:        []string{s.Addr},
		Clients:        5,
		Keys:           2,
		Duration:       40 * time.Second, // a cap: Stop ends it much sooner
		MaxOps:         50000,
		OpTimeout:      2 * time.Second,
		SessionTimeout: 4 * time.Second,
		Logf:           t.Logf,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Stop() // if the test fails before Stop below

	time.Sleep(2 * time.Second)
	rec.Note("SIGKILL server")
	s.Kill()
	// Down long enough for every client to issue writes into the void.
	time.Sleep(2 * time.Second)
	rec.Note("restart server")
	s.Restart(t)
	restarted := rec.Now()
	rec.Note("server serving")
	time.Sleep(2 * time.Second)
	h := rec.Stop()

	sum := h.Summary()
	Require(t, h, 30*time.Second)
	if n := sum.Count(KindSet, Unknown); n == 0 {
		t.Errorf("no indeterminate write recorded: %s", sum)
	}
	if n := sum.Count(KindSet, BadVersion); n == 0 {
		t.Errorf("no BADVERSION recorded: %s", sum)
	}
	if n := sum.Count(KindRead, OK); n == 0 {
		t.Errorf("no successful read recorded: %s", sum)
	}
	if sum.Count(KindCreate, OK) != 2 {
		t.Errorf("setup did not create the 2 keys: %s", sum)
	}
	after := 0
	for _, op := range h.Ops {
		if op.Kind == KindSet && op.Outcome == OK && op.Call > restarted {
			after++
		}
	}
	if after == 0 {
		t.Errorf("no successful write after the restart: %s", sum)
	}

	// The same history with one read corrupted must be caught.
	for i := len(h.Ops) / 2; i < len(h.Ops); i++ {
		if op := h.Ops[i]; op.Kind == KindRead && op.Outcome == OK {
			bad := h
			bad.Ops = append([]Op(nil), h.Ops...)
			bad.Ops[i].Version++
			if res, _ := Check(bad, 30*time.Second); res != porcupine.Illegal {
				t.Errorf("read %v corrupted to version %d: Check = %s, want Illegal", op, op.Version+1, res)
			}
			break
		}
	}
}

// TestRunMaxOps runs a short workload to its operation bound.
func TestRunMaxOps(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a server")
	}
	s := ztest.Start(t, ztest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h, err := Run(ctx, Workload{Servers: ServerMix(s.Addr), Clients: 3, Keys: 1, MaxOps: 300, Duration: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	sum := h.Summary()
	// Every operation issued is recorded, except failed reads.
	if got := sum.Ops - sum.Count(KindCreate, OK) + sum.DroppedReads; got != 300 {
		t.Errorf("recorded %d operations, want 300: %s", got, sum)
	}
	if sum.Count(KindRead, OK) == 0 || sum.Count(KindSet, OK) == 0 {
		t.Errorf("no successful reads or writes: %s", sum)
	}
	if res := Require(t, h, 10*time.Second); res != porcupine.Ok {
		t.Errorf("Check = %s", res)
	}
}

func TestStartErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := Start(ctx, Workload{}); err == nil {
		t.Error("no servers: Start succeeded")
	}
	if _, err := Start(ctx, Workload{Servers: []string{" , "}}); err == nil {
		t.Error("empty connect string: Start succeeded")
	}
	if _, err := Start(ctx, Workload{Servers: []string{"127.0.0.1:1"}, Prefix: "/x/"}); err == nil {
		t.Error("bad prefix: Start succeeded")
	}
	begin := time.Now()
	_, err := Start(ctx, Workload{Servers: []string{"127.0.0.1:1"}, SetupTimeout: time.Second})
	if err == nil {
		t.Fatal("no server listening: Start succeeded")
	}
	if d := time.Since(begin); d > 10*time.Second {
		t.Errorf("failed setup took %v", d)
	}
	t.Logf("setup against a closed port: %v", err)
}
