package config

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/sspr/sspr/internal/clientip"
)

// TestClientIP: server.trustedProxies, server.proxyHeader and server.ipv6ThrottlePrefix become
// the clientip.Config the server tells clients by; their defaults and their problems.
func TestClientIP(t *testing.T) {
	base := "directory:\n  type: openldap\n  file: /tmp/export.ldif\n"
	tests := []struct {
		name    string
		server  string
		want    clientip.Config
		problem string
	}{
		{"defaults", "", clientip.Config{Header: "X-Forwarded-For", IPv6Prefix: 64}, ""},
		{"set", "  trustedProxies: [10.0.0.2, \"2001:db8::/64\"]\n  proxyHeader: forwarded\n  ipv6ThrottlePrefix: 56\n",
			clientip.Config{Trusted: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/32"), netip.MustParsePrefix("2001:db8::/64")},
				Header: "forwarded", IPv6Prefix: 56}, ""},
		{"per address", "  ipv6ThrottlePrefix: 128\n", clientip.Config{Header: "X-Forwarded-For", IPv6Prefix: 128}, ""},
		{"unknown header", "  proxyHeader: X-Real-IP\n", clientip.Config{}, `server.proxyHeader: "X-Real-IP"`},
		{"prefix too short", "  ipv6ThrottlePrefix: 16\n", clientip.Config{}, "server.ipv6ThrottlePrefix: 16"},
		{"prefix too long", "  ipv6ThrottlePrefix: 129\n", clientip.Config{}, "server.ipv6ThrottlePrefix: 129"},
		{"bad proxy", "  trustedProxies: [proxy.local]\n", clientip.Config{}, `server.trustedProxies[0]: "proxy.local"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(base+"server:\n  listen: 127.0.0.1:8080\n"+tt.server), nil)
			if tt.problem != "" {
				if err == nil || !strings.Contains(err.Error(), tt.problem) {
					t.Fatalf("error %v, want %q", err, tt.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Server.ClientIP(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ClientIP() = %+v, want %+v", got, tt.want)
			}
		})
	}
}
