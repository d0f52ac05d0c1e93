package transport

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestReachLogLevels: start-up misses are Info, losing an established
// peer or a rejection is a warning, repeats are Debug, recovery is Info.
func TestReachLogLevels(t *testing.T) {
	refused := errors.New("connection refused")
	rejected := fmt.Errorf("%w by peer 2: wrong member id", ErrRejected)
	type step struct {
		connect bool
		err     error
		age     time.Duration // pretend the peer has been down this long
		want    string        // level=... and message
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"start-up then up", []step{
			{err: refused, want: "level=INFO msg=\"peer not reachable yet"},
			{err: refused, want: "level=DEBUG msg=\"peer still unreachable"},
			{connect: true, want: "level=INFO msg=\"connected to peer"},
		}},
		{"start-up for too long", []step{
			{err: refused, want: "level=INFO msg=\"peer not reachable yet"},
			{err: refused, age: quietStartup + time.Second, want: "level=WARN msg=\"peer still unreachable"},
			{err: refused, age: quietStartup + 2*time.Second, want: "level=DEBUG"},
		}},
		{"rejected at start-up", []step{
			{err: rejected, want: "level=WARN msg=\"peer unreachable"},
		}},
		{"lost and back", []step{
			{connect: true, want: "level=INFO msg=\"connected to peer"},
			{err: refused, want: "level=WARN msg=\"peer unreachable"},
			{err: refused, want: "level=DEBUG"},
			{connect: true, want: "level=INFO msg=\"peer reachable again"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs := &logBuffer{}
			rl := reachLog{log: logs.logger()}
			for i, st := range tt.steps {
				before := len(logs.String())
				if st.age > 0 {
					rl.downSince = time.Now().Add(-st.age)
				}
				if st.connect {
					rl.connected("127.0.0.1:1")
				} else {
					rl.failed("127.0.0.1:1", st.err, 0)
				}
				if line := logs.String()[before:]; !strings.Contains(line, st.want) {
					t.Fatalf("step %d logged %q, want %q", i, line, st.want)
				}
			}
		})
	}
}
