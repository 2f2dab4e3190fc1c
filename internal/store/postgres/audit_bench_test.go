package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sspr/sspr/internal/store/postgres"
	"github.com/sspr/sspr/internal/store/storetest"
	"github.com/sspr/sspr/internal/testenv"
)

// go test -run '^$' -bench Audit1M -benchtime 3x -timeout 30m ./internal/store/postgres/
// loads 100,000 users and 1,000,000 chained audit events (COPY), then measures a user's events,
// a full CSV export (time, peak heap and RSS of this process) and the chain's verify
// (storetest.BenchAuditLarge).
func BenchmarkAudit1M(b *testing.B) {
	const users, events = 100_000, 1_000_000
	dsn := testenv.PostgresDSN(b)
	s, err := postgres.Open(b.Context(), dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	s.SetAuditKey(storetest.BenchAuditKey)
	storetest.PutBenchUsers(b, s, users)
	c, err := pgx.Connect(b.Context(), dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close(context.Background())
	rows := make(chan []any, 1024)
	var last storetest.AuditRow
	go func() {
		defer close(rows)
		storetest.AuditRows(events, users, time.Now(), func(r storetest.AuditRow) error {
			last = r
			rows <- []any{r.Time, r.Type, r.Actor, r.UserID, r.UserPrincipalName, strings.ToLower(r.UserPrincipalName), r.ClientIP,
				r.UserAgent, r.Details, r.Seq, r.Hash}
			return nil
		})
	}()
	n, err := c.CopyFrom(b.Context(), pgx.Identifier{"audit_events"}, []string{"at", "type", "actor", "user_id", "user_principal_name",
		"upn_key", "client_ip", "user_agent", "details", "seq", "hash"}, pgx.CopyFromFunc(func() ([]any, error) {
		r, ok := <-rows
		if !ok {
			return nil, nil
		}
		return r, nil
	}))
	if err != nil || n != events {
		b.Fatalf("copy: %d rows, %v", n, err)
	}
	if _, err := c.Exec(b.Context(), `UPDATE audit_chain SET head_seq = $1, head_hash = $2`, last.Seq, last.Hash); err != nil {
		b.Fatal(err)
	}
	if _, err := c.Exec(b.Context(), `VACUUM ANALYZE audit_events`); err != nil {
		b.Fatal(err)
	}
	storetest.BenchAuditLarge(b, s, users, events)
}

// go test -run '^$' -bench AuditAppends -count 3 ./internal/store/postgres/
func BenchmarkAuditAppends(b *testing.B) {
	storetest.BenchAuditAppends(b, openFresh(b))
}
