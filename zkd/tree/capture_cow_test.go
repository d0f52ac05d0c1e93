package tree

import (
	"bytes"
	"testing"

	"zkd/zkd/proto"
)

// TestStepwiseCaptureIsOneMoment interleaves random txns (creates,
// deletes, sets, ACL changes, multis, session closes) with the steps of a
// stepwise capture and checks the result is byte for byte the snapshot of
// the tree at the capture's start, for several step sizes and seeds.
func TestStepwiseCaptureIsOneMoment(t *testing.T) {
	for _, tc := range []struct {
		seed  uint64
		nodes int
		step  int
	}{
		{1, 2000, 1}, {2, 2000, 7}, {3, 5000, 64}, {4, 3000, 1000}, {5, 500, 100000},
	} {
		g := snapRandomTree(t, tc.seed, tc.nodes)
		want := snapBytes(t, g.t)
		c := g.t.BeginCapture(nil)
		steps := 0
		for !c.Step(tc.step) {
			for range 20 {
				g.step()
			}
			steps++
		}
		// Change what is left, then finish: none of it may show.
		const own = 0xfeed
		g.apply(proto.OpCreateSession, own, &CreateSessionBody{Timeout: 5000})
		for p := range allNodes(g.t) {
			g.apply(proto.OpSetData, own, &proto.SetDataRequest{Path: p, Data: []byte("later"), Version: -1})
		}
		for id := range g.t.sessions {
			g.apply(proto.OpCloseSession, id, nil)
		}
		got := c.Finish(g.t)
		if g.t.cow != nil || g.t.fresh != nil {
			t.Fatalf("seed %d: copy-on-write log still on after Finish", tc.seed)
		}
		var buf bytes.Buffer
		if _, err := got.WriteTo(&buf); err != nil {
			t.Fatalf("seed %d: WriteTo: %v", tc.seed, err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Fatalf("seed %d, step %d (%d steps with txns between): stepwise capture differs from the tree at its start",
				tc.seed, tc.step, steps)
		}
		if _, err := ReadSnapshot(bytes.NewReader(buf.Bytes()), Options{}); err != nil {
			t.Fatalf("seed %d: snapshot does not load: %v", tc.seed, err)
		}
	}
}
