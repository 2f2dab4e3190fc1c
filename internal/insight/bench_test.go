package insight_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/insight"
	"github.com/sspr/sspr/internal/report"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/postgres"
	"github.com/sspr/sspr/internal/store/sqlite"
	"github.com/sspr/sspr/internal/testenv"
)

const (
	benchUsers    = 100_000
	benchEvents   = 1_000_000
	benchMessages = 20_000
	benchDays     = 365
)

// eventMix is the audit log the benchmark writes, ten events at a time per user: two resets
// (one done by sms, one with a wrong code), an unlock, a registration sign-in.
const eventMix = `CASE i % 10 WHEN 0 THEN 'reset.started' WHEN 1 THEN 'reset.methods.offered' WHEN 2 THEN 'reset.code.sent'
	WHEN 3 THEN 'reset.code.verified' WHEN 4 THEN 'reset.done' WHEN 5 THEN 'reset.started' WHEN 6 THEN 'reset.code.failed'
	WHEN 7 THEN 'unlock.started' WHEN 8 THEN 'unlock.done' ELSE 'register.signin' END`

const detailsMix = `CASE i % 10 WHEN 0 THEN '{"outcome":"ok"}' WHEN 1 THEN '{"methods":"sms +1 ••••0100","required":"1","decoy":"false"}'
	WHEN 2 THEN '{"method":"sms","to":"+1 ••••0100"}' WHEN 3 THEN '{"method":"sms"}' WHEN 5 THEN '{"outcome":"ok"}'
	WHEN 6 THEN '{"option":"email"}' WHEN 7 THEN '{"outcome":"ok"}' WHEN 9 THEN '{"outcome":"ok"}' ELSE '{}' END`

// BenchmarkDashboard measures insight.Dashboard over 100,000 users and 1,000,000 audit events
// spread over a year (today's share counted live), 20,000 outbox messages and 30 sync runs,
// after housekeeping stored the finished days and the day's snapshot:
//
//	set -a; . /tmp/sspr-shared/postgres.env; set +a
//	SSPR_INTEGRATION=1 go test -run '^$' -bench Dashboard -benchtime 200x -timeout 30m ./internal/insight/
//
// It reports p50 and p99 of one dashboard in ms, its CPU time in this process, and once the seconds of the first
// UpdateDailyCounts (a year to count) and of the day's TakeSnapshot (every user assessed).
func BenchmarkDashboard(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "sspr.db")
		s, err := sqlite.Open(b.Context(), path)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		now := time.Now().UTC()
		seedUsers(b, s)
		db, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)")
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		start := now.AddDate(0, 0, -benchDays).UnixMicro()
		step := int64(benchDays) * 86_400_000_000 / benchEvents
		q := fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < %d)
			INSERT INTO audit_events (at, type, actor, user_id, user_principal_name, upn_key, details)
			SELECT %d + i * %d, %s, 'user', 'u' || ((i / 10) %% %d), 'user' || ((i / 10) %% %d) || '@example.com',
				'user' || ((i / 10) %% %d) || '@example.com', %s FROM n`,
			benchEvents-1, start, step, eventMix, benchUsers, benchUsers, benchUsers, detailsMix)
		if _, err := db.ExecContext(b.Context(), q); err != nil {
			b.Fatal(err)
		}
		mstart := now.AddDate(0, 0, -insight.Days).UnixMicro()
		mstep := int64(insight.Days) * 86_400_000_000 / benchMessages
		if _, err := db.ExecContext(b.Context(), fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < %d)
			INSERT INTO outbox_messages (channel, recipient, status, attempts, next_attempt_at, created_at, sent_at)
			SELECT CASE i %% 3 WHEN 0 THEN 'sms' WHEN 1 THEN 'email' ELSE 'voice' END, 'x', CASE WHEN i %% 50 = 0 THEN 'failed' ELSE 'sent' END,
				1, %d + i * %d, %d + i * %d, %d + i * %d + 1500000 FROM n`,
			benchMessages-1, mstart, mstep, mstart, mstep, mstart, mstep)); err != nil {
			b.Fatal(err)
		}
		benchDashboard(b, s, now)
	})
	b.Run("postgres", func(b *testing.B) {
		dsn := testenv.PostgresDSN(b)
		s, err := postgres.Open(b.Context(), dsn)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		now := time.Now().UTC()
		seedUsers(b, s)
		conn, err := pgx.Connect(b.Context(), dsn)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close(context.WithoutCancel(b.Context()))
		step := float64(benchDays) * 86400 / benchEvents
		q := fmt.Sprintf(`INSERT INTO audit_events (at, type, actor, user_id, user_principal_name, upn_key, details)
			SELECT $1::timestamptz + make_interval(secs => i * %g), %s, 'user', 'u' || ((i / 10) %% %d), 'user' || ((i / 10) %% %d) || '@example.com',
				'user' || ((i / 10) %% %d) || '@example.com', (%s)::jsonb FROM generate_series(0, %d) AS i`,
			step, eventMix, benchUsers, benchUsers, benchUsers, detailsMix, benchEvents-1)
		if _, err := conn.Exec(b.Context(), q, now.AddDate(0, 0, -benchDays)); err != nil {
			b.Fatal(err)
		}
		mstep := float64(insight.Days) * 86400 / benchMessages
		if _, err := conn.Exec(b.Context(), fmt.Sprintf(`INSERT INTO outbox_messages (channel, recipient, status, attempts, next_attempt_at, created_at, sent_at)
			SELECT CASE i %% 3 WHEN 0 THEN 'sms' WHEN 1 THEN 'email' ELSE 'voice' END, 'x', CASE WHEN i %% 50 = 0 THEN 'failed' ELSE 'sent' END,
				1, t, t, t + interval '1.5 s' FROM generate_series(0, %d) AS i, LATERAL (SELECT $1::timestamptz + make_interval(secs => i * %g) AS t) x`,
			benchMessages-1, mstep), now.AddDate(0, 0, -insight.Days)); err != nil {
			b.Fatal(err)
		}
		if _, err := conn.Exec(b.Context(), `ANALYZE`); err != nil {
			b.Fatal(err)
		}
		benchDashboard(b, s, now)
	})
}

// seedUsers stores benchUsers directory users in one sync, three in four with a mobile phone,
// one in three registered.
func seedUsers(b *testing.B, s store.Store) {
	ctx := b.Context()
	tx, err := s.BeginSync(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	for i := range benchUsers {
		u := store.User{Source: store.SourceDirectory, Anchor: []byte(fmt.Sprint("a", i)), DN: fmt.Sprintf("CN=u%d,DC=example,DC=com", i),
			UserPrincipalName: fmt.Sprintf("user%d@example.com", i), DisplayName: fmt.Sprint("User ", i), AccountEnabled: i%20 != 0}
		if i%4 != 0 {
			u.MobilePhone = store.Phone{Raw: fmt.Sprintf("+1 425 555 %04d", i%10000), Number: fmt.Sprintf("+1 425555%04d", i%10000), Type: "mobile"}
		}
		if i%3 == 0 {
			u.AuthenticationEmail = fmt.Sprintf("u%d@example.net", i)
		}
		if err := tx.PutUser(ctx, &u); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

func benchDashboard(b *testing.B, s store.Store, now time.Time) {
	ctx := b.Context()
	for i := range insight.SyncRuns {
		r := store.SyncRun{Mode: "delta", StartedAt: now.Add(-time.Duration(insight.SyncRuns-i) * time.Hour)}
		if err := s.StartRun(ctx, &r); err != nil {
			b.Fatal(err)
		}
		fin := r.StartedAt.Add(2 * time.Second)
		r.Status, r.Updated, r.FinishedAt = store.RunSucceeded, i, &fin
		if err := s.FinishRun(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
	t0 := time.Now()
	days, err := report.UpdateDailyCounts(ctx, s, now)
	if err != nil {
		b.Fatal(err)
	}
	count := time.Since(t0)
	for d := 1; d < insight.Days; d++ { // the snapshots of the days before
		if _, err := s.PutSnapshot(ctx, store.Snapshot{Day: store.Day(now).AddDate(0, 0, -d), TakenAt: now.AddDate(0, 0, -d),
			Users: benchUsers, Enabled: 95_000, Ready: 70_000 - d*100, NotReady: 25_000 + d*100, Registered: 30_000 - d*50}); err != nil {
			b.Fatal(err)
		}
	}
	t0 = time.Now()
	if took, err := report.TakeSnapshot(ctx, s, flow.DefaultPolicy(), now); err != nil || !took {
		b.Fatal(took, err)
	}
	snap := time.Since(t0)

	var times []time.Duration
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		t := time.Now()
		d, err := insight.Dashboard(ctx, s, now)
		if err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(t))
		if d.Tiles.UsersInScope != benchUsers || d.Tiles.Resets30 == 0 {
			b.Fatalf("dashboard %+v", d.Tiles)
		}
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	slices.Sort(times)
	pct := func(p float64) float64 {
		return float64(times[min(len(times)-1, int(p*float64(len(times))))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(count.Seconds(), "count-year-s")
	b.ReportMetric(snap.Seconds(), "snapshot-s")
	// The CPU time of this process per dashboard (SQLite's work included, not PostgreSQL's): a
	// figure that a loaded machine does not inflate as it does the wall-clock percentiles.
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(len(times)), "cpu-ms/op")
	b.Logf("%d days counted in %v; snapshot of %d users in %v; %d dashboards", days, count, benchUsers, snap, len(times))

	// Where the time goes: the median of 20 calls of each read.
	first := store.Day(now).AddDate(0, 0, 1-insight.Days)
	for _, part := range []struct {
		name string
		fn   func() error
	}{
		{"ListSnapshots", func() error { _, err := s.ListSnapshots(ctx, first, now); return err }},
		{"ListDailyCounts", func() error { _, err := s.ListDailyCounts(ctx, first, now); return err }},
		{"CountDay(today)", func() error { _, err := report.CountDay(ctx, s, now, false); return err }},
		{"ActiveLocks", func() error { _, err := s.ActiveLocks(ctx, now); return err }},
		{"OutboxBacklog", func() error { _, _, err := s.OutboxBacklog(ctx); return err }},
		{"ListRuns", func() error { _, err := s.ListRuns(ctx, insight.SyncRuns); return err }},
	} {
		var ts []time.Duration
		for range 20 {
			t := time.Now()
			if err := part.fn(); err != nil {
				b.Fatal(err)
			}
			ts = append(ts, time.Since(t))
		}
		slices.Sort(ts)
		b.Logf("%-16s median %v", part.name, ts[len(ts)/2])
	}
}

// cpuTime is the user and system CPU time this process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
