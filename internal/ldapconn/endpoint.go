package ldapconn

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/sspr/sspr/internal/config/problem"
	"github.com/sspr/sspr/internal/secret"
)

// Default timeouts, in one place.
const (
	// DefaultOperationTimeout bounds each wait for the server: connecting, the TLS handshake,
	// one answer (a bind, one page of a search).
	DefaultOperationTimeout = 30 * time.Second
	// DefaultCallTimeout bounds a whole interactive call (a password writeback, an unlock, a
	// sign-in bind, a membership check, a connection test): dial, TLS, bind and operation.
	DefaultCallTimeout = 20 * time.Second
)

// ErrInsecure is the kind of the problem "plain ldap:// without TLS" (errors.Is on Check's
// error).
var ErrInsecure = errors.New("plain LDAP refused")

// Endpoint says how to reach the directory and as whom. Its YAML keys are those of the
// configuration's directory section.
type Endpoint struct {
	// URL is ldaps://host[:636], or ldap://host[:389] with StartTLS.
	URL string `yaml:"url"`
	// StartTLS upgrades an ldap:// connection to TLS before binding.
	StartTLS bool `yaml:"startTLS"`
	// AllowInsecure permits plain ldap:// without StartTLS (passwords in clear): tests and labs.
	AllowInsecure bool `yaml:"allowInsecure"`
	// CAFile is a PEM bundle of the CAs to trust; empty: the system's.
	CAFile string `yaml:"caFile"`
	// BindDN and BindPassword are the service account's.
	BindDN       string       `yaml:"bindDN"`
	BindPassword secret.Value `yaml:"-"`
	// OperationTimeout bounds each wait for the server; 0: DefaultOperationTimeout.
	OperationTimeout time.Duration `yaml:"operationTimeout"`
	// CallTimeout bounds a whole interactive call; 0: DefaultCallTimeout.
	CallTimeout time.Duration `yaml:"callTimeout"`
}

// WithDefaults returns e with the timeouts filled in.
func (e Endpoint) WithDefaults() Endpoint {
	if e.OperationTimeout == 0 {
		e.OperationTimeout = DefaultOperationTimeout
	}
	if e.CallTimeout == 0 {
		e.CallTimeout = DefaultCallTimeout
	}
	return e
}

// Target is a checked Endpoint (defaults applied), ready to dial.
type Target struct {
	Endpoint
	// Host is the URL's host name (the name the certificate must carry); Addr is host:port.
	Host, Addr string
	// LDAPS: TLS from the first byte (ldaps://).
	LDAPS bool
	// TLS is the client TLS configuration; nil for plain ldap:// (AllowInsecure).
	TLS *tls.Config
}

// Secure reports whether connections are encrypted (ldaps:// or StartTLS).
func (t Target) Secure() bool { return t.TLS != nil }

// Check validates e (defaults applied) and returns the Target to dial, or a *problem.List with
// every problem, keyed by the Endpoint's YAML names. It does not connect.
func (e Endpoint) Check() (Target, error) {
	e = e.WithDefaults()
	t := Target{Endpoint: e}
	var ps problem.List
	u, err := url.Parse(e.URL)
	port := ""
	switch {
	case e.URL == "" || err != nil:
		ps.Add("url", "%q is not a URL: want ldaps://host[:port], or ldap://host[:port] with startTLS", e.URL)
	case strings.EqualFold(u.Scheme, "ldaps"):
		t.LDAPS = true
		t.Host, port = u.Hostname(), u.Port()
		if port == "" {
			port = "636"
		}
		if e.StartTLS {
			ps.Add("startTLS", "applies to ldap:// URLs only; ldaps:// is already TLS")
		}
	case strings.EqualFold(u.Scheme, "ldap"):
		t.Host, port = u.Hostname(), u.Port()
		if port == "" {
			port = "389"
		}
		if !e.StartTLS && !e.AllowInsecure {
			ps.AddKind(ErrInsecure, "url", "plain ldap:// without TLS would send passwords in clear: use ldaps://, set startTLS: true, or (test directories only) allowInsecure: true")
		}
	default:
		ps.Add("url", "scheme %q: use ldaps://, or ldap:// with startTLS: true", u.Scheme)
	}
	if err == nil && e.URL != "" && t.Host == "" && (t.LDAPS || strings.EqualFold(u.Scheme, "ldap")) {
		ps.Add("url", "%q has no host: want ldaps://host[:port]", e.URL)
	}
	if e.BindDN == "" {
		ps.Add("bindDN", "required: the service account's DN")
	} else if _, err := goldap.ParseDN(e.BindDN); err != nil {
		ps.Add("bindDN", "%q is not a DN: %v", e.BindDN, err)
	}
	if e.BindPassword == "" {
		ps.Add("bindPassword", "required: the service account's password (an empty password would bind anonymously)")
	}
	if e.OperationTimeout < 0 {
		ps.Add("operationTimeout", "%s must not be negative", e.OperationTimeout)
	}
	if e.CallTimeout < 0 {
		ps.Add("callTimeout", "%s must not be negative", e.CallTimeout)
	}
	tc, err := tlsConfig(t.Host, e.CAFile)
	if err != nil {
		ps.Add("caFile", "%v", err)
	}
	if t.LDAPS || e.StartTLS {
		t.TLS = tc
	}
	if err := ps.Err(); err != nil {
		return Target{}, err
	}
	t.Addr = net.JoinHostPort(t.Host, port)
	return t, nil
}

// tlsConfig is the TLS client configuration for a directory server: TLS 1.2 or later, the
// server name checked against host, and, when caFile is set, only the certificates in it as
// roots (else the system's).
func tlsConfig(host, caFile string) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: host}
	if caFile == "" {
		return c, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return c, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return c, fmt.Errorf("%s: no PEM certificate in it", caFile)
	}
	c.RootCAs = pool
	return c, nil
}
