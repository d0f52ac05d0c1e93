package bench

import (
	"context"
	"time"
)

// Run validates cfg and performs one run in the mode it selects: populate
// (cfg.Populate > 0), watch fan-out (cfg.Watch > 0) or load. It returns an
// error, and no report, when a session cannot be opened or fails during
// the run (a broken connection, a reply out of order, a reply timeout);
// failed requests are not errors of the run but counts in the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Seed == 0 {
		cfg.Seed = uint64(time.Now().UnixNano())
	}
	switch {
	case cfg.Populate > 0:
		return runPopulate(ctx, &cfg)
	case cfg.Watch > 0:
		return runWatch(ctx, &cfg)
	}
	return runLoad(ctx, &cfg)
}
