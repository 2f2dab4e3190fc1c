package ldap_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sspr/sspr/internal/directory/ldap"
)

// TestProbe: the connection test binds and reads one entry in scope, and says why it cannot.
func TestProbe(t *testing.T) {
	s := fixture(t, false)
	tests := []struct {
		name     string
		edit     func(*ldap.Config)
		in       string // the DN read ends with this; "" for an empty scope
		sentinel error
	}{
		{"one entry", nil, "," + people, nil},
		{"empty scope", func(c *ldap.Config) { c.Filter = "(uid=nobody-by-that-name)" }, "", nil},
		{"second base DN", func(c *ldap.Config) { c.BaseDNs, c.Filter = []string{groups, people}, "(uid=alice)" }, "uid=alice," + people, nil},
		{"missing base DN", func(c *ldap.Config) { c.BaseDNs = []string{"ou=nowhere," + suffix} }, "", ldap.ErrNotFound},
		{"wrong password", func(c *ldap.Config) { c.Endpoint.BindPassword = "wrong-Secret-42" }, "", ldap.ErrBind},
		{"unreachable", func(c *ldap.Config) { c.Endpoint.URL = "ldap://127.0.0.1:1" }, "", ldap.ErrUnreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dn, err := newReader(t, s, tt.edit).Probe(context.Background())
			switch {
			case tt.sentinel != nil:
				if !errors.Is(err, tt.sentinel) || strings.Contains(err.Error(), "wrong-Secret-42") {
					t.Fatalf("err = %v, want %v", err, tt.sentinel)
				}
			case err != nil:
				t.Fatal(err)
			case tt.in == "" && dn != "", tt.in != "" && !strings.HasSuffix(strings.ToLower(dn), tt.in):
				t.Fatalf("Probe = %q, want an entry ending in %q", dn, tt.in)
			}
		})
	}
}

func TestSambaProbe(t *testing.T) {
	f := newSambaFixture(t)
	dn, err := f.reader(t, nil).Probe(context.Background())
	if err != nil || !strings.HasSuffix(strings.ToLower(dn), strings.ToLower(f.ou)) {
		t.Fatalf("Probe = %q, %v; want an entry under %s", dn, err, f.ou)
	}
	_, err = f.reader(t, func(c *ldap.Config) { c.Endpoint.BindPassword = "wrong-Secret-42" }).Probe(context.Background())
	if !errors.Is(err, ldap.ErrBind) {
		t.Fatalf("wrong password: %v", err)
	}
}
