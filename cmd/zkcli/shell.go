package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"zkd/client"
	"zkd/zkd/proto"
)

// errUsage marks a command line that did not parse; the command's usage
// line has been printed.
var errUsage = errors.New("usage")

// errNotFound marks an unknown command; the usage list has been printed.
var errNotFound = errors.New("command not found")

// errQuit asks the shell to end.
var errQuit = errors.New("quit")

// shell is one zkcli session: the connection and the state zkCli keeps
// between commands (printwatches, history, the command counter).
type shell struct {
	server  string
	timeout time.Duration
	out     io.Writer // results (stdout)
	errw    io.Writer // errors and usage (stderr)
	// async prints output that arrives between commands (watch events);
	// the line editor redraws its prompt around it.
	async func(string)

	mu         sync.Mutex
	cli        *client.Client
	printWatch atomic.Bool
	oneShot    bool
	history    []string
	commandNum int
}

// connect (re)opens the session to s.server.
func (sh *shell) connect() error {
	sh.mu.Lock()
	old := sh.cli
	sh.cli = nil
	sh.mu.Unlock()
	if old != nil {
		old.Close()
	}
	cli, err := client.Connect([]string{sh.server}, client.Options{
		SessionTimeout: sh.timeout,
		Watcher:        sh.onEvent,
	})
	if err != nil {
		return err
	}
	sh.mu.Lock()
	sh.cli = cli
	sh.mu.Unlock()
	return nil
}

// onEvent prints a watch or state event as zkCli's default watcher does.
func (sh *shell) onEvent(ev client.Event) {
	if !sh.printWatch.Load() {
		return
	}
	if sh.oneShot && ev.Type == proto.EventNone {
		return
	}
	sh.async(formatEvent(ev.Type, ev.State, ev.Path))
}

// client returns the live session or an error to print.
func (sh *shell) client() (*client.Client, error) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.cli == nil {
		return nil, errors.New("Not connected")
	}
	return sh.cli, nil
}

// prompt is zkCli's "[zk: host:port(CONNECTED) 3] ".
func (sh *shell) prompt() string {
	state := proto.StateClosed
	sh.mu.Lock()
	if sh.cli != nil {
		state = sh.cli.State()
	}
	n := sh.commandNum
	sh.mu.Unlock()
	return fmt.Sprintf("[zk: %s(%s) %d] ", sh.server, promptState(state), n)
}

// run executes one command line; it returns errQuit for quit and a
// non-nil error when the command failed (already printed).
func (sh *shell) run(line string) error {
	argv := splitLine(line)
	if len(argv) == 0 {
		return nil
	}
	sh.mu.Lock()
	sh.history = append(sh.history, line)
	sh.commandNum++
	sh.mu.Unlock()
	cmd, ok := commandByName(argv[0])
	if !ok {
		sh.usage()
		fmt.Fprintf(sh.errw, "Command not found: Command not found %s\n", argv[0])
		return errNotFound
	}
	err := cmd.run(sh, argv[1:])
	switch {
	case err == nil, errors.Is(err, errQuit):
		return err
	case errors.Is(err, errUsage):
		fmt.Fprintln(sh.errw, cmd.usage)
	default:
		var pe *pathError
		if errors.As(err, &pe) {
			fmt.Fprintln(sh.errw, errMessage(pe.err, pe.path))
		} else {
			fmt.Fprintln(sh.errw, err.Error())
		}
	}
	return err
}

// usage prints zkCli's command summary.
func (sh *shell) usage() {
	var b strings.Builder
	b.WriteString("ZooKeeper -server host:port -client-configuration properties-file cmd args\n")
	for _, c := range commands() {
		fmt.Fprintf(&b, "\t%s\n", c.usage)
	}
	io.WriteString(sh.errw, b.String())
}

// close ends the session, if any.
func (sh *shell) close() {
	sh.mu.Lock()
	cli := sh.cli
	sh.cli = nil
	sh.mu.Unlock()
	if cli != nil {
		cli.Close()
	}
}

// pathError is a failed call on path, printed by errMessage.
type pathError struct {
	err  error
	path string
}

func (e *pathError) Error() string { return errMessage(e.err, e.path) }
func (e *pathError) Unwrap() error { return e.err }

func onPath(err error, path string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, client.ErrClosed) {
		return errors.New("Not connected")
	}
	return &pathError{err: err, path: path}
}
