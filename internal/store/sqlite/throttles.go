package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Events are counted per key and second and per key and minute in throttle_counts, beside the
// events: a count of the events at or after since reads the events of since's second, the
// per-second counts up to the next whole minute and the per-minute counts after it.
const (
	secondSpan = int64(time.Second / time.Microsecond) // span 1
	minuteSpan = 60 * secondSpan                       // span 60
)

const (
	qHitEvent  = `INSERT INTO throttle_events (key, at) VALUES (?, ?)`
	qHitCounts = `INSERT INTO throttle_counts (key, span, bucket, n) VALUES (?1, 1, ?2, 1), (?1, 60, ?3, 1)
		ON CONFLICT (key, span, bucket) DO UPDATE SET n = n + 1`
	qCountEvents = `SELECT
		(SELECT count(*) FROM throttle_events WHERE key = ?1 AND at >= ?2 AND at < ?3) +
		(SELECT coalesce(sum(n), 0) FROM throttle_counts WHERE key = ?1 AND span = 1 AND bucket >= ?4 AND bucket < ?5) +
		(SELECT coalesce(sum(n), 0) FROM throttle_counts WHERE key = ?1 AND span = 60 AND bucket >= ?6)`
)

// floorDiv is a / b rounded down (b > 0).
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// countArgs are qCountEvents' arguments for the events of key at or after since: the events at
// [since, s) with s the start of the next second, the seconds [s, m) with m the first whole
// minute at or after s, and the minutes from m on.
func countArgs(key string, since time.Time) []any {
	from := micros(since)
	s := floorDiv(from, secondSpan) + 1
	m := floorDiv(s*secondSpan+minuteSpan-1, minuteSpan)
	return []any{key, from, s * secondSpan, s, m * (minuteSpan / secondSpan), m}
}

// Hit records an event for key at `at` and counts, in the same transaction on the single writer,
// the key's events at or after since: concurrent hits on one key each see a different count.
func (s *Store) Hit(ctx context.Context, key string, at, since time.Time) (int, error) {
	if key == "" {
		return 0, errors.New("throttle hit: empty key")
	}
	a := micros(at)
	args := countArgs(key, since)
	var n int
	err := s.wr.writeMany(ctx, func(c wconn) error { return hit(c, key, a, args, &n) })
	if err != nil {
		return 0, fmt.Errorf("throttle hit: %w", err)
	}
	return n, nil
}

// hit records an event of key at a (microseconds) and counts into n the events that countArgs'
// args select.
func hit(c wconn, key string, a int64, args []any, n *int) error {
	if _, err := c.exec(qHitEvent, key, a); err != nil {
		return err
	}
	if _, err := c.exec(qHitCounts, key, floorDiv(a, secondSpan), floorDiv(a, minuteSpan)); err != nil {
		return err
	}
	return c.row(qCountEvents, args...).Scan(n)
}

// CountEvents returns how many events key has at or after since.
func (s *Store) CountEvents(ctx context.Context, key string, since time.Time) (int, error) {
	var n int
	if err := s.readRow(ctx, qCountEvents, countArgs(key, since)...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count throttle events: %w", err)
	}
	return n, nil
}

// deleteEvents removes the events before b (microseconds) and their counts: the counts of the
// seconds and minutes that end by b go, those of the second and the minute around b are counted
// again from the events left.
func deleteEvents(c wconn, b int64) error {
	sb, mb := floorDiv(b, secondSpan), floorDiv(b, minuteSpan)
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`DELETE FROM throttle_events WHERE at < ?`, []any{b}},
		{`DELETE FROM throttle_counts WHERE span = 1 AND bucket < ?`, []any{sb}},
		{`DELETE FROM throttle_counts WHERE span = 60 AND bucket < ?`, []any{mb}},
		{qRecount, []any{1, sb, sb * secondSpan, (sb + 1) * secondSpan}},
		{qRecount, []any{60, mb, mb * minuteSpan, (mb + 1) * minuteSpan}},
		{`DELETE FROM throttle_counts WHERE n = 0 AND (span = 1 AND bucket = ? OR span = 60 AND bucket = ?)`, []any{sb, mb}},
	} {
		if _, err := c.exec(q.sql, q.args...); err != nil {
			return err
		}
	}
	return nil
}

const qRecount = `UPDATE throttle_counts SET n = (SELECT count(*) FROM throttle_events e
	WHERE e.key = throttle_counts.key AND e.at >= ?3 AND e.at < ?4) WHERE span = ?1 AND bucket = ?2`

// Lock locks key until `until`, or leaves a lock that ends later as it is.
func (s *Store) Lock(ctx context.Context, key string, until time.Time) error {
	if key == "" {
		return errors.New("throttle lock: empty key")
	}
	err := s.wr.write(ctx, func(c wconn) error {
		_, err := c.exec(`INSERT INTO throttle_locks (key, locked_until) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET locked_until = max(locked_until, excluded.locked_until)`,
			key, micros(until))
		return err
	})
	if err != nil {
		return fmt.Errorf("throttle lock: %w", err)
	}
	return nil
}

// LockedUntil returns when key's lock ends, or the zero time when it is not locked at now.
func (s *Store) LockedUntil(ctx context.Context, key string, now time.Time) (time.Time, error) {
	var until int64
	err := s.readRow(ctx, `SELECT locked_until FROM throttle_locks WHERE key = ? AND locked_until > ?`,
		key, micros(now)).Scan(&until)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("throttle locked until: %w", err)
	}
	return fromMicros(until), nil
}

// Locked calls fn for every key with the prefix locked at now, in key order.
func (s *Store) Locked(ctx context.Context, prefix string, now time.Time, fn func(key string, until time.Time) error) error {
	rows, err := s.readRows(ctx, `SELECT key, locked_until FROM throttle_locks
		WHERE locked_until > ? AND substr(key, 1, length(?)) = ? ORDER BY key`, micros(now), prefix, prefix)
	if err != nil {
		return fmt.Errorf("throttle locks: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key string
		var until int64
		if err := rows.Scan(&key, &until); err != nil {
			return fmt.Errorf("throttle locks: %w", err)
		}
		if err := fn(key, fromMicros(until)); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("throttle locks: %w", err)
	}
	return nil
}

// ClearThrottles removes the events and locks of these keys, in one transaction.
func (s *Store) ClearThrottles(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	l, err := encodeList(keys)
	if err != nil {
		return fmt.Errorf("clear throttles: %w", err)
	}
	if err := s.wr.writeMany(ctx, func(c wconn) error { return clearKeys(c, l) }); err != nil {
		return fmt.Errorf("clear throttles: %w", err)
	}
	return nil
}

// clearKeys removes the events, counts and locks of the keys in l (a JSON list).
func clearKeys(c wconn, l string) error {
	for _, q := range []string{
		`DELETE FROM throttle_events WHERE key IN (SELECT value FROM json_each(?))`,
		`DELETE FROM throttle_counts WHERE key IN (SELECT value FROM json_each(?))`,
		`DELETE FROM throttle_locks WHERE key IN (SELECT value FROM json_each(?))`,
	} {
		if _, err := c.exec(q, l); err != nil {
			return err
		}
	}
	return nil
}
