package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"zkd/zkd/proto"
)

// WatchReport is the part of a watch run's report that load runs do not
// have.
type WatchReport struct {
	Watchers int `json:"watchers"`
	// Writes are the setData calls sent inside the window, Events their
	// notifications: Watchers per write.
	Writes int64 `json:"writes"`
	Events int64 `json:"events"`
}

// watchClock is the send time of the latest write, shared by the writer
// and the watchers: nanoseconds since base on the monotonic clock.
type watchClock struct {
	base time.Time
	sent atomic.Int64
}

func (w *watchClock) markSent(t time.Time) { w.sent.Store(int64(t.Sub(w.base))) }

func (w *watchClock) sentAt() time.Time { return w.base.Add(time.Duration(w.sent.Load())) }

// runWatch is watch fan-out mode. It goes in rounds:
//
//  1. every watcher holds a data watch on <root>/w (getData with watch),
//     and says so on armed;
//  2. once all have, the writer notes the time and sends setData;
//  3. each watcher records the time from that send to its notification's
//     arrival, and re-arms (back to 1).
//
// So every write fans out to exactly Watch notifications and no watcher
// misses one by being between watches. A write and its notifications count
// when the write was sent inside the window; after the window the writer
// waits for the last round to finish, so every counted write has all its
// notifications counted too.
func runWatch(ctx context.Context, cfg *Config) (*Report, error) {
	conns, err := dialAll(ctx, cfg, cfg.Watch+1)
	if err != nil {
		return nil, err
	}
	defer closeAll(conns)
	defer abortOnCancel(ctx, conns)()
	node := cfg.Root + watchNode
	if err := ensure(ctx, conns[0], cfg.ReplyTimeout, cfg.Root, node); err != nil {
		return nil, err
	}

	writer, watchers := conns[0], conns[1:]
	armed := make(chan struct{}, len(watchers))
	clock := &watchClock{base: time.Now()}
	start := time.Now()
	win := window{start: start.Add(cfg.Warmup), end: start.Add(cfg.Warmup + cfg.Duration)}
	sts := make([]stats, len(conns))

	var stopping atomic.Bool
	var wg sync.WaitGroup
	werrs := make([]error, len(watchers))
	for i, c := range watchers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			werrs[i] = watchLoop(c, node, armed, clock, win, &sts[i+1], &stopping)
		}()
	}
	writes, err := writeLoop(ctx, writer, cfg, node, len(watchers), armed, clock, win, &sts[0])
	finished := time.Now()
	stopping.Store(true)
	for _, c := range watchers {
		c.SetReadDeadline(time.Now()) // wakes the watchers, idle in a read
	}
	wg.Wait()
	if err == nil {
		err = firstErrors(werrs, 3)
	}
	if err != nil {
		return nil, ctxErr(ctx, fmt.Errorf("bench: watch: %w", err))
	}

	var all stats
	for i := range sts {
		all.merge(&sts[i])
	}
	r := newReport("watch", cfg, win.measured(finished), &all, []OpKind{KindSet, KindWatch})
	r.Watch = &WatchReport{Watchers: len(watchers), Writes: writes, Events: int64(all.kinds[KindWatch].hist.Count())}
	return r, nil
}

// writeLoop runs the writer's side of the rounds until the window ends
// (or MaxOps writes) and returns the writes that completed inside it.
func writeLoop(ctx context.Context, c *Conn, cfg *Config, node string, k int, armed <-chan struct{}, clock *watchClock, win window, st *stats) (int64, error) {
	req := proto.SetDataRequest{Path: node, Data: make([]byte, cfg.ValueSize), Version: -1}
	var writes, sent int64
	for {
		timeout := time.NewTimer(cfg.ReplyTimeout)
		for got := 0; got < k; got++ {
			select {
			case <-armed:
			case <-ctx.Done():
				timeout.Stop()
				return writes, ctx.Err()
			case <-timeout.C:
				return writes, fmt.Errorf("only %d of %d watchers armed %v after the last write", got, k, cfg.ReplyTimeout)
			}
		}
		timeout.Stop()
		if !time.Now().Before(win.end) || (cfg.MaxOps > 0 && sent >= cfg.MaxOps) {
			return writes, nil
		}
		xid := c.Append(proto.OpSetData, &req)
		t := time.Now()
		clock.markSent(t)
		if err := c.Flush(); err != nil {
			return writes, err
		}
		sent++
		if err := c.SetReadDeadline(t.Add(cfg.ReplyTimeout)); err != nil {
			return writes, err
		}
		for {
			h, _, err := c.ReadReply()
			if err != nil {
				return writes, fmt.Errorf("writer: %w", err)
			}
			if h.Xid != xid {
				continue // a ping or notification; the writer watches nothing
			}
			now := time.Now()
			if win.contains(t) {
				st.record(KindSet, h.Err, now.Sub(t))
				if h.Err == proto.ErrOK {
					writes++
				}
			}
			break
		}
	}
}

// watchLoop runs one watcher: arm, wait for the notification, record its
// latency, re-arm. It returns nil once stopping is set and its read is
// interrupted.
func watchLoop(c *Conn, node string, armed chan<- struct{}, clock *watchClock, win window, st *stats, stopping *atomic.Bool) error {
	req := proto.GetDataRequest{Path: node, Watch: true}
	arm := func() error {
		c.Append(proto.OpGetData, &req)
		return c.Flush()
	}
	if err := arm(); err != nil {
		return err
	}
	var ev proto.WatcherEvent
	for {
		h, body, err := c.ReadReply()
		if err != nil {
			if stopping.Load() && errors.Is(err, os.ErrDeadlineExceeded) {
				return nil
			}
			return fmt.Errorf("watcher: %w", err)
		}
		now := time.Now()
		switch h.Xid {
		case proto.XidPing:
		case proto.XidNotification:
			if err := proto.Decode(body, &ev); err != nil {
				return fmt.Errorf("watcher: decode notification: %w", err)
			}
			if ev.Type != proto.EventNodeDataChanged || ev.Path != node {
				return fmt.Errorf("watcher: unexpected notification %d on %q", ev.Type, ev.Path)
			}
			if sent := clock.sentAt(); win.contains(sent) {
				st.record(KindWatch, proto.ErrOK, now.Sub(sent))
			}
			if err := arm(); err != nil {
				return err
			}
		default:
			if h.Err != proto.ErrOK {
				return fmt.Errorf("watcher: getData %s: %w", node, h.Err)
			}
			armed <- struct{}{}
		}
	}
}
