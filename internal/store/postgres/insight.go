package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sspr/sspr/internal/store"
)

var _ store.Insights = (*Store)(nil)

// PutSnapshot stores s unless its day has a snapshot: true when this call stored it.
func (s *Store) PutSnapshot(ctx context.Context, snap store.Snapshot) (bool, error) {
	byMethod, reasons, err := snap.EncodeMaps()
	if err != nil {
		return false, fmt.Errorf("put snapshot: %w", err)
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO readiness_snapshots (day, taken_at, users, enabled, ready, not_ready, registered, by_method, reasons)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (day) DO NOTHING`,
		store.Day(snap.Day), ts(snap.TakenAt), snap.Users, snap.Enabled, snap.Ready, snap.NotReady, snap.Registered,
		byMethod, reasons)
	if err != nil {
		return false, fmt.Errorf("put snapshot: %w", withCtx(ctx, err))
	}
	return tag.RowsAffected() == 1, nil
}

// ListSnapshots returns the snapshots of the days in [since, until), oldest first.
func (s *Store) ListSnapshots(ctx context.Context, since, until time.Time) ([]store.Snapshot, error) {
	rows, err := s.pool.Query(ctx, `SELECT day, taken_at, users, enabled, ready, not_ready, registered, by_method::text, reasons::text
		FROM readiness_snapshots WHERE day >= $1 AND day < $2 ORDER BY day`, store.Day(since), store.Day(until))
	if err != nil {
		return nil, fmt.Errorf("list snapshots: %w", withCtx(ctx, err))
	}
	defer rows.Close()
	out := []store.Snapshot{}
	for rows.Next() {
		var (
			sn     store.Snapshot
			bm, rs string
		)
		if err := rows.Scan(&sn.Day, &sn.TakenAt, &sn.Users, &sn.Enabled, &sn.Ready, &sn.NotReady, &sn.Registered, &bm, &rs); err != nil {
			return nil, fmt.Errorf("list snapshots: %w", err)
		}
		sn.Day, sn.TakenAt = store.Day(sn.Day), sn.TakenAt.UTC()
		if err := json.Unmarshal([]byte(bm), &sn.ByMethod); err != nil {
			return nil, fmt.Errorf("list snapshots: by_method: %w", err)
		}
		if err := json.Unmarshal([]byte(rs), &sn.Reasons); err != nil {
			return nil, fmt.Errorf("list snapshots: reasons: %w", err)
		}
		out = append(out, sn)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list snapshots: %w", withCtx(ctx, err))
	}
	return out, nil
}

// PutDailyCounts replaces the counts of day and marks it counted, in one transaction.
func (s *Store) PutDailyCounts(ctx context.Context, day time.Time, counts []store.DailyCount) error {
	d := store.Day(day)
	for _, c := range counts {
		if !store.Day(c.Day).Equal(d) {
			return fmt.Errorf("put daily counts %s: a count of %s", d.Format(time.DateOnly), store.Day(c.Day).Format(time.DateOnly))
		}
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		b := &pgx.Batch{}
		b.Queue(`DELETE FROM audit_daily WHERE day = $1`, d)
		for _, dc := range counts {
			b.Queue(`INSERT INTO audit_daily (day, flow, outcome, method, count) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (day, flow, outcome, method) DO UPDATE SET count = audit_daily.count + excluded.count`,
				d, dc.Flow, dc.Outcome, dc.Method, dc.Count)
		}
		b.Queue(`INSERT INTO audit_daily_days (day, counted_at) VALUES ($1, $2)
			ON CONFLICT (day) DO UPDATE SET counted_at = excluded.counted_at`, d, ts(s.now()))
		return tx.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return fmt.Errorf("put daily counts %s: %w", d.Format(time.DateOnly), withCtx(ctx, err))
	}
	return nil
}

// ListDailyCounts returns the counts of the days in [since, until), oldest day first.
func (s *Store) ListDailyCounts(ctx context.Context, since, until time.Time) ([]store.DailyCount, error) {
	rows, err := s.pool.Query(ctx, `SELECT day, flow, outcome, method, count FROM audit_daily
		WHERE day >= $1 AND day < $2 ORDER BY day, flow, outcome, method`, store.Day(since), store.Day(until))
	if err != nil {
		return nil, fmt.Errorf("list daily counts: %w", withCtx(ctx, err))
	}
	defer rows.Close()
	out := []store.DailyCount{}
	for rows.Next() {
		var dc store.DailyCount
		if err := rows.Scan(&dc.Day, &dc.Flow, &dc.Outcome, &dc.Method, &dc.Count); err != nil {
			return nil, fmt.Errorf("list daily counts: %w", err)
		}
		dc.Day = store.Day(dc.Day)
		out = append(out, dc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list daily counts: %w", withCtx(ctx, err))
	}
	return out, nil
}

// CountedDays returns the days in [since, until) that PutDailyCounts marked, oldest first.
func (s *Store) CountedDays(ctx context.Context, since, until time.Time) ([]time.Time, error) {
	rows, err := s.pool.Query(ctx, `SELECT day FROM audit_daily_days WHERE day >= $1 AND day < $2 ORDER BY day`, store.Day(since), store.Day(until))
	if err != nil {
		return nil, fmt.Errorf("counted days: %w", withCtx(ctx, err))
	}
	days, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (time.Time, error) {
		var d time.Time
		err := r.Scan(&d)
		return store.Day(d), err
	})
	if err != nil {
		return nil, fmt.Errorf("counted days: %w", withCtx(ctx, err))
	}
	if days == nil {
		days = []time.Time{}
	}
	return days, nil
}

// DeliveryStats sums the outbox messages queued in [since, until) by day and channel.
func (s *Store) DeliveryStats(ctx context.Context, since, until time.Time) ([]store.DeliveryStat, error) {
	rows, err := s.pool.Query(ctx, `SELECT (m.created_at AT TIME ZONE 'UTC')::date AS d, m.channel,
			count(*) FILTER (WHERE m.status = 'queued'), count(*) FILTER (WHERE m.status = 'sent'),
			count(*) FILTER (WHERE m.status = 'failed'),
			coalesce(sum(extract(epoch FROM m.sent_at - m.created_at) * 1000000) FILTER (WHERE m.status = 'sent'), 0)::bigint,
			coalesce(max(extract(epoch FROM m.sent_at - m.created_at) * 1000000) FILTER (WHERE m.status = 'sent'), 0)::bigint,
			coalesce(sum((SELECT count(*) FROM outbox_attempts a WHERE a.message_id = m.id AND a.error <> '')), 0)::bigint
		FROM outbox_messages m WHERE m.created_at >= $1 AND m.created_at < $2
		GROUP BY d, m.channel ORDER BY d, m.channel`, ts(since), ts(until))
	if err != nil {
		return nil, fmt.Errorf("delivery stats: %w", withCtx(ctx, err))
	}
	defer rows.Close()
	out := []store.DeliveryStat{}
	for rows.Next() {
		var (
			st                   store.DeliveryStat
			total, longest, errs int64
		)
		if err := rows.Scan(&st.Day, &st.Channel, &st.Queued, &st.Sent, &st.Failed, &total, &longest, &errs); err != nil {
			return nil, fmt.Errorf("delivery stats: %w", err)
		}
		st.Day = store.Day(st.Day)
		st.AttemptErrors = int(errs)
		st.LatencyTotal, st.LatencyMax = time.Duration(total)*time.Microsecond, time.Duration(longest)*time.Microsecond
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("delivery stats: %w", withCtx(ctx, err))
	}
	return out, nil
}

// ActiveLocks counts the throttle locks in force at now.
func (s *Store) ActiveLocks(ctx context.Context, now time.Time) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM throttle_locks WHERE locked_until > $1`, ts(now)).Scan(&n); err != nil {
		return 0, fmt.Errorf("active locks: %w", withCtx(ctx, err))
	}
	return n, nil
}

// TallyAudit counts the audit events of [since, until) by type, user and details read.
func (s *Store) TallyAudit(ctx context.Context, since, until time.Time) ([]store.AuditTally, error) {
	rows, err := s.pool.Query(ctx, `SELECT type, user_id, coalesce(details->>'outcome', ''), coalesce(details->>'method', ''),
			coalesce(details->>'option', ''), count(*)
		FROM audit_events WHERE at >= $1 AND at < $2 GROUP BY 1, 2, 3, 4, 5`, ts(since), ts(until))
	if err != nil {
		return nil, fmt.Errorf("tally audit: %w", withCtx(ctx, err))
	}
	defer rows.Close()
	out := []store.AuditTally{}
	for rows.Next() {
		var t store.AuditTally
		if err := rows.Scan(&t.Type, &t.UserID, &t.Outcome, &t.Method, &t.Option, &t.Count); err != nil {
			return nil, fmt.Errorf("tally audit: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("tally audit: %w", withCtx(ctx, err))
	}
	return out, nil
}
