package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sspr/sspr/internal/store"
)

var _ store.Insights = (*Store)(nil)

const dayLayout = "2006-01-02"

func dayKey(t time.Time) string { return store.Day(t).Format(dayLayout) }

func parseDay(s string) (time.Time, error) { return time.Parse(dayLayout, s) }

// PutSnapshot stores s unless its day has a snapshot: true when this call stored it.
func (s *Store) PutSnapshot(ctx context.Context, snap store.Snapshot) (bool, error) {
	byMethod, reasons, err := snap.EncodeMaps()
	if err != nil {
		return false, fmt.Errorf("put snapshot: %w", err)
	}
	var stored bool
	err = s.wr.write(ctx, func(c wconn) error {
		res, err := c.exec(`INSERT INTO readiness_snapshots (day, taken_at, users, enabled, ready, not_ready, registered, by_method, reasons)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (day) DO NOTHING`,
			dayKey(snap.Day), micros(snap.TakenAt), snap.Users, snap.Enabled, snap.Ready, snap.NotReady, snap.Registered,
			byMethod, reasons)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		stored = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("put snapshot: %w", err)
	}
	return stored, nil
}

// ListSnapshots returns the snapshots of the days in [since, until), oldest first.
func (s *Store) ListSnapshots(ctx context.Context, since, until time.Time) ([]store.Snapshot, error) {
	rows, err := s.readRows(ctx, `SELECT day, taken_at, users, enabled, ready, not_ready, registered, by_method, reasons
		FROM readiness_snapshots WHERE day >= ? AND day < ? ORDER BY day`, dayKey(since), dayKey(until))
	if err != nil {
		return nil, fmt.Errorf("list snapshots: %w", err)
	}
	defer rows.Close()
	out := []store.Snapshot{}
	for rows.Next() {
		var (
			sn          store.Snapshot
			day, bm, rs string
			taken       int64
		)
		if err := rows.Scan(&day, &taken, &sn.Users, &sn.Enabled, &sn.Ready, &sn.NotReady, &sn.Registered, &bm, &rs); err != nil {
			return nil, fmt.Errorf("list snapshots: %w", err)
		}
		if sn.Day, err = parseDay(day); err != nil {
			return nil, fmt.Errorf("list snapshots: %w", err)
		}
		sn.TakenAt = fromMicros(taken)
		if err := json.Unmarshal([]byte(bm), &sn.ByMethod); err != nil {
			return nil, fmt.Errorf("list snapshots: %s: by_method: %w", day, err)
		}
		if err := json.Unmarshal([]byte(rs), &sn.Reasons); err != nil {
			return nil, fmt.Errorf("list snapshots: %s: reasons: %w", day, err)
		}
		out = append(out, sn)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list snapshots: %w", err)
	}
	return out, nil
}

// PutDailyCounts replaces the counts of day and marks it counted, all or nothing.
func (s *Store) PutDailyCounts(ctx context.Context, day time.Time, counts []store.DailyCount) error {
	key := dayKey(day)
	for _, c := range counts {
		if dayKey(c.Day) != key {
			return fmt.Errorf("put daily counts %s: a count of %s", key, dayKey(c.Day))
		}
	}
	err := s.wr.writeMany(ctx, func(c wconn) error {
		if _, err := c.exec(`DELETE FROM audit_daily WHERE day = ?`, key); err != nil {
			return err
		}
		for _, dc := range counts {
			if _, err := c.exec(`INSERT INTO audit_daily (day, flow, outcome, method, count) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (day, flow, outcome, method) DO UPDATE SET count = audit_daily.count + excluded.count`,
				key, dc.Flow, dc.Outcome, dc.Method, dc.Count); err != nil {
				return err
			}
		}
		_, err := c.exec(`INSERT INTO audit_daily_days (day, counted_at) VALUES (?, ?)
			ON CONFLICT (day) DO UPDATE SET counted_at = excluded.counted_at`, key, micros(s.now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("put daily counts %s: %w", key, err)
	}
	return nil
}

// ListDailyCounts returns the counts of the days in [since, until), oldest day first.
func (s *Store) ListDailyCounts(ctx context.Context, since, until time.Time) ([]store.DailyCount, error) {
	rows, err := s.readRows(ctx, `SELECT day, flow, outcome, method, count FROM audit_daily
		WHERE day >= ? AND day < ? ORDER BY day, flow, outcome, method`, dayKey(since), dayKey(until))
	if err != nil {
		return nil, fmt.Errorf("list daily counts: %w", err)
	}
	defer rows.Close()
	out := []store.DailyCount{}
	for rows.Next() {
		var (
			dc  store.DailyCount
			day string
		)
		if err := rows.Scan(&day, &dc.Flow, &dc.Outcome, &dc.Method, &dc.Count); err != nil {
			return nil, fmt.Errorf("list daily counts: %w", err)
		}
		if dc.Day, err = parseDay(day); err != nil {
			return nil, fmt.Errorf("list daily counts: %w", err)
		}
		out = append(out, dc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list daily counts: %w", err)
	}
	return out, nil
}

// CountedDays returns the days in [since, until) that PutDailyCounts marked, oldest first.
func (s *Store) CountedDays(ctx context.Context, since, until time.Time) ([]time.Time, error) {
	rows, err := s.readRows(ctx, `SELECT day FROM audit_daily_days WHERE day >= ? AND day < ? ORDER BY day`, dayKey(since), dayKey(until))
	if err != nil {
		return nil, fmt.Errorf("counted days: %w", err)
	}
	defer rows.Close()
	out := []time.Time{}
	for rows.Next() {
		var day string
		if err := rows.Scan(&day); err != nil {
			return nil, fmt.Errorf("counted days: %w", err)
		}
		d, err := parseDay(day)
		if err != nil {
			return nil, fmt.Errorf("counted days: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("counted days: %w", err)
	}
	return out, nil
}

const microsPerDay = 86_400_000_000

// DeliveryStats sums the outbox messages queued in [since, until) by day and channel.
func (s *Store) DeliveryStats(ctx context.Context, since, until time.Time) ([]store.DeliveryStat, error) {
	rows, err := s.readRows(ctx, `SELECT m.created_at / ? AS d, m.channel,
			sum(m.status = 'queued'), sum(m.status = 'sent'), sum(m.status = 'failed'),
			coalesce(sum(CASE WHEN m.status = 'sent' AND m.sent_at IS NOT NULL THEN m.sent_at - m.created_at END), 0),
			coalesce(max(CASE WHEN m.status = 'sent' AND m.sent_at IS NOT NULL THEN m.sent_at - m.created_at END), 0),
			coalesce(sum((SELECT count(*) FROM outbox_attempts a WHERE a.message_id = m.id AND a.error <> '')), 0)
		FROM outbox_messages m WHERE m.created_at >= ? AND m.created_at < ?
		GROUP BY d, m.channel ORDER BY d, m.channel`, int64(microsPerDay), micros(since), micros(until))
	if err != nil {
		return nil, fmt.Errorf("delivery stats: %w", err)
	}
	defer rows.Close()
	out := []store.DeliveryStat{}
	for rows.Next() {
		var (
			st                store.DeliveryStat
			d, total, longest int64
		)
		if err := rows.Scan(&d, &st.Channel, &st.Queued, &st.Sent, &st.Failed, &total, &longest, &st.AttemptErrors); err != nil {
			return nil, fmt.Errorf("delivery stats: %w", err)
		}
		st.Day = fromMicros(d * microsPerDay)
		st.LatencyTotal, st.LatencyMax = time.Duration(total)*time.Microsecond, time.Duration(longest)*time.Microsecond
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("delivery stats: %w", err)
	}
	return out, nil
}

// ActiveLocks counts the throttle locks in force at now.
func (s *Store) ActiveLocks(ctx context.Context, now time.Time) (int, error) {
	var n sql.NullInt64
	if err := s.readRow(ctx, `SELECT count(*) FROM throttle_locks WHERE locked_until > ?`, micros(now)).Scan(&n); err != nil {
		return 0, fmt.Errorf("active locks: %w", err)
	}
	return int(n.Int64), nil
}

// TallyAudit counts the audit events of [since, until) by type, user and details read.
func (s *Store) TallyAudit(ctx context.Context, since, until time.Time) ([]store.AuditTally, error) {
	rows, err := s.readRows(ctx, `SELECT type, user_id, coalesce(json_extract(details, '$.outcome'), ''),
			coalesce(json_extract(details, '$.method'), ''), coalesce(json_extract(details, '$.option'), ''), count(*)
		FROM audit_events WHERE at >= ? AND at < ? GROUP BY 1, 2, 3, 4, 5`, micros(since), micros(until))
	if err != nil {
		return nil, fmt.Errorf("tally audit: %w", err)
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
		return nil, fmt.Errorf("tally audit: %w", err)
	}
	return out, nil
}
