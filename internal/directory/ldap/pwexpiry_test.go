package ldap_test

import (
	"strconv"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/sspr/sspr/internal/directory"
	"github.com/sspr/sspr/internal/directory/ldap"
	"github.com/sspr/sspr/internal/slapd"
	"github.com/sspr/sspr/internal/testenv"
)

// filetime converts a FILETIME read from the DC (100 ns since 1601-01-01).
func filetime(t *testing.T, v string) time.Time {
	t.Helper()
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("FILETIME %q: %v", v, err)
	}
	return directory.FromFiletime(n)
}

// TestSambaPasswordExpiry: the expiry read is what the DC computes, under the domain's policy,
// under a PSO (pwdLastSet + its 42 days), and never with DONT_EXPIRE_PASSWORD.
func TestSambaPasswordExpiry(t *testing.T) {
	dc := testenv.SambaDC(t)
	ou := dc.NewOU(t)
	tag := randomTag()
	dn := map[string]string{}
	for _, short := range []string{"plain", "pso", "never"} {
		dn[short] = dc.AddUser(t, ou, testenv.SambaUser{SAMAccountName: short + "-" + tag})
	}
	dc.PSO(t, "sspr-expiry-"+tag, dn["pso"], nil)
	c := dc.Dial(t)
	mod := goldap.NewModifyRequest(dn["never"], nil)
	mod.Replace("userAccountControl", []string{strconv.Itoa(0x200 | 0x10000)})
	if err := c.Modify(mod); err != nil {
		t.Fatal(err)
	}
	attr := func(base, a string) string {
		t.Helper()
		res, err := c.Search(goldap.NewSearchRequest(base, goldap.ScopeBaseObject, goldap.NeverDerefAliases,
			0, 0, false, "(objectClass=*)", []string{a}, nil))
		if err != nil || len(res.Entries) != 1 {
			t.Fatalf("read %s of %s: %v", a, base, err)
		}
		return res.Entries[0].GetAttributeValue(a)
	}

	rec, _ := read(t, (&sambaFixture{dc: dc, ou: ou}).reader(t, nil), "")
	get := func(short string) directory.Record {
		t.Helper()
		r, ok := rec.byUPN(short + "-" + tag + "@" + dc.Realm())
		if !ok {
			t.Fatalf("%s not read", short)
		}
		return r
	}

	// The domain's policy: whatever the DC computes (never when maxPwdAge is 0).
	plain := get("plain")
	t.Logf("plain: expires %v, never %v", plain.PasswordExpiresAt, plain.PasswordNeverExpires)
	switch v := attr(dn["plain"], "msDS-UserPasswordExpiryTimeComputed"); v {
	case "9223372036854775807":
		if !plain.PasswordExpiresAt.IsZero() || !plain.PasswordNeverExpires {
			t.Errorf("plain (domain: never): %v never=%v", plain.PasswordExpiresAt, plain.PasswordNeverExpires)
		}
	default:
		if want := filetime(t, v); !plain.PasswordExpiresAt.Equal(want) || plain.PasswordNeverExpires {
			t.Errorf("plain expires %v never=%v, DC says %v", plain.PasswordExpiresAt, plain.PasswordNeverExpires, want)
		}
	}

	// The PSO's 42 days from pwdLastSet.
	pso := get("pso")
	want := filetime(t, attr(dn["pso"], "pwdLastSet")).Add(42 * 24 * time.Hour)
	if !pso.PasswordExpiresAt.Equal(want) || pso.PasswordNeverExpires {
		t.Errorf("pso expires %v never=%v, want %v", pso.PasswordExpiresAt, pso.PasswordNeverExpires, want)
	}
	if d := time.Until(pso.PasswordExpiresAt); d < 41*24*time.Hour || d > 42*24*time.Hour {
		t.Errorf("pso expires in %v, want about 42 days", d)
	}

	never := get("never")
	if !never.PasswordExpiresAt.IsZero() || !never.PasswordNeverExpires {
		t.Errorf("never (DONT_EXPIRE_PASSWORD): %v never=%v", never.PasswordExpiresAt, never.PasswordNeverExpires)
	}
}

// TestOpenLDAPPasswordExpiry: pwdChangedTime + the pwdMaxAge of the entry's pwdPolicySubentry,
// else of the configured default policy; a policy without pwdMaxAge never expires; without a
// policy (none configured) or without pwdChangedTime the expiry is unknown.
func TestOpenLDAPPasswordExpiry(t *testing.T) {
	changed := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	gt := changed.Format("20060102150405Z")
	short := "cn=short,ou=policies," + suffix
	unlimited := "cn=unlimited,ou=policies," + suffix
	var b []byte
	entry := func(dn string, attrs ...string) {
		b = append(b, slapd.Line("dn", dn)...)
		for i := 0; i+1 < len(attrs); i += 2 {
			b = append(b, slapd.Line(attrs[i], attrs[i+1])...)
		}
		b = append(b, '\n')
	}
	policy := []string{"objectClass", "device", "objectClass", "pwdPolicy", "pwdAttribute", "userPassword"}
	entry(short, append(policy, "cn", "short", "pwdMaxAge", "864000")...) // 10 days
	entry(unlimited, append(policy, "cn", "unlimited")...)
	entry(people, "objectClass", "organizationalUnit", "ou", "people")
	person := func(uid string, attrs ...string) {
		entry("uid="+uid+","+people, append([]string{"objectClass", "inetOrgPerson", "uid", uid, "cn", uid, "sn", uid}, attrs...)...)
	}
	person("dflt", "pwdChangedTime", gt)
	person("short", "pwdChangedTime", gt, "pwdPolicySubentry", short)
	person("unlim", "pwdChangedTime", gt, "pwdPolicySubentry", unlimited)
	person("unset")                                                                             // no pwdChangedTime
	person("gone", "pwdChangedTime", gt, "pwdPolicySubentry", "cn=missing,ou=policies,"+suffix) // unknown policy
	s := testenv.Slapd(t, slapd.Options{LDIF: [][]byte{b}, PPolicy: true})

	// The default policy: 30 days.
	c := admin(t, s)
	mod := goldap.NewModifyRequest(s.PolicyDN, nil)
	mod.Replace("pwdMaxAge", []string{strconv.Itoa(30 * 86400)})
	if err := c.Modify(mod); err != nil {
		t.Fatal(err)
	}

	type want struct {
		at    time.Time
		never bool
	}
	tests := []struct {
		name     string
		policyDN string
		want     map[string]want
	}{
		{"default policy configured", s.PolicyDN, map[string]want{
			"dflt":  {at: changed.AddDate(0, 0, 30)},
			"short": {at: changed.AddDate(0, 0, 10)},
			"unlim": {never: true},
			"unset": {},
			"gone":  {},
		}},
		{"no default policy", "", map[string]want{
			"dflt":  {},
			"short": {at: changed.AddDate(0, 0, 10)},
			"unlim": {never: true},
			"unset": {},
			"gone":  {},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, _ := read(t, newReader(t, s, func(c *ldap.Config) {
				c.BaseDNs = []string{people}
				c.Mapping = directory.Mapping{}
				c.PasswordPolicyDN = tt.policyDN
			}), "")
			for uid, w := range tt.want {
				r, ok := rec.byUPN(uid)
				if !ok {
					t.Fatalf("%s not read", uid)
				}
				if !r.PasswordExpiresAt.Equal(w.at) || r.PasswordNeverExpires != w.never {
					t.Errorf("%s: expires %v never=%v, want %v never=%v", uid, r.PasswordExpiresAt, r.PasswordNeverExpires, w.at, w.never)
				}
			}
		})
	}
}
