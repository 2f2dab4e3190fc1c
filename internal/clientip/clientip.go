package clientip

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// The proxy headers Config.Header may name.
const (
	HeaderXForwardedFor = "X-Forwarded-For"
	HeaderForwarded     = "Forwarded"
)

// DefaultIPv6Prefix is the network an IPv6 client is counted by when Config.IPv6Prefix is 0.
const DefaultIPv6Prefix = 64

// nat64 is the well-known NAT64 prefix (RFC 6052): its addresses carry an IPv4 client.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// Config says which peers may tell the client's address, in which header, and how IPv6
// clients are counted.
type Config struct {
	// Trusted are the reverse proxies: only a peer in them is believed, and their hops are
	// skipped. List the proxies' own addresses, not client networks: a client inside a
	// trusted prefix can claim any address.
	Trusted []netip.Prefix
	// Header is the header the proxies write: HeaderXForwardedFor (when empty) or
	// HeaderForwarded. The other one is ignored.
	Header string
	// IPv6Prefix is the prefix length an IPv6 client is counted by (DefaultIPv6Prefix when 0;
	// 128 counts every address apart).
	IPv6Prefix int
}

// Client is where a request comes from.
type Client struct {
	// Addr is the client's address without zone, IPv4-mapped addresses unmapped; invalid when
	// the peer's address is not an IP address (a Unix socket).
	Addr netip.Addr
	raw  string
}

// String returns the full address, for the audit.
func (c Client) String() string {
	if c.Addr.IsValid() {
		return c.Addr.String()
	}
	return c.raw
}

// ThrottleKey returns what per-IP throttles count the client by (see the package ThrottleKey).
func (c Client) ThrottleKey(ipv6Prefix int) string {
	if c.Addr.IsValid() {
		return ThrottleKey(c.Addr, ipv6Prefix)
	}
	return c.raw
}

// ThrottleKey returns what per-IP throttles count a at: an IPv4 address (IPv4-mapped and NAT64
// well-known-prefix IPv6 included) as itself, an IPv6 address as its network of prefix bits
// ("2001:db8:1:2::/64"; DefaultIPv6Prefix when prefix is out of 1..128; 128 gives the address).
// An invalid address gives "".
func ThrottleKey(a netip.Addr, prefix int) string {
	if !a.IsValid() {
		return ""
	}
	a = a.WithZone("").Unmap()
	if a.Is4() {
		return a.String()
	}
	if nat64.Contains(a) {
		b := a.As16()
		return netip.AddrFrom4([4]byte(b[12:])).String()
	}
	if prefix < 1 || prefix > 128 {
		prefix = DefaultIPv6Prefix
	}
	if prefix == 128 {
		return a.String()
	}
	p, err := a.Prefix(prefix)
	if err != nil { // unreachable: a is a zoneless IPv6 address and prefix is in range
		return a.String()
	}
	return p.String()
}

// Client returns the client of r.
func (c Config) Client(r *http.Request) Client {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return Client{raw: host}
	}
	peer = peer.WithZone("").Unmap()
	if !c.trusted(peer) {
		return Client{Addr: peer}
	}
	var hops []netip.Addr
	if strings.EqualFold(c.Header, HeaderForwarded) {
		hops = forwardedHops(r.Header.Values(HeaderForwarded))
	} else {
		hops = xffHops(r.Header.Values(HeaderXForwardedFor))
	}
	return Client{Addr: c.walk(peer, hops)}
}

// Address returns the client's full address, for the audit.
func (c Config) Address(r *http.Request) string { return c.Client(r).String() }

// ThrottleKey returns what per-IP throttles count the client of r by.
func (c Config) ThrottleKey(r *http.Request) string { return c.Client(r).ThrottleKey(c.IPv6Prefix) }

// From returns the client address of r given the trusted proxies, reading X-Forwarded-For.
func From(r *http.Request, trusted []netip.Prefix) string {
	return Config{Trusted: trusted}.Address(r)
}

func (c Config) trusted(a netip.Addr) bool {
	for _, p := range c.Trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// walk returns the client given a trusted peer and the hops the proxies reported, oldest
// first; an invalid hop names no address.
func (c Config) walk(peer netip.Addr, hops []netip.Addr) netip.Addr {
	nearest := peer
	for i := len(hops) - 1; i >= 0; i-- {
		h := hops[i]
		if !h.IsValid() {
			return nearest // the client hides behind the nearest trusted proxy
		}
		if !c.trusted(h) {
			return h
		}
		nearest = h
	}
	return nearest
}

// xffHops returns the X-Forwarded-For entries of every header line in order.
func xffHops(lines []string) []netip.Addr {
	var hops []netip.Addr
	for _, line := range lines {
		for _, e := range strings.Split(line, ",") {
			if e = strings.Trim(e, " \t"); e != "" {
				hops = append(hops, parseNode(e))
			}
		}
	}
	return hops
}

// parseNode parses one hop: an IP address, optionally with a port ("192.0.2.1:80"), an IPv6
// address in brackets with or without a port ("[2001:db8::1]:80"). Anything else (unknown,
// an obfuscated "_name") gives the invalid address.
func parseNode(s string) netip.Addr {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.WithZone("").Unmap()
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().WithZone("").Unmap()
	}
	if strings.HasPrefix(s, "[") {
		// A bracketed address whose port is obfuscated ("[2001:db8::1]:_p") still names the node.
		if end := strings.IndexByte(s, ']'); end > 0 && (end == len(s)-1 || s[end+1] == ':') {
			if a, err := netip.ParseAddr(s[1:end]); err == nil {
				return a.WithZone("").Unmap()
			}
		}
		return netip.Addr{}
	}
	if host, port, ok := strings.Cut(s, ":"); ok && !strings.Contains(port, ":") {
		if a, err := netip.ParseAddr(host); err == nil && a.Is4() {
			return a // IPv4 with an obfuscated port
		}
	}
	return netip.Addr{}
}

// forwardedHops returns the for= node of every RFC 7239 Forwarded element of every header line
// in order. An element without for= names no address; a line that does not parse is one such
// element (a proxy may have appended its element to a client's malformed line).
func forwardedHops(lines []string) []netip.Addr {
	var hops []netip.Addr
	for _, line := range lines {
		elems, ok := parseForwarded(line)
		if !ok {
			hops = append(hops, netip.Addr{})
			continue
		}
		for _, e := range elems {
			if v, ok := e["for"]; ok {
				hops = append(hops, parseNode(v))
			} else {
				hops = append(hops, netip.Addr{})
			}
		}
	}
	return hops
}

// parseForwarded parses one Forwarded line: elements separated by commas, each a list of
// token=value pairs separated by semicolons, a value a token or a quoted string. Parameter
// names are case-insensitive; empty list elements are allowed (RFC 9110 §5.6.1).
func parseForwarded(s string) ([]map[string]string, bool) {
	var elems []map[string]string
	elem := map[string]string{}
	i := 0
	skipWS := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
	}
	for {
		skipWS()
		if i == len(s) || s[i] == ',' || s[i] == ';' {
			// An empty pair or element.
		} else {
			start := i
			for i < len(s) && isTchar(s[i]) {
				i++
			}
			name := strings.ToLower(s[start:i])
			if name == "" || i == len(s) || s[i] != '=' {
				return nil, false
			}
			i++
			var value string
			if i < len(s) && s[i] == '"' {
				var b strings.Builder
				i++
				for ; i < len(s) && s[i] != '"'; i++ {
					if s[i] == '\\' {
						i++
						if i == len(s) {
							return nil, false
						}
					}
					b.WriteByte(s[i])
				}
				if i == len(s) {
					return nil, false
				}
				i++
				value = b.String()
			} else {
				start := i
				for i < len(s) && isTchar(s[i]) {
					i++
				}
				value = s[start:i]
			}
			if _, dup := elem[name]; dup {
				return nil, false // a parameter appears at most once per element
			}
			elem[name] = value
			skipWS()
		}
		if i == len(s) {
			if len(elem) > 0 {
				elems = append(elems, elem)
			}
			return elems, true
		}
		switch s[i] {
		case ';':
		case ',':
			if len(elem) > 0 {
				elems = append(elems, elem)
			}
			elem = map[string]string{}
		default:
			return nil, false
		}
		i++
	}
}

// isTchar reports whether c may appear in an HTTP token (RFC 9110 §5.6.2).
func isTchar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
