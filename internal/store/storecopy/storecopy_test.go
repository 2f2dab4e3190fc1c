package storecopy_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/password"
	"github.com/sspr/sspr/internal/questions"
	"github.com/sspr/sspr/internal/reset"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/postgres"
	"github.com/sspr/sspr/internal/store/sqlite"
	"github.com/sspr/sspr/internal/store/storecopy"
	"github.com/sspr/sspr/internal/testenv"
)

var t0 = time.Date(2026, 11, 26, 9, 0, 0, 123456000, time.UTC)

// fill writes into s a row of every table the copy moves, through the store's own interfaces.
func fill(t *testing.T, s store.Store) {
	t.Helper()
	ctx := t.Context()
	alice := store.User{Source: store.SourceCloud, UserPrincipalName: "Alice@contoso.com", DisplayName: "Alice Anderson",
		DN: "uid=alice,ou=Staff,dc=contoso,dc=com", AccountEnabled: true,
		MobilePhone:         store.Phone{Raw: "+1 425 555 0100", Number: "+1 4255550100", Type: "fixedLineOrMobile"},
		OfficePhone:         store.Phone{Raw: "555 0101", Problem: "no country code"},
		AlternateEmails:     []string{"alice.private@example.net", "a2@example.org"},
		AuthenticationPhone: "+1 4255550199", AuthenticationEmail: "alice.auth@example.net"}
	if err := s.Update(ctx, func(tx store.UsersTx) error {
		if err := tx.CreateUser(ctx, &alice); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, &store.AuditEvent{Time: t0, Type: "admin.user.created", Actor: "cli:root", UserID: alice.ID,
			UserPrincipalName: alice.UserPrincipalName, Details: map[string]string{"field": "mobilePhone", "new": "+1 ••••0100"}})
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSecurityAnswers(ctx, alice.ID, []store.SecurityAnswer{{QuestionKey: "pet", Hash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA"},
		{QuestionKey: "custom:1", Hash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdDI$aGFzaDI"}}, t0); err != nil {
		t.Fatal(err)
	}
	run := store.SyncRun{Mode: "full", StartedAt: t0}
	if err := s.StartRun(ctx, &run); err != nil {
		t.Fatal(err)
	}
	tx, err := s.BeginSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bob := store.User{Source: store.SourceDirectory, Anchor: []byte{0, 1, 2, 0xff}, DN: "uid=bob,ou=Staff,dc=contoso,dc=com",
		UserPrincipalName: "bob@contoso.com", Privileged: true, Fingerprint: 1<<63 + 5, DirectoryFields: []string{"officePhone"},
		DirectoryMobilePhone: "+44 7400 123456", MobilePhone: store.Phone{Raw: "+44 7400 123456", Number: "+44 7400123456", Type: "mobile"}}
	if err := tx.PutUser(ctx, &bob); err != nil {
		t.Fatal(err)
	}
	if err := tx.SetSyncState(ctx, store.SyncState{Key: "ldap://dc1/ou=Staff", Watermark: "usn:12345", UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	fin := t0.Add(time.Second)
	run.Status, run.Added, run.FinishedAt, run.Errors = store.RunSucceeded, 1, &fin, []string{"rejected: x"}
	if err := tx.RecordRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateToken(ctx, &store.Token{Name: "ci", Scopes: []string{"users:read", "sync"}, Hash: bytes.Repeat([]byte{7}, 32), CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	sess := store.Session{ID: "sess-1", Kind: "reset", UserID: alice.ID, State: []byte(`{"step":1}`), CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), Version: 1}
	if err := s.CreateSession(ctx, &sess); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSession(ctx, &store.Session{ID: "sess-anon", Kind: "reset", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), Version: 1}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateCode(ctx, &store.Code{SessionID: "sess-1", UserID: alice.ID, Purpose: "reset:sms", Destination: "+1 ••••0100",
		MAC: []byte("mac"), MaxAttempts: 5, CreatedAt: t0, ExpiresAt: t0.Add(10 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := s.Hit(ctx, "ip:192.0.2.1", t0.Add(time.Duration(i)*time.Second), t0.Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Lock(ctx, "user:"+alice.ID, t0.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	day := store.Day(t0)
	if _, err := s.PutSnapshot(ctx, store.Snapshot{Day: day, TakenAt: t0, Users: 2, Enabled: 2, Ready: 1, NotReady: 1, Registered: 1,
		ByMethod: map[string]int{"sms": 1}, Reasons: map[string]int{"noContact": 1}}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutDailyCounts(ctx, day, []store.DailyCount{{Day: day, Flow: "reset", Outcome: "done", Method: "sms", Count: 3}}); err != nil {
		t.Fatal(err)
	}
	for i, ch := range []string{"sms", "email"} {
		m := store.Message{Channel: ch, To: fmt.Sprint("to-", i), Subject: "s", Body: []byte{1, 2, 3}, NextAttemptAt: t0}
		if err := s.Enqueue(ctx, &m); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			if err := s.RecordAttempt(ctx, store.Attempt{MessageID: m.ID, At: t0, Duration: time.Millisecond, Error: "timeout"}, store.MessageQueued, t0.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// dump is everything a store's interfaces say about it, to compare two stores.
type dump struct {
	Users    []store.User
	Answers  map[string][]store.SecurityAnswer
	Audit    []store.AuditEvent
	Runs     []store.SyncRun
	State    store.SyncState
	Tokens   []store.Token
	Session  store.Session
	Code     store.Code
	Hits     int
	Locked   time.Time
	Messages []store.Message
	Attempts []store.Attempt
	Snaps    []store.Snapshot
	Daily    []store.DailyCount
	Counted  []time.Time
}

func read(t *testing.T, s store.Store) dump {
	t.Helper()
	ctx := t.Context()
	d := dump{Answers: map[string][]store.SecurityAnswer{}}
	if err := s.ListUsers(ctx, store.UserFilter{}, func(u store.User) error {
		d.Users = append(d.Users, u)
		a, err := s.SecurityAnswers(ctx, u.ID)
		d.Answers[u.UserPrincipalName] = a
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.ListAudit(ctx, store.AuditFilter{}, func(e store.AuditEvent) error { d.Audit = append(d.Audit, e); return nil }); err != nil {
		t.Fatal(err)
	}
	var err error
	if d.Runs, err = s.ListRuns(ctx, 10); err != nil {
		t.Fatal(err)
	}
	if d.State, err = s.SyncState(ctx, "ldap://dc1/ou=Staff"); err != nil {
		t.Fatal(err)
	}
	if d.Tokens, err = s.ListTokens(ctx); err != nil {
		t.Fatal(err)
	}
	if d.Session, err = s.Session(ctx, "sess-1", t0); err != nil {
		t.Fatal(err)
	}
	if d.Code, err = s.ActiveCode(ctx, "sess-1", "reset:sms", t0); err != nil {
		t.Fatal(err)
	}
	if d.Hits, err = s.CountEvents(ctx, "ip:192.0.2.1", t0.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if d.Locked, err = s.LockedUntil(ctx, "user:"+d.Session.UserID, t0); err != nil {
		t.Fatal(err)
	}
	for id := int64(1); id <= 2; id++ {
		m, err := s.Message(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		d.Messages = append(d.Messages, m)
		a, err := s.Attempts(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		d.Attempts = append(d.Attempts, a...)
	}
	day := store.Day(t0)
	if d.Snaps, err = s.ListSnapshots(ctx, day, day.AddDate(0, 0, 1)); err != nil {
		t.Fatal(err)
	}
	if d.Daily, err = s.ListDailyCounts(ctx, day, day.AddDate(0, 0, 1)); err != nil {
		t.Fatal(err)
	}
	if d.Counted, err = s.CountedDays(ctx, day, day.AddDate(0, 0, 1)); err != nil {
		t.Fatal(err)
	}
	return d
}

func fillSQLite(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sspr.db")
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fill(t, s)
	return path
}

func openPostgres(t *testing.T, dsn string) *postgres.Store {
	t.Helper()
	p, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// TestCopy: every row survives the copy, as each store's interfaces read it; counts are reported
// per table; identifiers go on after the copied ones; a second copy is refused, and with Force
// replaces the target's rows.
func TestCopy(t *testing.T) {
	ctx := t.Context()
	path := fillSQLite(t)
	dsn := testenv.PostgresDSN(t)

	res, err := storecopy.SQLiteToPostgres(ctx, path, dsn, storecopy.Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"users": 2, "security_answers": 2, "sync_state": 1, "sync_runs": 1, "audit_events": 1, "api_tokens": 1,
		"sessions": 2, "codes": 1, "throttle_events": 3, "throttle_locks": 1, "outbox_messages": 2, "outbox_attempts": 1,
		"readiness_snapshots": 1, "audit_daily": 1, "audit_daily_days": 1}
	for _, c := range res.Tables {
		if c.Source != want[c.Table] || c.Target != c.Source {
			t.Errorf("%s: %+v, want %d", c.Table, c, want[c.Table])
		}
		delete(want, c.Table)
	}
	if len(want) > 0 {
		t.Errorf("tables not reported: %v", want)
	}

	src, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst := openPostgres(t, dsn)
	a, b := read(t, src), read(t, dst)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("stores differ after the copy:\nsqlite:   %+v\npostgres: %+v", a, b)
	}
	if a.Users[0].AuthenticationPhone == "" || len(a.Answers["Alice@contoso.com"]) != 2 || len(a.Attempts) != 1 {
		t.Fatalf("the fixture lacks data: %+v", a)
	}
	// New rows get identifiers after the copied ones.
	e := store.AuditEvent{Time: t0, Type: "x"}
	if err := dst.AppendAudit(ctx, &e); err != nil || e.ID <= a.Audit[0].ID {
		t.Errorf("new audit event %d after copied %d (%v)", e.ID, a.Audit[0].ID, err)
	}
	m := store.Message{Channel: "sms", To: "x", NextAttemptAt: t0}
	if err := dst.Enqueue(ctx, &m); err != nil || m.ID != 3 {
		t.Errorf("new message %d (%v)", m.ID, err)
	}
	run := store.SyncRun{Mode: "delta", StartedAt: t0}
	if err := dst.StartRun(ctx, &run); err != nil || run.ID <= a.Runs[0].ID {
		t.Errorf("new run %d (%v)", run.ID, err)
	}

	if _, err := storecopy.SQLiteToPostgres(ctx, path, dsn, storecopy.Options{}); !errors.Is(err, storecopy.ErrNotEmpty) {
		t.Errorf("copy into a non-empty target: %v", err)
	}
	if _, err := storecopy.SQLiteToPostgres(ctx, path, dsn, storecopy.Options{Force: true}); err != nil {
		t.Fatalf("forced copy: %v", err)
	}
	if b := read(t, dst); !reflect.DeepEqual(a, b) {
		t.Errorf("stores differ after the forced copy:\nsqlite:   %+v\npostgres: %+v", a, b)
	}
}

// TestCopyMissingSource: a source path that names no file creates nothing and copies nothing.
func TestCopyMissingSource(t *testing.T) {
	path := filepath.Join(t.TempDir(), "none.db")
	if _, err := storecopy.SQLiteToPostgres(t.Context(), path, "postgres://nobody@127.0.0.1:1/x", storecopy.Options{}); err == nil {
		t.Fatal("copied from a missing file")
	}
	if _, _, err := sqlite.SchemaVersion(t.Context(), path); err == nil {
		t.Error("the copy created the source")
	}
}

type directory struct {
	mu        sync.Mutex
	passwords map[string]string
}

func (d *directory) SetPassword(_ context.Context, dn, pw string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.passwords[dn] = pw
	return nil
}
func (d *directory) Authenticate(context.Context, string, string) error     { return nil }
func (d *directory) Unlock(context.Context, string) error                   { return nil }
func (d *directory) IsLocked(context.Context, string) (bool, error)         { return true, nil }
func (d *directory) IsMember(context.Context, string, string) (bool, error) { return false, nil }
func (o *sender) Send(_ context.Context, m flow.Message) error {
	o.msgs = append(o.msgs, m)
	return nil
}

type sender struct{ msgs []flow.Message }

// TestResetAfterCopy: a reset runs to its end against the PostgreSQL store a copy made.
func TestResetAfterCopy(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "sspr.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	carol := store.User{Source: store.SourceCloud, UserPrincipalName: "carol@contoso.com", DisplayName: "Carol",
		DN: "uid=carol,ou=Staff,dc=contoso,dc=com", AccountEnabled: true,
		MobilePhone: store.Phone{Raw: "+1 425 555 0100", Number: "+1 4255550100", Type: "fixedLineOrMobile"}}
	if err := s.Update(ctx, func(tx store.UsersTx) error { return tx.CreateUser(ctx, &carol) }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	dsn := testenv.PostgresDSN(t)
	if _, err := storecopy.SQLiteToPostgres(ctx, path, dsn, storecopy.Options{}); err != nil {
		t.Fatal(err)
	}
	pg := openPostgres(t, dsn)
	dir, out := &directory{passwords: map[string]string{}}, &sender{}
	svc := reset.New(pg, out, dir, reset.Config{Policy: flow.DefaultPolicy(), Password: password.Default(),
		CodeKey: bytes.Repeat([]byte("c"), 32), DecoyKey: bytes.Repeat([]byte("d"), 32), CompanyName: "Contoso",
		PublicURL: "https://sspr.contoso.com",
		Hasher:    questions.NewHasher(questions.HasherOptions{Params: questions.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}})}, nil)
	c := flow.Client{IP: "192.0.2.7", UserAgent: "test"}
	token, _, err := svc.Start(ctx, reset.KindReset, "carol@contoso.com", c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.SendCode(ctx, token, "sms", c); err != nil {
		t.Fatal(err)
	}
	if len(out.msgs) != 1 || out.msgs[0].To != "+14255550100" {
		t.Fatalf("messages %+v", out.msgs)
	}
	code := regexp.MustCompile(`\d{8}`).FindString(out.msgs[0].Body)
	v, err := svc.VerifyCode(ctx, token, "sms", code, c)
	if err != nil || !v.Ready {
		t.Fatalf("verify: %v %+v", err, v)
	}
	if err := svc.Complete(ctx, token, "correct horse battery staple", c); err != nil {
		t.Fatal(err)
	}
	if dir.passwords[carol.DN] != "correct horse battery staple" {
		t.Errorf("no writeback: %v", dir.passwords)
	}
	var n int
	if err := pg.ListAudit(ctx, store.AuditFilter{TypePrefix: "reset.done"}, func(store.AuditEvent) error { n++; return nil }); err != nil || n != 1 {
		t.Errorf("reset.done audited %d times (%v)", n, err)
	}
}

// TestCopyCountMismatch: when the target does not end up with the source's rows (here a trigger
// drops one audit event), the copy fails, names the table, and commits nothing.
func TestCopyCountMismatch(t *testing.T) {
	ctx := t.Context()
	path := fillSQLite(t)
	dsn := testenv.PostgresDSN(t)
	openPostgres(t, dsn) // the schema
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `CREATE FUNCTION drop_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
		CREATE TRIGGER drop_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION drop_row()`); err != nil {
		t.Fatal(err)
	}
	_, err = storecopy.SQLiteToPostgres(ctx, path, dsn, storecopy.Options{})
	if !errors.Is(err, storecopy.ErrCountMismatch) || !strings.Contains(err.Error(), "audit_events: 1 in the source") {
		t.Fatalf("copy with a lost row: %v", err)
	}
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d users committed after a failed copy (%v)", n, err)
	}
}
