package proto

// AuthPacket is the body of auth (100), sent with xid XidAuth: add the
// identity Auth under Scheme ("digest" with "user:password") to the
// session. Type is unused and 0.
type AuthPacket struct {
	Type   int32
	Scheme string
	Auth   []byte
}

func (r *AuthPacket) Encode(e *Encoder) {
	e.Int(r.Type)
	e.String(r.Scheme)
	e.Buffer(r.Auth)
}

func (r *AuthPacket) Decode(d *Decoder) {
	r.Type = d.Int()
	r.Scheme = d.String()
	r.Auth = ownBuffer(d)
}

// SASLRequest is the body of sasl (102), GetSASLRequest in zookeeper.jute:
// one SASL token from the client.
type SASLRequest struct {
	Token []byte
}

func (r *SASLRequest) Encode(e *Encoder) { e.Buffer(r.Token) }
func (r *SASLRequest) Decode(d *Decoder) { r.Token = ownBuffer(d) }

// SASLResponse answers sasl (102), SetSASLResponse in zookeeper.jute: the
// server's SASL challenge.
type SASLResponse struct {
	Token []byte
}

func (r *SASLResponse) Encode(e *Encoder) { e.Buffer(r.Token) }
func (r *SASLResponse) Decode(d *Decoder) { r.Token = ownBuffer(d) }

// ClientInfo is one identity of a session as whoAmI reports it, e.g.
// {"ip", "127.0.0.1"} or {"digest", "alice"}.
type ClientInfo struct {
	AuthScheme string
	User       string
}

func (c *ClientInfo) Encode(e *Encoder) { e.String(c.AuthScheme); e.String(c.User) }
func (c *ClientInfo) Decode(d *Decoder) { c.AuthScheme = d.String(); c.User = d.String() }

// WhoAmIResponse answers whoAmI (107), which has no request body.
type WhoAmIResponse struct {
	ClientInfo []ClientInfo
}

func (r *WhoAmIResponse) Encode(e *Encoder) {
	e.Int(int32(len(r.ClientInfo)))
	for i := range r.ClientInfo {
		r.ClientInfo[i].Encode(e)
	}
}

func (r *WhoAmIResponse) Decode(d *Decoder) {
	r.ClientInfo = nil
	n := d.VectorLen(8) // two string lengths at least
	if n < 0 || d.Err() != nil {
		return
	}
	r.ClientInfo = make([]ClientInfo, n)
	for i := range r.ClientInfo {
		r.ClientInfo[i].Decode(d)
	}
}
