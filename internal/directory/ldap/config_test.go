package ldap_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/directory"
	"github.com/sspr/sspr/internal/directory/ldap"
	"github.com/sspr/sspr/internal/ldapconn"
)

func validConfig() ldap.Config {
	return ldap.Config{
		Kind: directory.ActiveDirectory,
		Endpoint: ldapconn.Endpoint{URL: "ldaps://dc1.example.com", BindDN: "CN=svc-sspr,OU=Service,DC=example,DC=com",
			BindPassword: "not-logged"},
		BaseDNs: []string{"OU=Staff,DC=example,DC=com"},
	}
}

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name     string
		edit     func(*ldap.Config)
		sentinel error
		message  string
	}{
		{"valid", func(*ldap.Config) {}, nil, ""},
		{"StartTLS", func(c *ldap.Config) { c.Endpoint.URL = "ldap://dc1.example.com"; c.Endpoint.StartTLS = true }, nil, ""},
		{"insecure allowed", func(c *ldap.Config) { c.Endpoint.URL = "ldap://127.0.0.1:389"; c.Endpoint.AllowInsecure = true }, nil, ""},
		{"plain ldap refused", func(c *ldap.Config) { c.Endpoint.URL = "ldap://dc1.example.com" }, ldap.ErrInsecure, "url: plain ldap:// without TLS"},
		{"StartTLS on ldaps", func(c *ldap.Config) { c.Endpoint.StartTLS = true }, ldap.ErrConfig, "startTLS: applies to ldap:// URLs only"},
		{"bad scheme", func(c *ldap.Config) { c.Endpoint.URL = "http://dc1" }, ldap.ErrConfig, `url: scheme "http"`},
		{"no host", func(c *ldap.Config) { c.Endpoint.URL = "ldaps://" }, ldap.ErrConfig, "has no host"},
		{"bad kind", func(c *ldap.Config) { c.Kind = "novell" }, ldap.ErrConfig, `kind "novell"`},
		{"bad filter", func(c *ldap.Config) { c.Filter = "objectClass=user" }, ldap.ErrConfig, "filter"},
		{"unbalanced filter", func(c *ldap.Config) { c.Filter = "(&(objectClass=user)" }, ldap.ErrConfig, "filter"},
		{"no base DN", func(c *ldap.Config) { c.BaseDNs = nil }, ldap.ErrConfig, "at least one base DN"},
		{"bad base DN", func(c *ldap.Config) { c.BaseDNs = []string{"not a dn"} }, ldap.ErrConfig, `baseDN "not a dn"`},
		{"bad group", func(c *ldap.Config) { c.Group = "oops" }, ldap.ErrConfig, `group "oops"`},
		{"password policy DN", func(c *ldap.Config) { c.PasswordPolicyDN = "cn=default,ou=policies,dc=example,dc=com" }, nil, ""},
		{"bad password policy DN", func(c *ldap.Config) { c.PasswordPolicyDN = "oops" }, ldap.ErrConfig, `passwordPolicyDN "oops"`},
		{"bind DN without password", func(c *ldap.Config) { c.Endpoint.BindPassword = "" }, ldap.ErrConfig, "bindPassword: required"},
		{"no bind DN", func(c *ldap.Config) { c.Endpoint.BindDN = "" }, ldap.ErrConfig, "bindDN: required"},
		{"missing CA file", func(c *ldap.Config) { c.Endpoint.CAFile = "/nonexistent/ca.pem" }, ldap.ErrConfig, "caFile"},
		{"every problem at once", func(c *ldap.Config) { c.Filter = "x"; c.BaseDNs = nil }, ldap.ErrConfig, "filter \"x\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := validConfig()
			tt.edit(&cfg)
			_, err := ldap.New(cfg)
			if tt.sentinel == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, tt.sentinel) || !strings.Contains(err.Error(), tt.message) {
				t.Fatalf("err = %v, want %v saying %q", err, tt.sentinel, tt.message)
			}
			if strings.Contains(err.Error(), "not-logged") {
				t.Error("the error shows the password")
			}
		})
	}
}

func TestKey(t *testing.T) {
	key := func(edit func(*ldap.Config)) string {
		cfg := validConfig()
		edit(&cfg)
		r, err := ldap.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return r.Key()
	}
	base := key(func(*ldap.Config) {})
	same := map[string]func(*ldap.Config){
		"password":        func(c *ldap.Config) { c.Endpoint.BindPassword = "other" },
		"timeouts":        func(c *ldap.Config) { c.Endpoint.OperationTimeout, c.Endpoint.CallTimeout = time.Second, time.Second },
		"page size":       func(c *ldap.Config) { c.PageSize = 10 },
		"base DN case":    func(c *ldap.Config) { c.BaseDNs = []string{"ou=staff,dc=EXAMPLE,dc=com"} },
		"nested base DN":  func(c *ldap.Config) { c.BaseDNs = append(c.BaseDNs, "OU=Paris,OU=Staff,DC=example,DC=com") },
		"default mapping": func(c *ldap.Config) { c.Mapping = directory.DefaultMapping(directory.ActiveDirectory) },
		"default filter":  func(c *ldap.Config) { c.Filter = "(objectClass=user)" },
	}
	for name, edit := range same {
		if k := key(edit); k != base {
			t.Errorf("%s changed the key", name)
		}
	}
	differ := map[string]func(*ldap.Config){
		"url":     func(c *ldap.Config) { c.Endpoint.URL = "ldaps://dc2.example.com" },
		"base DN": func(c *ldap.Config) { c.BaseDNs = []string{"OU=Other,DC=example,DC=com"} },
		"filter":  func(c *ldap.Config) { c.Filter = "(&(objectClass=user)(mobile=*))" },
		"group":   func(c *ldap.Config) { c.Group = "CN=SSPR,DC=example,DC=com" },
		"mapping": func(c *ldap.Config) { c.Mapping.MobilePhone = "otherMobile" },
		"kind":    func(c *ldap.Config) { c.Kind = directory.OpenLDAP },
	}
	for name, edit := range differ {
		if k := key(edit); k == base {
			t.Errorf("%s did not change the key", name)
		}
	}
}
