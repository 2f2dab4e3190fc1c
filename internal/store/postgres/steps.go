package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sspr/sspr/internal/store"
)

// WriteStep does w's writes in one batch: one round trip and one implicit transaction, which
// an error in any statement undoes entirely.
func (s *Store) WriteStep(ctx context.Context, w store.StepWrite) error {
	b := &pgx.Batch{}
	if err := w.Check(); err != nil {
		return fmt.Errorf("write step: %w", err)
	}
	ses := w.CreateSession
	var created time.Time
	if ses != nil {
		uid, err := optionalUserID(ses.UserID)
		if err != nil {
			return fmt.Errorf("write step: create session: %w", err)
		}
		created = s.orNow(ses.CreatedAt)
		// No ON CONFLICT: a taken ID fails the statement, and with it the whole step.
		b.Queue(`INSERT INTO sessions (id, kind, user_id, state, created_at, expires_at, version)
			VALUES ($1, $2, $3, $4, $5, $6, 1)`, ses.ID, ses.Kind, uid, bytes0(ses.State), created, ts(ses.ExpiresAt))
	}
	if w.DeleteSession != "" {
		b.Queue(`DELETE FROM sessions WHERE id = $1`, w.DeleteSession)
	}
	if len(w.ClearThrottles) > 0 {
		b.Queue(`DELETE FROM throttle_events WHERE key = ANY($1)`, w.ClearThrottles)
		b.Queue(`DELETE FROM throttle_locks WHERE key = ANY($1)`, w.ClearThrottles)
	}
	ids := make([]int64, len(w.Audit))
	times := make([]time.Time, len(w.Audit))
	for i, e := range w.Audit {
		details := e.Details
		if details == nil {
			details = map[string]string{}
		}
		times[i] = s.orNow(e.Time)
		b.Queue(qInsertAudit, times[i], e.Type, e.Actor, e.UserID, e.UserPrincipalName, key(e.UserPrincipalName),
			e.ClientIP, e.UserAgent, details).QueryRow(func(row pgx.Row) error { return row.Scan(&ids[i]) })
	}
	if b.Len() == 0 {
		return nil
	}
	err := s.pool.SendBatch(ctx, b).Close()
	switch {
	case ses != nil && isUniqueViolation(err):
		return fmt.Errorf("write step: create session: id taken: %w", store.ErrConflict)
	case ses != nil && isForeignKeyViolation(err):
		return fmt.Errorf("write step: create session: user %s: %w", ses.UserID, store.ErrNotFound)
	case err != nil:
		return fmt.Errorf("write step: %w", withCtx(ctx, err))
	}
	if ses != nil {
		ses.Version, ses.CreatedAt, ses.ExpiresAt = 1, created, ts(ses.ExpiresAt)
	}
	for i, e := range w.Audit {
		e.ID, e.Time = ids[i], times[i]
	}
	return nil
}
