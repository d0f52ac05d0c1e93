package zkcli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"zkd/internal/ztest"
)

// paneWait bounds each wait for text to appear in the tmux pane.
const paneWait = 15 * time.Second

// tmuxSession is one detached tmux session on a private server socket, so
// the test never touches a user's tmux.
type tmuxSession struct {
	t      *testing.T
	socket string
	name   string
}

// startTmux runs command in a new 200x50 detached session.
func startTmux(t *testing.T, command string) *tmuxSession {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skipf("no tmux: %v", err)
	}
	s := &tmuxSession{t: t, socket: fmt.Sprintf("zkcli-test-%d", os.Getpid()), name: "zkcli"}
	s.tmux("new-session", "-d", "-s", s.name, "-x", "200", "-y", "50", command)
	t.Cleanup(func() {
		// Only the session this test created; it ends its private server.
		exec.Command("tmux", "-L", s.socket, "kill-session", "-t", s.name).Run()
	})
	return s
}

func (s *tmuxSession) tmux(args ...string) string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "tmux", append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// send types keys (tmux key names such as Enter and Tab are sent as keys).
func (s *tmuxSession) send(keys ...string) {
	s.t.Helper()
	s.tmux(append([]string{"send-keys", "-t", s.name}, keys...)...)
}

// typeLine types text literally and presses Enter.
func (s *tmuxSession) typeLine(text string) {
	s.t.Helper()
	s.tmux("send-keys", "-t", s.name, "-l", text)
	s.send("Enter")
}

func (s *tmuxSession) capture() string {
	s.t.Helper()
	return s.tmux("capture-pane", "-p", "-t", s.name, "-S", "-200")
}

// waitFor waits until the pane holds want count times (at least), bounded
// by paneWait, and returns the pane.
func (s *tmuxSession) waitFor(want string, count int) string {
	s.t.Helper()
	deadline := time.Now().Add(paneWait)
	for {
		pane := s.capture()
		if strings.Count(pane, want) >= count {
			return pane
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("pane never showed %q (%d times) within %v:\n%s", want, count, paneWait, pane)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// alive reports whether the session still exists.
func (s *tmuxSession) alive() bool {
	return exec.Command("tmux", "-L", s.socket, "has-session", "-t", s.name).Run() == nil
}

func TestInteractiveInTmux(t *testing.T) {
	srv := ztest.StartZkd(t, ztest.Options{})
	bin := zkcliBinary(t)
	s := startTmux(t, bin+" -server "+srv.Addr)

	prompt := "[zk: " + srv.Addr + "(CONNECTED) "
	s.waitFor(prompt+"0]", 1)
	s.waitFor("WatchedEvent state:SyncConnected type:None path:null", 1)

	s.typeLine("ls /")
	s.waitFor("[zookeeper]", 1)

	s.typeLine("create /tmuxnode hello")
	s.waitFor("Created /tmuxnode", 1)

	s.typeLine("get -s /tmuxnode")
	s.waitFor("dataLength = 5", 1)

	// A data watch set here fires when another client changes the node.
	s.typeLine("get -w /tmuxnode")
	s.waitFor(prompt+"4]", 1)
	if got := runZkcli(t, srv.Addr, "set", "/tmuxnode", "changed"); got.code != 0 {
		t.Fatalf("zkcli set: %q (exit %d)", got.out, got.code)
	}
	pane := s.waitFor("WatchedEvent state:SyncConnected type:NodeDataChanged path:/tmuxnode", 1)
	if !strings.Contains(pane, "WATCHER::") {
		t.Errorf("no WATCHER:: banner in pane:\n%s", pane)
	}

	// Tab completes a path from the server: "/tmuxn" → "/tmuxnode".
	s.tmux("send-keys", "-t", s.name, "-l", "get /tmuxn")
	s.send("Tab")
	s.waitFor("get /tmuxnode", 1)
	s.send("Enter")
	s.waitFor(prompt+"5]", 1)
	if pane := s.capture(); !strings.Contains(pane, "get /tmuxnode\nchanged\n") {
		t.Errorf("completed get did not print the new data:\n%s", pane)
	}
	// Tab completes a command name too.
	s.tmux("send-keys", "-t", s.name, "-l", "getAllCh")
	s.send("Tab")
	s.waitFor(prompt+"5] getAllChildrenNumber", 1) // the pane trims the trailing blank
	s.tmux("send-keys", "-t", s.name, "-l", "/")
	s.send("Enter")
	s.waitFor(prompt+"6]", 1)

	// History: Up recalls the previous command.
	s.send("Up")
	s.waitFor(prompt+"6] getAllChildrenNumber /", 1)
	s.send("C-u")

	// close ends the session; connect opens a new one.
	s.typeLine("close")
	s.waitFor("[zk: "+srv.Addr+"(CLOSED) 7]", 1)
	s.typeLine("connect " + srv.Addr)
	s.waitFor(prompt+"8]", 1)
	s.typeLine("printwatches off")
	s.typeLine("printwatches")
	s.waitFor("printwatches is off", 1)

	s.typeLine("quit")
	deadline := time.Now().Add(paneWait)
	for s.alive() {
		if time.Now().After(deadline) {
			t.Fatalf("zkcli did not exit after quit:\n%s", s.capture())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
