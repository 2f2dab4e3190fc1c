package testenv

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestWithDatabase(t *testing.T) {
	for _, tc := range []struct{ dsn, want string }{
		{"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "postgres://postgres@127.0.0.1:5432/db1?sslmode=disable"},
		{"postgresql://u:p@h/x", "postgresql://u:p@h/db1"},
		{"postgres://h:1", "postgres://h:1/db1"},
		{"host=127.0.0.1 port=5432 user=postgres", "host=127.0.0.1 port=5432 user=postgres dbname=db1"},
	} {
		if got := withDatabase(t, tc.dsn, "db1"); got != tc.want {
			t.Errorf("withDatabase(%q) = %q, want %q", tc.dsn, got, tc.want)
		}
	}
}

// TestPostgresDSN: the database exists during the test, is empty, and is gone afterwards.
func TestPostgresDSN(t *testing.T) {
	var name string
	t.Run("use", func(t *testing.T) {
		dsn := PostgresDSN(t)
		conn, err := pgx.Connect(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		if err := conn.QueryRow(t.Context(), `SELECT current_database()`).Scan(&name); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(name, "sspr_test_") {
			t.Errorf("database %q", name)
		}
		var tables int
		if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables); err != nil || tables != 0 {
			t.Errorf("%d tables, %v; want an empty database", tables, err)
		}
	})
	if name == "" {
		return // skipped or failed
	}
	conn, err := pgx.Connect(t.Context(), os.Getenv(PostgresURLEnv))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var exists bool
	if err := conn.QueryRow(t.Context(), `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Errorf("database %s still exists after the test", name)
	}
}
