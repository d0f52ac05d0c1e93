package zkimport

import (
	"errors"
	"fmt"
	"strings"

	"zkd/zkd/proto"
)

// TxnHeader is the header of every logged txn (zookeeper.jute).
type TxnHeader struct {
	ClientID int64 // the session
	Cxid     int32
	Zxid     int64
	Time     int64 // ms since the epoch, the leader's clock
	Type     proto.OpCode
}

// TxnDigest is the tree digest after the txn (3.6+).
type TxnDigest struct {
	Version    int32
	TreeDigest int64
}

// Txn is a decoded txn record: one of the *...Txn types below.
type Txn interface {
	// describe is a one-line summary for dumps (path, versions, sizes).
	describe() string
}

// The txn records of zookeeper.jute's org.apache.zookeeper.txn module.
type (
	// CreateTxn is create and create2. ParentCVersion is the parent's
	// create counter after this create, or -1 in a V0 record (pre-3.3),
	// which makes the replay count it itself.
	CreateTxn struct {
		Path           string
		Data           []byte
		ACL            []proto.ACL
		Ephemeral      bool
		ParentCVersion int32
	}
	CreateTTLTxn struct {
		Path           string
		Data           []byte
		ACL            []proto.ACL
		ParentCVersion int32
		TTL            int64
	}
	CreateContainerTxn struct {
		Path           string
		Data           []byte
		ACL            []proto.ACL
		ParentCVersion int32
	}
	// DeleteTxn is delete and deleteContainer.
	DeleteTxn struct{ Path string }
	// SetDataTxn is setData and reconfig; Version is the new version.
	SetDataTxn struct {
		Path    string
		Data    []byte
		Version int32
	}
	CheckVersionTxn struct {
		Path    string
		Version int32
	}
	// SetACLTxn: Version is the new aversion.
	SetACLTxn struct {
		Path    string
		ACL     []proto.ACL
		Version int32
	}
	CreateSessionTxn struct{ Timeout int32 }
	// CloseSessionTxn lists the session's ephemerals (3.6+); Paths is nil
	// in the older, empty record.
	CloseSessionTxn struct{ Paths []string }
	ErrorTxn        struct{ Err proto.ErrCode }
	MultiTxn        struct{ Ops []SubTxn }
)

// SubTxn is one op of a multi.
type SubTxn struct {
	Type proto.OpCode
	Txn  Txn
}

func (t *CreateTxn) describe() string {
	return fmt.Sprintf("path=%s data=%d ephemeral=%v parentCVersion=%d acl=%s", t.Path, len(t.Data), t.Ephemeral, t.ParentCVersion, FormatACL(t.ACL))
}
func (t *CreateTTLTxn) describe() string {
	return fmt.Sprintf("path=%s data=%d ttl=%d parentCVersion=%d acl=%s", t.Path, len(t.Data), t.TTL, t.ParentCVersion, FormatACL(t.ACL))
}
func (t *CreateContainerTxn) describe() string {
	return fmt.Sprintf("path=%s data=%d parentCVersion=%d acl=%s", t.Path, len(t.Data), t.ParentCVersion, FormatACL(t.ACL))
}
func (t *DeleteTxn) describe() string { return "path=" + t.Path }
func (t *SetDataTxn) describe() string {
	return fmt.Sprintf("path=%s data=%d version=%d", t.Path, len(t.Data), t.Version)
}
func (t *CheckVersionTxn) describe() string {
	return fmt.Sprintf("path=%s version=%d", t.Path, t.Version)
}
func (t *SetACLTxn) describe() string {
	return fmt.Sprintf("path=%s aversion=%d acl=%s", t.Path, t.Version, FormatACL(t.ACL))
}
func (t *CreateSessionTxn) describe() string { return fmt.Sprintf("timeout=%d", t.Timeout) }
func (t *CloseSessionTxn) describe() string {
	if t.Paths == nil {
		return ""
	}
	return "ephemerals=[" + strings.Join(t.Paths, " ") + "]"
}
func (t *ErrorTxn) describe() string { return fmt.Sprintf("err=%d (%v)", int32(t.Err), t.Err) }
func (t *MultiTxn) describe() string {
	parts := make([]string, len(t.Ops))
	for i, op := range t.Ops {
		parts[i] = fmt.Sprintf("{%s %s}", op.Type, op.Txn.describe())
	}
	return fmt.Sprintf("%d ops: %s", len(t.Ops), strings.Join(parts, " "))
}

// Describe is a one-line summary of a txn record for dumps.
func Describe(t Txn) string {
	if t == nil {
		return ""
	}
	return t.describe()
}

// FormatACL prints an ACL list as perms:scheme:id entries, with ZooKeeper's
// letters for perms (cdrwa).
func FormatACL(acls []proto.ACL) string {
	parts := make([]string, len(acls))
	for i, a := range acls {
		parts[i] = fmt.Sprintf("%s:%s:%s", a.ID.Scheme, a.ID.ID, permString(a.Perms))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func permString(p int32) string {
	var b strings.Builder
	for _, f := range []struct {
		bit int32
		c   byte
	}{{proto.PermCreate, 'c'}, {proto.PermDelete, 'd'}, {proto.PermRead, 'r'}, {proto.PermWrite, 'w'}, {proto.PermAdmin, 'a'}} {
		if p&f.bit != 0 {
			b.WriteByte(f.c)
		}
	}
	if rest := p &^ proto.PermAll; rest != 0 {
		fmt.Fprintf(&b, "+%#x", rest)
	}
	return b.String()
}

// txnHeaderLen is the encoded size of a TxnHeader.
const txnHeaderLen = 8 + 4 + 8 + 8 + 4

// digestLen is the encoded size of a TxnDigest.
const digestLen = 4 + 8

var errTxnShort = errors.New("record cut short")

// decodeTxnEntry decodes the bytes of one log record: the header, the txn
// record its type calls for, and the digest 3.6+ appends. The rules follow
// SerializeUtils.deserializeTxn: a create too short for CreateTxn is a V0
// create, a closeSession without a record is the pre-3.6 form.
func decodeTxnEntry(b []byte) (TxnHeader, Txn, *TxnDigest, error) {
	var h TxnHeader
	if len(b) < txnHeaderLen {
		return h, nil, nil, fmt.Errorf("txn header: %w (%d bytes)", errTxnShort, len(b))
	}
	d := proto.NewDecoder(b)
	h.ClientID = d.Long()
	h.Cxid = d.Int()
	h.Zxid = d.Long()
	h.Time = d.Long()
	h.Type = proto.OpCode(d.Int())
	body := d.Rest()
	txn, rest, err := decodeTxn(h.Type, body, true)
	if err != nil {
		return h, nil, nil, fmt.Errorf("%s txn: %w", h.Type, err)
	}
	var dg *TxnDigest
	if len(rest) >= digestLen {
		dd := proto.NewDecoder(rest)
		dg = &TxnDigest{Version: dd.Int(), TreeDigest: dd.Long()}
	}
	return h, txn, dg, nil
}

// decodeTxn decodes the record of a txn of type op from b and returns what
// follows it. top is false inside a multi, where records are whole.
func decodeTxn(op proto.OpCode, b []byte, top bool) (Txn, []byte, error) {
	d := proto.NewDecoder(b)
	var txn Txn
	switch op {
	case proto.OpCreateSession:
		txn = &CreateSessionTxn{Timeout: d.Int()}
	case proto.OpCloseSession:
		return decodeCloseSession(b)
	case proto.OpCreate, proto.OpCreate2:
		t := &CreateTxn{Path: d.String(), Data: d.Buffer(), ACL: proto.DecodeACLs(d), Ephemeral: d.Bool()}
		if d.Err() == nil && d.Remaining() < 4 && op == proto.OpCreate {
			// CreateTxnV0: no parentCVersion; the replay counts it.
			t.ParentCVersion = -1
		} else {
			t.ParentCVersion = d.Int()
		}
		txn = t
	case proto.OpCreateTTL:
		txn = &CreateTTLTxn{Path: d.String(), Data: d.Buffer(), ACL: proto.DecodeACLs(d), ParentCVersion: d.Int(), TTL: d.Long()}
	case proto.OpCreateContainer:
		txn = &CreateContainerTxn{Path: d.String(), Data: d.Buffer(), ACL: proto.DecodeACLs(d), ParentCVersion: d.Int()}
	case proto.OpDelete, proto.OpDeleteContainer:
		txn = &DeleteTxn{Path: d.String()}
	case proto.OpSetData, proto.OpReconfig:
		txn = &SetDataTxn{Path: d.String(), Data: d.Buffer(), Version: d.Int()}
	case proto.OpSetACL:
		txn = &SetACLTxn{Path: d.String(), ACL: proto.DecodeACLs(d), Version: d.Int()}
	case proto.OpCheck:
		txn = &CheckVersionTxn{Path: d.String(), Version: d.Int()}
	case proto.OpError:
		txn = &ErrorTxn{Err: proto.ErrCode(d.Int())}
	case proto.OpMulti:
		if !top {
			return nil, nil, errors.New("a multi inside a multi")
		}
		n := d.VectorLen(8)
		m := &MultiTxn{}
		for i := 0; i < n && d.Err() == nil; i++ {
			sub := proto.OpCode(d.Int())
			data := d.Buffer()
			if d.Err() != nil {
				break
			}
			if !multiOpType(sub) {
				return nil, nil, fmt.Errorf("op %d of the multi has type %s, which a multi cannot hold", i, sub)
			}
			st, _, err := decodeTxn(sub, data, false)
			if err != nil {
				return nil, nil, fmt.Errorf("op %d (%s): %w", i, sub, err)
			}
			m.Ops = append(m.Ops, SubTxn{Type: sub, Txn: st})
		}
		if n < 0 && d.Err() == nil {
			return nil, nil, errors.New("null op list")
		}
		txn = m
	default:
		return nil, nil, fmt.Errorf("unknown txn type %d", int32(op))
	}
	if err := d.Err(); err != nil {
		if errors.Is(err, proto.ErrShort) {
			return nil, nil, errTxnShort
		}
		return nil, nil, err
	}
	return txn, d.Rest(), nil
}

// multiOpType reports whether a multi may hold a sub-txn of type op
// (DataTree.processTxn's switch; create2 is taken as create).
func multiOpType(op proto.OpCode) bool {
	switch op {
	case proto.OpCreate, proto.OpCreate2, proto.OpCreateTTL, proto.OpCreateContainer, proto.OpDelete,
		proto.OpDeleteContainer, proto.OpSetData, proto.OpError, proto.OpCheck:
		return true
	}
	return false
}

// decodeCloseSession reads a closeSession record, which comes in three
// shapes: nothing (before 3.6, or with zookeeper.closeSessionTxn.enabled
// off), CloseSessionTxn, and either of those followed by a TxnDigest.
func decodeCloseSession(b []byte) (Txn, []byte, error) {
	if len(b) == 0 {
		return &CloseSessionTxn{}, nil, nil
	}
	d := proto.NewDecoder(b)
	paths := d.Strings()
	if err := d.Err(); err == nil && paths != nil && (d.Remaining() == 0 || d.Remaining() == digestLen) {
		return &CloseSessionTxn{Paths: paths}, d.Rest(), nil
	}
	if len(b) == digestLen {
		return &CloseSessionTxn{}, b, nil
	}
	return nil, nil, fmt.Errorf("closeSession record of %d bytes is neither a path list nor a digest", len(b))
}
