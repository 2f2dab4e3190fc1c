package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sspr/sspr/internal/store"
)

// throttleLockSpace is the first key of the two-key advisory locks Hit takes ("sspr"); the second
// is a hash of the throttle key. Two-key locks never clash with the one-key locks of migrations
// and syncs.
const throttleLockSpace int32 = 0x7373_7072

// keyHash is the second advisory lock key of a throttle key. Two keys with the same hash only
// take turns needlessly.
func keyHash(key string) int32 {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int32(h.Sum32())
}

// Hit records an event for key at `at` and counts the key's events at or after since, in one
// batch: one round trip, one implicit transaction. The transaction first takes an advisory lock
// on the key, so concurrent hits on one key, from any instance, take turns and each sees the
// ones before it (under READ COMMITTED each statement sees what was committed when it started):
// they get different counts.
func (s *Store) Hit(ctx context.Context, key string, at, since time.Time) (int, error) {
	if key == "" {
		return 0, errors.New("throttle hit: empty key")
	}
	var n int
	b := &pgx.Batch{}
	b.Queue(`SELECT pg_advisory_xact_lock($1, $2)`, throttleLockSpace, keyHash(key))
	// The count's snapshot is taken after the lock: it sees every hit committed before; the
	// row this statement inserts it does not see, so that one is counted from ins.
	b.Queue(`WITH ins AS (INSERT INTO throttle_events (key, at) VALUES ($1, $2) RETURNING at)
		SELECT (SELECT count(*) FROM throttle_events WHERE key = $1 AND at >= $3) + (SELECT count(*) FROM ins WHERE at >= $3)`,
		key, ts(at), ts(since)).QueryRow(func(row pgx.Row) error {
		return row.Scan(&n)
	})
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return 0, fmt.Errorf("throttle hit: %w", withCtx(ctx, err))
	}
	return n, nil
}

// HitUnlessLocked is Hit in the same one round trip, unless key or one of alsoLocked is locked
// at `at`: then the event is not inserted and the latest lock's end is returned with a count of 0.
func (s *Store) HitUnlessLocked(ctx context.Context, key string, at, since time.Time, alsoLocked ...string) (int, time.Time, error) {
	b := &pgx.Batch{}
	res, err := queueHitUnlessLocked(b, key, at, since, alsoLocked)
	if err != nil {
		return 0, time.Time{}, err
	}
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return 0, time.Time{}, fmt.Errorf("throttle hit: %w", withCtx(ctx, err))
	}
	n, until := res()
	return n, until, nil
}

// ReadStart is HitUnlessLocked with the user of upn and the audit events asked for read in the
// same batch.
func (s *Store) ReadStart(ctx context.Context, upn, tkey string, at, since time.Time, audit *store.AuditFilter) (store.StartFacts, error) {
	b := &pgx.Batch{}
	res, err := queueHitUnlessLocked(b, tkey, at, since, nil)
	if err != nil {
		return store.StartFacts{}, err
	}
	var f store.StartFacts
	b.Queue(`SELECT `+userColumns+` FROM users WHERE upn_key = $1`, key(upn)).QueryRow(func(row pgx.Row) error {
		var err error
		if f.User, err = scanUser(row); errors.Is(err, pgx.ErrNoRows) {
			f.User, err = store.User{}, nil
		}
		return err
	})
	if audit != nil {
		q, args, inGo := auditQuery(*audit)
		b.Queue(q, args...).Query(func(rows pgx.Rows) error {
			return listAudit(ctx, rows, *audit, inGo, func(e store.AuditEvent) error {
				f.Audit = append(f.Audit, e)
				return nil
			})
		})
	}
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return store.StartFacts{}, fmt.Errorf("read start of %q: %w", upn, withCtx(ctx, err))
	}
	f.Hits, f.LockedUntil = res()
	return f, nil
}

// queueHitUnlessLocked queues HitUnlessLocked's statements on b; res reads their result once b
// has run.
func queueHitUnlessLocked(b *pgx.Batch, key string, at, since time.Time, alsoLocked []string) (res func() (int, time.Time), err error) {
	if key == "" {
		return nil, errors.New("throttle hit: empty key")
	}
	var (
		n     int
		until *time.Time
	)
	b.Queue(`SELECT pg_advisory_xact_lock($1, $2)`, throttleLockSpace, keyHash(key))
	keys := append([]string{key}, alsoLocked...)
	// After the lock, one statement: the locks, the event inserted unless locked, and the count
	// (whose snapshot, taken after the lock, sees every hit committed before; + the row inserted
	// here, which the statement does not see).
	b.Queue(`WITH l AS (SELECT max(locked_until) AS until FROM throttle_locks WHERE key = ANY($4) AND locked_until > $2),
		ins AS (INSERT INTO throttle_events (key, at) SELECT $1, $2 FROM l WHERE l.until IS NULL RETURNING at)
		SELECT (SELECT until FROM l), (SELECT count(*) FROM throttle_events WHERE key = $1 AND at >= $3) + (SELECT count(*) FROM ins WHERE at >= $3)`,
		key, ts(at), ts(since), keys).QueryRow(func(row pgx.Row) error {
		return row.Scan(&until, &n)
	})
	return func() (int, time.Time) {
		if until != nil {
			return 0, until.UTC()
		}
		return n, time.Time{}
	}, nil
}

// LockedUntilAny returns the latest end of the locks of keys at now (zero when none), in one
// statement.
func (s *Store) LockedUntilAny(ctx context.Context, now time.Time, keys ...string) (time.Time, error) {
	if len(keys) == 0 {
		return time.Time{}, nil
	}
	var until *time.Time
	if err := s.pool.QueryRow(ctx, `SELECT max(locked_until) FROM throttle_locks WHERE key = ANY($1) AND locked_until > $2`,
		keys, ts(now)).Scan(&until); err != nil {
		return time.Time{}, fmt.Errorf("throttle locked until: %w", withCtx(ctx, err))
	}
	if until == nil {
		return time.Time{}, nil
	}
	return until.UTC(), nil
}

// CountEvents returns how many events key has at or after since.
func (s *Store) CountEvents(ctx context.Context, key string, since time.Time) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM throttle_events WHERE key = $1 AND at >= $2`,
		key, ts(since)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count throttle events: %w", withCtx(ctx, err))
	}
	return n, nil
}

// Lock locks key until `until`, or leaves a lock that ends later as it is.
func (s *Store) Lock(ctx context.Context, key string, until time.Time) error {
	if key == "" {
		return errors.New("throttle lock: empty key")
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO throttle_locks (key, locked_until) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET locked_until = greatest(throttle_locks.locked_until, excluded.locked_until)`,
		key, ts(until)); err != nil {
		return fmt.Errorf("throttle lock: %w", withCtx(ctx, err))
	}
	return nil
}

// Locked calls fn for every key with the prefix locked at now, in key order.
func (s *Store) Locked(ctx context.Context, prefix string, now time.Time, fn func(key string, until time.Time) error) error {
	rows, err := s.pool.Query(ctx, `SELECT key, locked_until FROM throttle_locks
		WHERE locked_until > $1 AND starts_with(key, $2) ORDER BY key COLLATE "C"`, ts(now), prefix)
	if err != nil {
		return fmt.Errorf("throttle locks: %w", withCtx(ctx, err))
	}
	defer rows.Close()
	for rows.Next() {
		var key string
		var until time.Time
		if err := rows.Scan(&key, &until); err != nil {
			return fmt.Errorf("throttle locks: %w", err)
		}
		if err := fn(key, until.UTC()); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("throttle locks: %w", withCtx(ctx, err))
	}
	return nil
}

// LockedUntil returns when key's lock ends, or the zero time when it is not locked at now.
func (s *Store) LockedUntil(ctx context.Context, key string, now time.Time) (time.Time, error) {
	var until time.Time
	err := s.pool.QueryRow(ctx, `SELECT locked_until FROM throttle_locks WHERE key = $1 AND locked_until > $2`,
		key, ts(now)).Scan(&until)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("throttle locked until: %w", withCtx(ctx, err))
	}
	return until.UTC(), nil
}

// ClearThrottles removes the events and locks of these keys, in one batch (one round trip, one
// implicit transaction).
func (s *Store) ClearThrottles(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	b.Queue(`DELETE FROM throttle_events WHERE key = ANY($1)`, keys)
	b.Queue(`DELETE FROM throttle_locks WHERE key = ANY($1)`, keys)
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("clear throttles: %w", withCtx(ctx, err))
	}
	return nil
}
