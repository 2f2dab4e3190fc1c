package clientip

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestFrom(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	tests := []struct {
		remote, xff, want string
	}{
		{"192.0.2.1:5000", "", "192.0.2.1"},
		{"192.0.2.1:5000", "203.0.113.9", "192.0.2.1"}, // untrusted peer: header ignored
		{"10.0.0.2:5000", "203.0.113.9", "203.0.113.9"},
		{"10.0.0.2:5000", "198.51.100.1, 203.0.113.9, 10.0.0.3", "203.0.113.9"},
		{"[::ffff:192.0.2.1]:5000", "", "192.0.2.1"},
		{"@", "", "@"}, // a Unix socket peer
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tt.remote
		if tt.xff != "" {
			r.Header.Set("X-Forwarded-For", tt.xff)
		}
		if got := From(r, trusted); got != tt.want {
			t.Errorf("%s %q: %s, want %s", tt.remote, tt.xff, got, tt.want)
		}
	}
}

// TestClient walks hand-built headers: every line, from the right, trusted hops skipped.
func TestClient(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:ffff::/48")}
	const proxy = "10.0.0.2:5000"
	tests := []struct {
		name, header string
		remote       string
		lines        []string // values of the header, one per line
		want         string
	}{
		{"no header", "", proxy, nil, "10.0.0.2"},
		{"untrusted peer: header ignored", "", "192.0.2.1:5000", []string{"203.0.113.9"}, "192.0.2.1"},
		{"one line", "", proxy, []string{"203.0.113.9"}, "203.0.113.9"},
		// The proxy appended its own line after the client's forged one: the bug.
		{"forged line first", "", proxy, []string{"198.51.100.66", "203.0.113.9"}, "203.0.113.9"},
		{"forged lines and trusted hops", "", proxy, []string{"198.51.100.66, 10.9.9.9", "203.0.113.9, 10.0.0.3", "10.0.0.4"}, "203.0.113.9"},
		{"forged trusted hop is skipped", "", proxy, []string{"10.1.1.1", "203.0.113.9"}, "203.0.113.9"},
		{"all hops trusted: the left-most", "", proxy, []string{"10.1.1.1, 10.0.0.3"}, "10.1.1.1"},
		{"empty elements", "", proxy, []string{"198.51.100.66,, 203.0.113.9 ,", ""}, "203.0.113.9"},
		{"tabs", "", proxy, []string{"198.51.100.66,\t203.0.113.9\t"}, "203.0.113.9"},
		{"unknown ends the walk at the nearest proxy", "", proxy, []string{"198.51.100.66, unknown, 10.0.0.3"}, "10.0.0.3"},
		{"garbage ends the walk at the peer", "", proxy, []string{"198.51.100.66, not-an-ip"}, "10.0.0.2"},
		{"IPv4 with port", "", proxy, []string{"203.0.113.9:4711"}, "203.0.113.9"},
		{"IPv6", "", proxy, []string{"2001:db8:1::7"}, "2001:db8:1::7"},
		{"IPv6 in brackets with port", "", proxy, []string{"[2001:db8:1::7]:4711"}, "2001:db8:1::7"},
		{"IPv6 in brackets", "", proxy, []string{"[2001:db8:1::7]"}, "2001:db8:1::7"},
		{"IPv6 trusted hop", "", proxy, []string{"2001:db8:1::7, 2001:db8:ffff::1"}, "2001:db8:1::7"},
		{"IPv4-mapped hop", "", proxy, []string{"::ffff:203.0.113.9"}, "203.0.113.9"},
		{"zone dropped", "", proxy, []string{"fe80::1%eth0"}, "fe80::1"},
		{"IPv4-mapped trusted peer", "", "[::ffff:10.0.0.2]:5000", []string{"203.0.113.9"}, "203.0.113.9"},
		{"Forwarded ignored by default", "", proxy, nil, "10.0.0.2"},

		{"Forwarded one element", "Forwarded", proxy, []string{"for=203.0.113.9;proto=https;by=10.0.0.2"}, "203.0.113.9"},
		{"Forwarded forged line first", "Forwarded", proxy, []string{"for=198.51.100.66", "for=203.0.113.9"}, "203.0.113.9"},
		{"Forwarded elements from the right", "Forwarded", proxy, []string{"for=198.51.100.66, for=203.0.113.9, for=10.0.0.3"}, "203.0.113.9"},
		{"Forwarded quoted IPv6 and port", "Forwarded", proxy, []string{`for="[2001:db8:cafe::17]:4711"`}, "2001:db8:cafe::17"},
		{"Forwarded quoted IPv4 and port", "Forwarded", proxy, []string{`for="203.0.113.9:4711"`}, "203.0.113.9"},
		{"Forwarded obfuscated port", "Forwarded", proxy, []string{`for="[2001:db8:cafe::17]:_p1"`}, "2001:db8:cafe::17"},
		{"Forwarded case-insensitive name", "forwarded", proxy, []string{`For=203.0.113.9`}, "203.0.113.9"},
		{"Forwarded obfuscated node ends the walk", "Forwarded", proxy, []string{"for=198.51.100.66, for=_hidden, for=10.0.0.3"}, "10.0.0.3"},
		{"Forwarded unknown ends the walk", "Forwarded", proxy, []string{"for=198.51.100.66, for=unknown"}, "10.0.0.2"},
		{"Forwarded element without for ends the walk", "Forwarded", proxy, []string{"for=198.51.100.66, by=10.0.0.3"}, "10.0.0.2"},
		{"Forwarded quoted comma", "Forwarded", proxy, []string{`for=198.51.100.66;x="a,b;c\"d", for=203.0.113.9`}, "203.0.113.9"},
		{"Forwarded malformed client line, proxy line after", "Forwarded", proxy, []string{`for="198.51.100.66`, "for=203.0.113.9"}, "203.0.113.9"},
		{"Forwarded proxy element swallowed by an open quote", "Forwarded", proxy, []string{`for="198.51.100.66, for=203.0.113.9`}, "10.0.0.2"},
		{"Forwarded unquoted brackets are malformed", "Forwarded", proxy, []string{"for=[2001:db8::1]"}, "10.0.0.2"},
		{"Forwarded duplicate parameter is malformed", "Forwarded", proxy, []string{"for=198.51.100.66;for=203.0.113.9"}, "10.0.0.2"},
		{"Forwarded empty elements", "Forwarded", proxy, []string{", for=203.0.113.9 ;; ,"}, "203.0.113.9"},
		{"X-Forwarded-For ignored when Forwarded is read", "Forwarded", proxy, nil, "10.0.0.2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			read, other := "X-Forwarded-For", "Forwarded"
			if tt.header != "" {
				read, other = "Forwarded", "X-Forwarded-For"
			}
			for _, l := range tt.lines {
				r.Header.Add(read, l)
			}
			// The header that is not configured always carries a forgery: it must not count.
			r.Header.Add(other, map[string]string{"Forwarded": "for=198.51.100.99", "X-Forwarded-For": "198.51.100.99"}[other])
			c := Config{Trusted: trusted, Header: tt.header}
			if got := c.Address(r); got != tt.want {
				t.Errorf("%s %q: %s, want %s", read, tt.lines, got, tt.want)
			}
		})
	}
}

func TestThrottleKey(t *testing.T) {
	tests := []struct {
		addr   string
		prefix int
		want   string
	}{
		{"192.0.2.1", 0, "192.0.2.1"},
		{"192.0.2.1", 48, "192.0.2.1"},
		{"::ffff:192.0.2.1", 64, "192.0.2.1"},
		{"64:ff9b::c000:201", 64, "192.0.2.1"}, // NAT64: an IPv4 client
		{"2001:db8:1:2:aaaa:bbbb:cccc:dddd", 0, "2001:db8:1:2::/64"},
		{"2001:db8:1:2::1", 64, "2001:db8:1:2::/64"},
		{"2001:db8:1:2ff::1", 56, "2001:db8:1:200::/56"},
		{"2001:db8:1:2::1", 48, "2001:db8:1::/48"},
		{"2001:db8:1:2::1", 128, "2001:db8:1:2::1"},
		{"2001:db8:1:2::1", 129, "2001:db8:1:2::/64"},
		{"2001:db8:1:2::1", -1, "2001:db8:1:2::/64"},
		{"fe80::1%eth0", 64, "fe80::/64"},
		{"::1", 0, "::/64"},
	}
	for _, tt := range tests {
		if got := ThrottleKey(netip.MustParseAddr(tt.addr), tt.prefix); got != tt.want {
			t.Errorf("ThrottleKey(%s, %d) = %s, want %s", tt.addr, tt.prefix, got, tt.want)
		}
	}
	if got := ThrottleKey(netip.Addr{}, 64); got != "" {
		t.Errorf("invalid address: %q", got)
	}
}

// TestThrottleKeyOneSubscriber: the addresses of one /64 are one client for the throttles, as
// many as an attacker cares to use; the full address stays for the audit.
func TestThrottleKeyOneSubscriber(t *testing.T) {
	c := Config{Trusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/32")}}
	keys := map[string]bool{}
	for _, a := range []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2:1234::9"} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "10.0.0.2:4000"
		r.Header.Set("X-Forwarded-For", a)
		keys[c.ThrottleKey(r)] = true
		if got := c.Address(r); got != a {
			t.Errorf("Address = %s, want %s", got, a)
		}
	}
	if len(keys) != 1 || !keys["2001:db8:1:2::/64"] {
		t.Errorf("keys %v, want one: 2001:db8:1:2::/64", keys)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "[2001:db8:1:3::1]:4000"
	if got := (Config{IPv6Prefix: 48}).ThrottleKey(r); got != "2001:db8:1::/48" {
		t.Errorf("prefix 48: %s", got)
	}
	r.RemoteAddr = "@"
	if got := c.ThrottleKey(r); got != "@" {
		t.Errorf("Unix socket: %q", got)
	}
}

// FuzzClient: whatever the headers say, the client is the trusted peer, an address named in
// them, and never one to the left of an untrusted hop.
func FuzzClient(f *testing.F) {
	for _, s := range []string{"for=203.0.113.9", `for="[2001:db8::1]:80", for=_x`, "198.51.100.1, 10.0.0.3", `for="a`, ",,;;", "unknown"} {
		f.Add(s, s)
	}
	c := Config{Trusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, h := range []string{HeaderXForwardedFor, HeaderForwarded} {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = "10.0.0.2:1"
			r.Header.Add(h, a)
			r.Header.Add(h, b)
			c.Header = h
			got := c.Client(r)
			if !got.Addr.IsValid() {
				t.Fatalf("%s %q %q: no address", h, a, b)
			}
			var hops []netip.Addr
			if h == HeaderForwarded {
				hops = forwardedHops([]string{a, b})
			} else {
				hops = xffHops([]string{a, b})
			}
			if got.Addr == netip.MustParseAddr("10.0.0.2") {
				return
			}
			for i := len(hops) - 1; i >= 0; i-- {
				if hops[i] == got.Addr {
					return
				}
				if !hops[i].IsValid() || !c.trusted(hops[i]) {
					break
				}
			}
			t.Fatalf("%s %q %q: %s is not the right-most untrusted hop", h, a, b, got.Addr)
		}
	})
}
