package testenv

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/sspr/sspr/internal/slapd"
)

// Slapd starts a throwaway OpenLDAP server for this test in t.TempDir() (unless opts.Dir is
// set) and stops it when the test ends. No slapd here: Unavailable.
func Slapd(t testing.TB, opts slapd.Options) *slapd.Server {
	t.Helper()
	if err := slapd.Available(); err != nil {
		Unavailable(t, "%v", err)
	}
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	if !opts.NoSync {
		opts.NoSync = true // tests never need durability
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := slapd.Start(ctx, opts)
	if err != nil {
		t.Fatalf("start slapd: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop slapd: %v", err)
		}
	})
	return s
}

// Samba describes the Samba AD domain controller that scripts/testservers/samba.sh started
// (SSPR_TEST_SAMBA_* variables). It is shared by every test of a run: a test works in its own
// OU (NewOU) and never touches anything else.
type Samba struct {
	URL      string // ldaps://127.0.0.1:636
	BaseDN   string // DC=sspr,DC=test
	BindDN   string // CN=Administrator,CN=Users,DC=sspr,DC=test
	Password string
	CAFile   string
}

// SambaDC returns the shared Samba AD DC, or ends the test with Unavailable when none runs.
func SambaDC(t testing.TB) Samba {
	t.Helper()
	s := Samba{
		URL:      os.Getenv("SSPR_TEST_SAMBA_URL"),
		BaseDN:   os.Getenv("SSPR_TEST_SAMBA_BASEDN"),
		BindDN:   os.Getenv("SSPR_TEST_SAMBA_BINDDN"),
		Password: os.Getenv("SSPR_TEST_SAMBA_PASSWORD"),
		CAFile:   os.Getenv("SSPR_TEST_SAMBA_CAFILE"),
	}
	if s.URL == "" || s.BaseDN == "" || s.BindDN == "" || s.Password == "" {
		Unavailable(t, "Samba AD DC: SSPR_TEST_SAMBA_URL/BASEDN/BINDDN/PASSWORD unset (scripts/testservers/samba.sh start DIR writes them to DIR/samba.env)")
	}
	return s
}

// TLSConfig trusts the DC's CA (CAFile) for the host of URL.
func (s Samba) TLSConfig(t testing.TB) *tls.Config {
	t.Helper()
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: "127.0.0.1"}
	if i := strings.Index(s.URL, "://"); i >= 0 {
		host := s.URL[i+3:]
		if j := strings.IndexAny(host, ":/"); j >= 0 {
			host = host[:j]
		}
		cfg.ServerName = host
	}
	if s.CAFile != "" {
		pem, err := os.ReadFile(s.CAFile)
		if err != nil {
			t.Fatalf("samba CA: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			t.Fatalf("samba CA: no certificate in %s", s.CAFile)
		}
		cfg.RootCAs = pool
	}
	return cfg
}

// Dial connects to the DC over TLS (ldaps://, or StartTLS on ldap://) and binds as BindDN.
// The connection is closed when the test ends.
func (s Samba) Dial(t testing.TB) *goldap.Conn {
	t.Helper()
	c, err := goldap.DialURL(s.URL, goldap.DialWithTLSConfig(s.TLSConfig(t)))
	if err != nil {
		t.Fatalf("samba: dial %s: %v", s.URL, err)
	}
	if strings.HasPrefix(strings.ToLower(s.URL), "ldap://") {
		if err := c.StartTLS(s.TLSConfig(t)); err != nil {
			c.Close()
			t.Fatalf("samba: StartTLS: %v", err)
		}
	}
	if err := c.Bind(s.BindDN, s.Password); err != nil {
		c.Close()
		t.Fatalf("samba: bind as %s: %v", s.BindDN, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// NewOU creates an OU with a random name under BaseDN for this test and deletes it with
// everything below it when the test ends. It returns the OU's DN.
func (s Samba) NewOU(t testing.TB) string {
	t.Helper()
	c := s.Dial(t)
	dn := "OU=sspr-test-" + randomHex(6) + "," + s.BaseDN
	add := goldap.NewAddRequest(dn, nil)
	add.Attribute("objectClass", []string{"top", "organizationalUnit"})
	add.Attribute("description", []string{"sspr test " + t.Name()})
	if err := c.Add(add); err != nil {
		t.Fatalf("samba: add %s: %v", dn, err)
	}
	t.Cleanup(func() {
		// A fresh connection: the test may have closed or broken its own.
		c, err := goldap.DialURL(s.URL, goldap.DialWithTLSConfig(s.TLSConfig(t)))
		if err != nil {
			t.Errorf("samba cleanup: dial: %v", err)
			return
		}
		defer c.Close()
		if strings.HasPrefix(strings.ToLower(s.URL), "ldap://") {
			if err := c.StartTLS(s.TLSConfig(t)); err != nil {
				t.Errorf("samba cleanup: StartTLS: %v", err)
				return
			}
		}
		if err := c.Bind(s.BindDN, s.Password); err != nil {
			t.Errorf("samba cleanup: bind: %v", err)
			return
		}
		if err := DeleteSubtree(c, dn); err != nil {
			t.Errorf("samba cleanup: %v", err)
		}
	})
	return dn
}

// AddOU creates the organizational unit OU=<name> under parentDN (inside a test's OU: it
// goes away with it) and returns its DN. The name may hold commas or non-ASCII letters.
func (s Samba) AddOU(t testing.TB, parentDN, name string) string {
	t.Helper()
	dn := "OU=" + goldap.EscapeDN(name) + "," + parentDN
	add := goldap.NewAddRequest(dn, nil)
	add.Attribute("objectClass", []string{"top", "organizationalUnit"})
	if err := s.Dial(t).Add(add); err != nil {
		t.Fatalf("samba: add %s: %v", dn, err)
	}
	return dn
}

// DeleteSubtree deletes dn and everything below it: with the tree-delete control where the
// server accepts it (AD, Samba), else entry by entry, deepest first.
func DeleteSubtree(c *goldap.Conn, dn string) error {
	del := goldap.NewDelRequest(dn, []goldap.Control{goldap.NewControlSubtreeDelete()})
	err := c.Del(del)
	if err == nil || goldap.IsErrorWithCode(err, goldap.LDAPResultNoSuchObject) {
		return nil
	}
	res, serr := c.SearchWithPaging(goldap.NewSearchRequest(dn, goldap.ScopeWholeSubtree, goldap.NeverDerefAliases,
		0, 0, false, "(objectClass=*)", []string{"1.1"}, nil), 500)
	if serr != nil {
		return fmt.Errorf("delete %s: %v; listing it: %w", dn, err, serr)
	}
	dns := make([]string, 0, len(res.Entries))
	for _, e := range res.Entries {
		dns = append(dns, e.DN)
	}
	sort.Slice(dns, func(i, j int) bool { return strings.Count(dns[i], ",") > strings.Count(dns[j], ",") })
	for _, d := range dns {
		if err := c.Del(goldap.NewDelRequest(d, nil)); err != nil && !goldap.IsErrorWithCode(err, goldap.LDAPResultNoSuchObject) {
			return fmt.Errorf("delete %s: %w", d, err)
		}
	}
	return nil
}

// SambaUser is a user for AddUser. Empty fields are left out.
type SambaUser struct {
	SAMAccountName    string // also the CN; required
	UserPrincipalName string // default <sAMAccountName>@<realm from BaseDN>
	DisplayName       string
	Mobile            string
	TelephoneNumber   string
	Mail              string
	Password          string // default a random password that meets Samba's complexity rules
	Disabled          bool
	// Attrs adds more attributes (e.g. "otherMailbox").
	Attrs map[string][]string
}

// AddUser creates an enabled (or Disabled) user with a password in ouDN and returns its DN.
func (s Samba) AddUser(t testing.TB, ouDN string, u SambaUser) string {
	t.Helper()
	if u.SAMAccountName == "" {
		t.Fatal("samba: AddUser needs a SAMAccountName")
	}
	if u.UserPrincipalName == "" {
		u.UserPrincipalName = u.SAMAccountName + "@" + s.Realm()
	}
	if u.Password == "" {
		u.Password = "Sspr-" + randomHex(8) + "-x9!"
	}
	dn := "CN=" + goldap.EscapeDN(u.SAMAccountName) + "," + ouDN
	add := goldap.NewAddRequest(dn, nil)
	add.Attribute("objectClass", []string{"top", "person", "organizationalPerson", "user"})
	add.Attribute("sAMAccountName", []string{u.SAMAccountName})
	add.Attribute("userPrincipalName", []string{u.UserPrincipalName})
	uac := 0x200 // NORMAL_ACCOUNT
	if u.Disabled {
		uac |= 0x2 // ACCOUNTDISABLE
	}
	add.Attribute("userAccountControl", []string{strconv.Itoa(uac)})
	add.Attribute("unicodePwd", []string{UnicodePwd(u.Password)})
	for _, a := range [][2]string{{"displayName", u.DisplayName}, {"mobile", u.Mobile},
		{"telephoneNumber", u.TelephoneNumber}, {"mail", u.Mail}} {
		if a[1] != "" {
			add.Attribute(a[0], []string{a[1]})
		}
	}
	for k, v := range u.Attrs {
		add.Attribute(k, v)
	}
	if err := s.Dial(t).Add(add); err != nil {
		t.Fatalf("samba: add user %s: %v", dn, err)
	}
	return dn
}

// AddGroup creates a global security group in ouDN with the given member DNs and returns its DN.
func (s Samba) AddGroup(t testing.TB, ouDN, name string, memberDNs ...string) string {
	t.Helper()
	dn := "CN=" + goldap.EscapeDN(name) + "," + ouDN
	add := goldap.NewAddRequest(dn, nil)
	add.Attribute("objectClass", []string{"top", "group"})
	add.Attribute("sAMAccountName", []string{"g-" + randomHex(6)})
	if len(memberDNs) > 0 {
		add.Attribute("member", memberDNs)
	}
	if err := s.Dial(t).Add(add); err != nil {
		t.Fatalf("samba: add group %s: %v", dn, err)
	}
	return dn
}

// Realm is the DNS domain of BaseDN (DC=sspr,DC=test → sspr.test).
func (s Samba) Realm() string {
	dn, err := goldap.ParseDN(s.BaseDN)
	if err != nil {
		return "sspr.test"
	}
	var parts []string
	for _, r := range dn.RDNs {
		for _, a := range r.Attributes {
			if strings.EqualFold(a.Type, "DC") {
				parts = append(parts, a.Value)
			}
		}
	}
	return strings.ToLower(strings.Join(parts, "."))
}

// UnicodePwd encodes a password for AD's unicodePwd: the quoted password in UTF-16LE.
func UnicodePwd(password string) string {
	u := utf16.Encode([]rune(`"` + password + `"`))
	b := make([]byte, 2*len(u))
	for i, r := range u {
		binary.LittleEndian.PutUint16(b[2*i:], r)
	}
	return string(b)
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(errors.New("testenv: no randomness"))
	}
	return hex.EncodeToString(b)
}
