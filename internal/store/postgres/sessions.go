package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/sspr/sspr/internal/store"
)

const sessionColumns = `id, kind, coalesce(user_id::text, ''), state, created_at, expires_at, version`

func scanSession(row pgx.Row) (store.Session, error) {
	var s store.Session
	if err := row.Scan(&s.ID, &s.Kind, &s.UserID, &s.State, &s.CreatedAt, &s.ExpiresAt, &s.Version); err != nil {
		return store.Session{}, err
	}
	if len(s.State) == 0 {
		s.State = nil
	}
	s.CreatedAt, s.ExpiresAt = s.CreatedAt.UTC(), s.ExpiresAt.UTC()
	return s, nil
}

// CreateSession stores s at Version 1 (CreatedAt now when zero) and sets s's Version and
// CreatedAt. ErrConflict when the ID is taken, ErrNotFound when s.UserID names no user.
func (s *Store) CreateSession(ctx context.Context, ses *store.Session) error {
	if err := ses.CheckNew(); err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	uid, err := optionalUserID(ses.UserID)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	created := s.orNow(ses.CreatedAt)
	tag, err := s.pool.Exec(ctx, `INSERT INTO sessions (id, kind, user_id, state, created_at, expires_at, version)
		VALUES ($1, $2, $3, $4, $5, $6, 1) ON CONFLICT (id) DO NOTHING`,
		ses.ID, ses.Kind, uid, bytes0(ses.State), created, ts(ses.ExpiresAt))
	switch {
	case isForeignKeyViolation(err):
		return fmt.Errorf("create session: user %s: %w", ses.UserID, store.ErrNotFound)
	case err != nil:
		return fmt.Errorf("create session: %w", withCtx(ctx, err))
	case tag.RowsAffected() == 0:
		return fmt.Errorf("create session: id taken: %w", store.ErrConflict)
	}
	ses.Version, ses.CreatedAt, ses.ExpiresAt = 1, created, ts(ses.ExpiresAt)
	return nil
}

// Session returns the session if it has not expired at now (ExpiresAt after now).
func (s *Store) Session(ctx context.Context, id string, now time.Time) (store.Session, error) {
	ses, err := scanSession(s.pool.QueryRow(ctx,
		`SELECT `+sessionColumns+` FROM sessions WHERE id = $1 AND expires_at > $2`, id, ts(now)))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Session{}, fmt.Errorf("session: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.Session{}, fmt.Errorf("session: %w", withCtx(ctx, err))
	}
	return ses, nil
}

const qUpdateSession = `UPDATE sessions SET state = $1, expires_at = $2, version = version + 1
	WHERE id = $3 AND version = $4 RETURNING version`

// UpdateSession writes s.State and s.ExpiresAt when the stored version is s.Version, and sets
// s.Version to the new one. The other fields are left as created.
func (s *Store) UpdateSession(ctx context.Context, ses *store.Session) error {
	if ses.ExpiresAt.IsZero() {
		return errors.New("update session: no expiry")
	}
	var version int64
	err := s.pool.QueryRow(ctx, qUpdateSession, bytes0(ses.State), ts(ses.ExpiresAt), ses.ID, ses.Version).Scan(&version)
	if errors.Is(err, pgx.ErrNoRows) {
		return s.notUpdated(ctx, ses)
	}
	if err != nil {
		return fmt.Errorf("update session: %w", withCtx(ctx, err))
	}
	ses.Version, ses.ExpiresAt = version, ts(ses.ExpiresAt)
	return nil
}

// notUpdated is the error of an update of ses that matched no row: ErrNotFound or
// ErrVersionMismatch.
func (s *Store) notUpdated(ctx context.Context, ses *store.Session) error {
	var stored int64
	switch err := s.pool.QueryRow(ctx, `SELECT version FROM sessions WHERE id = $1`, ses.ID).Scan(&stored); {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("update session: %w", store.ErrNotFound)
	case err != nil:
		return fmt.Errorf("update session: %w", withCtx(ctx, err))
	default:
		return fmt.Errorf("update session: stored version %d, given %d: %w", stored, ses.Version, store.ErrVersionMismatch)
	}
}

// DeleteSession removes the session and its codes. ErrNotFound when there is none.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE id = $1`, id)
	return oneRow(ctx, tag, err, "delete session")
}

// DeleteExpired removes, in one transaction, the sessions and codes expired at before (ExpiresAt
// at or before it), the throttle events older than before and the locks that ended by then.
func (s *Store) DeleteExpired(ctx context.Context, before time.Time) error {
	b := ts(before)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, q := range []string{
			`DELETE FROM codes WHERE expires_at <= $1`,
			`DELETE FROM sessions WHERE expires_at <= $1`,
			`DELETE FROM throttle_events WHERE at < $1`,
			`DELETE FROM throttle_locks WHERE locked_until <= $1`,
		} {
			if _, err := tx.Exec(ctx, q, b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete expired: %w", withCtx(ctx, err))
	}
	return nil
}

const codeColumns = `id, session_id, coalesce(user_id::text, ''), purpose, destination, mac, attempts, max_attempts,
	created_at, expires_at, used_at`

func scanCode(row pgx.Row) (store.Code, error) {
	var c store.Code
	if err := row.Scan(&c.ID, &c.SessionID, &c.UserID, &c.Purpose, &c.Destination, &c.MAC, &c.Attempts,
		&c.MaxAttempts, &c.CreatedAt, &c.ExpiresAt, &c.UsedAt); err != nil {
		return store.Code{}, err
	}
	c.CreatedAt, c.ExpiresAt, c.UsedAt = c.CreatedAt.UTC(), c.ExpiresAt.UTC(), utcOrNil(c.UsedAt)
	return c, nil
}

// CreateCode stores c, unused with no attempt counted (a new ID when c.ID is "", CreatedAt now
// when zero), after retiring, in the same transaction, every unused code of the same session and
// purpose: those count no attempt and cannot be consumed any more. The transaction locks the
// session's row, so CreateCode calls on one session take turns. It sets c's ID, CreatedAt,
// Attempts and UsedAt. ErrNotFound when the session or user does not exist.
func (s *Store) CreateCode(ctx context.Context, c *store.Code) error {
	// One batch: one round trip, one implicit transaction. The insert reads the session row it
	// locked: no session, no code.
	b := &pgx.Batch{}
	b.Queue(`SELECT 1 FROM sessions WHERE id = $1 FOR UPDATE`, c.SessionID)
	done, err := s.queueCode(b, c, "")
	if err != nil {
		return fmt.Errorf("create code: %w", err)
	}
	if err := codeErr(ctx, c, s.pool.SendBatch(ctx, b).Close()); err != nil {
		return err
	}
	done()
	return nil
}

// queueCode queues on b the statements that retire the earlier live codes of c's session and
// purpose and store c, read from its session's row (no session, no code); with ifWritten, only
// when this transaction wrote that session (else nothing and no error). done sets c's stored
// fields once b has run without error.
func (s *Store) queueCode(b *pgx.Batch, c *store.Code, ifWritten string) (done func(), err error) {
	if err := c.CheckNew(); err != nil {
		return nil, err
	}
	uid, err := optionalUserID(c.UserID)
	if err != nil {
		return nil, fmt.Errorf("code %s: %w", c.Purpose, err)
	}
	id := c.ID
	if id == "" {
		id = uuid.Must(uuid.NewV7()).String()
	}
	created := s.orNow(c.CreatedAt)
	cond := ""
	if ifWritten != "" {
		cond = " AND xmin = pg_current_xact_id()::xid"
	}
	b.Queue(`UPDATE codes SET retired_at = $1
		WHERE session_id = $2 AND purpose = $3 AND used_at IS NULL AND retired_at IS NULL
		AND EXISTS (SELECT 1 FROM sessions WHERE id = $2`+cond+`)`,
		created, c.SessionID, c.Purpose)
	b.Queue(`INSERT INTO codes (id, session_id, user_id, purpose, destination, mac, attempts,
		max_attempts, created_at, expires_at) SELECT $1, id, $3, $4, $5, $6, 0, $7, $8, $9 FROM sessions WHERE id = $2`+cond+`
		RETURNING true`,
		id, c.SessionID, uid, c.Purpose, c.Destination, c.MAC, c.MaxAttempts, created, ts(c.ExpiresAt)).QueryRow(func(row pgx.Row) error {
		var inserted bool
		err := row.Scan(&inserted)
		if errors.Is(err, pgx.ErrNoRows) {
			if ifWritten != "" {
				return nil // the session was not saved: WriteStep reports it
			}
			return fmt.Errorf("session: %w", store.ErrNotFound)
		}
		return err
	})
	return func() { c.ID, c.CreatedAt, c.ExpiresAt, c.Attempts, c.UsedAt = id, created, ts(c.ExpiresAt), 0, nil }, nil
}

// codeErr names the error of a batch that stored c.
func codeErr(ctx context.Context, c *store.Code, err error) error {
	switch {
	case err == nil:
		return nil
	case isUniqueViolation(err):
		return fmt.Errorf("create code %s: id taken: %w", c.Purpose, store.ErrConflict)
	case isForeignKeyViolation(err):
		return fmt.Errorf("create code %s: user %s: %w", c.Purpose, c.UserID, store.ErrNotFound)
	default:
		return fmt.Errorf("create code %s: %w", c.Purpose, withCtx(ctx, err))
	}
}

// ActiveCode returns the session's live (unused, not retired) code for purpose if it has not
// expired at now, whether or not it has tries left.
func (s *Store) ActiveCode(ctx context.Context, sessionID, purpose string, now time.Time) (store.Code, error) {
	c, err := scanCode(s.pool.QueryRow(ctx, `SELECT `+codeColumns+` FROM codes
		WHERE session_id = $1 AND purpose = $2 AND used_at IS NULL AND retired_at IS NULL AND expires_at > $3
		ORDER BY created_at DESC LIMIT 1`, sessionID, purpose, ts(now)))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Code{}, fmt.Errorf("active code %s: %w", purpose, store.ErrNotFound)
	}
	if err != nil {
		return store.Code{}, fmt.Errorf("active code %s: %w", purpose, withCtx(ctx, err))
	}
	return c, nil
}

// CountAttempt adds one to the attempts of a live code unexpired at now with tries left, in one
// statement, and returns the code as updated. Concurrent calls on one code queue on its row, and
// each re-checks the condition on the row the previous one left, so no more than MaxAttempts
// succeed. ErrExhausted otherwise; a code that no longer exists (pruned, or its session deleted)
// gives an error that matches both ErrExhausted and ErrNotFound.
func (s *Store) CountAttempt(ctx context.Context, id string, now time.Time) (store.Code, error) {
	c, err := scanCode(s.pool.QueryRow(ctx, `UPDATE codes SET attempts = attempts + 1
		WHERE id = $1 AND used_at IS NULL AND retired_at IS NULL AND expires_at > $2 AND attempts < max_attempts
		RETURNING `+codeColumns, id, ts(now)))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Code{}, s.exhausted(ctx, "count attempt", id)
	}
	if err != nil {
		return store.Code{}, fmt.Errorf("count attempt: %w", withCtx(ctx, err))
	}
	return c, nil
}

// ConsumeCode marks a live code used, once. ErrExhausted when it was used or retired already;
// a code that no longer exists gives an error matching ErrExhausted and ErrNotFound.
func (s *Store) ConsumeCode(ctx context.Context, id string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND retired_at IS NULL`,
		ts(at), id)
	if err != nil {
		return fmt.Errorf("consume code: %w", withCtx(ctx, err))
	}
	if tag.RowsAffected() == 0 {
		return s.exhausted(ctx, "consume code", id)
	}
	return nil
}

// exhausted is the error of a statement on code id that changed nothing.
func (s *Store) exhausted(ctx context.Context, op, id string) error {
	var one int
	switch err := s.pool.QueryRow(ctx, `SELECT 1 FROM codes WHERE id = $1`, id).Scan(&one); {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("%s: no such code: %w (%w)", op, store.ErrExhausted, store.ErrNotFound)
	case err != nil:
		return fmt.Errorf("%s: %w (%w)", op, store.ErrExhausted, withCtx(ctx, err))
	}
	return fmt.Errorf("%s: used, retired, expired or out of tries: %w", op, store.ErrExhausted)
}
