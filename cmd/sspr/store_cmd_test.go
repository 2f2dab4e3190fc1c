package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sspr/sspr/internal/demo"
	"github.com/sspr/sspr/internal/testenv"
)

// fileStore is a SQLite store synced from the demo's LDIF export, and its configuration.
func fileStore(t *testing.T) (cfg, db string) {
	t.Helper()
	dir := t.TempDir()
	ldif := filepath.Join(dir, "users.ldif")
	if err := os.WriteFile(ldif, demo.SampleLDIF, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, db = filepath.Join(dir, "sspr.yaml"), filepath.Join(dir, "sspr.db")
	if err := os.WriteFile(cfg, []byte(demo.FileConfig(db, ldif)), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := run(t, cfg, "sync"); r.code != 0 {
		t.Fatalf("sync:\n%s", r)
	}
	return cfg, db
}

// TestStoreMigrateBackupRestore: migrate says the version; a backup restored over a store that
// changed since opens with the backup's users (the commit log does not refuse it).
func TestStoreMigrateBackupRestore(t *testing.T) {
	cfg, db := fileStore(t)
	if r := run(t, cfg, "store", "migrate"); r.code != 0 || !strings.Contains(r.stdout, "up to date") {
		t.Fatalf("migrate:\n%s", r)
	}
	backup := filepath.Join(t.TempDir(), "backup.db")
	r := run(t, cfg, "store", "backup", backup)
	if r.code != 0 || !strings.Contains(r.stdout, "backup of "+db+" written to "+backup) {
		t.Fatalf("backup:\n%s", r)
	}
	if r := run(t, cfg, "store", "backup", backup); r.code != 1 || !strings.Contains(r.stderr, "file exists") {
		t.Errorf("backup over a file:\n%s", r)
	}
	if r := run(t, cfg, "user", "create", "new@contoso.com"); r.code != 0 {
		t.Fatalf("user create:\n%s", r)
	}
	if r := run(t, cfg, "store", "restore", backup); r.code != 0 || !strings.Contains(r.stdout, "restored from") {
		t.Fatalf("restore:\n%s", r)
	}
	if r := run(t, cfg, "user", "get", "new@contoso.com"); r.code != 1 {
		t.Errorf("a user created after the backup is still there:\n%s", r)
	}
	if r := run(t, cfg, "user", "list", "-o", "csv"); r.code != 0 || strings.Count(r.stdout, "\n") < 20 {
		t.Errorf("restored store:\n%s", r)
	}

	pg := filepath.Join(t.TempDir(), "pg.yaml")
	if err := os.WriteFile(pg, []byte(strings.Replace(mustRead(t, cfg), "sqlite://"+db, "postgres://sspr@127.0.0.1:1/sspr", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := run(t, pg, "store", "backup", backup+"2"); r.code != 2 || !strings.Contains(r.stderr, "pg_dump --format=custom") {
		t.Errorf("backup of a PostgreSQL store:\n%s", r)
	}
}

// TestStoreCopy: sspr store copy moves the store into PostgreSQL and prints the counts; sspr
// then reads the users there; a second copy needs --force; a password in the URL is refused.
func TestStoreCopy(t *testing.T) {
	cfg, db := fileStore(t)
	dsn := testenv.PostgresDSN(t)
	r := run(t, cfg, "store", "copy", "--from", "sqlite://"+db, "--to", dsn)
	if r.code != 0 || !strings.Contains(r.stdout, "every table's rows counted") || !strings.Contains(r.stdout, "users") {
		t.Fatalf("copy:\n%s", r)
	}
	pg := filepath.Join(t.TempDir(), "pg.yaml")
	if err := os.WriteFile(pg, []byte(strings.Replace(mustRead(t, cfg), "sqlite://"+db, dsn, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	a, b := run(t, cfg, "user", "list", "-o", "csv"), run(t, pg, "user", "list", "-o", "csv")
	if a.code != 0 || a.stdout != b.stdout {
		t.Errorf("users differ:\nsqlite %s\npostgres %s", a, b)
	}
	if r := run(t, pg, "store", "migrate"); r.code != 0 || !strings.Contains(r.stdout, "up to date") {
		t.Errorf("migrate on postgres:\n%s", r)
	}
	if r := run(t, cfg, "store", "copy", "--from", "sqlite://"+db, "--to", dsn); r.code != 2 || !strings.Contains(r.stderr, "not empty") {
		t.Errorf("second copy:\n%s", r)
	}
	if r := run(t, cfg, "store", "copy", "--from", "sqlite://"+db, "--to", dsn, "--force"); r.code != 0 {
		t.Errorf("forced copy:\n%s", r)
	}
	if r := run(t, cfg, "store", "copy", "--from", "sqlite://"+db, "--to", "postgres://sspr:Inline-Pw@127.0.0.1/sspr"); r.code != 2 ||
		!strings.Contains(r.stderr, "holds a password") || strings.Contains(r.stderr, "Inline-Pw") {
		t.Errorf("inline password:\n%s", r)
	}
	if r := run(t, cfg, "store", "copy", "--from", dsn, "--to", dsn); r.code != 2 {
		t.Errorf("copy from postgres:\n%s", r)
	}
}

// TestStoreMigrateFromPreviousRelease: sspr store migrate on the store that the previous release
// (f316a55) wrote says what it did, and this build then reads its users.
func TestStoreMigrateFromPreviousRelease(t *testing.T) {
	cfg, db := fileStore(t)
	old, err := os.ReadFile("../../internal/store/upgradetest/testdata/sspr-f316a55.db")
	if err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", "-wal", "-shm", "-commits"} {
		os.Remove(db + suffix)
	}
	if err := os.WriteFile(db, old, 0o600); err != nil {
		t.Fatal(err)
	}
	if r := run(t, cfg, "store", "migrate"); r.code != 0 || !strings.Contains(r.stdout, "schema version 3 → ") {
		t.Fatalf("migrate:\n%s", r)
	}
	if r := run(t, cfg, "store", "migrate"); r.code != 0 || !strings.Contains(r.stdout, "up to date") {
		t.Errorf("second migrate:\n%s", r)
	}
	if r := run(t, cfg, "user", "get", "contractor@contoso.com", "-o", "json"); r.code != 0 || !strings.Contains(r.stdout, `"source": "cloud"`) {
		t.Errorf("user get:\n%s", r)
	}
}
