package proto

// Handshake sizes with a SessionPasswdLen password. A 3.4+ client appends a
// readOnly byte to its ConnectRequest, and the server mirrors it in its
// ConnectResponse only then (ZooKeeperServer's isOldClient).
const (
	ConnectRequestSize          = 44
	ConnectRequestSizeReadOnly  = 45
	ConnectResponseSize         = 36
	ConnectResponseSizeReadOnly = 37

	// SessionPasswdLen is the length of the password a server hands out
	// with a session (ZooKeeperServer.generatePasswd).
	SessionPasswdLen = 16
)

// ConnectRequest is the first packet of a connection: it asks for a new
// session (SessionID 0) or resumes one (SessionID and Passwd from an earlier
// ConnectResponse). It has no RequestHeader.
type ConnectRequest struct {
	ProtocolVersion int32
	// LastZxidSeen is the largest zxid the client has seen; a server that
	// is behind it must refuse the client.
	LastZxidSeen int64
	// TimeOut is the session timeout the client asks for, in milliseconds.
	TimeOut   int32
	SessionID int64
	Passwd    []byte
	// ReadOnly says the client accepts a read-only server.
	ReadOnly bool
	// HasReadOnly records whether the readOnly byte was on the wire (45
	// bytes rather than 44). Encode writes ReadOnly only when it is set, and
	// the response should echo it as ConnectResponse.HasReadOnly.
	HasReadOnly bool
}

func (r *ConnectRequest) Encode(e *Encoder) {
	e.Int(r.ProtocolVersion)
	e.Long(r.LastZxidSeen)
	e.Int(r.TimeOut)
	e.Long(r.SessionID)
	e.Buffer(r.Passwd)
	if r.HasReadOnly {
		e.Bool(r.ReadOnly)
	}
}

func (r *ConnectRequest) Decode(d *Decoder) {
	r.ProtocolVersion = d.Int()
	r.LastZxidSeen = d.Long()
	r.TimeOut = d.Int()
	r.SessionID = d.Long()
	r.Passwd = ownBuffer(d)
	r.ReadOnly, r.HasReadOnly = false, false
	if d.Err() == nil && d.Remaining() > 0 {
		r.ReadOnly = d.Bool()
		r.HasReadOnly = true
	}
}

// ConnectResponse answers a ConnectRequest. A refused or expired session is
// answered with TimeOut 0, SessionID 0 and a zeroed 16-byte Passwd, after
// which the server closes the connection.
type ConnectResponse struct {
	ProtocolVersion int32
	// TimeOut is the negotiated session timeout in milliseconds, clamped
	// between the server's min and max session timeouts.
	TimeOut   int32
	SessionID int64
	Passwd    []byte
	// ReadOnly says the server is in read-only mode.
	ReadOnly bool
	// HasReadOnly says to write the readOnly byte (37 bytes rather than 36):
	// set it to the request's HasReadOnly. Decode sets it when the byte is
	// present.
	HasReadOnly bool
}

func (r *ConnectResponse) Encode(e *Encoder) {
	e.Int(r.ProtocolVersion)
	e.Int(r.TimeOut)
	e.Long(r.SessionID)
	e.Buffer(r.Passwd)
	if r.HasReadOnly {
		e.Bool(r.ReadOnly)
	}
}

func (r *ConnectResponse) Decode(d *Decoder) {
	r.ProtocolVersion = d.Int()
	r.TimeOut = d.Int()
	r.SessionID = d.Long()
	r.Passwd = ownBuffer(d)
	r.ReadOnly, r.HasReadOnly = false, false
	if d.Err() == nil && d.Remaining() > 0 {
		r.ReadOnly = d.Bool()
		r.HasReadOnly = true
	}
}
