package postgres

import (
	"context"
	"fmt"
	"time"
)

// ClaimReminder records the reminder (userID, expiresAt, threshold) as sent at at, unless it is
// recorded already: true when this call recorded it.
func (s *Store) ClaimReminder(ctx context.Context, userID string, expiresAt time.Time, threshold int, at time.Time) (bool, error) {
	uid, err := parseUserID(userID)
	if err != nil {
		return false, fmt.Errorf("claim reminder: %w", err)
	}
	tag, err := s.pool.Exec(ctx, `INSERT INTO password_reminders (user_id, expires_at, threshold, sent_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (user_id, expires_at, threshold) DO NOTHING`, uid, ts(expiresAt), threshold, ts(at))
	if err != nil {
		return false, fmt.Errorf("claim reminder: %w", withCtx(ctx, err))
	}
	return tag.RowsAffected() == 1, nil
}
