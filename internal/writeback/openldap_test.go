package writeback_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/sspr/sspr/internal/directory"
	"github.com/sspr/sspr/internal/ldapconn"
	"github.com/sspr/sspr/internal/reset"
	"github.com/sspr/sspr/internal/slapd"
	"github.com/sspr/sspr/internal/testenv"
	"github.com/sspr/sspr/internal/writeback"
)

var _ reset.Directory = (*writeback.Directory)(nil)

const suffix = "dc=example,dc=com"

// ldapFixture is a slapd with ppolicy (minimum length 8, history 5, quality checked, lockout
// after 3 failures) and a service account that is not the rootdn:
//
//	alice  in leaf ⊂ mid ⊂ top
//	carol  in cycB, and cycA ⊂ cycB ⊂ cycA (a cycle)
//	bob    in `ops*(x)\y` (groupOfUniqueNames) ⊂ meta-top
//	al*    in no group
type ldapFixture struct {
	srv   *slapd.Server
	dir   *writeback.Directory
	svcDN string
	pass  map[string]string // uid → current password
	dn    map[string]string // uid or group name → DN
}

const svcPassword = "svc-Secret-42"

func newLDAPFixture(t *testing.T, access ...string) *ldapFixture {
	t.Helper()
	svcDN := "cn=sspr,ou=services," + suffix
	if access == nil {
		access = serviceACL(svcDN, "write")
	}
	f := &ldapFixture{svcDN: svcDN, pass: map[string]string{}, dn: map[string]string{}}
	var users []slapd.User
	for _, uid := range []string{"alice", "bob", "carol", "dave", "al*"} {
		f.pass[uid] = "Initial-" + strings.Trim(uid, "*") + "-7x"
		f.dn[uid] = slapd.UserDN(suffix, goldap.EscapeDN(uid))
		users = append(users, slapd.User{UID: uid, Password: f.pass[uid]})
	}
	// erin's password was set long ago: expired once the policy has a maximum age.
	f.pass["erin"], f.dn["erin"] = "Initial-erin-7x", slapd.UserDN(suffix, "erin")
	users = append(users, slapd.User{UID: "erin", Password: f.pass["erin"],
		Attrs: map[string][]string{"pwdChangedTime": {"20000101000000Z"}}})
	var b strings.Builder
	entry := func(dn string, lines ...string) {
		b.WriteString(slapd.Line("dn", dn))
		for _, l := range lines {
			k, v, _ := strings.Cut(l, ": ")
			b.WriteString(slapd.Line(k, v))
		}
		b.WriteString("\n")
	}
	entry("ou=services,"+suffix, "objectClass: organizationalUnit", "ou: services")
	entry(svcDN, "objectClass: organizationalRole", "objectClass: simpleSecurityObject", "cn: sspr", "userPassword: "+svcPassword)
	entry("ou=groups,"+suffix, "objectClass: organizationalUnit", "ou: groups")
	group := func(name, class, attr string, members ...string) {
		dn := "cn=" + goldap.EscapeDN(name) + ",ou=groups," + suffix
		f.dn[name] = dn
		lines := []string{"objectClass: " + class, "cn: " + name}
		for _, m := range members {
			lines = append(lines, attr+": "+m)
		}
		entry(dn, lines...)
	}
	group("leaf", "groupOfNames", "member", f.dn["alice"])
	group("mid", "groupOfNames", "member", f.dn["leaf"])
	group("top", "groupOfNames", "member", f.dn["mid"])
	group("cycA", "groupOfNames", "member", "cn=cycB,ou=groups,"+suffix)
	group("cycB", "groupOfNames", "member", f.dn["cycA"], f.dn["carol"])
	group(`ops*(x)\y`, "groupOfUniqueNames", "uniqueMember", f.dn["bob"])
	group("meta-top", "groupOfNames", "member", f.dn[`ops*(x)\y`])

	f.srv = testenv.Slapd(t, slapd.Options{
		TLS: true, PPolicy: true, Access: access,
		LDIF: [][]byte{slapd.UsersLDIF(suffix, users), []byte(b.String())},
	})
	f.setPolicy(t, "pwdMaxFailure", "3", "pwdCheckQuality", "2")
	f.dir = f.newDir(t, writeback.Config{})
	return f
}

// serviceACL gives the service account right on userPassword and write on
// pwdAccountLockedTime (enough to delete it in OpenLDAP 2.5: the attribute is user-modifiable,
// ITS#9671). With write on userPassword ppolicy checks the service account's Password Modify
// like a user's own change; with manage it is a password administrator that bypasses the
// policy (TestOpenLDAPPasswordAdministrator).
func serviceACL(svcDN, right string) []string {
	return []string{
		fmt.Sprintf(`access to attrs=userPassword by dn.exact=%q %s by self write by anonymous auth by * none`, svcDN, right),
		fmt.Sprintf(`access to attrs=pwdAccountLockedTime by dn.exact=%q write by * read`, svcDN),
	}
}

// setPolicy replaces attributes of the default password policy (as the rootdn).
func (f *ldapFixture) setPolicy(t *testing.T, kv ...string) {
	t.Helper()
	f.admin(t, func(c *goldap.Conn) {
		mod := goldap.NewModifyRequest(f.srv.PolicyDN, nil)
		for i := 0; i+1 < len(kv); i += 2 {
			mod.Replace(kv[i], []string{kv[i+1]})
		}
		if err := c.Modify(mod); err != nil {
			t.Fatalf("policy: %v", err)
		}
	})
}

// newDir returns a Directory on the fixture's server; cfg's zero fields get the defaults:
// ldap:// with StartTLS, the fixture's CA and service account.
func (f *ldapFixture) newDir(t *testing.T, cfg writeback.Config) *writeback.Directory {
	t.Helper()
	if cfg.Kind == "" {
		cfg.Kind = directory.OpenLDAP
	}
	if cfg.Endpoint.URL == "" {
		cfg.Endpoint.URL, cfg.Endpoint.StartTLS = f.srv.URL, true
	}
	if cfg.Endpoint.CAFile == "" {
		cfg.Endpoint.CAFile = f.srv.CAFile
	}
	if cfg.Endpoint.BindDN == "" {
		cfg.Endpoint.BindDN, cfg.Endpoint.BindPassword = f.svcDN, svcPassword
	}
	d, err := writeback.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// admin runs fn on a rootdn connection.
func (f *ldapFixture) admin(t *testing.T, fn func(c *goldap.Conn)) {
	t.Helper()
	c, err := goldap.DialURL(f.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Bind(f.srv.AdminDN, f.srv.AdminPassword); err != nil {
		t.Fatal(err)
	}
	fn(c)
}

// attr reads one attribute of dn as the rootdn ("" when absent).
func (f *ldapFixture) attr(t *testing.T, dn, name string) []string {
	t.Helper()
	var vals []string
	f.admin(t, func(c *goldap.Conn) {
		res, err := c.Search(goldap.NewSearchRequest(dn, goldap.ScopeBaseObject, goldap.NeverDerefAliases, 0, 0, false,
			"(objectClass=*)", []string{name}, nil))
		if err != nil {
			t.Fatalf("read %s of %s: %v", name, dn, err)
		}
		vals = res.Entries[0].GetAttributeValues(name)
	})
	return vals
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// wantReason checks err's reason and that its text never holds the secrets.
func wantReason(t *testing.T, err error, want string, secrets ...string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("want success, got %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("want %s, got success", want)
	}
	var we *writeback.Error
	if !errors.As(err, &we) {
		t.Fatalf("want *writeback.Error, got %T %v", err, err)
	}
	if we.Reason() != want {
		t.Fatalf("reason %q, want %q (%v)", we.Reason(), want, err)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Fatalf("error text holds a password: %v", err)
		}
	}
	t.Logf("%s: %v", want, err)
}

func TestOpenLDAPSetPassword(t *testing.T) {
	f := newLDAPFixture(t)
	c := ctx(t)
	alice := f.dn["alice"]

	// Set, then bind with it; the old one is refused.
	p1 := "Fresh-pass-1x"
	wantReason(t, f.dir.SetPassword(c, alice, p1), "")
	wantReason(t, f.dir.Authenticate(c, alice, p1), "")
	wantReason(t, f.dir.Authenticate(c, alice, f.pass["alice"]), writeback.ReasonWrongPassword, f.pass["alice"])
	if got := f.attr(t, alice, "userPassword"); len(got) != 1 || !strings.HasPrefix(got[0], "{") {
		t.Errorf("userPassword stored as %q, want a hash (ppolicy_hash_cleartext)", got)
	}

	for _, tc := range []struct {
		name, password, want string
	}{
		{"too short", "Ab1-xyz", writeback.ReasonTooShort},
		{"current password is history", p1, writeback.ReasonHistory},
		{"initial password is history", f.pass["alice"], writeback.ReasonHistory},
		{"empty", "", writeback.ReasonTooShort},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantReason(t, f.dir.SetPassword(c, alice, tc.password), tc.want, tc.password)
		})
	}
	// Nothing half-done: the password is still p1.
	wantReason(t, f.dir.Authenticate(c, alice, p1), "")

	// Another user's reset does not touch alice.
	wantReason(t, f.dir.SetPassword(c, f.dn["dave"], "Dave-new-pass-2"), "")
	wantReason(t, f.dir.Authenticate(c, alice, p1), "")

	// No such user.
	wantReason(t, f.dir.SetPassword(c, "uid=nobody,ou=people,"+suffix, "Whatever-pass-3"), writeback.ReasonNotFound)

	// The minimum age applies too; pwdMustChange does not mark the reset (it is the user's
	// own choice of password, set for them): no pwdReset, the user signs in normally.
	f.setPolicy(t, "pwdMinAge", "3600", "pwdMustChange", "TRUE")
	wantReason(t, f.dir.SetPassword(c, alice, "Fresh-pass-2x"), writeback.ReasonTooYoung, "Fresh-pass-2x")
	wantReason(t, f.dir.SetPassword(c, f.dn["carol"], "Carol-new-pass-2"), "")
	if got := f.attr(t, f.dn["carol"], "pwdReset"); len(got) != 0 {
		t.Errorf("pwdReset = %q after a reset by a service account with write", got)
	}
	wantReason(t, f.dir.Authenticate(c, f.dn["carol"], "Carol-new-pass-2"), "")
}

// TestOpenLDAPPasswordAdministrator shows why the service account must have write, not
// manage, on userPassword: with manage, ppolicy takes it for a password administrator and
// checks nothing (length, history, age), and pwdMustChange marks the password as reset, so
// the user's next bind says mustChange.
func TestOpenLDAPPasswordAdministrator(t *testing.T) {
	f := newLDAPFixture(t, serviceACL("cn=sspr,ou=services,"+suffix, "manage")...)
	c := ctx(t)
	alice := f.dn["alice"]
	f.setPolicy(t, "pwdMinAge", "3600", "pwdMustChange", "TRUE")
	wantReason(t, f.dir.SetPassword(c, alice, "short"), "")         // too short: accepted
	wantReason(t, f.dir.SetPassword(c, alice, f.pass["alice"]), "") // in history, too young: accepted
	if got := f.attr(t, alice, "pwdReset"); len(got) != 1 || got[0] != "TRUE" {
		t.Fatalf("pwdReset = %q, want TRUE", got)
	}
	wantReason(t, f.dir.Authenticate(c, alice, f.pass["alice"]), writeback.ReasonMustChange, f.pass["alice"])
}

func TestOpenLDAPAuthenticate(t *testing.T) {
	f := newLDAPFixture(t)
	c := ctx(t)
	wantReason(t, f.dir.Authenticate(c, f.dn["alice"], f.pass["alice"]), "")
	wantReason(t, f.dir.Authenticate(c, f.dn["alice"], "nope"), writeback.ReasonWrongPassword, "nope")
	wantReason(t, f.dir.Authenticate(c, "uid=nobody,ou=people,"+suffix, "nope"), writeback.ReasonWrongPassword)
	// An empty password would be an unauthenticated bind, which succeeds: never sent.
	wantReason(t, f.dir.Authenticate(c, f.dn["alice"], ""), writeback.ReasonWrongPassword)
	wantReason(t, f.dir.Authenticate(c, "", "x"), writeback.ReasonWrongPassword)
	f.setPolicy(t, "pwdMaxAge", "86400", "pwdGraceAuthNLimit", "0")
	wantReason(t, f.dir.Authenticate(c, f.dn["erin"], f.pass["erin"]), writeback.ReasonExpired, f.pass["erin"])
	wantReason(t, f.dir.Authenticate(c, f.dn["alice"], f.pass["alice"]), "")
}

// TestOpenLDAPServiceAccountRights: without write on userPassword, notPermitted.
func TestOpenLDAPServiceAccountRights(t *testing.T) {
	f := newLDAPFixture(t, `access to attrs=userPassword by self write by anonymous auth by * none`)
	wantReason(t, f.dir.SetPassword(ctx(t), f.dn["alice"], "Fresh-pass-1x"), writeback.ReasonNotPermitted)
	wantReason(t, f.dir.Unlock(ctx(t), f.dn["alice"]), writeback.ReasonNotPermitted)
	// A wrong service password is the administrator's problem: failed, never wrongPassword.
	d := f.newDir(t, writeback.Config{Endpoint: ldapconn.Endpoint{BindDN: f.svcDN, BindPassword: "not-it"}})
	wantReason(t, d.SetPassword(ctx(t), f.dn["alice"], "Fresh-pass-1x"), writeback.ReasonFailed, "not-it", "Fresh-pass-1x")
}

func TestOpenLDAPLockoutAndUnlock(t *testing.T) {
	f := newLDAPFixture(t)
	c := ctx(t)
	bob := f.dn["bob"]

	wantReason(t, f.dir.Unlock(c, bob), "") // not locked: nothing to do
	if locked, err := f.dir.IsLocked(c, bob); err != nil || locked {
		t.Errorf("IsLocked before the failures: %v %v", locked, err)
	}
	for i := 0; i < 3; i++ {
		wantReason(t, f.dir.Authenticate(c, bob, fmt.Sprintf("wrong-%d", i)), writeback.ReasonWrongPassword)
	}
	if got := f.attr(t, bob, "pwdAccountLockedTime"); len(got) != 1 {
		t.Fatalf("pwdAccountLockedTime = %q after 3 failures", got)
	}
	// Even the right password: locked.
	wantReason(t, f.dir.Authenticate(c, bob, f.pass["bob"]), writeback.ReasonLocked, f.pass["bob"])
	if locked, err := f.dir.IsLocked(c, bob); err != nil || !locked {
		t.Errorf("IsLocked after 3 failures: %v %v", locked, err)
	}

	wantReason(t, f.dir.Unlock(c, bob), "")
	if got := f.attr(t, bob, "pwdAccountLockedTime"); len(got) != 0 {
		t.Fatalf("pwdAccountLockedTime = %q after Unlock", got)
	}
	if got := f.attr(t, bob, "pwdFailureTime"); len(got) != 0 {
		t.Errorf("pwdFailureTime = %q after Unlock (ppolicy clears it with the lock)", got)
	}
	wantReason(t, f.dir.Authenticate(c, bob, f.pass["bob"]), "")
	wantReason(t, f.dir.Unlock(c, bob), "") // twice: still fine

	// Unlike AD, a password reset unlocks too: ppolicy drops the lock with the change.
	for i := 0; i < 3; i++ {
		wantReason(t, f.dir.Authenticate(c, bob, "wrong"), writeback.ReasonWrongPassword)
	}
	wantReason(t, f.dir.Authenticate(c, bob, f.pass["bob"]), writeback.ReasonLocked)
	wantReason(t, f.dir.SetPassword(c, bob, "Bob-new-pass-1"), "")
	wantReason(t, f.dir.Authenticate(c, bob, "Bob-new-pass-1"), "")

	// ppolicy's administrative lock means "disabled": the unlock flow must not lift it.
	f.admin(t, func(conn *goldap.Conn) {
		m := goldap.NewModifyRequest(bob, nil)
		m.Replace("pwdAccountLockedTime", []string{"000001010000Z"})
		if err := conn.Modify(m); err != nil {
			t.Fatal(err)
		}
	})
	wantReason(t, f.dir.Unlock(c, bob), writeback.ReasonNotPermitted)
	if got := f.attr(t, bob, "pwdAccountLockedTime"); len(got) != 1 || got[0] != "000001010000Z" {
		t.Fatalf("administrative lock lifted: %q", got)
	}
}

func TestOpenLDAPIsMember(t *testing.T) {
	f := newLDAPFixture(t)
	c := ctx(t)
	for _, tc := range []struct {
		user, group string
		want        bool
	}{
		{"alice", "leaf", true},
		{"alice", "mid", true},
		{"alice", "top", true},
		{"bob", "top", false},
		{"carol", "cycA", true},    // through cycB, inside a cycle
		{"carol", "top", false},    // walks the cycle and ends
		{"bob", `ops*(x)\y`, true}, // uniqueMember, metacharacters in the group DN
		{"bob", "meta-top", true},  // the metacharacter DN inside a filter
		{"alice", `ops*(x)\y`, false},
		{"al*", "leaf", false}, // a metacharacter in the user DN
		{"al*", "meta-top", false},
	} {
		t.Run(tc.user+" in "+tc.group, func(t *testing.T) {
			got, err := f.dir.IsMember(c, f.dn[tc.user], f.dn[tc.group])
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("IsMember = %v, want %v", got, tc.want)
			}
		})
	}
	// Case and spacing of the group DN do not matter.
	got, err := f.dir.IsMember(c, f.dn["alice"], "CN=Top, OU=Groups, DC=Example, DC=Com")
	if err != nil || !got {
		t.Fatalf("IsMember with another spelling = %v, %v", got, err)
	}
}

func TestOpenLDAPUnavailable(t *testing.T) {
	f := newLDAPFixture(t)
	d := f.newDir(t, writeback.Config{Endpoint: ldapconn.Endpoint{CallTimeout: 2 * time.Second}})
	d2 := f.newDir(t, writeback.Config{Endpoint: ldapconn.Endpoint{URL: f.srv.LDAPSURL, CallTimeout: 2 * time.Second}})
	wantReason(t, d2.Authenticate(ctx(t), f.dn["alice"], f.pass["alice"]), "") // ldaps:// works too
	if err := f.srv.Stop(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err := d.SetPassword(ctx(t), f.dn["alice"], "Fresh-pass-1x")
	wantReason(t, err, writeback.ReasonUnavailable, "Fresh-pass-1x")
	if !errors.Is(err, writeback.ErrUnavailable) {
		t.Fatalf("errors.Is(ErrUnavailable) = false: %v", err)
	}
	t.Logf("stopped server: unavailable after %v", time.Since(start))
	wantReason(t, d2.Unlock(ctx(t), f.dn["alice"]), writeback.ReasonUnavailable)
	_, err = d.IsMember(ctx(t), f.dn["alice"], f.dn["top"])
	wantReason(t, err, writeback.ReasonUnavailable)
	wantReason(t, d.Authenticate(ctx(t), f.dn["alice"], f.pass["alice"]), writeback.ReasonUnavailable, f.pass["alice"])
}

// TestOpenLDAPUntrustedCertificate: a server whose certificate the configured CA did not
// sign is unavailable (never a silent fallback), on ldaps:// and with StartTLS.
func TestOpenLDAPUntrustedCertificate(t *testing.T) {
	f := newLDAPFixture(t)
	otherCA := filepath.Join(t.TempDir(), "other-ca.pem")
	if err := os.WriteFile(otherCA, selfSignedPEM(t), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, url := range []string{f.srv.URL, f.srv.LDAPSURL} {
		d := f.newDir(t, writeback.Config{Endpoint: ldapconn.Endpoint{URL: url, StartTLS: strings.HasPrefix(url, "ldap://"), CAFile: otherCA}})
		err := d.Authenticate(ctx(t), f.dn["alice"], f.pass["alice"])
		wantReason(t, err, writeback.ReasonUnavailable, f.pass["alice"])
		var uae x509.UnknownAuthorityError
		if !errors.As(err, &uae) {
			t.Fatalf("want an x509.UnknownAuthorityError inside: %v", err)
		}
	}
}

func selfSignedPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "not the CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
