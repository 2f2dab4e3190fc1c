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
