package testenv

import (
	"maps"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
)

// PSO applies the fine-grained password policy (Password Settings Object) name to dn and
// deletes it when the test ends, leaving the domain's policy as it is for the other tests
// sharing the DC. Its attributes: history 24, complexity, length 7, no minimum age, maximum age
// 42 days, no lockout; set replaces any of them ("msDS-LockoutThreshold": "3", ...).
func (s Samba) PSO(t testing.TB, name, dn string, set map[string]string) {
	t.Helper()
	psoDN := "CN=" + goldap.EscapeDN(name) + ",CN=Password Settings Container,CN=System," + s.BaseDN
	attrs := map[string]string{
		"objectClass":                              "msDS-PasswordSettings",
		"msDS-PasswordSettingsPrecedence":          "10",
		"msDS-PasswordReversibleEncryptionEnabled": "FALSE",
		"msDS-PasswordHistoryLength":               "24",
		"msDS-PasswordComplexityEnabled":           "TRUE",
		"msDS-MinimumPasswordLength":               "7",
		"msDS-MinimumPasswordAge":                  "0",
		"msDS-MaximumPasswordAge":                  "-36288000000000",
		"msDS-LockoutThreshold":                    "0",
		"msDS-LockoutObservationWindow":            "-18000000000",
		"msDS-LockoutDuration":                     "-18000000000",
		"msDS-PSOAppliesTo":                        dn,
	}
	maps.Copy(attrs, set)
	add := goldap.NewAddRequest(psoDN, nil)
	for k, v := range attrs {
		add.Attribute(k, []string{v})
	}
	if err := s.Dial(t).Add(add); err != nil {
		t.Fatalf("samba: add PSO %s: %v", psoDN, err)
	}
	t.Cleanup(func() {
		c, err := goldap.DialURL(s.URL, goldap.DialWithTLSConfig(s.TLSConfig(t)))
		if err != nil {
			t.Errorf("samba: PSO cleanup: %v", err)
			return
		}
		defer c.Close()
		c.SetTimeout(30 * time.Second)
		if strings.HasPrefix(strings.ToLower(s.URL), "ldap://") {
			if err := c.StartTLS(s.TLSConfig(t)); err != nil {
				t.Errorf("samba: PSO cleanup: StartTLS: %v", err)
				return
			}
		}
		if err := c.Bind(s.BindDN, s.Password); err != nil {
			t.Errorf("samba: PSO cleanup: %v", err)
			return
		}
		if err := c.Del(goldap.NewDelRequest(psoDN, nil)); err != nil {
			t.Errorf("samba: PSO cleanup: delete %s: %v", psoDN, err)
		}
	})
}

// agePasswordScript sets pwdLastSet to any value, which LDAP refuses (0 or -1 only): on the
// DC's own sam.ldb, as the system, with the control Samba's upgrades use to import a
// password's age (DSDB_CONTROL_PASSWORD_BYPASS_LAST_SET_OID).
const agePasswordScript = `
import sys, ldb
from samba.samdb import SamDB
from samba.auth import system_session
from samba.param import LoadParm
lp = LoadParm(); lp.load(sys.argv[1])
db = SamDB(url=lp.private_path("sam.ldb"), session_info=system_session(), lp=lp)
m = ldb.Message(); m.dn = ldb.Dn(db, sys.argv[2])
m["pwdLastSet"] = ldb.MessageElement(sys.argv[3], ldb.FLAG_MOD_REPLACE, "pwdLastSet")
db.modify(m, controls=["local_oid:1.3.6.1.4.1.7165.4.3.20:0"])
`

// AgePassword makes dn's password look set ago (pwdLastSet), so that a maximum age (a PSO's)
// expires it: a bind then fails with data 532. It needs the DC's smb.conf
// (SSPR_TEST_SAMBA_SMBCONF, written by scripts/testservers/samba.sh) and Samba's Python
// modules; without them the test is skipped.
func (s Samba) AgePassword(t testing.TB, dn string, ago time.Duration) {
	t.Helper()
	conf := os.Getenv("SSPR_TEST_SAMBA_SMBCONF")
	if conf == "" {
		t.Skip("SSPR_TEST_SAMBA_SMBCONF unset: cannot age a password on this DC")
	}
	filetime := (time.Now().Add(-ago).Unix() + 11644473600) * 10000000 // 100 ns since 1601
	out, err := exec.Command("/usr/bin/python3", "-c", agePasswordScript, conf, dn, strconv.FormatInt(filetime, 10)).CombinedOutput()
	if err != nil {
		t.Fatalf("samba: age the password of %s: %v\n%s", dn, err, out)
	}
}
