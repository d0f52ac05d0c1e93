package bench

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"zkd/zkd/proto"
)

// ErrBadConfig is returned by Config.Validate.
var ErrBadConfig = errors.New("bench: bad config")

// Config describes one run. Validate replaces a zero Sessions, Inflight,
// Duration, Mix, Keys, Root and the timeouts with the defaults below; a zero
// Warmup, ValueSize, MaxOps or Seed means what it says.
type Config struct {
	// Servers are host:port client addresses; sessions are spread over
	// them round-robin.
	Servers []string
	// Sessions is the number of sessions (connections) issuing load.
	Sessions int
	// Inflight is the number of requests each session keeps outstanding.
	Inflight int
	// Warmup is run but not measured; Duration is the measurement window
	// that follows it. Populate mode ignores both.
	Warmup   time.Duration
	Duration time.Duration
	// MaxOps, when positive, bounds the requests a load run sends in all
	// (warm-up included); the run ends at the count or the window's end,
	// whichever comes first.
	MaxOps int64
	// Mix is the load: which ops, how often (ParseMix).
	Mix Mix
	// ValueSize is the size of the data written by create and setData and
	// of the keys the run creates (bytes).
	ValueSize int
	// Keys is the size of the key space <Root>/k/0000000.. that set, get,
	// exists, children and multi pick from uniformly. Keys are created
	// before the run when missing (an existing key keeps its value).
	Keys int
	// Root is the znode under which everything the run makes lives.
	Root string

	// Populate, when positive, selects populate mode: create this many
	// znodes under <Root>/p (in directories of populateFanout), pipelined
	// over all sessions, and report the time it took.
	Populate int
	// RSSPid, in populate mode, is a server process whose resident memory
	// is sampled before and after populating (Linux /proc).
	RSSPid int
	// RSSSettle is the pause between the end of populating (sessions
	// closed) and the second RSS sample.
	RSSSettle time.Duration

	// ServerPids, in load mode, are the server processes (every member of
	// an ensemble) whose CPU time over the window is reported per op
	// (Report.Machine; Linux /proc).
	ServerPids []int

	// Watch, when positive, selects watch fan-out mode: one writer sets
	// <Root>/w while this many watcher sessions hold a data watch on it.
	Watch int

	// SessionTimeout is what each session asks the server for.
	SessionTimeout time.Duration
	// DialTimeout bounds connecting and the handshake of every session.
	DialTimeout time.Duration
	// ReplyTimeout bounds every wait for a reply.
	ReplyTimeout time.Duration
	// Seed seeds the key and op choices (0: from the clock).
	Seed uint64
	// Timeline, when positive, makes a load run report its latency over
	// the measurement window in steps of this length (Report.Timeline).
	Timeline time.Duration
}

// Defaults of the optional fields.
const (
	DefaultSessions       = 16
	DefaultInflight       = 8
	DefaultWarmup         = 2 * time.Second
	DefaultDuration       = 10 * time.Second
	DefaultMix            = "read=90,write=10"
	DefaultValueSize      = 100
	DefaultKeys           = 10000
	DefaultRoot           = "/zkbench"
	DefaultSessionTimeout = 30 * time.Second
	DefaultDialTimeout    = 10 * time.Second
	DefaultReplyTimeout   = 10 * time.Second
	DefaultRSSSettle      = 2 * time.Second
)

// maxValueSize keeps a request under jute.maxbuffer with room for the
// path and headers.
const maxValueSize = proto.DefaultMaxBuffer - 4096

// Validate fills in defaults and checks the config.
func (c *Config) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrBadConfig, fmt.Sprintf(format, a...))
	}
	if len(c.Servers) == 0 {
		return bad("no servers")
	}
	for _, s := range c.Servers {
		if !strings.Contains(s, ":") {
			return bad("server %q is not host:port", s)
		}
	}
	setDefault(&c.Sessions, DefaultSessions)
	setDefault(&c.Inflight, DefaultInflight)
	setDefault(&c.Duration, DefaultDuration)
	setDefault(&c.Keys, DefaultKeys)
	setDefault(&c.Root, DefaultRoot)
	setDefault(&c.SessionTimeout, DefaultSessionTimeout)
	setDefault(&c.DialTimeout, DefaultDialTimeout)
	setDefault(&c.ReplyTimeout, DefaultReplyTimeout)
	setDefault(&c.RSSSettle, DefaultRSSSettle)
	if c.Mix.Total() == 0 {
		c.Mix = MustParseMix(DefaultMix)
	}
	switch {
	case c.Sessions < 1 || c.Inflight < 1:
		return bad("sessions (%d) and inflight (%d) must be at least 1", c.Sessions, c.Inflight)
	case c.Inflight > 100000:
		return bad("inflight %d is beyond any server's limits", c.Inflight)
	case c.ValueSize < 0 || c.ValueSize > maxValueSize:
		return bad("value size %d not in [0, %d]", c.ValueSize, maxValueSize)
	case c.Keys < 1:
		return bad("keys %d must be at least 1", c.Keys)
	case !strings.HasPrefix(c.Root, "/") || c.Root == "/" || strings.HasSuffix(c.Root, "/"):
		return bad("root %q must be an absolute path other than /", c.Root)
	case c.Populate < 0 || c.Watch < 0 || c.MaxOps < 0:
		return bad("populate, watch and max-ops cannot be negative")
	case c.Populate > 0 && c.Watch > 0:
		return bad("populate and watch are different modes; choose one")
	case c.RSSPid != 0 && c.Populate == 0:
		return bad("an RSS pid is only sampled in populate mode")
	case c.Duration < 0:
		return bad("duration cannot be negative")
	case c.Warmup < 0:
		return bad("warm-up cannot be negative")
	case c.Timeline < 0 || (c.Timeline > 0 && c.Duration/c.Timeline > 1e6):
		return bad("timeline step %v must be positive and at least a millionth of the duration", c.Timeline)
	}
	return nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}
