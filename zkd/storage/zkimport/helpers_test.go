package zkimport

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"hash/adler32"
	"testing"

	"github.com/golang/snappy"

	"zkd/zkd/proto"
	"zkd/zkd/tree"
)

// The tests build ZooKeeper's files by hand, from the layouts in doc.go,
// so that every field is known and every byte can be damaged on purpose.

// juteBuf appends jute primitives.
type juteBuf struct{ b []byte }

func (w *juteBuf) int(v int32)  { w.b = binary.BigEndian.AppendUint32(w.b, uint32(v)) }
func (w *juteBuf) long(v int64) { w.b = binary.BigEndian.AppendUint64(w.b, uint64(v)) }
func (w *juteBuf) str(s string) { w.int(int32(len(s))); w.b = append(w.b, s...) }
func (w *juteBuf) buf(p []byte) {
	if p == nil {
		w.int(-1)
		return
	}
	w.int(int32(len(p)))
	w.b = append(w.b, p...)
}
func (w *juteBuf) acls(list []proto.ACL) {
	if list == nil {
		w.int(-1)
		return
	}
	w.int(int32(len(list)))
	for _, a := range list {
		w.int(a.Perms)
		w.str(a.ID.Scheme)
		w.str(a.ID.ID)
	}
}

// seal appends FileSnap's seal: the Adler-32 of everything so far, "/".
func (w *juteBuf) seal() {
	w.long(int64(adler32.Checksum(w.b)))
	w.str("/")
}

// snapSpec describes a snapshot to build.
type snapSpec struct {
	sessions []Session
	aclRefs  []int64
	acls     map[int64][]proto.ACL
	nodes    []Node
	digest   *ZxidDigest // 3.6+
	lastZxid int64       // 3.9, when not 0
}

// bytes encodes the snapshot, uncompressed.
func (s snapSpec) bytes() []byte {
	var w juteBuf
	w.int(snapMagic)
	w.int(2)
	w.long(-1)
	w.int(int32(len(s.sessions)))
	for _, x := range s.sessions {
		w.long(x.ID)
		w.int(x.Timeout)
	}
	w.int(int32(len(s.aclRefs)))
	for _, ref := range s.aclRefs {
		w.long(ref)
		w.acls(s.acls[ref])
	}
	for _, n := range s.nodes {
		w.str(n.Path)
		w.buf(n.Data)
		w.long(n.ACL)
		st := n.Stat
		w.long(st.Czxid)
		w.long(st.Mzxid)
		w.long(st.Ctime)
		w.long(st.Mtime)
		w.int(st.Version)
		w.int(st.Cversion)
		w.int(st.Aversion)
		w.long(st.EphemeralOwner)
		w.long(st.Pzxid)
	}
	w.str("/")
	w.seal()
	if d := s.digest; d != nil {
		w.long(d.Zxid)
		w.int(d.Version)
		w.long(d.Digest)
		w.seal()
	}
	if s.lastZxid != 0 {
		w.long(s.lastZxid)
		w.seal()
	}
	return w.b
}

// compress wraps raw in a stream mode's compression.
func compress(t testing.TB, raw []byte, mode string) []byte {
	t.Helper()
	switch mode {
	case StreamGzip:
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(raw)
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	case StreamSnappy:
		return xerialEncode(raw, 100)
	}
	return raw
}

// xerialEncode writes snappy-java's stream format with blocks of block
// uncompressed bytes.
func xerialEncode(raw []byte, block int) []byte {
	out := append([]byte(nil), xerialMagic...)
	out = binary.BigEndian.AppendUint32(out, 1)
	out = binary.BigEndian.AppendUint32(out, 1)
	for len(raw) > 0 {
		n := min(block, len(raw))
		c := snappy.Encode(nil, raw[:n])
		out = binary.BigEndian.AppendUint32(out, uint32(len(c)))
		out = append(out, c...)
		raw = raw[n:]
	}
	return out
}

// sampleSnapshot is a small snapshot with every kind of node: the root,
// ZooKeeper's own nodes, persistent, ephemeral, container and TTL nodes,
// a digest ACL and OPEN_ACL_UNSAFE by reference -1.
func sampleSnapshot() snapSpec {
	digestACL := []proto.ACL{{Perms: proto.PermRead | proto.PermAdmin, ID: proto.ID{Scheme: "digest", ID: "u:abc="}}}
	ipACL := []proto.ACL{{Perms: proto.PermAll, ID: proto.ID{Scheme: "ip", ID: "127.0.0.1"}}, {Perms: proto.PermRead, ID: proto.WorldAnyone}}
	st := func(czxid, pzxid int64, cv int32, owner int64) tree.PersistedStat {
		return tree.PersistedStat{Czxid: czxid, Mzxid: czxid, Pzxid: pzxid, Ctime: 1000 + czxid, Mtime: 1000 + czxid, Cversion: cv, EphemeralOwner: owner}
	}
	return snapSpec{
		sessions: []Session{{ID: 0x100, Timeout: 30000}, {ID: 0x200, Timeout: 4000}},
		aclRefs:  []int64{1, 2},
		acls:     map[int64][]proto.ACL{1: digestACL, 2: ipACL},
		nodes: []Node{
			{Path: "", ACL: -1, Stat: st(0, 6, 3, 0)},
			{Path: "/zookeeper", ACL: -1, Stat: st(0, 0, 0, 0)},
			{Path: "/zookeeper/quota", ACL: -1, Stat: st(0, 0, 0, 0)},
			{Path: "/zookeeper/config", ACL: -1, Stat: tree.PersistedStat{Aversion: -1}},
			{Path: "/a", Data: []byte("hello"), ACL: 1, Stat: st(2, 5, 3, 0)},
			{Path: "/a/seq0000000000", ACL: 2, Stat: st(3, 3, 0, 0)},
			{Path: "/a/e", Data: []byte{}, ACL: -1, Stat: st(5, 5, 0, 0x100)},
			{Path: "/c", ACL: -1, Stat: st(4, 4, 0, tree.ContainerOwner)},
			{Path: "/t", ACL: -1, Stat: st(6, 6, 0, tree.TTLOwner(60000))},
		},
		digest: &ZxidDigest{Zxid: 6, Version: 2, Digest: 12345},
	}
}

// logRec is one txn to put in a log.
type logRec struct {
	hdr    TxnHeader
	body   []byte
	digest bool
}

// buildLog encodes a log file: the header, the records, pad zero bytes.
func buildLog(recs []logRec, pad int) []byte {
	var w juteBuf
	w.int(logMagic)
	w.int(2)
	w.long(0)
	for _, r := range recs {
		var p juteBuf
		p.long(r.hdr.ClientID)
		p.int(r.hdr.Cxid)
		p.long(r.hdr.Zxid)
		p.long(r.hdr.Time)
		p.int(int32(r.hdr.Type))
		p.b = append(p.b, r.body...)
		if r.digest {
			p.int(2)
			p.long(r.hdr.Zxid * 7)
		}
		w.long(int64(adler32.Checksum(p.b)))
		w.buf(p.b)
		w.b = append(w.b, 'B')
	}
	return append(w.b, make([]byte, pad)...)
}

// Txn record encoders.
func encCreate(path string, data []byte, acl []proto.ACL, eph bool, pcv int32) []byte {
	var w juteBuf
	w.str(path)
	w.buf(data)
	w.acls(acl)
	if eph {
		w.b = append(w.b, 1)
	} else {
		w.b = append(w.b, 0)
	}
	w.int(pcv)
	return w.b
}

func encCreateTTL(path string, data []byte, acl []proto.ACL, pcv int32, ttl int64) []byte {
	var w juteBuf
	w.str(path)
	w.buf(data)
	w.acls(acl)
	w.int(pcv)
	w.long(ttl)
	return w.b
}

func encCreateContainer(path string, data []byte, acl []proto.ACL, pcv int32) []byte {
	var w juteBuf
	w.str(path)
	w.buf(data)
	w.acls(acl)
	w.int(pcv)
	return w.b
}

func encPath(path string) []byte { var w juteBuf; w.str(path); return w.b }

func encSetData(path string, data []byte, version int32) []byte {
	var w juteBuf
	w.str(path)
	w.buf(data)
	w.int(version)
	return w.b
}

func encSetACL(path string, acl []proto.ACL, version int32) []byte {
	var w juteBuf
	w.str(path)
	w.acls(acl)
	w.int(version)
	return w.b
}

func encCheck(path string, version int32) []byte {
	var w juteBuf
	w.str(path)
	w.int(version)
	return w.b
}

func encInt(v int32) []byte { var w juteBuf; w.int(v); return w.b }

func encClose(paths []string) []byte {
	var w juteBuf
	w.int(int32(len(paths)))
	for _, p := range paths {
		w.str(p)
	}
	return w.b
}

type subRec struct {
	op   proto.OpCode
	body []byte
}

func encMulti(ops ...subRec) []byte {
	var w juteBuf
	w.int(int32(len(ops)))
	for _, o := range ops {
		w.int(int32(o.op))
		w.buf(o.body)
	}
	return w.b
}

func hdr(session int64, zxid int64, op proto.OpCode) TxnHeader {
	return TxnHeader{ClientID: session, Cxid: int32(zxid), Zxid: zxid, Time: 1000 + zxid, Type: op}
}
