package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/store"
)

// TestUpgradeFromVersion1: a database that a version-1 sspr wrote gets the later migrations and
// keeps its users, whose deletion then cascades.
func TestUpgradeFromVersion1(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "sspr.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	v1, err := migrations.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE schema_migrations (version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`,
		string(v1),
		`INSERT INTO schema_migrations VALUES (1, '0001_init.sql', 0)`,
		`INSERT INTO users (id, source, user_principal_name, upn_key, version, created_at, updated_at)
			VALUES ('0190b6a4-0000-7000-8000-000000000001', 'cloud', 'Old@example.com', 'old@example.com', 1, 0, 0)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("Open of a version-1 database: %v", err)
	}
	defer s.Close()
	u, err := s.UserByUPN(ctx, "old@example.com")
	if err != nil {
		t.Fatalf("user after the upgrade: %v", err)
	}
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := s.SetSecurityAnswers(ctx, u.ID, []store.SecurityAnswer{{QuestionKey: "pet", Hash: "h"}}, at); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(tx store.UsersTx) error { return tx.DeleteUser(ctx, u.ID) }); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM security_answers`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d answers left after deleting their user (%v)", n, err)
	}
	files, err := migrations.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(files) {
		t.Errorf("%d migrations recorded (%v), want %d", n, err, len(files))
	}
}
