package mntr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"
)

// MaxReply bounds an mntr reply. Apache 3.8 prints about 20 KiB; summary
// sets add ~300 bytes per namespace or peer. A reply this large is not
// mntr.
const MaxReply = 4 << 20

// Errors Fetch returns, wrapped with the target's address; Reason names
// them for the failure counter's label.
var (
	// ErrNotWhitelisted: the server answered that mntr is not in
	// 4lw.commands.whitelist.
	ErrNotWhitelisted = errors.New("mntr: not in the server's 4lw.commands.whitelist")
	// ErrNotServing: the server is up but not serving (electing a leader,
	// or a leader with leaderServes=no).
	ErrNotServing = errors.New("mntr: server is not currently serving requests")
	// ErrEmpty: the server closed the connection without a word.
	ErrEmpty = errors.New("mntr: empty reply")
	// ErrTruncated: the reply does not end with a newline, so the server
	// went away in the middle of it.
	ErrTruncated = errors.New("mntr: reply cut off mid-line")
	// ErrTooLarge: the reply is longer than MaxReply.
	ErrTooLarge = errors.New("mntr: reply too large")
)

// The server's exact words (NIOServerCnxn, AbstractFourLetterCommand).
const (
	notWhitelistedReply = "is not executed because it is not in the whitelist"
	notServingReply     = "not currently serving requests"
)

// Fetch sends "mntr" to addr and returns the reply. One deadline, ctx's,
// covers connecting, writing and reading; without one, ctx's cancellation
// alone ends the exchange. It sends nothing but the four bytes "mntr".
func Fetch(ctx context.Context, addr string) ([]byte, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("mntr: connect to %s: %w", addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		if err := conn.SetDeadline(dl); err != nil {
			return nil, fmt.Errorf("mntr: %s: set deadline: %w", addr, err)
		}
	}
	// Cancellation without a deadline (or before it) closes the socket,
	// which unblocks the read.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	if _, err := conn.Write([]byte("mntr")); err != nil {
		return nil, fmt.Errorf("mntr: write to %s: %w", addr, ctxErr(ctx, err))
	}
	b, err := io.ReadAll(io.LimitReader(conn, MaxReply+1))
	if err != nil {
		return nil, fmt.Errorf("mntr: read from %s after %d bytes: %w", addr, len(b), ctxErr(ctx, err))
	}
	if err := check(b); err != nil {
		return nil, fmt.Errorf("%w (from %s)", err, addr)
	}
	return b, nil
}

// check classifies a complete reply.
func check(b []byte) error {
	switch {
	case len(b) == 0:
		return ErrEmpty
	case len(b) > MaxReply:
		return ErrTooLarge
	case bytes.Contains(b, []byte(notWhitelistedReply)):
		return ErrNotWhitelisted
	case bytes.Contains(b, []byte(notServingReply)):
		return ErrNotServing
	case b[len(b)-1] != '\n':
		return ErrTruncated
	}
	return nil
}

// ctxErr prefers the context's error (deadline, cancel) to the I/O error it
// caused, so a timeout reads as one.
func ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("%w (%v)", cerr, err)
	}
	return err
}

// Reason names the class of a Fetch or parse error for a metric label:
// timeout, refused, connect, not_whitelisted, not_serving, empty,
// truncated, too_large, read.
func Reason(err error) string {
	var op *net.OpError
	switch {
	case errors.Is(err, ErrNotWhitelisted):
		return "not_whitelisted"
	case errors.Is(err, ErrNotServing):
		return "not_serving"
	case errors.Is(err, ErrEmpty):
		return "empty"
	case errors.Is(err, ErrTruncated):
		return "truncated"
	case errors.Is(err, ErrTooLarge):
		return "too_large"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.As(err, &op) && op.Op == "dial":
		if strings.Contains(op.Err.Error(), "refused") {
			return "refused"
		}
		return "connect"
	}
	return "read"
}

// Timeout is the default per-target deadline: well under Prometheus'
// default 10 s scrape timeout, well over a healthy server's few ms.
const Timeout = 3 * time.Second
