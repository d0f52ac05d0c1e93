package proto

// Stat is the znode metadata record (68 bytes on the wire).
type Stat struct {
	Czxid          int64
	Mzxid          int64
	Ctime          int64
	Mtime          int64
	Version        int32
	Cversion       int32
	Aversion       int32
	EphemeralOwner int64
	DataLength     int32
	NumChildren    int32
	Pzxid          int64
}

func (s *Stat) Encode(e *Encoder) {
	e.Long(s.Czxid)
	e.Long(s.Mzxid)
	e.Long(s.Ctime)
	e.Long(s.Mtime)
	e.Int(s.Version)
	e.Int(s.Cversion)
	e.Int(s.Aversion)
	e.Long(s.EphemeralOwner)
	e.Int(s.DataLength)
	e.Int(s.NumChildren)
	e.Long(s.Pzxid)
}

func (s *Stat) Decode(d *Decoder) {
	s.Czxid = d.Long()
	s.Mzxid = d.Long()
	s.Ctime = d.Long()
	s.Mtime = d.Long()
	s.Version = d.Int()
	s.Cversion = d.Int()
	s.Aversion = d.Int()
	s.EphemeralOwner = d.Long()
	s.DataLength = d.Int()
	s.NumChildren = d.Int()
	s.Pzxid = d.Long()
}

// ID is an authentication identity: a scheme and an id within it
// ("world"/"anyone", "digest"/"user:hash", "ip"/"10.0.0.0/8").
type ID struct {
	Scheme string
	ID     string
}

func (i *ID) Encode(e *Encoder) { e.String(i.Scheme); e.String(i.ID) }
func (i *ID) Decode(d *Decoder) { i.Scheme = d.String(); i.ID = d.String() }

// ACL grants Perms to ID.
type ACL struct {
	Perms int32
	ID    ID
}

func (a *ACL) Encode(e *Encoder) { e.Int(a.Perms); a.ID.Encode(e) }
func (a *ACL) Decode(d *Decoder) { a.Perms = d.Int(); a.ID.Decode(d) }

// EncodeACLs writes a vector<ACL>; nil is written as null.
func EncodeACLs(e *Encoder, acls []ACL) {
	if acls == nil {
		e.Int(-1)
		return
	}
	e.Int(int32(len(acls)))
	for i := range acls {
		acls[i].Encode(e)
	}
}

// DecodeACLs reads a vector<ACL>; null decodes as nil.
func DecodeACLs(d *Decoder) []ACL {
	n := d.VectorLen(12)
	if n < 0 || d.Err() != nil {
		return nil
	}
	acls := make([]ACL, n)
	for i := range acls {
		acls[i].Decode(d)
	}
	return acls
}

// Well-known ACLs (ZooDefs.Ids).
var (
	WorldAnyone = ID{Scheme: "world", ID: "anyone"}
	AuthIDs     = ID{Scheme: "auth", ID: ""}
)

// OpenACLUnsafe returns a fresh copy of ZooDefs.Ids.OPEN_ACL_UNSAFE.
func OpenACLUnsafe() []ACL { return []ACL{{Perms: PermAll, ID: WorldAnyone}} }
