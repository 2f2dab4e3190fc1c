// Package clientip tells which address a request comes from, for per-IP throttles and the audit.
//
// The client is the TCP peer, unless the peer is one of the trusted reverse proxies. Then the
// proxy header the configuration names (X-Forwarded-For by default, or RFC 7239 Forwarded) is
// read: every line of it, each split on commas, walked from the right (the newest hop). Trusted
// hops are skipped; the first address that is not a trusted proxy is the client. Everything to
// its left is whatever the client claimed and is never read. An entry that names no address
// (Forwarded's "unknown" and "_obfuscated" identifiers, an element without for=, anything that
// does not parse) ends the walk: the client is then the nearest trusted proxy, the last one
// that can be vouched for. When every hop is trusted, the left-most is the client.
//
// Only the configured header is read; the other one is ignored, because a proxy passes the
// header it does not write on unchanged from the client.
//
// Throttles count a client by ThrottleKey: an IPv4 address (IPv4-mapped IPv6 and the NAT64
// well-known prefix 64:ff9b::/96 are IPv4) by itself, an IPv6 address by its network (/64 by
// default), since one subscriber is given a whole /64 and more.
package clientip
