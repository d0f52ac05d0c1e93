package bench

import (
	"context"
	"fmt"
	"time"
)

// PopulateReport is the part of a populate run's report that load runs do
// not have.
type PopulateReport struct {
	// Znodes is how many znodes the run created (directories included);
	// Existed how many it found already there.
	Znodes  int64 `json:"znodes"`
	Existed int64 `json:"existed"`
	// Seconds is the time from the first create to the last reply.
	Seconds float64 `json:"seconds"`
	// RSSBefore and RSSAfter are the sampled server's resident memory in
	// bytes before the run and RSSSettle after it; BytesPerZnode is their
	// difference over Znodes. All zero without an RSS pid.
	RSSPid        int     `json:"rss_pid,omitempty"`
	RSSBefore     int64   `json:"rss_before_bytes,omitempty"`
	RSSAfter      int64   `json:"rss_after_bytes,omitempty"`
	BytesPerZnode float64 `json:"bytes_per_znode,omitempty"`
}

// runPopulate is populate mode: cfg.Populate leaf znodes of cfg.ValueSize
// bytes in directories of populateFanout, created over all sessions with
// cfg.Inflight outstanding each; directories first, then leaves.
func runPopulate(ctx context.Context, cfg *Config) (*Report, error) {
	var pr PopulateReport
	if cfg.RSSPid != 0 {
		rss, err := readRSS(cfg.RSSPid)
		if err != nil {
			return nil, err
		}
		pr.RSSPid, pr.RSSBefore = cfg.RSSPid, rss
	}
	conns, err := dialAll(ctx, cfg, cfg.Sessions)
	if err != nil {
		return nil, err
	}
	closed := false
	defer func() {
		if !closed {
			closeAll(conns)
		}
	}()
	defer abortOnCancel(ctx, conns)()

	if err := ensure(ctx, conns[0], cfg.ReplyTimeout, cfg.Root, cfg.Root+populateDir); err != nil {
		return nil, err
	}
	sts := make([]stats, len(conns))
	start := time.Now()
	dirs := (cfg.Populate + populateFanout - 1) / populateFanout
	dirPath := func(d int) string { return populateDirPath(cfg.Root, d) }
	created, existed, err := createAll(conns, cfg, dirs, dirPath, []byte{}, sts)
	if err != nil {
		return nil, ctxErr(ctx, fmt.Errorf("bench: populate directories: %w", err))
	}
	leafPath := func(i int) string { return populateLeafPath(cfg.Root, i) }
	leaves, leavesExisted, err := createAll(conns, cfg, cfg.Populate, leafPath, make([]byte, cfg.ValueSize), sts)
	if err != nil {
		return nil, ctxErr(ctx, fmt.Errorf("bench: populate: %w", err))
	}
	elapsed := time.Since(start)
	pr.Znodes, pr.Existed = created+leaves, existed+leavesExisted
	pr.Seconds = elapsed.Seconds()

	if cfg.RSSPid != 0 {
		closeAll(conns)
		closed = true
		select {
		case <-time.After(cfg.RSSSettle):
		case <-ctx.Done():
			return nil, fmt.Errorf("bench: %w", ctx.Err())
		}
		rss, err := readRSS(cfg.RSSPid)
		if err != nil {
			return nil, err
		}
		pr.RSSAfter = rss
		if pr.Znodes > 0 {
			pr.BytesPerZnode = float64(pr.RSSAfter-pr.RSSBefore) / float64(pr.Znodes)
		}
	}
	var all stats
	for i := range sts {
		all.merge(&sts[i])
	}
	r := newReport("populate", cfg, elapsed, &all, []OpKind{KindCreate})
	r.Populate = &pr
	return r, nil
}
