package sqlite

import (
	"context"
	"fmt"
	"time"
)

// ClaimReminder records the reminder (userID, expiresAt, threshold) as sent at at, unless it is
// recorded already: true when this call recorded it.
func (s *Store) ClaimReminder(ctx context.Context, userID string, expiresAt time.Time, threshold int, at time.Time) (bool, error) {
	var claimed bool
	err := s.wr.write(ctx, func(c wconn) error {
		res, err := c.exec(`INSERT INTO password_reminders (user_id, expires_at, threshold, sent_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (user_id, expires_at, threshold) DO NOTHING`, userID, micros(expiresAt), threshold, micros(at))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		claimed = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("claim reminder: %w", err)
	}
	return claimed, nil
}
