package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/directory"
	"github.com/sspr/sspr/internal/notify/smtp"
	"github.com/sspr/sspr/internal/notify/twilio"
	"github.com/sspr/sspr/internal/notify/webhook"
	"github.com/sspr/sspr/internal/secret"
)

// issueExample is the shape the product promises to accept.
const issueExample = `
store: sqlite:///var/lib/sspr/sspr.db        # or postgres://user@host/db
directory:
  type: activedirectory                       # activedirectory | openldap
  url: ldaps://dc1.contoso.com:636            # ldap:// with startTLS: true also
  bindDN: CN=svc-sspr,OU=Service,DC=contoso,DC=com
  bindPasswordFile: %s
  caFile: %s
  baseDNs: ["OU=Staff,DC=contoso,DC=com"]
  filter: "(objectClass=user)"
  group: "CN=SSPR Users,OU=Groups,DC=contoso,DC=com"   # optional scope; nested groups on AD
  mapping:                                     # defaults per directory type; any can be overridden
    userPrincipalName: userPrincipalName       # OpenLDAP default: uid
    mobilePhone: mobile
    officePhone: telephoneNumber
    alternateEmails: otherMailbox             # no default: unset unless mapped
phone:
  defaultRegion: US                           # optional, for numbers written without +
sync:
  interval: 30m
  deleteThreshold: 500
`

func secretFiles(t *testing.T) (pw, ca string) {
	dir := t.TempDir()
	pw = filepath.Join(dir, "bind-password")
	ca = filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(pw, []byte("s3cret-Pa55\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ca, testCertificate(t), 0o644); err != nil {
		t.Fatal(err)
	}
	return pw, ca
}

// testCertificate is a self-signed CA certificate, PEM.
func testCertificate(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestParseIssueExample(t *testing.T) {
	pw, ca := secretFiles(t)
	c, err := Parse([]byte(fmt.Sprintf(issueExample, pw, ca)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Directory.Type != directory.ActiveDirectory || c.Directory.URL != "ldaps://dc1.contoso.com:636" {
		t.Errorf("directory = %+v", c.Directory)
	}
	if c.Directory.BindPassword.Reveal() != "s3cret-Pa55" {
		t.Errorf("bind password not read from file")
	}
	if c.Sync.Interval != 30*time.Minute || c.Sync.DeleteThreshold != 500 {
		t.Errorf("sync = %+v", c.Sync)
	}
	if c.Directory.Mapping.AlternateEmails != "otherMailbox" || c.Directory.Mapping.DisplayName != "displayName" {
		t.Errorf("mapping = %+v", c.Directory.Mapping)
	}
	if c.Phone.DefaultRegion != "US" {
		t.Errorf("defaultRegion = %q", c.Phone.DefaultRegion)
	}
}

func TestDefaults(t *testing.T) {
	c, err := Parse([]byte("directory:\n  type: openldap\n  file: /tmp/export.ldif\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := directory.Mapping{UserPrincipalName: "uid", DisplayName: "displayName", MobilePhone: "mobile", OfficePhone: "telephoneNumber",
		PreferredLanguage: "preferredLanguage"}
	if c.Directory.Mapping != want {
		t.Errorf("openldap mapping = %+v, want %+v", c.Directory.Mapping, want)
	}
	if c.Store != DefaultStore || c.Sync.Interval != DefaultSyncInterval || c.Sync.DeleteThreshold != DefaultDeleteThreshold {
		t.Errorf("defaults = %+v", c)
	}
	if c.Directory.FileFormat != "ldif" || c.Directory.ObjectClass != "inetOrgPerson" || c.Directory.Filter != "(objectClass=inetOrgPerson)" {
		t.Errorf("file defaults = %+v", c.Directory)
	}
}

func TestProblems(t *testing.T) {
	pw, _ := secretFiles(t)
	base := "directory:\n  type: openldap\n  url: ldaps://127.0.0.1:636\n  bindDN: cn=admin,dc=example,dc=com\n  bindPasswordFile: " + pw + "\n  baseDNs: [\"dc=example,dc=com\"]\n"
	tests := []struct {
		name string
		yaml string
		want []string // substrings, each must appear
	}{
		{"unknown top key", "stor: x\n" + base, []string{`stor (line 1): unknown key (did you mean "store"?)`}},
		{"unknown nested key", base + "  mapping:\n    mobilPhone: mobile\n", []string{`directory.mapping.mobilPhone (line 8): unknown key (did you mean "mobilePhone"?)`}},
		{"wrong type", base + "sync:\n  interval: soon\n", []string{"sync.interval (line 8): wrong type"}},
		{"bad scheme", strings.Replace(base, "ldaps://127.0.0.1:636", "http://x", 1), []string{`directory.url: scheme "http"`}},
		{"plain ldap refused", strings.Replace(base, "ldaps://", "ldap://", 1), []string{"directory.url: plain ldap:// without TLS"}},
		{"bad filter", base + "  filter: \"(objectClass=user\"\n", []string{"directory.filter: not an LDAP filter"}},
		{"bad region", base + "phone:\n  defaultRegion: XX\n", []string{`phone.defaultRegion: "XX" is not a region code`}},
		{"bad store", "store: mysql://x\n" + base, []string{`store: "mysql://x"`}},
		{"missing secret file", strings.Replace(base, pw, "/nonexistent/pw", 1), []string{"directory.bindPasswordFile: cannot read secret file"}},
		{"no source", "directory:\n  type: openldap\n", []string{"directory: set directory.url"}},
		{"bad type", strings.Replace(base, "openldap", "novell", 1), []string{`directory.type: "novell"`}},
		{"inline password refused", base + "  bindPassword: hunter2\n", []string{"directory.bindPassword (line 7): unknown key"}},
		{"all at once", "stor: x\n" + strings.Replace(base, "ldaps://127.0.0.1:636", "http://x", 1) + "sync:\n  deleteThreshold: -1\n",
			[]string{"3 problems", "stor (line 1)", "directory.url", "sync.deleteThreshold"}},
		{"yaml syntax", "directory: [\n", []string{"config: (file):"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), nil)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error shows the secret: %v", err)
			}
		})
	}
}

func TestSecretFromEnv(t *testing.T) {
	pw, _ := secretFiles(t)
	y := "directory:\n  type: openldap\n  url: ldaps://127.0.0.1:636\n  bindDN: cn=admin,dc=example,dc=com\n  baseDNs: [\"dc=example,dc=com\"]\n"
	env := func(k string) string {
		if k == EnvBindPasswordFile {
			return pw
		}
		return ""
	}
	c, err := Parse([]byte(y), env)
	if err != nil {
		t.Fatal(err)
	}
	if c.Directory.BindPassword.Reveal() != "s3cret-Pa55" {
		t.Error("password not read from the _FILE variable")
	}
}

// TestSecretNeverPrinted: every secret a configuration holds (bind password, SMTP password,
// Twilio token, webhook header value) stays a secret.Value and never prints.
func TestSecretNeverPrinted(t *testing.T) {
	s := secret.Value("s3cret-Pa55")
	var c Config
	c.Directory.BindPassword = s
	c.Notify.Email.SMTP = &smtp.Config{Password: s}
	c.Notify.SMS.Twilio = &twilio.Config{AuthToken: s}
	c.Notify.Voice.Webhook = &webhook.Config{HeaderValue: s}
	var logged strings.Builder
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "password", s, "dir", c.Directory, "notify", c.Notify)
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "config", c)
	js, _ := json.Marshal(c)
	for name, out := range map[string]string{
		"fmt %v": fmt.Sprintf("%v", s), "fmt %+v": fmt.Sprintf("%+v", c.Directory),
		"fmt %+v smtp": fmt.Sprintf("%+v", *c.Notify.Email.SMTP), "fmt %+v twilio": fmt.Sprintf("%+v", *c.Notify.SMS.Twilio),
		"fmt %#v webhook": fmt.Sprintf("%#v", *c.Notify.Voice.Webhook),
		"fmt %#v":         fmt.Sprintf("%#v", s), "slog": logged.String(), "json": string(js),
	} {
		if strings.Contains(out, "s3cret") {
			t.Errorf("%s shows the secret: %s", name, out)
		}
	}
}

func TestParseStore(t *testing.T) {
	tests := []struct {
		in       string
		kind     StoreKind
		target   string
		wantFail bool
	}{
		{"sqlite:///var/lib/sspr/sspr.db", StoreSQLite, "/var/lib/sspr/sspr.db", false},
		{"sqlite://data/sspr.db", StoreSQLite, "data/sspr.db", false},
		{"postgres://sspr@db/sspr", StorePostgres, "postgres://sspr@db/sspr", false},
		{"sqlite://", "", "", true},
		{"mysql://u:pw@h/db", "", "", true},
	}
	for _, tt := range tests {
		kind, target, err := ParseStore(tt.in)
		if (err != nil) != tt.wantFail || kind != tt.kind || target != tt.target {
			t.Errorf("ParseStore(%q) = %q, %q, %v", tt.in, kind, target, err)
		}
		if err != nil && strings.Contains(err.Error(), ":pw@") {
			t.Errorf("error shows the password: %v", err)
		}
	}
}
