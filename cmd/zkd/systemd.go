package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"

	"zkd/zkd/server"
)

// systemd tells a Type=notify unit's manager how the server is doing,
// through $NOTIFY_SOCKET (sd_notify). Outside systemd every call is a
// no-op. READY=1 is sent once the data is loaded and the client port
// listens, never later (an ensemble member that waited for a quorum before
// READY would deadlock a one-at-a-time start), STATUS= lines are for a
// person reading `systemctl status`, WATCHDOG=1 is sent only while the
// request path answers, and STOPPING=1 on shutdown.
type systemd struct {
	log *slog.Logger
}

// notify sends one or more newline-separated assignments; a failure to
// send is logged once per call and otherwise ignored, as systemd expects.
func (n systemd) notify(state string) {
	if _, err := daemon.SdNotify(false, state); err != nil {
		n.log.Warn("sd_notify failed", "state", state, "err", err)
	}
}

func (n systemd) status(format string, args ...any) {
	n.notify("STATUS=" + fmt.Sprintf(format, args...))
}

// loading is sent before the snapshot and log are read.
func (n systemd) loading(cfgPath string) { n.status("loading data (%s)", cfgPath) }

// progress is sent while a large snapshot loads or a long log replays: a
// STATUS line a person can read, and EXTEND_TIMEOUT_USEC so that systemd's
// start timeout (TimeoutStartSec) does not kill a start that is moving.
func (n systemd) progress(stage string, done, total int64) {
	pct := int64(100)
	if total > 0 {
		pct = min(100, done*100/total)
	}
	n.notify(fmt.Sprintf("STATUS=%s %d%% (%d of %d)\nEXTEND_TIMEOUT_USEC=%d",
		stage, pct, done, total, extendBy.Microseconds()))
}

// extendBy is how much more start time each progress message asks for.
const extendBy = 30 * time.Second

// serving is what the notifier reads from the server; *server.Server has
// it, tests use a fake that can be wedged.
type serving interface {
	Healthy(ctx context.Context) error
	Addr() net.Addr
	Mode() string
	LastZxid() int64
	Status() string
}

var _ serving = (*server.Server)(nil)

// ready is sent once Start returned: the data is loaded and clients can
// connect.
func (n systemd) ready(srv serving) {
	n.notify(daemon.SdNotifyReady + "\n" + servingStatus(srv))
}

// servingStatus is the STATUS line while running: "standalone; clients
// on ...", "following leader 2; ...", "leading with 2/2 followers in sync;
// ...", "waiting for quorum (no leader); ...".
func servingStatus(srv serving) string {
	return "STATUS=" + srv.Status()
}

// statusLoop keeps the STATUS line current (the watchdog, when on, also
// refreshes it): a change of leader or quorum shows within a second.
func (n systemd) statusLoop(ctx context.Context, srv serving) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	last := ""
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if st := servingStatus(srv); st != last {
			last = st
			n.notify(st)
		}
	}
}

// stopping is sent when a shutdown begins.
func (n systemd) stopping() {
	n.notify(daemon.SdNotifyStopping + "\nSTATUS=shutting down")
}

// watchdog pings at half the unit's WatchdogSec while the server's request
// path is healthy (a bounded sync through the replicated log); a wedged
// server stops pinging and systemd restarts it. It also refreshes the
// STATUS line. It returns when ctx ends; without WATCHDOG_USEC it returns
// at once.
func (n systemd) watchdog(ctx context.Context, srv serving) {
	interval, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		n.log.Warn("systemd watchdog settings unreadable", "err", err)
		return
	}
	if interval <= 0 {
		return
	}
	t := time.NewTicker(interval / 2)
	defer t.Stop()
	healthy := true // log only the changes, not every missed ping
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		hctx, cancel := context.WithTimeout(ctx, interval/2)
		err := srv.Healthy(hctx)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				if healthy {
					n.log.Warn("not pinging the systemd watchdog: request path unhealthy", "err", err)
				}
				healthy = false
				n.status("unhealthy: %v", err)
			}
			continue
		}
		if !healthy {
			n.log.Info("request path healthy again; pinging the systemd watchdog")
			healthy = true
		}
		n.notify(daemon.SdNotifyWatchdog + "\n" + servingStatus(srv))
	}
}
