package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStoreSettings: the PostgreSQL password comes from a file, never the URL; a server on
// another host needs sslmode=verify-full with a CA file unless storeAllowInsecure; the loopback
// and Unix sockets may use anything.
func TestStoreSettings(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pg-password")
	if err := os.WriteFile(pw, []byte("Pg-S3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, testCertificate(t), 0o644); err != nil {
		t.Fatal(err)
	}
	base := "directory:\n  type: openldap\n  file: /srv/export.ldif\n"
	tests := []struct {
		name, yaml string
		env        string // $SSPR_STORE_PASSWORD_FILE
		problem    string // "" when valid
		dsn        string // StoreDSN when valid
	}{
		{name: "sqlite", yaml: "store: sqlite:///var/lib/sspr/sspr.db\n", dsn: "sqlite:///var/lib/sspr/sspr.db"},
		{name: "loopback without TLS", yaml: "store: postgres://sspr@127.0.0.1:5432/sspr?sslmode=disable\nstorePasswordFile: " + pw + "\n",
			dsn: "postgres://sspr:Pg-S3cret@127.0.0.1:5432/sspr?sslmode=disable"},
		{name: "localhost", yaml: "store: postgres://sspr@localhost/sspr\n", dsn: "postgres://sspr@localhost/sspr"},
		{name: "unix socket", yaml: "store: postgres://sspr@/sspr?host=/var/run/postgresql\n", dsn: "postgres://sspr@/sspr?host=/var/run/postgresql"},
		{name: "password from the environment", yaml: "store: postgres://sspr@[::1]/sspr\n", env: pw, dsn: "postgres://sspr:Pg-S3cret@[::1]/sspr"},
		{name: "remote verify-full", yaml: "store: postgres://sspr@db.contoso.com/sspr?sslmode=verify-full&sslrootcert=" + ca + "\nstorePasswordFile: " + pw + "\n",
			dsn: "postgres://sspr:Pg-S3cret@db.contoso.com/sspr?sslmode=verify-full&sslrootcert=" + ca},
		{name: "remote insecure allowed", yaml: "store: postgres://sspr@db.contoso.com/sspr?sslmode=disable\nstoreAllowInsecure: true\n",
			dsn: "postgres://sspr@db.contoso.com/sspr?sslmode=disable"},
		{name: "inline password", yaml: "store: postgres://sspr:Inline-Pw@127.0.0.1/sspr\n", problem: "holds a password"},
		{name: "password parameter", yaml: "store: postgres://sspr@127.0.0.1/sspr?password=Inline-Pw\n", problem: "holds a password"},
		{name: "remote default sslmode", yaml: "store: postgres://sspr@db.contoso.com/sspr\n", problem: "sslmode=prefer (the default) towards db.contoso.com"},
		{name: "remote require", yaml: "store: postgres://sspr@db.contoso.com/sspr?sslmode=require\n", problem: "needs sslmode=verify-full"},
		{name: "remote disable", yaml: "store: postgres://sspr@10.0.0.5:5432/sspr?sslmode=disable\n", problem: "sslmode=disable towards 10.0.0.5"},
		{name: "remote in a failover list", yaml: "store: postgres://sspr@127.0.0.1:5432,db2.contoso.com:5432/sspr?sslmode=prefer\n", problem: "towards 127.0.0.1,db2.contoso.com"},
		{name: "verify-full without CA", yaml: "store: postgres://sspr@db.contoso.com/sspr?sslmode=verify-full\n", problem: "needs sslrootcert"},
		{name: "verify-full missing CA", yaml: "store: postgres://sspr@db.contoso.com/sspr?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem\n", problem: "sslrootcert:"},
		{name: "password file for sqlite", yaml: "store: sqlite:///x.db\nstorePasswordFile: " + pw + "\n", problem: "only a postgres:// store has a password"},
		{name: "missing password file", yaml: "store: postgres://sspr@127.0.0.1/sspr\nstorePasswordFile: /nonexistent/pw\n", problem: "storePasswordFile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := func(k string) string {
				if k == EnvStorePasswordFile {
					return tt.env
				}
				return ""
			}
			c, err := Parse([]byte(tt.yaml+base), env)
			if tt.problem == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got := c.StoreDSN(); got != tt.dsn {
					t.Errorf("StoreDSN = %q, want %q", got, tt.dsn)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.problem) {
				t.Fatalf("error %v, want %q", err, tt.problem)
			}
			for _, secret := range []string{"Inline-Pw", "Pg-S3cret"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the error shows the password: %v", err)
				}
			}
		})
	}
}

// TestStoreURL: a URL from the command line gets the checks and the password of the store setting.
func TestStoreURL(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("Pg-S3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if dsn, err := StoreURL("postgres://sspr@127.0.0.1/sspr", pw, false, nil); err != nil || dsn != "postgres://sspr:Pg-S3cret@127.0.0.1/sspr" {
		t.Errorf("StoreURL = %q, %v", dsn, err)
	}
	for _, bad := range []string{"postgres://sspr@db.contoso.com/sspr", "postgres://sspr:x@127.0.0.1/sspr", "mysql://x"} {
		if _, err := StoreURL(bad, "", false, nil); err == nil {
			t.Errorf("StoreURL(%q) accepted", bad)
		}
	}
	if _, err := StoreURL("postgres://sspr@db.contoso.com/sspr", "", true, nil); err != nil {
		t.Errorf("allowInsecure: %v", err)
	}
}
