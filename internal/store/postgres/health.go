package postgres

import (
	"context"
	"fmt"
	"time"
)

// healthKey is the throttle_locks row Ping writes: a lock that ended long ago locks nothing.
const healthKey = "health:ping"

// Ping writes a row and reads it back.
func (s *Store) Ping(ctx context.Context, now time.Time) error {
	if _, err := s.pool.Exec(ctx, `INSERT INTO throttle_locks (key, locked_until) VALUES ($1, 'epoch')
		ON CONFLICT (key) DO UPDATE SET locked_until = 'epoch'`, healthKey); err != nil {
		return fmt.Errorf("ping: write: %w", withCtx(ctx, err))
	}
	var until time.Time
	if err := s.pool.QueryRow(ctx, `SELECT locked_until FROM throttle_locks WHERE key = $1`, healthKey).Scan(&until); err != nil {
		return fmt.Errorf("ping: read: %w", withCtx(ctx, err))
	}
	return nil
}

// OutboxBacklog counts the queued messages and finds the oldest.
func (s *Store) OutboxBacklog(ctx context.Context) (int, time.Time, error) {
	var n int
	var oldest *time.Time
	if err := s.pool.QueryRow(ctx, `SELECT count(*), min(created_at) FROM outbox_messages WHERE status = 'queued'`).Scan(&n, &oldest); err != nil {
		return 0, time.Time{}, fmt.Errorf("outbox backlog: %w", withCtx(ctx, err))
	}
	if oldest == nil {
		return n, time.Time{}, nil
	}
	return n, oldest.UTC(), nil
}
