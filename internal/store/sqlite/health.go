package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// healthKey is the throttle_locks row Ping writes: a lock that ended long ago locks nothing.
const healthKey = "health:ping"

// Ping writes a row and reads it back.
func (s *Store) Ping(ctx context.Context, now time.Time) error {
	err := s.wr.write(ctx, func(c wconn) error {
		_, err := c.exec(`INSERT INTO throttle_locks (key, locked_until) VALUES (?, 0)
			ON CONFLICT (key) DO UPDATE SET locked_until = 0`, healthKey)
		return err
	})
	if err != nil {
		return fmt.Errorf("ping: write: %w", err)
	}
	var until int64
	if err := s.readRow(ctx, `SELECT locked_until FROM throttle_locks WHERE key = ?`, healthKey).Scan(&until); err != nil {
		return fmt.Errorf("ping: read: %w", err)
	}
	return nil
}

// OutboxBacklog counts the queued messages and finds the oldest.
func (s *Store) OutboxBacklog(ctx context.Context) (int, time.Time, error) {
	var n int
	var oldest sql.NullInt64
	if err := s.readRow(ctx, `SELECT count(*), min(created_at) FROM outbox_messages WHERE status = 'queued'`).Scan(&n, &oldest); err != nil {
		return 0, time.Time{}, fmt.Errorf("outbox backlog: %w", err)
	}
	if !oldest.Valid {
		return n, time.Time{}, nil
	}
	return n, fromMicros(oldest.Int64), nil
}
