package writeback_test

import (
	"strings"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/sspr/sspr/internal/directory"
	"github.com/sspr/sspr/internal/ldapconn"
	"github.com/sspr/sspr/internal/secret"
	"github.com/sspr/sspr/internal/writeback"
)

// TestSambaChangePassword: the delete/add change on a connection bound as the service
// account: the old password proves the user, Samba applies the user-change policy (history),
// and it works for users who cannot bind (must change at next logon, expired password).
func TestSambaChangePassword(t *testing.T) {
	f := newSambaFixture(t)
	c := ctx(t)
	pw := "Initial-Pass-123x!"
	u := f.user(t, "chg", pw, nil)
	f.dc.PSO(t, "wbc-chg-"+f.tag, u, nil) // history 24, no minimum age
	young := f.user(t, "young", pw, nil)  // the domain's policy: a minimum age of a day
	must := f.user(t, "must", pw, nil)
	f.modify(t, must, "pwdLastSet", "0")
	exp := f.user(t, "exp", pw, nil)
	f.dc.PSO(t, "wbc-exp-"+f.tag, exp, map[string]string{"msDS-MaximumPasswordAge": "-1728000000000"}) // maximum age 2 days
	f.dc.AgePassword(t, exp, 72*time.Hour)
	wantReason(t, f.dir.Authenticate(c, exp, pw), writeback.ReasonExpired, pw)
	wantReason(t, f.dir.Authenticate(c, must, pw), writeback.ReasonMustChange, pw)

	p1 := "Changed-Pass-1x!" + randomHex(2)
	for _, tc := range []struct {
		name, dn, old, new, want string
	}{
		{"wrong old password", u, "Wrong-Pass-9x!", p1, writeback.ReasonWrongPassword},
		// The old password is checked first: nothing about the policy (nor that the user
		// exists) shows to someone who does not know it.
		{"wrong old password, too short", u, "Wrong-Pass-9x!", "Ab1!x", writeback.ReasonWrongPassword},
		{"wrong old password, in history", u, "Wrong-Pass-9x!", pw, writeback.ReasonWrongPassword},
		{"wrong old password, too young", young, "Wrong-Pass-9x!", p1, writeback.ReasonWrongPassword},
		{"no such user", "CN=nobody," + f.ou, pw, p1, writeback.ReasonWrongPassword},
		{"too short", u, pw, "Ab1!x", writeback.ReasonTooShort},
		{"not complex", u, pw, "alllowercaseletters", writeback.ReasonComplexity},
		{"same password", u, pw, pw, writeback.ReasonHistory},
		{"right old password", u, pw, p1, ""},
		{"minimum age (a change, not a reset)", young, pw, p1, writeback.ReasonTooYoung},
		{"back to the old one (history)", u, p1, pw, writeback.ReasonHistory},
		{"must change at next logon (773)", must, pw, p1, ""},
		{"expired password (532)", exp, pw, p1 + "e", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantReason(t, f.dir.ChangePassword(c, tc.dn, tc.old, tc.new), tc.want, tc.old, tc.new)
		})
	}
	wantReason(t, f.dir.Authenticate(c, u, p1), "")
	wantReason(t, f.dir.Authenticate(c, must, p1), "")
	wantReason(t, f.dir.Authenticate(c, exp, p1+"e"), "")
	// Samba keeps accepting the previous password for simple binds for "old password allowed
	// period" (smb.conf, 60 minutes by default), after a change as after a reset.
	wantReason(t, f.dir.Authenticate(c, u, pw), "")
}

// TestOpenLDAPChangePassword: Password Modify with the old password, bound as the user, under
// ppolicy (history 5, minimum length 8): a user whose password was reset under pwdMustChange
// (pwdReset, the bind says changeAfterReset) changes it; an expired one without grace logins
// cannot bind, so cannot change (expired), and can with a grace login left.
func TestOpenLDAPChangePassword(t *testing.T) {
	f := newLDAPFixture(t)
	c := ctx(t)
	alice, carol := f.dn["alice"], f.dn["carol"]
	f.setPolicy(t, "pwdMustChange", "TRUE")
	f.admin(t, func(lc *goldap.Conn) {
		mod := goldap.NewModifyRequest(carol, nil)
		mod.Replace("pwdReset", []string{"TRUE"})
		if err := lc.Modify(mod); err != nil {
			t.Fatalf("pwdReset: %v", err)
		}
	})
	wantReason(t, f.dir.Authenticate(c, carol, f.pass["carol"]), writeback.ReasonMustChange)
	p1 := "Changed-pass-1x"
	for _, tc := range []struct {
		name, dn, old, new, want string
	}{
		{"wrong old password", alice, "Wrong-pass-9x", p1, writeback.ReasonWrongPassword},
		{"no such user", "uid=nobody,ou=people," + suffix, f.pass["alice"], p1, writeback.ReasonWrongPassword},
		{"too short", alice, f.pass["alice"], "Ab1-xyz", writeback.ReasonTooShort},
		{"same password", alice, f.pass["alice"], f.pass["alice"], writeback.ReasonHistory},
		{"right old password", alice, f.pass["alice"], p1, ""},
		{"back to the old one (history)", alice, p1, f.pass["alice"], writeback.ReasonHistory},
		{"must change (changeAfterReset)", carol, f.pass["carol"], p1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantReason(t, f.dir.ChangePassword(c, tc.dn, tc.old, tc.new), tc.want, tc.old, tc.new)
		})
	}
	wantReason(t, f.dir.Authenticate(c, alice, p1), "")
	wantReason(t, f.dir.Authenticate(c, alice, f.pass["alice"]), writeback.ReasonWrongPassword)
	wantReason(t, f.dir.Authenticate(c, carol, p1), "")

	f.setPolicy(t, "pwdMaxAge", "86400", "pwdGraceAuthNLimit", "0")
	wantReason(t, f.dir.ChangePassword(c, f.dn["erin"], f.pass["erin"], p1), writeback.ReasonExpired, f.pass["erin"], p1)
	f.setPolicy(t, "pwdGraceAuthNLimit", "2")
	wantReason(t, f.dir.ChangePassword(c, f.dn["erin"], f.pass["erin"], p1), "")
	wantReason(t, f.dir.Authenticate(c, f.dn["erin"], p1), "")
}

// TestSambaMustChangeAfterReset: with MustChangeAfterReset the reset sets pwdLastSet=0, so
// the new password binds only to be changed (773), and ChangePassword changes it.
func TestSambaMustChangeAfterReset(t *testing.T) {
	f := newSambaFixture(t)
	c := ctx(t)
	u := f.user(t, "mcr", "", nil)
	f.dc.PSO(t, "wbc-mcr-"+f.tag, u, nil)
	d, err := writeback.New(writeback.Config{Kind: directory.ActiveDirectory, MustChangeAfterReset: true,
		Endpoint: ldapconn.Endpoint{URL: f.dc.URL, StartTLS: strings.HasPrefix(strings.ToLower(f.dc.URL), "ldap://"),
			CAFile: f.dc.CAFile, BindDN: f.dc.BindDN, BindPassword: secret.Value(f.dc.Password)}})
	if err != nil {
		t.Fatal(err)
	}
	p1, p2 := "Reset-Pass-1x!"+randomHex(2), "Changed-Pass-2x!"+randomHex(2)
	wantReason(t, d.SetPassword(c, u, p1), "")
	if got := f.attr(t, u, "pwdLastSet"); got != "0" {
		t.Fatalf("pwdLastSet = %q after the reset, want 0", got)
	}
	wantReason(t, d.Authenticate(c, u, p1), writeback.ReasonMustChange)
	wantReason(t, d.ChangePassword(c, u, p1, p2), "")
	wantReason(t, d.Authenticate(c, u, p2), "")
	// Without the option the reset leaves the user free to sign in.
	wantReason(t, f.dir.SetPassword(c, u, p1+"b"), "")
	wantReason(t, f.dir.Authenticate(c, u, p1+"b"), "")
}

// TestSambaChangeLocked: a locked-out user cannot change the password, even with the right
// one (Samba checks the lockout first); unlocked, they can.
func TestSambaChangeLocked(t *testing.T) {
	f := newSambaFixture(t)
	c := ctx(t)
	pw := "Initial-Pass-123x!"
	u := f.user(t, "lck", pw, nil)
	f.dc.PSO(t, "wbc-lck-"+f.tag, u, map[string]string{"msDS-LockoutThreshold": "3"})
	for range 3 {
		wantReason(t, f.dir.Authenticate(c, u, "Wrong-Pass-1x!"), writeback.ReasonWrongPassword)
	}
	// 00000775 "Password change not permitted, account locked out!"
	wantReason(t, f.dir.ChangePassword(c, u, pw, "Changed-Pass-1x!"), writeback.ReasonLocked, pw)
	wantReason(t, f.dir.Unlock(c, u), "")
	wantReason(t, f.dir.ChangePassword(c, u, pw, "Changed-Pass-1x!"), "")
}
