package mntr

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeServer accepts connections on loopback and hands each to serve. It
// records what every client sent before closing.
type fakeServer struct {
	addr string
	mu   sync.Mutex
	got  []string
}

func startFake(t *testing.T, serve func(f *fakeServer, c net.Conn)) *fakeServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeServer{addr: l.Addr().String()}
	var wg sync.WaitGroup
	done := make(chan struct{})
	t.Cleanup(func() { close(done); l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				go func() { <-done; c.Close() }()
				serve(f, c)
			}()
		}
	}()
	return f
}

// reply answers like ZooKeeper: read the word, write the reply, close the
// write side, then record everything the client sent.
func (f *fakeServer) reply(text string) func(net.Conn) {
	return func(c net.Conn) {
		word := make([]byte, 4)
		if _, err := io.ReadFull(c, word); err != nil {
			return
		}
		io.WriteString(c, text)
		c.(*net.TCPConn).CloseWrite()
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		rest, _ := io.ReadAll(c)
		f.mu.Lock()
		f.got = append(f.got, string(word)+string(rest))
		f.mu.Unlock()
	}
}

func TestFetch(t *testing.T) {
	const good = "zk_version\t3.8.0\nzk_server_state\tstandalone\nzk_znode_count\t5\n"
	tests := []struct {
		name    string
		reply   string
		wantErr error
		reason  string
	}{
		{name: "reply", reply: good},
		{name: "whitelist", reply: "mntr is not executed because it is not in the whitelist.\n", wantErr: ErrNotWhitelisted, reason: "not_whitelisted"},
		{name: "not serving", reply: "This ZooKeeper instance is not currently serving requests\n", wantErr: ErrNotServing, reason: "not_serving"},
		{name: "empty", reply: "", wantErr: ErrEmpty, reason: "empty"},
		{name: "cut mid-line", reply: "zk_version\t3.8.0\nzk_znode_co", wantErr: ErrTruncated, reason: "truncated"},
		{name: "too large", reply: strings.Repeat("zk_x\t1\n", MaxReply/7+10), wantErr: ErrTooLarge, reason: "too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := startFake(t, func(f *fakeServer, c net.Conn) { f.reply(tt.reply)(c) })
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			b, err := Fetch(ctx, f.addr)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Fetch = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if r := Reason(err); r != tt.reason {
					t.Errorf("Reason(%v) = %q, want %q", err, r, tt.reason)
				}
				if !strings.Contains(err.Error(), f.addr) {
					t.Errorf("error %q does not name the target", err)
				}
				return
			}
			if string(b) != tt.reply {
				t.Errorf("reply = %q, want %q", b, tt.reply)
			}
			// The client closes after reading; wait for the record.
			deadline := time.Now().Add(3 * time.Second)
			for time.Now().Before(deadline) {
				f.mu.Lock()
				n := len(f.got)
				f.mu.Unlock()
				if n > 0 {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if len(f.got) != 1 || f.got[0] != "mntr" {
				t.Errorf("server received %q, want exactly one \"mntr\" and nothing else (never srst)", f.got)
			}
		})
	}
}

// TestFetchHungServer: a server that accepts and never answers costs one
// deadline, not more.
func TestFetchHungServer(t *testing.T) {
	f := startFake(t, func(_ *fakeServer, c net.Conn) { io.Copy(io.Discard, c) })
	const timeout = 300 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	_, err := Fetch(ctx, f.addr)
	took := time.Since(start)
	if Reason(err) != "timeout" {
		t.Errorf("Fetch = %v (reason %q), want a timeout", err, Reason(err))
	}
	if took > timeout+time.Second {
		t.Errorf("Fetch took %v with a %v deadline", took, timeout)
	}
}

// TestFetchSlowDrip: a server that sends a byte now and then must not
// extend the deadline (it is one deadline for the whole exchange, not an
// idle timeout).
func TestFetchSlowDrip(t *testing.T) {
	f := startFake(t, func(_ *fakeServer, c net.Conn) {
		for i := 0; i < 100; i++ {
			if _, err := c.Write([]byte("z")); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Fetch(ctx, f.addr)
	if Reason(err) != "timeout" || time.Since(start) > 1300*time.Millisecond {
		t.Errorf("Fetch = %v after %v, want a timeout after about 300ms", err, time.Since(start))
	}
}

// TestFetchCancel: cancellation without a deadline ends a hung exchange.
func TestFetchCancel(t *testing.T) {
	f := startFake(t, func(_ *fakeServer, c net.Conn) { io.Copy(io.Discard, c) })
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	_, err := Fetch(ctx, f.addr)
	if !errors.Is(err, context.Canceled) || time.Since(start) > 2*time.Second {
		t.Errorf("Fetch = %v after %v, want canceled soon", err, time.Since(start))
	}
}

func TestFetchRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err = Fetch(ctx, addr)
	if err == nil || Reason(err) != "refused" {
		t.Errorf("Fetch = %v (reason %q), want refused", err, Reason(err))
	}
}

func TestCheck(t *testing.T) {
	if err := check(bytes.Repeat([]byte("x"), 3)); !errors.Is(err, ErrTruncated) {
		t.Errorf("check(no newline) = %v", err)
	}
	if err := check([]byte("zk_x\t1\n")); err != nil {
		t.Errorf("check(good) = %v", err)
	}
}
