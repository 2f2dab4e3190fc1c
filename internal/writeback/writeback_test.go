package writeback_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/directory"
	"github.com/sspr/sspr/internal/ldapconn"
	"github.com/sspr/sspr/internal/writeback"
)

func TestNew(t *testing.T) {
	ok := writeback.Config{Kind: directory.ActiveDirectory, Endpoint: ldapconn.Endpoint{URL: "ldaps://dc.example.com", BindDN: "CN=svc,DC=example,DC=com", BindPassword: "svc-Secret-77"}}
	for _, tc := range []struct {
		name    string
		edit    func(c *writeback.Config)
		problem string // "" = valid
	}{
		{"ldaps", func(c *writeback.Config) {}, ""},
		{"ldap with StartTLS", func(c *writeback.Config) { c.Endpoint.URL, c.Endpoint.StartTLS = "ldap://dc.example.com", true }, ""},
		{"openldap", func(c *writeback.Config) { c.Kind = directory.OpenLDAP }, ""},
		{"plain allowed", func(c *writeback.Config) { c.Endpoint.URL, c.Endpoint.AllowInsecure = "ldap://127.0.0.1:389", true }, ""},
		{"plain refused", func(c *writeback.Config) { c.Endpoint.URL = "ldap://dc.example.com" }, "send passwords in clear"},
		{"StartTLS on ldaps", func(c *writeback.Config) { c.Endpoint.StartTLS = true }, "startTLS: applies to ldap:// URLs only"},
		{"no kind", func(c *writeback.Config) { c.Kind = "" }, "type"},
		{"bad scheme", func(c *writeback.Config) { c.Endpoint.URL = "https://dc.example.com" }, "scheme"},
		{"no URL", func(c *writeback.Config) { c.Endpoint.URL = "" }, "url"},
		{"no host", func(c *writeback.Config) { c.Endpoint.URL = "ldaps://" }, "no host"},
		{"no service password", func(c *writeback.Config) { c.Endpoint.BindPassword = "" }, "bindPassword: required"},
		{"bad bind DN", func(c *writeback.Config) { c.Endpoint.BindDN = "not a dn" }, "bindDN"},
		{"missing CA file", func(c *writeback.Config) { c.Endpoint.CAFile = "/nonexistent/ca.pem" }, "caFile"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := ok
			tc.edit(&cfg)
			_, err := writeback.New(cfg)
			switch {
			case tc.problem == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tc.problem != "" && (err == nil || !strings.Contains(err.Error(), tc.problem)):
				t.Fatalf("New = %v, want an error about %q", err, tc.problem)
			}
			if err != nil && strings.Contains(err.Error(), cfg.Endpoint.BindPassword.Reveal()) && cfg.Endpoint.BindPassword != "" {
				t.Fatalf("error shows the service password: %v", err)
			}
		})
	}
	// Every problem at once.
	_, err := writeback.New(writeback.Config{Endpoint: ldapconn.Endpoint{URL: "ftp://x"}})
	if err == nil || !strings.Contains(err.Error(), "4 problems") {
		t.Fatalf("want all problems, got %v", err)
	}
}

// silentServer accepts connections and never answers; it counts them.
type silentServer struct {
	ln    net.Listener
	count atomic.Int32
	mu    sync.Mutex
	conns []net.Conn
}

func newSilentServer(t *testing.T) *silentServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &silentServer{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.count.Add(1)
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, c := range s.conns {
			c.Close()
		}
	})
	return s
}

func (s *silentServer) dir(t *testing.T, kind directory.Kind, scheme string, timeout time.Duration) *writeback.Directory {
	t.Helper()
	d, err := writeback.New(writeback.Config{Kind: kind, Endpoint: ldapconn.Endpoint{URL: scheme + "://" + s.ln.Addr().String(),
		StartTLS: scheme == "ldap", BindDN: "cn=svc,dc=example,dc=com", BindPassword: "svc", CallTimeout: timeout}})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestHungServer: a server that accepts and never answers ends each call at the Timeout,
// as unavailable, whatever step it hangs in (TLS handshake on ldaps://, StartTLS on ldap://).
func TestHungServer(t *testing.T) {
	s := newSilentServer(t)
	for _, scheme := range []string{"ldaps", "ldap"} {
		d := s.dir(t, directory.OpenLDAP, scheme, 200*time.Millisecond)
		calls := map[string]func() error{
			"SetPassword":  func() error { return d.SetPassword(context.Background(), "uid=a,dc=example,dc=com", "New-pass-1x") },
			"Unlock":       func() error { return d.Unlock(context.Background(), "uid=a,dc=example,dc=com") },
			"Authenticate": func() error { return d.Authenticate(context.Background(), "uid=a,dc=example,dc=com", "pw") },
			"IsMember": func() error {
				_, err := d.IsMember(context.Background(), "uid=a,dc=example,dc=com", "cn=g,dc=example,dc=com")
				return err
			},
		}
		for name, call := range calls {
			t.Run(scheme+" "+name, func(t *testing.T) {
				start := time.Now()
				err := call()
				wantReason(t, err, writeback.ReasonUnavailable, "New-pass-1x", "pw")
				if !errors.Is(err, writeback.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("want ErrUnavailable and DeadlineExceeded: %v", err)
				}
				t.Logf("returned after %v (Timeout 200ms)", time.Since(start).Round(time.Millisecond))
			})
		}
	}
}

// TestCancel: cancelling the caller's context ends a hung call.
func TestCancel(t *testing.T) {
	s := newSilentServer(t)
	d := s.dir(t, directory.ActiveDirectory, "ldaps", time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	err := d.SetPassword(ctx, "CN=a,DC=example,DC=com", "New-Pass-1x!")
	wantReason(t, err, writeback.ReasonUnavailable, "New-Pass-1x!")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled: %v", err)
	}
}

// TestNothingSent: an empty password never reaches the server (it would be an
// unauthenticated bind, which succeeds), nor an empty new password, nor an AD password over
// a plain connection.
func TestNothingSent(t *testing.T) {
	s := newSilentServer(t)
	c := context.Background()
	for _, kind := range []directory.Kind{directory.ActiveDirectory, directory.OpenLDAP} {
		d := s.dir(t, kind, "ldaps", time.Second)
		wantReason(t, d.Authenticate(c, "uid=a,dc=example,dc=com", ""), writeback.ReasonWrongPassword)
		wantReason(t, d.Authenticate(c, "", "secret-1"), writeback.ReasonWrongPassword, "secret-1")
		wantReason(t, d.SetPassword(c, "uid=a,dc=example,dc=com", ""), writeback.ReasonTooShort)
		wantReason(t, d.SetPassword(c, "", "secret-2"), writeback.ReasonFailed, "secret-2")
		wantReason(t, d.Unlock(c, ""), writeback.ReasonFailed)
		_, err := d.IsMember(c, "uid=a,dc=example,dc=com", "not a DN")
		wantReason(t, err, writeback.ReasonFailed)
	}
	plain, err := writeback.New(writeback.Config{Kind: directory.ActiveDirectory, Endpoint: ldapconn.Endpoint{URL: "ldap://" + s.ln.Addr().String(),
		AllowInsecure: true, BindDN: "CN=svc,DC=example,DC=com", BindPassword: "svc"}})
	if err != nil {
		t.Fatal(err)
	}
	wantReason(t, plain.SetPassword(c, "CN=a,DC=example,DC=com", "secret-3"), writeback.ReasonFailed, "secret-3")
	if n := s.count.Load(); n != 0 {
		t.Fatalf("%d connections made", n)
	}
}
