package acl

import (
	"fmt"
	"net/netip"
	"strings"

	"zkd/zkd/proto"
)

// ConnectionIDs returns the identities a connection has before any addauth:
// ip:<remote address>, the address written as Java's getHostAddress writes it
// (dotted IPv4, IPv4-mapped IPv6 shown as IPv4, other IPv6 as eight
// uncompressed lowercase groups plus any %zone). remoteIP may be an address
// or a host:port pair; anything else is used verbatim.
func ConnectionIDs(remoteIP string) []proto.ID {
	return []proto.ID{{Scheme: SchemeIP, ID: javaHostAddress(remoteIP)}}
}

// javaHostAddress formats an address as InetAddress.getHostAddress does.
func javaHostAddress(s string) string {
	addr, err := netip.ParseAddr(s)
	if err != nil {
		ap, err := netip.ParseAddrPort(s)
		if err != nil {
			return s
		}
		addr = ap.Addr()
	}
	addr = addr.Unmap()
	if addr.Is4() {
		return addr.String()
	}
	a := addr.As16()
	var sb strings.Builder
	for i := 0; i < 16; i += 2 {
		if i > 0 {
			sb.WriteByte(':')
		}
		fmt.Fprintf(&sb, "%x", uint16(a[i])<<8|uint16(a[i+1]))
	}
	if z := addr.Zone(); z != "" {
		sb.WriteString("%" + z)
	}
	return sb.String()
}

// ipValid is IPAuthenticationProvider.isValid: an address, optionally
// followed by /bits within the address length.
func ipValid(expr string) bool {
	_, _, ok := ipPattern(expr)
	return ok
}

// ipMatches is IPAuthenticationProvider.matches: the remote address id lies
// inside the ACL's address/bits. A pattern that does not parse, or an
// address of the other family, matches nothing.
func ipMatches(id, expr string) bool {
	acl, bits, ok := ipPattern(expr)
	if !ok {
		return false
	}
	remote := ipBytes(id)
	if len(remote) != len(acl) {
		return false
	}
	maskBits(acl, bits)
	maskBits(remote, bits)
	return string(acl) == string(remote)
}

// ipUser is the ip provider's getUserName: the address itself.
func ipUser(id string) string { return id }

// ipPattern parses "address" or "address/bits" into the address bytes and
// the prefix length (the full length when absent).
func ipPattern(expr string) (addr []byte, bits int, ok bool) {
	parts := javaSplit(expr, "/", 2)
	addr = ipBytes(parts[0])
	if addr == nil {
		return nil, 0, false
	}
	bits = len(addr) * 8
	if len(parts) == 2 {
		n, ok := javaParseInt(parts[1], 10)
		if !ok || n < 0 || int(n) > len(addr)*8 {
			return nil, 0, false
		}
		bits = int(n)
	}
	return addr, bits, true
}

// maskBits clears every bit of b after the first bits.
func maskBits(b []byte, bits int) {
	for i := range b {
		switch {
		case (i+1)*8 <= bits:
		case i*8 >= bits:
			b[i] = 0
		default:
			b[i] &^= 0xff >> (bits % 8)
		}
	}
}

// ipBytes is addr2Bytes: IPv6 when the string has a colon, IPv4 when it has
// a dot, nil when it does not parse.
func ipBytes(addr string) []byte {
	switch {
	case strings.Contains(addr, ":"):
		return ipv6Bytes(addr)
	case strings.Contains(addr, "."):
		return ipv4Bytes(addr)
	}
	return nil
}

// ipv4Bytes parses exactly four dot-separated decimal numbers 0-255, with
// Integer.parseInt's leniency (a sign, leading zeros).
func ipv4Bytes(addr string) []byte {
	parts := javaSplit(addr, ".", -1)
	if len(parts) != 4 {
		return nil
	}
	b := make([]byte, 4)
	for i, p := range parts {
		v, ok := javaParseInt(p, 10)
		if !ok || v < 0 || v > 255 {
			return nil
		}
		b[i] = byte(v)
	}
	return b
}

// ipv6Bytes parses eight colon-separated groups of one to four hex digits,
// or fewer around a single "::". Embedded IPv4 and zones are not accepted,
// as in ZooKeeper's parser.
func ipv6Bytes(addr string) []byte {
	halves := javaSplit(addr, "::", -1)
	var head, tail []string
	switch len(halves) {
	case 1:
		head = javaSplit(halves[0], ":", -1)
		if len(head) != 8 {
			return nil
		}
	case 2:
		if halves[0] != "" {
			head = javaSplit(halves[0], ":", -1)
		}
		if halves[1] != "" {
			tail = javaSplit(halves[1], ":", -1)
		}
		if len(head)+len(tail) >= 8 {
			return nil
		}
	default:
		return nil
	}
	b := make([]byte, 16)
	if !ipv6Groups(b[:2*len(head)], head) || !ipv6Groups(b[16-2*len(tail):], tail) {
		return nil
	}
	return b
}

// ipv6Groups writes each group as two big-endian bytes into dst. A group is
// Integer.parseInt(group, 16), so a sign is accepted and a negative value
// keeps its low sixteen bits.
func ipv6Groups(dst []byte, groups []string) bool {
	for i, g := range groups {
		if g == "" || javaUTF16Len(g) > 4 {
			return false
		}
		v, ok := javaParseInt(g, 16)
		if !ok {
			return false
		}
		dst[2*i] = byte(v >> 8)
		dst[2*i+1] = byte(v)
	}
	return true
}
