package bench

import (
	"fmt"
	"time"

	"zkd/zkd/proto"
)

// source feeds a pipeline: next gives the request to send when a slot is
// free, done takes each reply. Both run on the pipeline's goroutine.
type source interface {
	// next returns the next request, or ok false when there are no more
	// (time or count is up). now is the time of the latest reply.
	next(now time.Time) (kind OpKind, op proto.OpCode, rec proto.Record, ok bool)
	// done takes the reply to a request of kind sent at sent and read at
	// now. body is only valid during the call.
	done(kind OpKind, h proto.ReplyHeader, body []byte, sent, now time.Time)
}

// inflight is a request on the wire.
type inflight struct {
	xid  int32
	kind OpKind
	sent time.Time
}

// pipeline keeps up to depth requests outstanding on c until src runs dry,
// then waits for the last replies. It follows "batch, then flush once":
// requests are appended as replies free their slots and written together
// when no more replies are buffered, i.e. just before the read would block.
// A request's send time is that of the write that carried it, so latencies
// do not include the time it sat in the buffer.
//
// ZooKeeper answers a session's requests in order, so the outstanding
// requests are a FIFO and every reply must match its head. Notifications
// and ping replies are skipped. A read that blocks longer than
// replyTimeout fails the pipeline.
func pipeline(c *Conn, depth int, src source, replyTimeout time.Duration) error {
	ring := make([]inflight, depth)
	head, n, unsent := 0, 0, 0 // unsent: how many at the tail await a Flush
	now := time.Now()
	more := true
	fill := func() {
		for more && n < depth {
			kind, op, rec, ok := src.next(now)
			if !ok {
				more = false
				return
			}
			ring[(head+n)%depth] = inflight{xid: c.Append(op, rec), kind: kind}
			n++
			unsent++
		}
	}
	fill()
	for n > 0 {
		if !c.Buffered() {
			if unsent > 0 {
				t := time.Now()
				for i := n - unsent; i < n; i++ {
					ring[(head+i)%depth].sent = t
				}
				unsent = 0
				if err := c.Flush(); err != nil {
					return err
				}
			}
			if err := c.SetReadDeadline(time.Now().Add(replyTimeout)); err != nil {
				return fmt.Errorf("bench: set read deadline: %w", err)
			}
		}
		h, body, err := c.ReadReply()
		if err != nil {
			return fmt.Errorf("%w (%d requests outstanding)", err, n)
		}
		now = time.Now()
		if h.Xid == proto.XidNotification || h.Xid == proto.XidPing {
			continue
		}
		p := ring[head]
		if h.Xid != p.xid {
			return fmt.Errorf("%w: reply xid %d, want %d (replies out of order)", ErrProtocol, h.Xid, p.xid)
		}
		head = (head + 1) % depth
		n--
		src.done(p.kind, h, body, p.sent, now)
		fill()
	}
	return nil
}
