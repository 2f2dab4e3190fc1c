package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/store/sqlite"
	"github.com/sspr/sspr/internal/store/storetest"
)

// go test -run '^$' -bench Audit1M -benchtime 3x -timeout 30m ./internal/store/sqlite/
// loads 100,000 users and 1,000,000 chained audit events, then measures a user's events, a
// full CSV export (time, peak heap and RSS) and the chain's verify (storetest.BenchAuditLarge).
func BenchmarkAudit1M(b *testing.B) {
	const users, events = 100_000, 1_000_000
	path := filepath.Join(b.TempDir(), "sspr.db")
	s, err := sqlite.Open(b.Context(), path)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	s.SetAuditKey(storetest.BenchAuditKey)
	storetest.PutBenchUsers(b, s, users)
	db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	ins, err := tx.Prepare(`INSERT INTO audit_events (at, type, actor, user_id, user_principal_name, upn_key, client_ip, user_agent,
		details, seq, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	var last storetest.AuditRow
	if err := storetest.AuditRows(events, users, time.Now(), func(r storetest.AuditRow) error {
		last = r
		_, err := ins.Exec(r.Time.UnixMicro(), r.Type, r.Actor, r.UserID, r.UserPrincipalName, strings.ToLower(r.UserPrincipalName),
			r.ClientIP, r.UserAgent, r.Details, r.Seq, r.Hash)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	if _, err := tx.Exec(`UPDATE audit_chain SET head_seq = ?, head_hash = ?`, last.Seq, last.Hash); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	storetest.BenchAuditLarge(b, s, users, events)
}

// go test -run '^$' -bench AuditAppends -count 3 ./internal/store/sqlite/
func BenchmarkAuditAppends(b *testing.B) {
	storetest.BenchAuditAppends(b, openTemp(b))
}
