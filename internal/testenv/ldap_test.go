package testenv_test

import (
	"fmt"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/sspr/sspr/internal/slapd"
	"github.com/sspr/sspr/internal/testenv"
)

func TestSlapdStopsAfterTheTest(t *testing.T) {
	var s *slapd.Server
	t.Run("uses it", func(t *testing.T) {
		s = testenv.Slapd(t, slapd.Options{LDIF: [][]byte{slapd.UsersLDIF("dc=example,dc=com", slapd.SampleUsers(3, "example.com"))}})
		c, err := goldap.DialURL(s.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Bind(s.AdminDN, s.AdminPassword); err != nil {
			t.Fatal(err)
		}
	})
	if s == nil {
		return // skipped
	}
	select {
	case <-s.Done():
	default:
		t.Fatal("slapd still runs after its test")
	}
}

func TestSambaHelpers(t *testing.T) {
	dc := testenv.SambaDC(t)
	var ou string
	t.Run("creates", func(t *testing.T) {
		ou = dc.NewOU(t)
		sub := dc.AddOU(t, ou, "Sales, EMEA")
		dn := dc.AddUser(t, sub, testenv.SambaUser{SAMAccountName: fmt.Sprintf("tu-%d", time.Now().UnixNano()%1e9), Password: "Helper-Test-Pass9!",
			DisplayName: "Test User", Mobile: "+33 6 00 00 00 00"})
		g := dc.AddGroup(t, ou, `grp*(x)\`, dn)

		// The user can bind with the password it was given (unicodePwd encoding).
		c, err := goldap.DialURL(dc.URL, goldap.DialWithTLSConfig(dc.TLSConfig(t)))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Bind(dn, "Helper-Test-Pass9!"); err != nil {
			t.Fatalf("bind as the new user: %v", err)
		}
		res, err := dc.Dial(t).Search(goldap.NewSearchRequest(g, goldap.ScopeBaseObject, goldap.NeverDerefAliases, 0, 0, false,
			"(objectClass=group)", []string{"member"}, nil))
		if err != nil || len(res.Entries) != 1 || len(res.Entries[0].GetAttributeValues("member")) != 1 {
			t.Fatalf("group: %v %+v", err, res)
		}
	})
	if ou == "" {
		return
	}
	_, err := dc.Dial(t).Search(goldap.NewSearchRequest(ou, goldap.ScopeBaseObject, goldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", []string{"1.1"}, nil))
	if !goldap.IsErrorWithCode(err, goldap.LDAPResultNoSuchObject) {
		t.Fatalf("the test's OU is still there after the test: %v", err)
	}
}
