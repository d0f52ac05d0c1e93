package server

import (
	"slices"
	"testing"
	"time"
)

// TestTrackerTouched: an ensemble member's tracker reports the sessions
// touched since the last report, once, and forgets closed ones; a
// standalone server's keeps nothing (nobody drains it).
func TestTrackerTouched(t *testing.T) {
	standalone := newSessionTracker()
	standalone.add(1, time.Minute)
	standalone.touch(1)
	if got := standalone.takeTouched(); got != nil || standalone.touched != nil {
		t.Errorf("standalone tracker kept touches: %v", got)
	}

	member := newSessionTracker()
	member.reportTouches()
	member.add(1, time.Minute)
	member.add(2, time.Minute)
	member.touch(2)
	member.touch(3) // unknown: not reported
	got := member.takeTouched()
	slices.Sort(got)
	if !slices.Equal(got, []int64{1, 2}) {
		t.Errorf("first report %v, want [1 2]", got)
	}
	if got := member.takeTouched(); got != nil {
		t.Errorf("second report without touches %v, want none", got)
	}
	member.touch(1)
	member.remove(1)
	if got := member.takeTouched(); got != nil {
		t.Errorf("a closed session was reported: %v", got)
	}
}
