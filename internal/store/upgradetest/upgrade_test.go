package upgradetest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	auditchain "github.com/sspr/sspr/internal/audit"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/postgres"
	"github.com/sspr/sspr/internal/store/sqlite"
	"github.com/sspr/sspr/internal/testenv"
)

// check reads back, through this build's store interfaces, what the old release wrote
// (testdata/gen), and writes to the store.
func check(t *testing.T, s store.Store) {
	t.Helper()
	ctx := t.Context()
	t0 := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	if n, err := s.CountUsers(ctx, store.UserFilter{}); err != nil || n != 22 {
		t.Errorf("%d users (%v), want the 21 synced and 1 cloud user", n, err)
	}
	alice, err := s.UserByUPN(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if alice.DisplayName != "Alice Anderson" || alice.MobilePhone.Number != "+1 4255550100" || alice.OfficePhone.Number != "+1 4255550101" ||
		len(alice.AlternateEmails) != 1 || alice.Source != store.SourceDirectory || len(alice.Anchor) == 0 || alice.Fingerprint == 0 ||
		alice.SecurityQuestionsCount != 2 || alice.SecurityQuestionsRegisteredAt == nil || !alice.SecurityQuestionsRegisteredAt.Equal(t0) ||
		alice.PreferredLanguage != "" { // a column added later: the directory did not say yet
		t.Errorf("alice after the upgrade: %+v", alice)
	}
	answers, err := s.SecurityAnswers(ctx, alice.ID)
	if err != nil || len(answers) != 2 || answers[0].QuestionKey != "firstPet" || !strings.HasPrefix(answers[1].Hash, "$argon2id$") {
		t.Errorf("answers %+v (%v)", answers, err)
	}
	c, err := s.UserByUPN(ctx, "contractor@contoso.com")
	if err != nil || c.Source != store.SourceCloud || c.AuthenticationEmail != "contractor@example.org" {
		t.Errorf("cloud user %+v (%v)", c, err)
	}
	var audit []store.AuditEvent
	if err := s.ListAudit(ctx, store.AuditFilter{UserPrincipalName: "contractor@contoso.com"}, func(e store.AuditEvent) error {
		audit = append(audit, e)
		return nil
	}); err != nil || len(audit) != 1 || audit[0].Details["source"] != "cloud" || !audit[0].Time.Equal(t0) {
		t.Errorf("audit %+v (%v)", audit, err)
	}
	if tok, err := s.TokenByHash(ctx, bytes.Repeat([]byte{0xab}, 32)); err != nil || tok.Name != "monitoring" {
		t.Errorf("token %+v (%v)", tok, err)
	}
	if m, err := s.Message(ctx, 1); err != nil || m.Status != store.MessageQueued || string(m.Body) != "sealed" || m.Language != "" {
		t.Errorf("message %+v (%v)", m, err)
	}
	if until, err := s.LockedUntil(ctx, "user:"+alice.ID, t0); err != nil || until.IsZero() {
		t.Errorf("lock %v (%v)", until, err)
	}
	if n, err := s.CountEvents(ctx, "ip:192.0.2.9", t0.Add(-time.Minute)); err != nil || n != 1 {
		t.Errorf("throttle events %d (%v)", n, err)
	}
	runs, err := s.ListRuns(ctx, 5)
	if err != nil || len(runs) != 1 || runs[0].Status != store.RunSucceeded || runs[0].Added != 21 {
		t.Errorf("runs %+v (%v)", runs, err)
	}
	// And it takes writes: a sync's and an administrator's.
	tx, err := s.BeginSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// A sync starts from the stored fingerprints (on SQLite read from an index built over the
	// old rows by a later migration).
	fps := 0
	if err := tx.Fingerprints(ctx, func(f store.Fingerprint) error {
		if len(f.Anchor) > 0 && f.Fingerprint != 0 {
			fps++
		}
		return nil
	}); err != nil || fps != 21 {
		t.Errorf("%d stored fingerprints (%v), want the 21 synced users'", fps, err)
	}
	alice.DisplayName = "Alice A."
	if err := tx.PutUser(ctx, &alice); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(tx store.UsersTx) error {
		return tx.CreateUser(ctx, &store.User{Source: store.SourceCloud, UserPrincipalName: "after@contoso.com"})
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Hit(ctx, "ip:192.0.2.9", t0.Add(time.Second), t0.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n, err := s.CountEvents(ctx, "ip:192.0.2.9", t0.Add(-time.Minute)); err != nil || n != 2 {
		t.Errorf("throttle events after a hit: %d (%v)", n, err)
	}
	// The audit chain starts at the upgrade: the old event is counted, not chained, and the chain
	// of the events appended since verifies.
	if err := s.AppendAudit(ctx, &store.AuditEvent{Type: "admin.user.created", Actor: "cli:root"}); err != nil {
		t.Fatal(err)
	}
	if r, err := auditchain.Verify(ctx, s, auditchain.Unkeyed); err != nil || r.Broken != nil || r.Legacy != 1 || r.Checked != 1 {
		t.Errorf("audit chain after the upgrade: %+v, broken %v (%v)", r, r.Broken, err)
	}
	// The retention prunes the old events too; the chain is untouched.
	if n, err := s.PruneAudit(ctx, t0.Add(time.Hour)); err != nil || n != 1 {
		t.Errorf("prune of the event from before the chain: %d (%v)", n, err)
	}
	if r, err := auditchain.Verify(ctx, s, auditchain.Unkeyed); err != nil || r.Broken != nil || r.Legacy != 0 || r.Checked != 1 {
		t.Errorf("audit chain after the prune: %+v, broken %v (%v)", r, r.Broken, err)
	}
}

// TestSQLiteFromF316a55: the SQLite store of f316a55 (schema version 3) migrates to this build's
// schema at Open and keeps its data.
func TestSQLiteFromF316a55(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "sspr.db")
	b, err := os.ReadFile("testdata/sspr-f316a55.db")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	before, want, err := sqlite.SchemaVersion(ctx, path)
	if err != nil || before != 3 {
		t.Fatalf("the fixture's schema version %d (%v), want 3", before, err)
	}
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if after, _, err := sqlite.SchemaVersion(ctx, path); err != nil || after != want {
		t.Errorf("schema version %d after Open (%v), want %d", after, err, want)
	}
	check(t, s)
}

// TestPostgresFromF316a55: a database loaded from a pg_dump of the store f316a55 wrote opens,
// migrates and keeps its data.
func TestPostgresFromF316a55(t *testing.T) {
	ctx := t.Context()
	dsn := testenv.PostgresDSN(t)
	dump, err := os.ReadFile("testdata/postgres-f316a55.sql")
	if err != nil {
		t.Fatal(err)
	}
	if err := load(ctx, dsn, string(dump)); err != nil {
		t.Fatal(err)
	}
	s, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	check(t, s)
}

// load runs a plain pg_dump file (INSERTs, no COPY) on a connection of its own (the dump
// empties its search_path), leaving out psql's meta-commands (\restrict).
func load(ctx context.Context, dsn, dump string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var sql strings.Builder
	for _, l := range strings.SplitAfter(dump, "\n") {
		if !strings.HasPrefix(l, `\`) {
			sql.WriteString(l)
		}
	}
	_, err = conn.Exec(ctx, sql.String())
	return err
}
