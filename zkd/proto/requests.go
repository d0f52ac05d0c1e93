package proto

// The request bodies of the znode operations, in zookeeper.jute order. Each
// follows a RequestHeader whose Type selects it (see RequestFor).

// CreateRequest is the body of create (1), create2 (15) and
// createContainer (19). Flags is a create mode (ModePersistent, ...).
type CreateRequest struct {
	Path  string
	Data  []byte
	ACL   []ACL
	Flags int32
}

func (r *CreateRequest) Encode(e *Encoder) {
	e.String(r.Path)
	e.Buffer(r.Data)
	EncodeACLs(e, r.ACL)
	e.Int(r.Flags)
}

func (r *CreateRequest) Decode(d *Decoder) {
	r.Path = d.String()
	r.Data = ownBuffer(d)
	r.ACL = DecodeACLs(d)
	r.Flags = d.Int()
}

// CreateTTLRequest is the body of createTTL (21): a CreateRequest with the
// time to live, in milliseconds, of a ModePersistentWithTTL or
// ModePersistentSequentialWithTTL node.
type CreateTTLRequest struct {
	Path  string
	Data  []byte
	ACL   []ACL
	Flags int32
	TTL   int64
}

func (r *CreateTTLRequest) Encode(e *Encoder) {
	e.String(r.Path)
	e.Buffer(r.Data)
	EncodeACLs(e, r.ACL)
	e.Int(r.Flags)
	e.Long(r.TTL)
}

func (r *CreateTTLRequest) Decode(d *Decoder) {
	r.Path = d.String()
	r.Data = ownBuffer(d)
	r.ACL = DecodeACLs(d)
	r.Flags = d.Int()
	r.TTL = d.Long()
}

// DeleteRequest is the body of delete (2). Version -1 matches any version.
type DeleteRequest struct {
	Path    string
	Version int32
}

func (r *DeleteRequest) Encode(e *Encoder) { e.String(r.Path); e.Int(r.Version) }
func (r *DeleteRequest) Decode(d *Decoder) { r.Path = d.String(); r.Version = d.Int() }

// ExistsRequest is the body of exists (3). Watch leaves a data watch if the
// node exists and an exist watch if it does not.
type ExistsRequest struct {
	Path  string
	Watch bool
}

func (r *ExistsRequest) Encode(e *Encoder) { e.String(r.Path); e.Bool(r.Watch) }
func (r *ExistsRequest) Decode(d *Decoder) { r.Path = d.String(); r.Watch = d.Bool() }

// GetDataRequest is the body of getData (4), alone or inside a multiRead.
type GetDataRequest struct {
	Path  string
	Watch bool
}

func (r *GetDataRequest) Encode(e *Encoder) { e.String(r.Path); e.Bool(r.Watch) }
func (r *GetDataRequest) Decode(d *Decoder) { r.Path = d.String(); r.Watch = d.Bool() }

// SetDataRequest is the body of setData (5). Version -1 matches any version.
type SetDataRequest struct {
	Path    string
	Data    []byte
	Version int32
}

func (r *SetDataRequest) Encode(e *Encoder) {
	e.String(r.Path)
	e.Buffer(r.Data)
	e.Int(r.Version)
}

func (r *SetDataRequest) Decode(d *Decoder) {
	r.Path = d.String()
	r.Data = ownBuffer(d)
	r.Version = d.Int()
}

// GetACLRequest is the body of getACL (6).
type GetACLRequest struct {
	Path string
}

func (r *GetACLRequest) Encode(e *Encoder) { e.String(r.Path) }
func (r *GetACLRequest) Decode(d *Decoder) { r.Path = d.String() }

// SetACLRequest is the body of setACL (7). Version is the expected aversion;
// -1 matches any.
type SetACLRequest struct {
	Path    string
	ACL     []ACL
	Version int32
}

func (r *SetACLRequest) Encode(e *Encoder) {
	e.String(r.Path)
	EncodeACLs(e, r.ACL)
	e.Int(r.Version)
}

func (r *SetACLRequest) Decode(d *Decoder) {
	r.Path = d.String()
	r.ACL = DecodeACLs(d)
	r.Version = d.Int()
}

// GetChildrenRequest is the body of getChildren (8), alone or inside a
// multiRead.
type GetChildrenRequest struct {
	Path  string
	Watch bool
}

func (r *GetChildrenRequest) Encode(e *Encoder) { e.String(r.Path); e.Bool(r.Watch) }
func (r *GetChildrenRequest) Decode(d *Decoder) { r.Path = d.String(); r.Watch = d.Bool() }

// GetChildren2Request is the body of getChildren2 (12): the same layout as
// GetChildrenRequest, answered with the parent's Stat as well.
type GetChildren2Request struct {
	Path  string
	Watch bool
}

func (r *GetChildren2Request) Encode(e *Encoder) { e.String(r.Path); e.Bool(r.Watch) }
func (r *GetChildren2Request) Decode(d *Decoder) { r.Path = d.String(); r.Watch = d.Bool() }

// SyncRequest is the body of sync (9).
type SyncRequest struct {
	Path string
}

func (r *SyncRequest) Encode(e *Encoder) { e.String(r.Path) }
func (r *SyncRequest) Decode(d *Decoder) { r.Path = d.String() }

// CheckVersionRequest is the body of check (13), which only appears inside
// a multi: it fails the multi unless Path has Version (-1: any version).
type CheckVersionRequest struct {
	Path    string
	Version int32
}

func (r *CheckVersionRequest) Encode(e *Encoder) { e.String(r.Path); e.Int(r.Version) }
func (r *CheckVersionRequest) Decode(d *Decoder) { r.Path = d.String(); r.Version = d.Int() }

// ReconfigRequest is the body of reconfig (16). Either JoiningServers and
// LeavingServers (incremental, comma-separated server specs and ids) or
// NewMembers (the whole new configuration) is set; CurConfigID -1 skips the
// config version check.
type ReconfigRequest struct {
	JoiningServers string
	LeavingServers string
	NewMembers     string
	CurConfigID    int64
}

func (r *ReconfigRequest) Encode(e *Encoder) {
	e.String(r.JoiningServers)
	e.String(r.LeavingServers)
	e.String(r.NewMembers)
	e.Long(r.CurConfigID)
}

func (r *ReconfigRequest) Decode(d *Decoder) {
	r.JoiningServers = d.String()
	r.LeavingServers = d.String()
	r.NewMembers = d.String()
	r.CurConfigID = d.Long()
}

// GetEphemeralsRequest is the body of getEphemerals (103): the session's
// ephemeral nodes whose path starts with PrefixPath ("/" for all).
type GetEphemeralsRequest struct {
	PrefixPath string
}

func (r *GetEphemeralsRequest) Encode(e *Encoder) { e.String(r.PrefixPath) }
func (r *GetEphemeralsRequest) Decode(d *Decoder) { r.PrefixPath = d.String() }

// GetAllChildrenNumberRequest is the body of getAllChildrenNumber (104):
// the number of descendants of Path.
type GetAllChildrenNumberRequest struct {
	Path string
}

func (r *GetAllChildrenNumberRequest) Encode(e *Encoder) { e.String(r.Path) }
func (r *GetAllChildrenNumberRequest) Decode(d *Decoder) { r.Path = d.String() }
