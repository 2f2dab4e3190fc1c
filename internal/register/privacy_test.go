package register

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sspr/sspr/internal/questions"
	"github.com/sspr/sspr/internal/reset"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/postgres"
	"github.com/sspr/sspr/internal/store/sqlite"
	"github.com/sspr/sspr/internal/testenv"
)

// secretAnswers are distinctive enough that finding one in a file means it was stored.
var secretAnswers = []questions.Choice{
	{Key: "firstPet", Answer: "Quixotic Zebrafinch"},
	{Key: "birthCity", Answer: "Xylophonville"},
	{Key: "firstCar", Answer: "Jabberwock Roadster"},
}

// needles are the forms an answer could be stored in: as typed, normalized, upper case.
func needles() [][]byte {
	var out [][]byte
	for _, c := range secretAnswers {
		for _, s := range []string{c.Answer, questions.Normalize(c.Answer), strings.ToUpper(c.Answer)} {
			out = append(out, []byte(s))
		}
	}
	return out
}

// registerAndReset registers the secret answers through the portal, then answers them at a
// reset, once wrong and once right, so that every place an answer passes through is written.
func registerAndReset(t *testing.T, st store.Store) {
	t.Helper()
	ctx := context.Background()
	p := policyWith("email", "sms", "questions")
	p.MethodsRequired = 1
	f := newFixture(t, st, p)
	tok, _ := f.signIn(t, "alice@contoso.com", alicePW)
	if err := f.svc.SetQuestions(ctx, tok, secretAnswers, f.c); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Confirm(ctx, tok, f.c); err != nil {
		t.Fatal(err)
	}
	rs := reset.New(st, f.out, nil, reset.Config{Policy: p, CodeKey: bytes.Repeat([]byte("c"), 32), DecoyKey: bytes.Repeat([]byte("d"), 32),
		Hasher: f.svc.cfg.Hasher, Now: func() time.Time { return f.now }}, nil)
	rtok, _, err := rs.Start(ctx, reset.KindReset, "alice@contoso.com", f.c)
	if err != nil {
		t.Fatal(err)
	}
	v, err := rs.SendCode(ctx, rtok, "questions", f.c)
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]string{}
	for _, c := range secretAnswers {
		byKey[c.Key] = c.Answer
	}
	wrong := []string{byKey[v.Questions[0]], byKey[v.Questions[1]], "Jabberwock Roadster!"}
	if _, err := rs.VerifyAnswers(ctx, rtok, wrong, f.c); err == nil {
		t.Fatal("a wrong answer passed")
	}
	v, _ = rs.View(ctx, rtok)
	right := []string{byKey[v.Questions[0]], byKey[v.Questions[1]], byKey[v.Questions[2]]}
	if v, err = rs.VerifyAnswers(ctx, rtok, right, f.c); err != nil || !v.Ready {
		t.Fatalf("right answers: %v %+v", err, v)
	}
}

// The SQLite file (and its WAL) after registration and a reset holds no answer in any form.
func TestNoAnswerInTheSQLiteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sspr.db")
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	registerAndReset(t, st)
	scan := func(when string) {
		files, _ := filepath.Glob(path + "*") // sspr.db, sspr.db-wal, sspr.db-shm
		hashes := 0
		defer func() {
			if hashes < len(secretAnswers) {
				t.Errorf("%s: %d answer hashes in %v: the scan would prove nothing", when, hashes, files)
			}
		}()
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			hashes += bytes.Count(b, []byte("$argon2id$v=19$m="))
			for _, n := range needles() {
				if bytes.Contains(bytes.ToLower(b), bytes.ToLower(n)) {
					t.Errorf("%s (%s) holds %q", filepath.Base(f), when, n)
				}
			}
		}
	}
	scan("open")
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	scan("closed")
}

// Every table of the PostgreSQL store, read as text, holds no answer.
func TestNoAnswerInThePostgresTables(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	ctx := context.Background()
	st, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	registerAndReset(t, st)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT table_schema, table_name FROM information_schema.tables
		WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []pgx.Identifier
	for rows.Next() {
		var schema, name string
		rows.Scan(&schema, &name)
		tables = append(tables, pgx.Identifier{schema, name})
	}
	rows.Close()
	sawHash := false
	for _, table := range tables {
		var dump string
		if err := conn.QueryRow(ctx, `SELECT coalesce(string_agg(t::text, E'\n'), '') FROM `+table.Sanitize()+` t`).Scan(&dump); err != nil {
			t.Fatalf("%s: %v", table.Sanitize(), err)
		}
		sawHash = sawHash || strings.Contains(dump, "$argon2id$v=19$")
		for _, n := range needles() {
			if strings.Contains(strings.ToLower(dump), strings.ToLower(string(n))) {
				t.Errorf("table %s holds %q", table.Sanitize(), n)
			}
		}
	}
	if len(tables) < 5 || !sawHash {
		t.Errorf("%d tables, answer hashes seen: %v (the scan would prove nothing)", len(tables), sawHash)
	}
}
