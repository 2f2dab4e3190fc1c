package ldapconn_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sspr/sspr/internal/config/problem"
	"github.com/sspr/sspr/internal/ldapconn"
)

func TestCheck(t *testing.T) {
	valid := ldapconn.Endpoint{URL: "ldaps://dc1.example.com", BindDN: "CN=svc,DC=example,DC=com", BindPassword: "Not-Sh0wn"}
	tests := []struct {
		name     string
		edit     func(*ldapconn.Endpoint)
		key, msg string // the one problem expected; "" for none
	}{
		{"ldaps", func(*ldapconn.Endpoint) {}, "", ""},
		{"StartTLS", func(e *ldapconn.Endpoint) { e.URL, e.StartTLS = "ldap://dc1.example.com", true }, "", ""},
		{"insecure allowed", func(e *ldapconn.Endpoint) { e.URL, e.AllowInsecure = "ldap://127.0.0.1:389", true }, "", ""},
		{"plain refused", func(e *ldapconn.Endpoint) { e.URL = "ldap://dc1.example.com" }, "url", "plain ldap:// without TLS"},
		{"StartTLS on ldaps", func(e *ldapconn.Endpoint) { e.StartTLS = true }, "startTLS", "ldaps:// is already TLS"},
		{"bad scheme", func(e *ldapconn.Endpoint) { e.URL = "https://dc1" }, "url", `scheme "https"`},
		{"no URL", func(e *ldapconn.Endpoint) { e.URL = "" }, "url", "not a URL"},
		{"no host", func(e *ldapconn.Endpoint) { e.URL = "ldaps://" }, "url", "has no host"},
		{"no bind DN", func(e *ldapconn.Endpoint) { e.BindDN = "" }, "bindDN", "required"},
		{"bad bind DN", func(e *ldapconn.Endpoint) { e.BindDN = "not a dn" }, "bindDN", "not a DN"},
		{"no password", func(e *ldapconn.Endpoint) { e.BindPassword = "" }, "bindPassword", "anonymously"},
		{"missing CA file", func(e *ldapconn.Endpoint) { e.CAFile = "/nonexistent/ca.pem" }, "caFile", "no such file"},
		{"negative operation timeout", func(e *ldapconn.Endpoint) { e.OperationTimeout = -1 }, "operationTimeout", "negative"},
		{"negative call timeout", func(e *ldapconn.Endpoint) { e.CallTimeout = -1 }, "callTimeout", "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := valid
			tt.edit(&e)
			target, err := e.Check()
			if tt.key == "" {
				if err != nil {
					t.Fatal(err)
				}
				if target.OperationTimeout != ldapconn.DefaultOperationTimeout || target.CallTimeout != ldapconn.DefaultCallTimeout || target.Addr == "" {
					t.Errorf("target = %+v", target)
				}
				return
			}
			var l *problem.List
			if !errors.As(err, &l) || len(l.Problems) != 1 || l.Problems[0].Key != tt.key || !strings.Contains(l.Problems[0].Message, tt.msg) {
				t.Fatalf("err = %v, want one problem at %s saying %q", err, tt.key, tt.msg)
			}
			if strings.Contains(err.Error(), "Not-Sh0wn") {
				t.Error("the error shows the password")
			}
			if got := errors.Is(err, ldapconn.ErrInsecure); got != (tt.name == "plain refused") {
				t.Errorf("errors.Is(err, ErrInsecure) = %v", got)
			}
		})
	}
}

func TestTarget(t *testing.T) {
	for url, want := range map[string]string{
		"ldaps://dc1.example.com": "dc1.example.com:636", "ldap://dc1.example.com": "dc1.example.com:389",
		"ldaps://dc1.example.com:3269": "dc1.example.com:3269",
	} {
		target, err := ldapconn.Endpoint{URL: url, StartTLS: strings.HasPrefix(url, "ldap:"), BindDN: "cn=svc", BindPassword: "x"}.Check()
		if err != nil {
			t.Fatal(err)
		}
		if target.Addr != want || target.Host != "dc1.example.com" || !target.Secure() {
			t.Errorf("%s: %+v", url, target)
		}
	}
	plain, err := ldapconn.Endpoint{URL: "ldap://127.0.0.1", AllowInsecure: true, BindDN: "cn=svc", BindPassword: "x"}.Check()
	if err != nil || plain.Secure() {
		t.Errorf("plain: %+v, %v", plain, err)
	}
}
