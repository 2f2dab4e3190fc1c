package register

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/sspr/sspr/internal/demo"
	"github.com/sspr/sspr/internal/directory"
	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/ldapconn"
	"github.com/sspr/sspr/internal/secret"
	"github.com/sspr/sspr/internal/slapd"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/sqlite"
	"github.com/sspr/sspr/internal/testenv"
	"github.com/sspr/sspr/internal/writeback"
)

// directoryFixture signs users in against a real directory (writeback.Directory).
func directoryFixture(t *testing.T, dir *writeback.Directory, users map[string]string) *Service {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Update(ctx, func(tx store.UsersTx) error {
		for upn, dn := range users {
			if err := tx.CreateUser(ctx, &store.User{Source: store.SourceCloud, UserPrincipalName: upn, DN: dn, AccountEnabled: true}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return New(st, &outbox{}, dir, Config{Reset: policyWith("email", "sms"), CodeKey: make([]byte, 32), NameKey: make([]byte, 32)}, nil)
}

func TestSignInOpenLDAP(t *testing.T) {
	srv := testenv.Slapd(t, slapd.Options{Suffix: demo.Suffix, LDIF: [][]byte{demo.SampleLDIF}, TLS: true, PPolicy: true})
	dir, err := writeback.New(writeback.Config{Kind: directory.OpenLDAP, Endpoint: ldapconn.Endpoint{URL: srv.LDAPSURL, CAFile: srv.CAFile,
		BindDN: srv.AdminDN, BindPassword: secret.Value(srv.AdminPassword)}})
	if err != nil {
		t.Fatal(err)
	}
	alice, bob := "uid=alice,ou=Staff,dc=contoso,dc=com", "uid=bob,ou=Staff,dc=contoso,dc=com"
	svc := directoryFixture(t, dir, map[string]string{"alice": alice, "bob": bob})
	ctx := context.Background()
	c := flow.Client{IP: "192.0.2.1"}
	if _, v, err := svc.SignIn(ctx, "alice", "Demo-Passw0rd-01", c); err != nil || v.UserPrincipalName != "alice" {
		t.Fatalf("right password: %v %+v", err, v)
	}
	if _, _, err := svc.SignIn(ctx, "alice", "Demo-Passw0rd-02", c); errKey(err) != "signin.failed" {
		t.Errorf("wrong password: %v", err)
	}
	// ppolicy locks bob after 5 failures (binds made elsewhere: our own throttle is per name).
	for range 5 {
		dir.Authenticate(ctx, bob, "wrong-password")
	}
	// Locked reads as a wrong password (with a link to unlock): a locked account's name must
	// not answer differently from an unknown one.
	if _, _, err := svc.SignIn(ctx, "bob", "Demo-Passw0rd-02", c); errKey(err) != "signin.failed" {
		t.Errorf("locked by ppolicy: %v", err)
	}
}

func TestSignInSamba(t *testing.T) {
	dc := testenv.SambaDC(t)
	ou := dc.NewOU(t)
	b := make([]byte, 3)
	rand.Read(b)
	tag := hex.EncodeToString(b)
	pw := "Initial-Pass-123x!"
	add := func(name string) string {
		return dc.AddUser(t, ou, testenv.SambaUser{SAMAccountName: "rg" + tag + "-" + name, Password: pw})
	}
	users := map[string]string{}
	for _, name := range []string{"ok", "must", "exp", "dis", "lock"} {
		users[name+"@"+dc.Realm()] = add(name)
	}
	c := dc.Dial(t)
	modify := func(dn, attr, value string) {
		m := goldap.NewModifyRequest(dn, nil)
		m.Replace(attr, []string{value})
		if err := c.Modify(m); err != nil {
			t.Fatalf("modify %s: %v", dn, err)
		}
	}
	at := func(name string) string { return users[name+"@"+dc.Realm()] }
	modify(at("must"), "pwdLastSet", "0")
	modify(at("exp"), "accountExpires", "116444736000000000")
	modify(at("dis"), "userAccountControl", "514") // disabled in AD since the last sync
	pso(t, dc, at("lock"), tag, 2)

	dir, err := writeback.New(writeback.Config{Kind: directory.ActiveDirectory, Endpoint: ldapconn.Endpoint{URL: dc.URL,
		StartTLS: strings.HasPrefix(strings.ToLower(dc.URL), "ldap://"), CAFile: dc.CAFile, BindDN: dc.BindDN, BindPassword: secret.Value(dc.Password)}})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		dir.Authenticate(context.Background(), at("lock"), "Wrong-Pass-1x!")
	}
	svc := directoryFixture(t, dir, users)
	ctx := context.Background()
	for _, tc := range []struct{ name, pw, want string }{
		{"ok", pw, ""},
		{"ok", "Wrong-Pass-1x!", "signin.failed"}, // data 52e
		{"must", pw, "signin.mustChange"},         // data 773
		{"exp", pw, "signin.expired"},             // data 701
		{"dis", pw, "signin.failed"},              // data 533: read as a wrong password
		{"lock", pw, "signin.failed"},             // data 775: AD says it whatever the password
		{"nobody", pw, "signin.failed"},
		// With a wrong password, no state of an existing account shows: each answers as an
		// unknown name does.
		{"must", "Wrong-Pass-1x!", "signin.failed"},
		{"exp", "Wrong-Pass-1x!", "signin.failed"},
		{"dis", "Wrong-Pass-1x!", "signin.failed"},
		{"lock", "Wrong-Pass-1x!", "signin.failed"},
		{"nobody", "Wrong-Pass-1x!", "signin.failed"},
	} {
		_, _, err := svc.SignIn(ctx, tc.name+"@"+dc.Realm(), tc.pw, flow.Client{IP: "192.0.2.2"})
		if errKey(err) != tc.want {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}

// pso applies a fine-grained password policy with a lockout threshold to dn alone (the
// domain's policy stays as it is for the other tests sharing the DC), removed at the end.
func pso(t *testing.T, dc testenv.Samba, dn, tag string, threshold int) {
	t.Helper()
	psoDN := "CN=rg-" + tag + ",CN=Password Settings Container,CN=System," + dc.BaseDN
	add := goldap.NewAddRequest(psoDN, nil)
	for k, v := range map[string]string{
		"objectClass":                              "msDS-PasswordSettings",
		"msDS-PasswordSettingsPrecedence":          "10",
		"msDS-PasswordReversibleEncryptionEnabled": "FALSE",
		"msDS-PasswordHistoryLength":               "24",
		"msDS-PasswordComplexityEnabled":           "TRUE",
		"msDS-MinimumPasswordLength":               "7",
		"msDS-MinimumPasswordAge":                  "0",
		"msDS-MaximumPasswordAge":                  "-36288000000000",
		"msDS-LockoutThreshold":                    strconv.Itoa(threshold),
		"msDS-LockoutObservationWindow":            "-18000000000",
		"msDS-LockoutDuration":                     "-18000000000",
		"msDS-PSOAppliesTo":                        dn,
	} {
		add.Attribute(k, []string{v})
	}
	if err := dc.Dial(t).Add(add); err != nil {
		t.Fatalf("add PSO: %v", err)
	}
	t.Cleanup(func() {
		c, err := goldap.DialURL(dc.URL, goldap.DialWithTLSConfig(dc.TLSConfig(t)))
		if err != nil {
			t.Errorf("PSO cleanup: %v", err)
			return
		}
		defer c.Close()
		c.SetTimeout(30 * time.Second)
		if strings.HasPrefix(strings.ToLower(dc.URL), "ldap://") {
			if err := c.StartTLS(dc.TLSConfig(t)); err != nil {
				t.Errorf("PSO cleanup: %v", err)
				return
			}
		}
		if err := c.Bind(dc.BindDN, dc.Password); err != nil {
			t.Errorf("PSO cleanup: %v", err)
			return
		}
		if err := c.Del(goldap.NewDelRequest(psoDN, nil)); err != nil {
			t.Errorf("PSO cleanup: delete %s: %v", psoDN, err)
		}
	})
}
