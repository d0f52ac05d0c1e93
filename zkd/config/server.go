package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Role is a server's part in the ensemble. The numbers are ZooKeeper's
// LearnerType ordinals, which the conf four-letter word prints as peerType.
type Role int

const (
	Participant Role = 0 // votes and can lead
	Observer    Role = 1 // follows without voting
)

func (r Role) String() string {
	if r == Observer {
		return "observer"
	}
	return "participant"
}

// parseRole accepts ZooKeeper's two role names, in any case.
func parseRole(s string) (Role, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "participant":
		return Participant, nil
	case "observer":
		return Observer, nil
	}
	return 0, fmt.Errorf("unrecognised peer type %q (want participant or observer)", s)
}

// Server is one server.N line:
//
//	server.<id>=<host>:<quorumPort>:<electionPort>[:<role>][|<host>:<qp>:<ep>[:<role>]...][;[<clientAddr>:]<clientPort>]
//
// zkd carries peer traffic on QuorumPort; ElectionPort keeps its place in
// the grammar and is free for zkd's own use (see DESIGN.md).
type Server struct {
	ID           int
	Host         string // the first address; IPv6 without brackets
	QuorumPort   int
	ElectionPort int
	Role         Role
	// ClientAddr and ClientPort come from the ";[addr:]port" part; a bare
	// port gives ClientAddr "0.0.0.0". Both are zero when the line has none.
	ClientAddr string
	ClientPort int
	// MoreAddrs are the addresses after the first '|' (multi-address,
	// ZooKeeper 3.6+), in the order written.
	MoreAddrs []Addr
}

// Addr is one host:quorumPort:electionPort triple of a multi-address line.
type Addr struct {
	Host         string
	QuorumPort   int
	ElectionPort int
}

// serverFormat is ZooKeeper's own explanation of the grammar, kept so people
// who search for it find the same words.
const serverFormat = "does not have the form server_config or server_config;client_config " +
	"where server_config is the pipe separated list of host:port:port or host:port:port:type " +
	"and client_config is port or host:port"

// ParseServer parses the value of a server.N line.
func ParseServer(id int, spec string) (Server, error) {
	s := Server{ID: id}
	spec = strings.TrimSpace(spec)
	parts := strings.Split(spec, ";")
	if len(parts) > 2 {
		return s, fmt.Errorf("%q %s", spec, serverFormat)
	}
	if len(parts) == 2 && strings.TrimSpace(parts[1]) != "" {
		hp, err := splitHostPort(strings.TrimSpace(parts[1]))
		if err != nil {
			return s, err
		}
		if len(hp) > 2 {
			return s, fmt.Errorf("%q %s", spec, serverFormat)
		}
		s.ClientAddr = "0.0.0.0"
		if len(hp) == 2 {
			s.ClientAddr = hp[0]
		}
		if s.ClientPort, err = parsePort(hp[len(hp)-1]); err != nil {
			return s, fmt.Errorf("client port: %w", err)
		}
		if s.ClientPort == 0 {
			return s, fmt.Errorf("client port: must be between 1 and 65535")
		}
	}
	var role *Role
	for i, a := range strings.Split(parts[0], "|") {
		hp, err := splitHostPort(strings.TrimSpace(a))
		if err != nil {
			return s, err
		}
		if len(hp) < 3 || len(hp) > 4 {
			return s, fmt.Errorf("%q %s", spec, serverFormat)
		}
		addr := Addr{Host: hp[0]}
		if addr.Host == "" {
			return s, fmt.Errorf("%q: empty host", a)
		}
		if addr.QuorumPort, err = parsePort(hp[1]); err != nil {
			return s, fmt.Errorf("quorum port: %w", err)
		}
		if addr.ElectionPort, err = parsePort(hp[2]); err != nil {
			return s, fmt.Errorf("election port: %w", err)
		}
		if addr.QuorumPort == 0 || addr.ElectionPort == 0 {
			return s, fmt.Errorf("%q: ports must be between 1 and 65535", a)
		}
		if addr.QuorumPort == addr.ElectionPort {
			return s, fmt.Errorf("quorum and election port must be different (both %d)", addr.QuorumPort)
		}
		if len(hp) == 4 {
			r, err := parseRole(hp[3])
			if err != nil {
				return s, err
			}
			if role != nil && *role != r {
				return s, fmt.Errorf("multiple addresses should have the same role: %s vs %s", *role, r)
			}
			role = &r
		}
		if i == 0 {
			s.Host, s.QuorumPort, s.ElectionPort = addr.Host, addr.QuorumPort, addr.ElectionPort
		} else {
			s.MoreAddrs = append(s.MoreAddrs, addr)
		}
	}
	if role != nil {
		s.Role = *role
	}
	return s, nil
}

// splitHostPort splits "host:a:b" or "[v6]:a:b" on colons, as ZooKeeper's
// ConfigUtils.getHostAndPort does.
func splitHostPort(s string) ([]string, error) {
	if !strings.HasPrefix(s, "[") {
		return strings.Split(s, ":"), nil
	}
	i := strings.Index(s, "]")
	if i < 0 {
		return nil, fmt.Errorf("%q starts with '[' but has no matching ']'", s)
	}
	rest := s[i+1:]
	if rest == "" {
		return []string{s[1:i]}, nil
	}
	if !strings.HasPrefix(rest, ":") || len(rest) == 1 {
		return nil, fmt.Errorf("%q doesn't have a port after the ']:'", s)
	}
	return append([]string{s[1:i]}, strings.Split(rest[1:], ":")...), nil
}

// addrs returns all of the server's addresses, the first one first.
func (s Server) addrs() []Addr {
	return append([]Addr{{s.Host, s.QuorumPort, s.ElectionPort}}, s.MoreAddrs...)
}

// String renders the line's value the way ZooKeeper writes it into
// /zookeeper/config and the conf output (QuorumServer.toString): addresses
// sorted by host, the role always spelled out, the client address only when
// the line itself had one.
func (s Server) String() string {
	as := s.addrs()
	sort.SliceStable(as, func(i, j int) bool { return as[i].Host < as[j].Host })
	var b strings.Builder
	for i, a := range as {
		if i > 0 {
			b.WriteByte('|')
		}
		fmt.Fprintf(&b, "%s:%d:%d", bracketHost(a.Host), a.QuorumPort, a.ElectionPort)
	}
	b.WriteByte(':')
	b.WriteString(s.Role.String())
	if s.ClientPort != 0 {
		fmt.Fprintf(&b, ";%s:%d", bracketHost(s.ClientAddr), s.ClientPort)
	}
	return b.String()
}

func bracketHost(h string) string {
	if strings.Contains(h, ":") {
		return "[" + h + "]"
	}
	return h
}

// QuorumPorts and ElectionPorts give the ports of every address joined by
// '|', as the conf four-letter word prints them.
func (s Server) QuorumPorts() string {
	return joinPorts(s.addrs(), func(a Addr) int { return a.QuorumPort })
}

func (s Server) ElectionPorts() string {
	return joinPorts(s.addrs(), func(a Addr) int { return a.ElectionPort })
}

func joinPorts(as []Addr, port func(Addr) int) string {
	ps := make([]string, len(as))
	for i, a := range as {
		ps[i] = strconv.Itoa(port(a))
	}
	return strings.Join(ps, "|")
}

// parseServerKey turns the N of "server.N" into an id; ids are 1..255
// because each one is some server's myid.
func parseServerKey(key string) (int, error) {
	n := strings.TrimPrefix(key, "server.")
	id, err := strconv.Atoi(n)
	if err != nil {
		return 0, fmt.Errorf("%q is not a server id (want server.1 .. server.255)", n)
	}
	if id < 1 || id > 255 {
		return 0, fmt.Errorf("server id %d is out of range (want 1..255, like myid)", id)
	}
	return id, nil
}
