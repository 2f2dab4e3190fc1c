package postgres

import (
	"context"
	"errors"
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
	// An update's audit events are inserted only when the update wrote the row in this
	// transaction (the row's xmin is this transaction's ID): no session saved, no audit.
	upd := w.UpdateSession
	var (
		version int64
		updated bool
	)
	if upd != nil {
		b.Queue(qUpdateSession, bytes0(upd.State), ts(upd.ExpiresAt), upd.ID, upd.Version).QueryRow(func(row pgx.Row) error {
			err := row.Scan(&version)
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			updated = err == nil
			return err
		})
	}
	var done []func()
	if c := w.IssueCode; c != nil {
		d, err := s.queueCode(b, c, upd.ID)
		if err != nil {
			return fmt.Errorf("write step: issue code: %w", err)
		}
		done = append(done, d)
	}
	for _, m := range w.Enqueue {
		d, err := s.queueMessage(b, m, upd.ID)
		if err != nil {
			return fmt.Errorf("write step: enqueue: %w", err)
		}
		done = append(done, d)
	}
	ids := make([]int64, len(w.Audit))
	seqs := make([]int64, len(w.Audit))
	hashes := make([][]byte, len(w.Audit))
	for i, e := range w.Audit {
		args, err := s.auditArgs(e)
		if err != nil {
			return fmt.Errorf("write step: %w", err)
		}
		q := qInsertAudit
		if upd != nil {
			q, args = qInsertAuditIfUpdated, append(args, upd.ID)
		}
		b.Queue(q, args...).QueryRow(func(row pgx.Row) error {
			if err := row.Scan(&ids[i], &seqs[i], &hashes[i]); !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			return nil
		})
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
	case w.IssueCode != nil && err != nil:
		return fmt.Errorf("write step: %w", codeErr(ctx, w.IssueCode, err))
	case err != nil:
		return fmt.Errorf("write step: %w", withCtx(ctx, err))
	}
	if upd != nil {
		if !updated {
			return fmt.Errorf("write step: %w", s.notUpdated(ctx, upd))
		}
		upd.Version, upd.ExpiresAt = version, ts(upd.ExpiresAt)
		for _, d := range done {
			d()
		}
	}
	if ses != nil {
		ses.Version, ses.CreatedAt, ses.ExpiresAt = 1, created, ts(ses.ExpiresAt)
	}
	for i, e := range w.Audit {
		e.ID, e.Seq, e.Hash = ids[i], seqs[i], hashes[i]
	}
	return nil
}

// SessionUser reads the session and its user in one batch.
func (s *Store) SessionUser(ctx context.Context, id string, now time.Time) (store.Session, store.User, error) {
	var (
		ses   store.Session
		u     store.User
		found bool
	)
	b := &pgx.Batch{}
	b.Queue(`SELECT `+sessionColumns+` FROM sessions WHERE id = $1 AND expires_at > $2`, id, ts(now)).QueryRow(func(row pgx.Row) error {
		var err error
		ses, err = scanSession(row)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		found = err == nil
		return err
	})
	b.Queue(`SELECT `+userColumns+` FROM users WHERE id = (SELECT user_id FROM sessions WHERE id = $1 AND expires_at > $2)`,
		id, ts(now)).QueryRow(func(row pgx.Row) error {
		var err error
		u, err = scanUser(row)
		if errors.Is(err, pgx.ErrNoRows) {
			u = store.User{}
			return nil
		}
		return err
	})
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return store.Session{}, store.User{}, fmt.Errorf("session: %w", withCtx(ctx, err))
	}
	if !found {
		return store.Session{}, store.User{}, fmt.Errorf("session: %w", store.ErrNotFound)
	}
	if u.ID != ses.UserID {
		u = store.User{} // the session changed hands between the two statements: impossible, but never another's user
	}
	return ses, u, nil
}

// CountActiveAttempt counts the attempt in one batch: the update of the newest live code with
// tries left, then, read only when nothing was updated, whether a live code exists at all.
// Concurrent attempts on one code queue on its row and each re-checks the tries left, as in
// CountAttempt.
func (s *Store) CountActiveAttempt(ctx context.Context, sessionID, purpose string, now time.Time) (store.Code, error) {
	var (
		c       store.Code
		counted bool
		live    bool
	)
	b := &pgx.Batch{}
	b.Queue(`UPDATE codes SET attempts = attempts + 1
		WHERE id = (SELECT id FROM codes WHERE session_id = $1 AND purpose = $2 AND used_at IS NULL AND retired_at IS NULL
			AND expires_at > $3 ORDER BY created_at DESC LIMIT 1)
		AND used_at IS NULL AND retired_at IS NULL AND expires_at > $3 AND attempts < max_attempts
		RETURNING `+codeColumns, sessionID, purpose, ts(now)).QueryRow(func(row pgx.Row) error {
		var err error
		c, err = scanCode(row)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		counted = err == nil
		return err
	})
	b.Queue(`SELECT EXISTS (SELECT 1 FROM codes WHERE session_id = $1 AND purpose = $2 AND used_at IS NULL
		AND retired_at IS NULL AND expires_at > $3)`, sessionID, purpose, ts(now)).QueryRow(func(row pgx.Row) error {
		return row.Scan(&live)
	})
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return store.Code{}, fmt.Errorf("count attempt %s: %w", purpose, withCtx(ctx, err))
	}
	switch {
	case counted:
		return c, nil
	case live:
		return store.Code{}, fmt.Errorf("count attempt %s: out of tries: %w", purpose, store.ErrExhausted)
	default:
		return store.Code{}, fmt.Errorf("count attempt %s: no live code: %w", purpose, store.ErrNotFound)
	}
}
