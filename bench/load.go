package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"time"

	"zkd/zkd/proto"
)

// loadSource generates one session's share of a load run: ops drawn from
// the mix on uniformly random keys until the window ends or the shared
// budget runs out. Request records are reused; only create builds a new
// path per op.
type loadSource struct {
	mix    Mix
	rng    *rand.Rand
	keys   []string
	stop   time.Time     // no request is sent after this
	budget *atomic.Int64 // requests left in the whole run; nil: no bound
	win    window
	st     *stats

	createPrefix string // <root>/c/<run>-<session>-
	seq          int
	name         []byte

	create   proto.CreateRequest
	set      proto.SetDataRequest
	get      proto.GetDataRequest
	exists   proto.ExistsRequest
	children proto.GetChildrenRequest
	check    proto.CheckVersionRequest
	multiSet proto.SetDataRequest
	multi    proto.MultiRequest
	multiRes proto.MultiResponse
}

func newLoadSource(cfg *Config, session int, runID string, keys []string, value []byte, win window, budget *atomic.Int64, st *stats) *loadSource {
	s := &loadSource{
		mix:          cfg.Mix,
		rng:          rand.New(rand.NewPCG(cfg.Seed, uint64(session))),
		keys:         keys,
		stop:         win.end,
		budget:       budget,
		win:          win,
		st:           st,
		createPrefix: cfg.Root + createDir + "/" + runID + "-" + strconv.Itoa(session) + "-",
		create:       proto.CreateRequest{Data: value, ACL: openACL},
		set:          proto.SetDataRequest{Data: value, Version: -1},
		check:        proto.CheckVersionRequest{Version: -1},
		multiSet:     proto.SetDataRequest{Data: value, Version: -1},
	}
	s.multi.Ops = []proto.MultiOp{
		{Type: proto.OpCheck, Request: &s.check},
		{Type: proto.OpSetData, Request: &s.multiSet},
	}
	return s
}

func (s *loadSource) key() string { return s.keys[s.rng.IntN(len(s.keys))] }

func (s *loadSource) next(now time.Time) (OpKind, proto.OpCode, proto.Record, bool) {
	if !now.Before(s.stop) || (s.budget != nil && s.budget.Add(-1) < 0) {
		return 0, 0, nil, false
	}
	kind := s.mix.Pick(s.rng.IntN(s.mix.Total()))
	switch kind {
	case KindCreate:
		s.name = strconv.AppendInt(append(s.name[:0], s.createPrefix...), int64(s.seq), 10)
		s.seq++
		s.create.Path = string(s.name)
		return kind, proto.OpCreate, &s.create, true
	case KindSet:
		s.set.Path = s.key()
		return kind, proto.OpSetData, &s.set, true
	case KindGet:
		s.get.Path = s.key()
		return kind, proto.OpGetData, &s.get, true
	case KindExists:
		s.exists.Path = s.key()
		return kind, proto.OpExists, &s.exists, true
	case KindChildren:
		s.children.Path = s.key()
		return kind, proto.OpGetChildren, &s.children, true
	case KindMulti:
		s.check.Path, s.multiSet.Path = s.key(), s.key()
		return kind, proto.OpMulti, &s.multi, true
	}
	panic("bench: no request for " + kind.String())
}

func (s *loadSource) done(kind OpKind, h proto.ReplyHeader, body []byte, sent, now time.Time) {
	if !s.win.contains(now) {
		return
	}
	code := h.Err
	if kind == KindMulti && code == proto.ErrOK {
		code = s.multiError(body)
	}
	s.st.record(kind, code, now.Sub(sent))
	if s.st.tl != nil && code == proto.ErrOK {
		s.st.tl.record(now, now.Sub(sent))
	}
}

// multiError finds the error of a multi whose reply header says OK: 3.8
// puts a failed multi's codes in its results, not in the header.
func (s *loadSource) multiError(body []byte) proto.ErrCode {
	if err := proto.Decode(body, &s.multiRes); err != nil {
		return proto.ErrMarshallingError
	}
	for _, r := range s.multiRes.Results {
		if r.Type == proto.OpError && r.Err != proto.ErrOK {
			return r.Err
		}
	}
	return proto.ErrOK
}

// runLoad is load mode: set up the tree, then every session runs its
// pipeline through warm-up and the measurement window.
func runLoad(ctx context.Context, cfg *Config) (*Report, error) {
	conns, err := dialAll(ctx, cfg, cfg.Sessions)
	if err != nil {
		return nil, err
	}
	defer closeAll(conns)
	defer abortOnCancel(ctx, conns)()

	value := make([]byte, cfg.ValueSize)
	var keys []string
	if cfg.Mix.needsKeys() {
		if err := ensure(ctx, conns[0], cfg.ReplyTimeout, cfg.Root, cfg.Root+keysDir); err != nil {
			return nil, err
		}
		path := func(i int) string { return keyPath(cfg.Root, i) }
		if _, _, err := createAll(conns, cfg, cfg.Keys, path, value, nil); err != nil {
			return nil, ctxErr(ctx, fmt.Errorf("bench: create the key space: %w", err))
		}
		keys = make([]string, cfg.Keys)
		for i := range keys {
			keys[i] = path(i)
		}
	}
	if cfg.Mix.Weight(KindCreate) > 0 {
		if err := ensure(ctx, conns[0], cfg.ReplyTimeout, cfg.Root, cfg.Root+createDir); err != nil {
			return nil, err
		}
	}

	var budget *atomic.Int64
	if cfg.MaxOps > 0 {
		budget = new(atomic.Int64)
		budget.Store(cfg.MaxOps)
	}
	runID := strconv.FormatInt(time.Now().UnixNano(), 36)
	start := time.Now()
	win := window{start: start.Add(cfg.Warmup), end: start.Add(cfg.Warmup + cfg.Duration)}
	sts := make([]stats, len(conns))
	tls := make([]*timeline, len(conns))
	if cfg.Timeline > 0 {
		for i := range sts {
			tls[i] = newTimeline(win.start, cfg.Timeline, cfg.Duration)
			sts[i].tl = tls[i]
		}
	}
	meter := newWindowMeter(cfg.ServerPids, win.start)
	err = onEach(len(conns), func(i int) error {
		src := newLoadSource(cfg, i, runID, keys, value, win, budget, &sts[i])
		return pipeline(conns[i], cfg.Inflight, src, cfg.ReplyTimeout)
	})
	finished := time.Now()
	meter.stop()
	if err != nil {
		return nil, ctxErr(ctx, fmt.Errorf("bench: load: %w", err))
	}
	var all stats
	for i := range sts {
		all.merge(&sts[i])
	}
	measured := win.measured(finished)
	r := newReport("load", cfg, measured, &all, cfg.Mix.kinds())
	r.Mix = cfg.Mix.String()
	r.Keys = cfg.Keys
	r.Timeline = buildTimeline(tls, len(cfg.Servers))
	r.Machine = meter.report(r.Total.Ops + r.Total.ErrorTotal())
	return r, nil
}

// ctxErr prefers the context's error when it was cancelled: the
// connections were closed on purpose, so their errors are noise.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("bench: %w", ctx.Err())
	}
	return err
}
