package bench

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"zkd/internal/ztest"
)

// deadAddr is a loopback address nobody listens on.
func deadAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestFreshWrite(t *testing.T) {
	srv := ztest.Start(t, ztest.Options{})
	dead := deadAddr(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := FreshWrite(ctx, []string{dead, srv.Addr}, "/fresh", ProbeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Tries != 2 || res.Path != "/fresh-2" || len(res.Errors) != 1 || !strings.Contains(res.Errors[0], dead) {
		t.Errorf("result %+v; want the second try to create /fresh-2 after one error from %s", res, dead)
	}

	// Nothing serves: the probe gives up when its context ends.
	short, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	res, err = FreshWrite(short, []string{dead}, "/never", ProbeOptions{})
	if !errors.Is(err, ErrProbeGaveUp) || res.Tries < 2 {
		t.Errorf("against a dead address: %+v, %v; want several tries and ErrProbeGaveUp", res, err)
	}
}

// TestSessionResumes: a session opened before its server restarts writes
// again after, as the same session, through a new connection.
func TestSessionResumes(t *testing.T) {
	srv := ztest.Start(t, ztest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s, err := OpenSession(ctx, []string{srv.Addr}, ProbeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	id := s.ID()
	if err := s.Create(ctx, "/probe"); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, "/probe"); err != nil {
		t.Errorf("create of an existing node: %v, want nil", err)
	}
	res, err := s.FirstWrite(ctx, "/probe/a")
	if err != nil || res.Tries != 1 || res.Reconnects != 0 || res.Path != "/probe/a-1" {
		t.Fatalf("first write on a live session: %+v, %v", res, err)
	}

	srv.Restart(t)
	res, err = s.FirstWrite(ctx, "/probe/b")
	if err != nil {
		t.Fatal(err)
	}
	if res.Reconnects < 1 || s.ID() != id {
		t.Errorf("after a restart: %+v, session %#x (was %#x); want a reconnect of the same session", res, s.ID(), id)
	}
}
