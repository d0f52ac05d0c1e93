package quorum

import (
	"testing"

	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"zkd/zkd/quorum/transport"
)

// TestNoRelayOfAnotherMembersMessage: raft hands a member that stopped
// leading the MsgReadIndex another follower sent it, to relay to the new
// leader. The transport takes a message only from its sender and closes
// the stream of a peer that relays (dropping what else was on it), so the
// member must not send it; the follower asks again by itself.
func TestNoRelayOfAnotherMembersMessage(t *testing.T) {
	c := newCluster(t, clusterSpec{voters: 3})
	lead := c.startAll()
	var fs []uint64
	for _, id := range c.ids {
		if id != lead {
			fs = append(fs, id)
		}
	}
	from, to := fs[0], fs[1]
	statsOf := func(of, peer uint64) transport.PeerStats {
		for _, ps := range c.node(of).PeerStats() {
			if ps.ID == peer {
				return ps
			}
		}
		t.Fatalf("member %d has no peer %d", of, peer)
		return transport.PeerStats{}
	}
	before := statsOf(to, lead)
	c.node(lead).sendMessages([]*pb.Message{{
		Type: pb.MsgReadIndex.Enum(), From: proto.Uint64(from), To: proto.Uint64(to),
		Entries: []*pb.Entry{{Data: []byte{0, 0, 0, 0, 0, 0, 0, 1}}},
	}})
	// Heartbeats go on behind it on the same stream.
	waitFor(t, waitLong, "heartbeats after the relayed message", func() bool {
		return statsOf(to, lead).Received >= before.Received+5
	})
	if after := statsOf(to, lead); after.ProtocolErrors != before.ProtocolErrors || after.ConnectFailures != before.ConnectFailures {
		t.Errorf("member %d's stream from the leader broke: protocol errors %d -> %d, connect failures %d -> %d",
			to, before.ProtocolErrors, after.ProtocolErrors, before.ConnectFailures, after.ConnectFailures)
	}
}
