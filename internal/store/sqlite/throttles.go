package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Hit records an event for key at `at` and counts, in the same transaction on the single writer,
// the key's events at or after since: concurrent hits on one key each see a different count.
func (s *Store) Hit(ctx context.Context, key string, at, since time.Time) (int, error) {
	if key == "" {
		return 0, errors.New("throttle hit: empty key")
	}
	var n int
	err := s.writeTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO throttle_events (key, at) VALUES (?, ?)`, key, micros(at)); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM throttle_events WHERE key = ? AND at >= ?`,
			key, micros(since)).Scan(&n)
	})
	if err != nil {
		return 0, fmt.Errorf("throttle hit: %w", err)
	}
	return n, nil
}

// CountEvents returns how many events key has at or after since.
func (s *Store) CountEvents(ctx context.Context, key string, since time.Time) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM throttle_events WHERE key = ? AND at >= ?`,
		key, micros(since)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count throttle events: %w", err)
	}
	return n, nil
}

// Lock locks key until `until`, or leaves a lock that ends later as it is.
func (s *Store) Lock(ctx context.Context, key string, until time.Time) error {
	if key == "" {
		return errors.New("throttle lock: empty key")
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO throttle_locks (key, locked_until) VALUES (?, ?)
		ON CONFLICT (key) DO UPDATE SET locked_until = max(locked_until, excluded.locked_until)`,
		key, micros(until)); err != nil {
		return fmt.Errorf("throttle lock: %w", err)
	}
	return nil
}

// LockedUntil returns when key's lock ends, or the zero time when it is not locked at now.
func (s *Store) LockedUntil(ctx context.Context, key string, now time.Time) (time.Time, error) {
	var until int64
	err := s.r.QueryRowContext(ctx, `SELECT locked_until FROM throttle_locks WHERE key = ? AND locked_until > ?`,
		key, micros(now)).Scan(&until)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("throttle locked until: %w", err)
	}
	return fromMicros(until), nil
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
	err = s.writeTx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{
			`DELETE FROM throttle_events WHERE key IN (SELECT value FROM json_each(?))`,
			`DELETE FROM throttle_locks WHERE key IN (SELECT value FROM json_each(?))`,
		} {
			if _, err := tx.ExecContext(ctx, q, l); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("clear throttles: %w", err)
	}
	return nil
}
