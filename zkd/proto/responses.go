package proto

// The response bodies that follow a ReplyHeader, in zookeeper.jute order.
// ResponseFor gives the one that answers each opcode.

// CreateResponse answers create (1) with the created path, which differs
// from the requested one for sequential nodes.
type CreateResponse struct {
	Path string
}

func (r *CreateResponse) Encode(e *Encoder) { e.String(r.Path) }
func (r *CreateResponse) Decode(d *Decoder) { r.Path = d.String() }

// Create2Response answers create2 (15), createContainer (19) and
// createTTL (21): the created path and the new node's Stat.
type Create2Response struct {
	Path string
	Stat Stat
}

func (r *Create2Response) Encode(e *Encoder) { e.String(r.Path); r.Stat.Encode(e) }
func (r *Create2Response) Decode(d *Decoder) { r.Path = d.String(); r.Stat.Decode(d) }

// ExistsResponse answers exists (3) when the node exists; a missing node is
// answered with ErrNoNode and no body.
type ExistsResponse struct {
	Stat Stat
}

func (r *ExistsResponse) Encode(e *Encoder) { r.Stat.Encode(e) }
func (r *ExistsResponse) Decode(d *Decoder) { r.Stat.Decode(d) }

// GetDataResponse answers getData (4), and reconfig (16) with the new
// configuration as Data. Data is nil for a node created with null data.
type GetDataResponse struct {
	Data []byte
	Stat Stat
}

func (r *GetDataResponse) Encode(e *Encoder) { e.Buffer(r.Data); r.Stat.Encode(e) }
func (r *GetDataResponse) Decode(d *Decoder) { r.Data = ownBuffer(d); r.Stat.Decode(d) }

// SetDataResponse answers setData (5) with the node's new Stat.
type SetDataResponse struct {
	Stat Stat
}

func (r *SetDataResponse) Encode(e *Encoder) { r.Stat.Encode(e) }
func (r *SetDataResponse) Decode(d *Decoder) { r.Stat.Decode(d) }

// GetACLResponse answers getACL (6).
type GetACLResponse struct {
	ACL  []ACL
	Stat Stat
}

func (r *GetACLResponse) Encode(e *Encoder) { aclsNonNull(e, r.ACL); r.Stat.Encode(e) }
func (r *GetACLResponse) Decode(d *Decoder) { r.ACL = DecodeACLs(d); r.Stat.Decode(d) }

// SetACLResponse answers setACL (7) with the node's new Stat.
type SetACLResponse struct {
	Stat Stat
}

func (r *SetACLResponse) Encode(e *Encoder) { r.Stat.Encode(e) }
func (r *SetACLResponse) Decode(d *Decoder) { r.Stat.Decode(d) }

// GetChildrenResponse answers getChildren (8) with the children's names
// (not paths), in no particular order.
type GetChildrenResponse struct {
	Children []string
}

func (r *GetChildrenResponse) Encode(e *Encoder) { stringsNonNull(e, r.Children) }
func (r *GetChildrenResponse) Decode(d *Decoder) { r.Children = d.Strings() }

// GetChildren2Response answers getChildren2 (12): the children and the
// parent's Stat.
type GetChildren2Response struct {
	Children []string
	Stat     Stat
}

func (r *GetChildren2Response) Encode(e *Encoder) { stringsNonNull(e, r.Children); r.Stat.Encode(e) }
func (r *GetChildren2Response) Decode(d *Decoder) { r.Children = d.Strings(); r.Stat.Decode(d) }

// SyncResponse answers sync (9) with the requested path.
type SyncResponse struct {
	Path string
}

func (r *SyncResponse) Encode(e *Encoder) { e.String(r.Path) }
func (r *SyncResponse) Decode(d *Decoder) { r.Path = d.String() }

// GetEphemeralsResponse answers getEphemerals (103) with full paths.
type GetEphemeralsResponse struct {
	Ephemerals []string
}

func (r *GetEphemeralsResponse) Encode(e *Encoder) { stringsNonNull(e, r.Ephemerals) }
func (r *GetEphemeralsResponse) Decode(d *Decoder) { r.Ephemerals = d.Strings() }

// GetAllChildrenNumberResponse answers getAllChildrenNumber (104).
type GetAllChildrenNumberResponse struct {
	TotalNumber int32
}

func (r *GetAllChildrenNumberResponse) Encode(e *Encoder) { e.Int(r.TotalNumber) }
func (r *GetAllChildrenNumberResponse) Decode(d *Decoder) { r.TotalNumber = d.Int() }

// ErrorResponse carries an error code as a body: after a failed op inside a
// multi response, and (with Err 0) as the body of a successful addWatch.
type ErrorResponse struct {
	Err ErrCode
}

func (r *ErrorResponse) Encode(e *Encoder) { e.Int(int32(r.Err)) }
func (r *ErrorResponse) Decode(d *Decoder) { r.Err = ErrCode(d.Int()) }
