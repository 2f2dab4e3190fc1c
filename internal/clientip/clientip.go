// Package clientip tells which address a request comes from, for throttles and audit: the
// peer's, or, when the peer is a trusted reverse proxy, the right-most X-Forwarded-For address
// that is not a trusted proxy (the left-most entries are whatever the client claimed).
package clientip

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// From returns the client address of r given the trusted proxies.
func From(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a.Unmap()) {
				return true
			}
		}
		return false
	}
	if !isTrusted(peer) {
		return peer.Unmap().String()
	}
	hops := strings.Split(r.Header.Get("X-Forwarded-For"), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if !isTrusted(a) {
			return a.Unmap().String()
		}
	}
	return peer.Unmap().String()
}
