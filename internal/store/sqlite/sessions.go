package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sspr/sspr/internal/store"
)

const sessionColumns = `id, kind, user_id, state, created_at, expires_at, version`

func scanSession(sc scanner) (store.Session, error) {
	var (
		s                store.Session
		userID           sql.NullString
		created, expires int64
	)
	if err := sc.Scan(&s.ID, &s.Kind, &userID, &s.State, &created, &expires, &s.Version); err != nil {
		return store.Session{}, err
	}
	if len(s.State) == 0 {
		s.State = nil
	}
	s.UserID, s.CreatedAt, s.ExpiresAt = userID.String, fromMicros(created), fromMicros(expires)
	return s, nil
}

// nullString is the stored form of an optional reference: NULL when s is "".
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// blob is a BLOB NOT NULL value: never NULL.
func blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// CreateSession stores s at Version 1 (CreatedAt now when zero) and sets s's Version and
// CreatedAt. ErrConflict when the ID is taken, ErrNotFound when s.UserID names no user.
func (s *Store) CreateSession(ctx context.Context, ses *store.Session) error {
	if err := ses.CheckNew(); err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	created := s.orNow(ses.CreatedAt)
	err := s.wr.write(ctx, func(c wconn) error {
		_, err := c.exec(`INSERT INTO sessions (`+sessionColumns+`) VALUES (?, ?, ?, ?, ?, ?, 1)`,
			ses.ID, ses.Kind, nullString(ses.UserID), blob(ses.State), micros(created), micros(ses.ExpiresAt))
		return err
	})
	switch {
	case isUniqueViolation(err):
		return fmt.Errorf("create session: id taken: %w", store.ErrConflict)
	case isForeignKeyViolation(err):
		return fmt.Errorf("create session: user %s: %w", ses.UserID, store.ErrNotFound)
	case err != nil:
		return fmt.Errorf("create session: %w", err)
	}
	ses.Version, ses.CreatedAt, ses.ExpiresAt = 1, created, asStored(ses.ExpiresAt)
	return nil
}

// Session returns the session if it has not expired at now (ExpiresAt after now).
func (s *Store) Session(ctx context.Context, id string, now time.Time) (store.Session, error) {
	ses, err := scanSession(s.readRow(ctx,
		`SELECT `+sessionColumns+` FROM sessions WHERE id = ? AND expires_at > ?`, id, micros(now)))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Session{}, fmt.Errorf("session: %w", store.ErrNotFound)
	}
	if err != nil {
		return store.Session{}, fmt.Errorf("session: %w", err)
	}
	return ses, nil
}

// UpdateSession writes s.State and s.ExpiresAt when the stored version is s.Version, and sets
// s.Version to the new one. The other fields are left as created.
func (s *Store) UpdateSession(ctx context.Context, ses *store.Session) error {
	if ses.ExpiresAt.IsZero() {
		return errors.New("update session: no expiry")
	}
	var version int64
	err := s.wr.write(ctx, func(c wconn) (err error) {
		version, err = updateSession(c, ses)
		return err
	})
	if err != nil {
		return fmt.Errorf("update session: %w", err)
	}
	ses.Version, ses.ExpiresAt = version, asStored(ses.ExpiresAt)
	return nil
}

// updateSession writes ses's State and ExpiresAt when its Version is the stored one, and returns
// the new version; ErrNotFound or ErrVersionMismatch otherwise, having changed nothing.
func updateSession(c wconn, ses *store.Session) (int64, error) {
	var version int64
	err := c.row(`UPDATE sessions SET state = ?, expires_at = ?, version = version + 1
		WHERE id = ? AND version = ? RETURNING version`,
		blob(ses.State), micros(ses.ExpiresAt), ses.ID, ses.Version).Scan(&version)
	if !errors.Is(err, sql.ErrNoRows) {
		return version, err
	}
	var stored int64
	switch err := c.row(`SELECT version FROM sessions WHERE id = ?`, ses.ID).Scan(&stored); {
	case errors.Is(err, sql.ErrNoRows):
		return 0, store.ErrNotFound
	case err != nil:
		return 0, err
	default:
		return 0, fmt.Errorf("stored version %d, given %d: %w", stored, ses.Version, store.ErrVersionMismatch)
	}
}

// DeleteSession removes the session and its codes. ErrNotFound when there is none.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	return s.writeOne(ctx, "delete session", `DELETE FROM sessions WHERE id = ?`, id)
}

// DeleteExpired removes, in one transaction, the sessions and codes expired at before (ExpiresAt
// at or before it), the throttle events older than before and the locks that ended by then.
func (s *Store) DeleteExpired(ctx context.Context, before time.Time) error {
	b := micros(before)
	err := s.wr.writeMany(ctx, func(c wconn) error {
		for _, q := range []string{
			`DELETE FROM codes WHERE expires_at <= ?`,
			`DELETE FROM sessions WHERE expires_at <= ?`,
			`DELETE FROM throttle_locks WHERE locked_until <= ?`,
		} {
			if _, err := c.exec(q, b); err != nil {
				return err
			}
		}
		return deleteEvents(c, b)
	})
	if err != nil {
		return fmt.Errorf("delete expired: %w", err)
	}
	return nil
}

const codeColumns = `id, session_id, user_id, purpose, destination, mac, attempts, max_attempts,
	created_at, expires_at, used_at`

func scanCode(sc scanner) (store.Code, error) {
	var (
		c                store.Code
		userID           sql.NullString
		created, expires int64
		used             sql.NullInt64
	)
	if err := sc.Scan(&c.ID, &c.SessionID, &userID, &c.Purpose, &c.Destination, &c.MAC, &c.Attempts,
		&c.MaxAttempts, &created, &expires, &used); err != nil {
		return store.Code{}, err
	}
	c.UserID, c.CreatedAt, c.ExpiresAt, c.UsedAt = userID.String, fromMicros(created), fromMicros(expires), timeOrNil(used)
	return c, nil
}

// CreateCode stores c, unused with no attempt counted (a new ID when c.ID is "", CreatedAt now
// when zero), after retiring, in the same transaction, every unused code of the same session and
// purpose: those count no attempt and cannot be consumed any more. It sets c's ID, CreatedAt,
// Attempts and UsedAt. ErrNotFound when the session or user does not exist.
func (s *Store) CreateCode(ctx context.Context, c *store.Code) error {
	ins, err := s.newCode(c)
	if err != nil {
		return fmt.Errorf("create code: %w", err)
	}
	if err := codeErr(c, s.wr.writeMany(ctx, ins.insert)); err != nil {
		return err
	}
	ins.done()
	return nil
}

// codeInsert stores a code: insert retires the earlier live codes of its session and purpose
// and inserts it; done sets the code's stored fields once the transaction has committed.
type codeInsert struct {
	c       *store.Code
	id      string
	created time.Time
}

func (s *Store) newCode(c *store.Code) (codeInsert, error) {
	if err := c.CheckNew(); err != nil {
		return codeInsert{}, err
	}
	id := c.ID
	if id == "" {
		id = newID()
	}
	return codeInsert{c: c, id: id, created: s.orNow(c.CreatedAt)}, nil
}

func (ci codeInsert) insert(w wconn) error {
	c := ci.c
	if _, err := w.exec(`UPDATE codes SET retired_at = ?
		WHERE session_id = ? AND purpose = ? AND used_at IS NULL AND retired_at IS NULL`,
		micros(ci.created), c.SessionID, c.Purpose); err != nil {
		return err
	}
	_, err := w.exec(`INSERT INTO codes (`+codeColumns+`) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, NULL)`,
		ci.id, c.SessionID, nullString(c.UserID), c.Purpose, c.Destination, c.MAC, c.MaxAttempts,
		micros(ci.created), micros(c.ExpiresAt))
	return err
}

func (ci codeInsert) done() {
	c := ci.c
	c.ID, c.CreatedAt, c.ExpiresAt, c.Attempts, c.UsedAt = ci.id, ci.created, asStored(c.ExpiresAt), 0, nil
}

// codeErr names the error of a transaction that stored c.
func codeErr(c *store.Code, err error) error {
	switch {
	case err == nil:
		return nil
	case isUniqueViolation(err):
		return fmt.Errorf("create code %s: id taken: %w", c.Purpose, store.ErrConflict)
	case isForeignKeyViolation(err):
		return fmt.Errorf("create code %s: session or user: %w", c.Purpose, store.ErrNotFound)
	default:
		return fmt.Errorf("create code %s: %w", c.Purpose, err)
	}
}

// ActiveCode returns the session's live (unused, not retired) code for purpose if it has not
// expired at now, whether or not it has tries left.
func (s *Store) ActiveCode(ctx context.Context, sessionID, purpose string, now time.Time) (store.Code, error) {
	c, err := scanCode(s.readRow(ctx, `SELECT `+codeColumns+` FROM codes
		WHERE session_id = ? AND purpose = ? AND used_at IS NULL AND retired_at IS NULL AND expires_at > ?
		ORDER BY created_at DESC LIMIT 1`, sessionID, purpose, micros(now)))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Code{}, fmt.Errorf("active code %s: %w", purpose, store.ErrNotFound)
	}
	if err != nil {
		return store.Code{}, fmt.Errorf("active code %s: %w", purpose, err)
	}
	return c, nil
}

// CountAttempt adds one to the attempts of a live code unexpired at now with tries left, in one
// statement (the single writer makes it atomic), and returns the code as updated. ErrExhausted
// otherwise; a code that no longer exists (pruned, or its session deleted) gives an error that
// matches both ErrExhausted and ErrNotFound.
func (s *Store) CountAttempt(ctx context.Context, id string, now time.Time) (store.Code, error) {
	var c store.Code
	err := s.wr.write(ctx, func(w wconn) (err error) {
		c, err = scanCode(w.row(`UPDATE codes SET attempts = attempts + 1
			WHERE id = ? AND used_at IS NULL AND retired_at IS NULL AND expires_at > ? AND attempts < max_attempts
			RETURNING `+codeColumns, id, micros(now)))
		if errors.Is(err, sql.ErrNoRows) {
			return exhausted(w, "count attempt", id)
		}
		return err
	})
	if errors.Is(err, store.ErrExhausted) {
		return store.Code{}, err
	}
	if err != nil {
		return store.Code{}, fmt.Errorf("count attempt: %w", err)
	}
	return c, nil
}

// ConsumeCode marks a live code used, once. ErrExhausted when it was used or retired already;
// a code that no longer exists gives an error matching ErrExhausted and ErrNotFound.
func (s *Store) ConsumeCode(ctx context.Context, id string, at time.Time) error {
	err := s.wr.write(ctx, func(w wconn) error {
		res, err := w.exec(`UPDATE codes SET used_at = ? WHERE id = ? AND used_at IS NULL AND retired_at IS NULL`,
			micros(at), id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 0 {
			return exhausted(w, "consume code", id)
		}
		return nil
	})
	if err != nil && !errors.Is(err, store.ErrExhausted) {
		return fmt.Errorf("consume code: %w", err)
	}
	return err
}

// exhausted is the error of a statement on code id that changed nothing, found in the same
// transaction.
func exhausted(w wconn, op, id string) error {
	var one int
	switch err := w.row(`SELECT 1 FROM codes WHERE id = ?`, id).Scan(&one); {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%s: no such code: %w (%w)", op, store.ErrExhausted, store.ErrNotFound)
	case err != nil:
		return fmt.Errorf("%s: %w (%w)", op, store.ErrExhausted, err)
	}
	return fmt.Errorf("%s: used, retired, expired or out of tries: %w", op, store.ErrExhausted)
}
