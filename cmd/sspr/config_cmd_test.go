package main

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sspr/sspr/internal/demo"
	"github.com/sspr/sspr/internal/notify/smtp/smtptest"
	"github.com/sspr/sspr/internal/slapd"
	"github.com/sspr/sspr/internal/testenv"
)

// writeFile writes content to dir/name with mode (umask aside) and returns the path.
func writeFile(t *testing.T, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

// serveSection is what serve needs on top of a directory and a store: a server secret, an
// https public URL and the console for every channel.
func serveSection(t *testing.T, dir string) string {
	secretFile := writeFile(t, dir, "server-secret", strings.Repeat("s", 48)+"\n", 0o600)
	return "server:\n  publicURL: https://sspr.example.com\n  secretFile: " + secretFile + "\nnotify:\n  console: true\n"
}

// TestConfigValidateRefuses: config validate refuses (exit 2, the key path named) each thing
// that would keep serve from starting or working, and only warns about a readable secret.
func TestConfigValidateRefuses(t *testing.T) {
	dir := t.TempDir()
	ldif := writeFile(t, dir, "export.ldif", string(demo.SampleLDIF), 0o600)
	cfg := filepath.Join(dir, "sspr.yaml")
	base := "store: sqlite://" + filepath.Join(dir, "sspr.db") + "\ndirectory:\n  type: openldap\n  file: " + ldif + "\n"
	good := base + serveSection(t, dir)
	secret := filepath.Join(dir, "server-secret")
	short := writeFile(t, dir, "short", "too-short-a-secret\n", 0o600)
	readable := writeFile(t, dir, "readable", strings.Repeat("r", 48)+"\n", 0o644)
	smtpPW := writeFile(t, dir, "smtp-pw", "Smtp-S3cret\n", 0o600)
	smtpBlock := "  email:\n    smtp:\n      host: smtp.example.com\n      username: sspr\n      passwordFile: " + smtpPW + "\n      from: no-reply@example.com\n"

	tests := []struct {
		name   string
		config string
		code   int
		want   string // in stdout+stderr
	}{
		{"valid", good, 0, "valid (directory openldap " + ldif},
		{"missing secret file", strings.Replace(good, secret, filepath.Join(dir, "nope"), 1), 2, "server.secretFile: stat " + filepath.Join(dir, "nope")},
		{"short secret", strings.Replace(good, secret, short, 1), 2, "server.secretFile: the server secret has 18 bytes; at least 32"},
		{"secret readable by others", strings.Replace(good, secret, readable, 1), 0, "warning: server.secretFile: " + readable + " is readable by others than its owner (mode 0644)"},
		{"method without a channel", strings.Replace(good, "  console: true\n", "", 1), 2, "notify.sms: reset.methods enables sms but no channel delivers it"},
		{"http public URL", strings.Replace(good, "https://sspr.example.com", "http://sspr.example.com", 1), 2, `server.publicURL: "http://sspr.example.com": use https://`},
		{"incomplete SMTP", good + strings.Replace(smtpBlock, "      from: no-reply@example.com\n", "", 1), 2, "notify.email.smtp.from: required"},
		{"SMTP without its password", good + strings.Replace(smtpBlock, "      passwordFile: "+smtpPW+"\n", "", 1), 2, "notify.email.smtp.passwordFile: required with username"},
		{"low-contrast brand colour", good + "branding:\n  primaryColor: \"#7fb3ff\"\n", 2, "branding.primaryColor: #7fb3ff on white text: contrast 2.1:1, needs 4.5:1"},
		{"company name at its old place", strings.Replace(good, "server:\n", "server:\n  companyName: Contoso\n", 1), 2, "server.companyName (line 6): unknown key (moved to branding.companyName)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := os.WriteFile(cfg, []byte(tt.config), 0o600); err != nil {
				t.Fatal(err)
			}
			r := run(t, cfg, "config", "validate")
			if r.code != tt.code || !strings.Contains(r.stdout+r.stderr, tt.want) {
				t.Fatalf("want exit %d and %q:\n%s", tt.code, tt.want, r)
			}
			if strings.Contains(r.stdout+r.stderr, "Smtp-S3cret") || strings.Contains(r.stdout+r.stderr, "ssssssss") {
				t.Errorf("a secret was printed:\n%s", r)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "sspr.db")); err == nil {
		t.Error("config validate created the store")
	}
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// TestConfigValidateConnect: --connect tests the store, the directory and SMTP against real
// servers, one PASS or FAIL line each; a wrong bind password, an untrusted CA and an
// unreachable store are three distinct failures (exit 1), and nothing is created or sent.
func TestConfigValidateConnect(t *testing.T) {
	d := newDirectory(t, nil, "")
	mail := smtptest.Start(t, smtptest.Options{User: "sspr", Pass: "Smtp-Right-1"})
	smtpPW := writeFile(t, d.dir, "smtp-pw", "Smtp-Right-1\n", 0o600)
	smtpBlock := "  email:\n    smtp:\n      host: 127.0.0.1\n      port: " + strconv.Itoa(mail.Port) +
		"\n      caFile: " + mail.CAFile + "\n      username: sspr\n      passwordFile: " + smtpPW + "\n      from: no-reply@example.com\n"
	good := mustRead(t, d.cfg) + serveSection(t, d.dir) + smtpBlock

	connect := func(config string) result {
		t.Helper()
		d.writeConfig(t, config)
		return run(t, d.cfg, "config", "validate", "--connect")
	}
	lineOf := func(r result, prefix string) string {
		for _, l := range strings.Split(r.stdout, "\n") {
			if strings.HasPrefix(l, prefix) {
				return l
			}
		}
		return ""
	}

	// No store yet: a failure, and none is created.
	r := connect(good)
	if r.code != 1 || !strings.Contains(r.stdout, "FAIL store: no SQLite store at "+d.store) ||
		!strings.Contains(r.stdout, "PASS directory: bound to "+d.srv.LDAPSURL+" as "+d.srv.AdminDN+", read ") ||
		!strings.Contains(r.stdout, "PASS notify.email.smtp: 127.0.0.1:") || !strings.Contains(r.stdout, "authenticated as sspr; nothing sent") {
		t.Fatalf("before the first sync:\n%s", r)
	}
	if _, err := os.Stat(d.store); err == nil {
		t.Fatal("--connect created the store")
	}
	noStore := lineOf(r, "FAIL store:")

	if r := run(t, d.cfg, "sync"); r.code != 0 {
		t.Fatalf("sync:\n%s", r)
	}
	r = connect(good)
	if r.code != 0 || strings.Count(r.stdout, "PASS ") != 3 || strings.Contains(r.stdout, "FAIL") || !strings.Contains(r.stdout, "PASS store: sqlite://"+d.store+" opened, 21 users") {
		t.Fatalf("everything reachable:\n%s", r)
	}

	wrong := writeFile(t, d.dir, "wrong-pw", "Wr0ng-Bind-Secret\n", 0o600)
	r = connect(strings.Replace(good, filepath.Join(d.dir, "pw"), wrong, 1))
	badBind := lineOf(r, "FAIL directory:")
	if r.code != 1 || !strings.Contains(badBind, "bind as "+d.srv.AdminDN+" failed: invalid credentials") || strings.Contains(r.stdout+r.stderr, "Wr0ng-Bind-Secret") {
		t.Errorf("wrong bind password:\n%s", r)
	}

	other := testenv.Slapd(t, slapd.Options{TLS: true}) // a CA that did not sign d's certificate
	r = connect(strings.Replace(good, d.srv.CAFile, other.CAFile, 1))
	badCA := lineOf(r, "FAIL directory:")
	if r.code != 1 || !strings.Contains(badCA, "TLS: certificate not trusted; check directory.caFile") || !strings.Contains(badCA, "unknown authority") {
		t.Errorf("untrusted CA:\n%s", r)
	}

	pg := closedPort(t)
	pgPW := writeFile(t, d.dir, "pg-pw", "Pg-S3cret\n", 0o600)
	r = connect(strings.Replace(good, "sqlite://"+d.store, "postgres://sspr@"+pg+"/sspr?connect_timeout=5\nstorePasswordFile: "+pgPW, 1))
	unreachable := lineOf(r, "FAIL store:")
	if r.code != 1 || !strings.Contains(unreachable, "cannot reach the PostgreSQL store at "+pg) || strings.Contains(r.stdout+r.stderr, "Pg-S3cret") {
		t.Errorf("unreachable store:\n%s", r)
	}

	badSMTP := writeFile(t, d.dir, "smtp-wrong", "Smtp-Wrong-2\n", 0o600)
	r = connect(strings.Replace(good, smtpPW, badSMTP, 1))
	if l := lineOf(r, "FAIL notify.email.smtp:"); r.code != 1 || !strings.Contains(l, "AUTH: 535") || strings.Contains(r.stdout+r.stderr, "Smtp-Wrong-2") {
		t.Errorf("wrong SMTP password:\n%s", r)
	}
	if n := len(mail.Messages()); n != 0 {
		t.Errorf("--connect sent %d messages", n)
	}

	// Each failure says what failed in its own words, not one "connection failed".
	seen := map[string]bool{}
	for _, l := range []string{badBind, badCA, unreachable, noStore} {
		_, reason, _ := strings.Cut(l, ": ")
		words := strings.Join(strings.Fields(reason)[:min(3, len(strings.Fields(reason)))], " ")
		if l == "" || seen[words] {
			t.Errorf("failures not told apart: %q", l)
		}
		seen[words] = true
	}
}
