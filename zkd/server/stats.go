package server

import (
	"math"
	"sync"
	"sync/atomic"
)

// stats are the server-wide counters that srvr, stat, mntr and (later)
// /metrics all read, so the surfaces never disagree.
type stats struct {
	packetsReceived atomic.Int64
	packetsSent     atomic.Int64
	outstanding     atomic.Int64
	authFailed      atomic.Int64
	pendingSyncs    atomic.Int64 // syncs waiting on the leader's read index

	mu        sync.Mutex
	latMin    int64 // ms
	latMax    int64
	latSum    int64
	latCount  int64
	respMin   int64 // bytes
	respMax   int64
	respLast  int64
	readLat   summary
	updateLat summary
	// proposals are the sizes of the log entries this member proposed
	// (a leader's "Proposal sizes last/min/max").
	proposals    summary
	proposalLast int64
}

// summary is an avg/min/max/count/sum counter, as ZooKeeper's
// AvgMinMaxCounter prints it in mntr.
type summary struct {
	min, max, sum, count int64
}

func (s *summary) add(v int64) {
	if s.count == 0 || v < s.min {
		s.min = v
	}
	if v > s.max {
		s.max = v
	}
	s.sum += v
	s.count++
}

func (s *summary) avg() float64 {
	if s.count == 0 {
		return 0
	}
	return float64(s.sum) / float64(s.count)
}

func newStats() *stats { return &stats{latMin: math.MaxInt64, respMin: math.MaxInt64} }

// observe records one answered request: latency in ms and response size.
func (s *stats) observe(latencyMs int64, respBytes int, write bool) {
	s.mu.Lock()
	if latencyMs < s.latMin {
		s.latMin = latencyMs
	}
	if latencyMs > s.latMax {
		s.latMax = latencyMs
	}
	s.latSum += latencyMs
	s.latCount++
	b := int64(respBytes)
	if b < s.respMin {
		s.respMin = b
	}
	if b > s.respMax {
		s.respMax = b
	}
	s.respLast = b
	if write {
		s.updateLat.add(latencyMs)
	} else {
		s.readLat.add(latencyMs)
	}
	s.mu.Unlock()
}

// latency returns min/avg/max in ms; zeros before any request.
func (s *stats) latency() (minMs int64, avg float64, maxMs int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.latCount == 0 {
		return 0, 0, 0
	}
	return s.latMin, float64(s.latSum) / float64(s.latCount), s.latMax
}

// resetLatency is srst's and crst's effect on the server-wide numbers.
func (s *stats) reset() {
	s.mu.Lock()
	s.latMin, s.latMax, s.latSum, s.latCount = math.MaxInt64, 0, 0, 0
	s.respMin, s.respMax, s.respLast = math.MaxInt64, 0, 0
	s.readLat, s.updateLat = summary{}, summary{}
	s.mu.Unlock()
	s.packetsReceived.Store(0)
	s.packetsSent.Store(0)
}

func (s *stats) responseSizes() (last, minB, maxB int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	minB = s.respMin
	if minB == math.MaxInt64 {
		minB = -1
	}
	last, maxB = s.respLast, s.respMax
	if s.latCount == 0 {
		last, maxB = -1, -1
	}
	return last, minB, maxB
}

// proposed records the size of one log entry this member proposed.
func (s *stats) proposed(size int) {
	s.mu.Lock()
	s.proposals.add(int64(size))
	s.proposalLast = int64(size)
	s.mu.Unlock()
}

// proposalSizes are the last, smallest and largest proposed entry sizes;
// -1 each before any, as ZooKeeper prints them.
func (s *stats) proposalSizes() (last, minB, maxB int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proposals.count == 0 {
		return -1, -1, -1
	}
	return s.proposalLast, s.proposals.min, s.proposals.max
}
