package slapd_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/sspr/sspr/internal/slapd"
	"github.com/sspr/sspr/internal/testenv"
)

func start(t *testing.T, opts slapd.Options) *slapd.Server {
	t.Helper()
	if err := slapd.Available(); err != nil {
		testenv.Unavailable(t, "%v", err)
	}
	opts.Dir = t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := slapd.Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestStartLoadsUsersAndBinds(t *testing.T) {
	users := slapd.SampleUsers(25, "example.com")
	s := start(t, slapd.Options{LDIF: [][]byte{slapd.UsersLDIF("dc=example,dc=com", users)}, NoSync: true, AdminPassword: "s3cret"})
	t.Logf("slapd %d ready in %s", s.PID, s.Ready.Sub(s.Started))
	c, err := goldap.DialURL(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Bind(s.AdminDN, "s3cret"); err != nil {
		t.Fatal(err)
	}
	res, err := c.Search(goldap.NewSearchRequest(slapd.PeopleDN(s.Suffix), goldap.ScopeWholeSubtree, goldap.NeverDerefAliases,
		0, 0, false, "(objectClass=inetOrgPerson)", []string{"uid", "entryUUID", "displayName"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Entries) != 25 {
		t.Fatalf("got %d users, want 25", len(res.Entries))
	}
	if res.Entries[0].GetAttributeValue("entryUUID") == "" {
		t.Error("slapadd did not add entryUUID")
	}
	// Non-ASCII display names survive the base64 LDIF encoding.
	res, err = c.Search(goldap.NewSearchRequest(slapd.UserDN(s.Suffix, "user00003"), goldap.ScopeBaseObject, goldap.NeverDerefAliases,
		0, 0, false, "(objectClass=*)", []string{"displayName"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Entries[0].GetAttributeValue("displayName"); got != "Chloé Müller" {
		t.Errorf("displayName = %q", got)
	}
}

func TestTLSAndStartTLS(t *testing.T) {
	s := start(t, slapd.Options{TLS: true, Suffix: "dc=sspr,dc=test"})
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	cfg := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}

	c, err := goldap.DialURL(s.LDAPSURL, goldap.DialWithTLSConfig(cfg))
	if err != nil {
		t.Fatalf("ldaps: %v", err)
	}
	if err := c.Bind(s.AdminDN, s.AdminPassword); err != nil {
		t.Fatalf("bind over ldaps: %v", err)
	}
	c.Close()

	c, err = goldap.DialURL(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.StartTLS(cfg); err != nil {
		t.Fatalf("StartTLS: %v", err)
	}
	if err := c.Bind(s.AdminDN, s.AdminPassword); err != nil {
		t.Fatalf("bind after StartTLS: %v", err)
	}
}

func TestPPolicy(t *testing.T) {
	s := start(t, slapd.Options{PPolicy: true})
	c, err := goldap.DialURL(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := c.Search(goldap.NewSearchRequest(s.PolicyDN, goldap.ScopeBaseObject, goldap.NeverDerefAliases,
		0, 0, false, "(objectClass=pwdPolicy)", []string{"pwdMinLength"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Entries) != 1 || res.Entries[0].GetAttributeValue("pwdMinLength") != "8" {
		t.Fatalf("policy entry: %+v", res.Entries)
	}
}

// SyncProv offers RFC 4533 content synchronization: the control in the rootDSE, a cookie,
// and a refresh from it that reports a deletion from the session log (refreshDeletes), or,
// without a session log, by a present phase.
func TestSyncProv(t *testing.T) {
	users := slapd.SampleUsers(3, "example.com")
	for _, tt := range []struct {
		name       string
		sessionLog int
		deletes    bool
	}{{"session log", 0, true}, {"no session log", -1, false}} {
		t.Run(tt.name, func(t *testing.T) {
			s := start(t, slapd.Options{LDIF: [][]byte{slapd.UsersLDIF("dc=example,dc=com", users)}, SyncProv: true, SyncProvSessionLog: tt.sessionLog})
			c, err := goldap.DialURL(s.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if err := c.Bind(s.AdminDN, s.AdminPassword); err != nil {
				t.Fatal(err)
			}
			root, err := c.Search(goldap.NewSearchRequest("", goldap.ScopeBaseObject, goldap.NeverDerefAliases,
				0, 0, false, "(objectClass=*)", []string{"supportedControl"}, nil))
			if err != nil || !slices.Contains(root.Entries[0].GetAttributeValues("supportedControl"), goldap.ControlTypeSyncRequest) {
				t.Fatalf("rootDSE does not offer the sync control: %v", err)
			}
			refresh := func(cookie []byte) *goldap.SearchResult {
				t.Helper()
				res, err := c.Search(goldap.NewSearchRequest(slapd.PeopleDN(s.Suffix), goldap.ScopeWholeSubtree, goldap.NeverDerefAliases,
					0, 0, false, "(objectClass=inetOrgPerson)", []string{"uid"},
					[]goldap.Control{goldap.NewControlSyncRequest(goldap.SyncRequestModeRefreshOnly, cookie, false)}))
				if err != nil {
					t.Fatal(err)
				}
				return res
			}
			first := refresh(nil)
			done, _ := goldap.FindControl(first.Controls, goldap.ControlTypeSyncDone).(*goldap.ControlSyncDone)
			if len(first.Entries) != 3 || done == nil || !strings.Contains(string(done.Cookie), "csn=") {
				t.Fatalf("initial refresh: %d entries, done %v", len(first.Entries), done)
			}
			if err := c.Del(goldap.NewDelRequest(slapd.UserDN(s.Suffix, users[0].UID), nil)); err != nil {
				t.Fatal(err)
			}
			next := refresh(done.Cookie)
			end, _ := goldap.FindControl(next.Controls, goldap.ControlTypeSyncDone).(*goldap.ControlSyncDone)
			if end == nil || end.RefreshDeletes != tt.deletes {
				t.Errorf("refresh after a delete: done %v, want refreshDeletes %v", end, tt.deletes)
			}
		})
	}
}

func TestStopAndKill(t *testing.T) {
	s := start(t, slapd.Options{})
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.Done():
	default:
		t.Fatal("slapd still running after Kill")
	}
	if _, err := goldap.DialURL(s.URL); err == nil {
		t.Fatal("dial succeeded after Kill")
	}
	if err := s.Stop(); err != nil { // idempotent
		t.Fatal(err)
	}
}

func TestStartErrorShowsLog(t *testing.T) {
	if err := slapd.Available(); err != nil {
		testenv.Unavailable(t, "%v", err)
	}
	_, err := slapd.Start(context.Background(), slapd.Options{Dir: t.TempDir(), LDIF: [][]byte{[]byte("dn: cn=x,dc=other\nobjectClass: device\ncn: x\n")}})
	if err == nil {
		t.Fatal("loading an entry outside the suffix succeeded")
	}
	t.Log(err)
	if _, err := slapd.Start(context.Background(), slapd.Options{}); err == nil || errors.Is(err, slapd.ErrNotInstalled) {
		t.Fatalf("missing Dir: %v", err)
	}
}
