package bench

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"zkd/zkd/proto"
)

// openACL is world:anyone with every permission, ZooDefs.OPEN_ACL_UNSAFE.
var openACL = []proto.ACL{{Perms: proto.PermAll, ID: proto.ID{Scheme: "world", ID: "anyone"}}}

// The layout under the root (part of the tool's interface: runs against
// the same server reuse the keys).
const (
	keysDir     = "/k" // the key space, <root>/k/0000000 ...
	createDir   = "/c" // create's new nodes, <root>/c/<run>-<session>-<n>
	populateDir = "/p" // populate's tree, <root>/p/d000000/n0000000 ...
	watchNode   = "/w" // the node watch mode sets and watches

	// populateFanout is how many znodes populate puts in one directory:
	// a tree of many small directories rather than one huge one.
	populateFanout = 1000
)

func keyPath(root string, i int) string { return root + keysDir + "/" + pad(i, 7) }

func populateDirPath(root string, d int) string { return root + populateDir + "/d" + pad(d, 6) }

func populateLeafPath(root string, i int) string {
	return populateDirPath(root, i/populateFanout) + "/n" + pad(i, 7)
}

// pad formats i in decimal with at least width digits.
func pad(i, width int) string {
	s := strconv.Itoa(i)
	for len(s) < width {
		s = "0" + s
	}
	return s
}

// ensure creates each path in turn (persistent, empty data) unless it
// already exists.
func ensure(ctx context.Context, c *Conn, timeout time.Duration, paths ...string) error {
	for _, p := range paths {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		err := c.Call(ctx, proto.OpCreate, &proto.CreateRequest{Path: p, Data: []byte{}, ACL: openACL}, nil)
		cancel()
		if err != nil && !errors.Is(err, proto.ErrNodeExists) {
			return fmt.Errorf("bench: create %s: %w", p, err)
		}
	}
	return nil
}

// createSource creates the znodes path(i) for i = first, first+step, ...
// below end: one session's share of a tree built by all of them. A node
// that exists already is counted, not an error; any other error stops the
// source and is kept in err. Latencies go to st when st is not nil.
type createSource struct {
	i, step, end int
	path         func(i int) string
	req          proto.CreateRequest
	st           *stats

	created, existed int64
	err              error
}

func newCreateSource(first, step, end int, path func(int) string, data []byte, st *stats) *createSource {
	return &createSource{
		i: first, step: step, end: end, path: path, st: st,
		req: proto.CreateRequest{Data: data, ACL: openACL},
	}
}

func (s *createSource) next(time.Time) (OpKind, proto.OpCode, proto.Record, bool) {
	if s.i >= s.end || s.err != nil {
		return 0, 0, nil, false
	}
	s.req.Path = s.path(s.i)
	s.i += s.step
	return KindCreate, proto.OpCreate, &s.req, true
}

func (s *createSource) done(_ OpKind, h proto.ReplyHeader, _ []byte, sent, now time.Time) {
	switch h.Err {
	case proto.ErrOK:
		s.created++
		if s.st != nil {
			s.st.record(KindCreate, h.Err, now.Sub(sent))
		}
	case proto.ErrNodeExists:
		s.existed++
	default:
		if s.err == nil {
			s.err = fmt.Errorf("bench: create: %w", h.Err)
		}
	}
}

// createAll builds the nodes path(0..n-1) over all sessions, each keeping
// cfg.Inflight creates outstanding, and returns how many it created and
// how many existed already. Latencies go into sts[i] when sts is not nil.
func createAll(conns []*Conn, cfg *Config, n int, path func(int) string, data []byte, sts []stats) (created, existed int64, err error) {
	srcs := make([]*createSource, len(conns))
	err = onEach(len(conns), func(i int) error {
		var st *stats
		if sts != nil {
			st = &sts[i]
		}
		srcs[i] = newCreateSource(i, len(conns), n, path, data, st)
		if err := pipeline(conns[i], cfg.Inflight, srcs[i], cfg.ReplyTimeout); err != nil {
			return err
		}
		return srcs[i].err
	})
	for _, s := range srcs {
		if s != nil {
			created += s.created
			existed += s.existed
		}
	}
	return created, existed, err
}
