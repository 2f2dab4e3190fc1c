package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sspr/sspr/internal/store"
)

// HitUnlessLocked is Hit, in the same transaction on the single writer, unless key or one of
// alsoLocked is locked at `at`: then nothing is recorded and the latest lock's end is returned
// with a count of 0.
func (s *Store) HitUnlessLocked(ctx context.Context, key string, at, since time.Time, alsoLocked ...string) (int, time.Time, error) {
	if key == "" {
		return 0, time.Time{}, errors.New("throttle hit: empty key")
	}
	keys, err := encodeList(append([]string{key}, alsoLocked...))
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("throttle hit: %w", err)
	}
	a := micros(at)
	args := countArgs(key, since)
	var (
		n     int
		until sql.NullInt64
	)
	err = s.wr.writeMany(ctx, func(c wconn) error {
		n, until = 0, sql.NullInt64{}
		if err := c.row(`SELECT max(locked_until) FROM throttle_locks
			WHERE key IN (SELECT value FROM json_each(?)) AND locked_until > ?`, keys, a).Scan(&until); err != nil {
			return err
		}
		if until.Valid {
			return nil
		}
		return hit(c, key, a, args, &n)
	})
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("throttle hit: %w", err)
	}
	if until.Valid {
		return 0, fromMicros(until.Int64), nil
	}
	return n, time.Time{}, nil
}

// ReadStart is HitUnlessLocked, then UserByUPN (a zero User when nobody has upn) and, when
// audit is not nil, ListAudit.
func (s *Store) ReadStart(ctx context.Context, upn, key string, at, since time.Time, audit *store.AuditFilter) (store.StartFacts, error) {
	var f store.StartFacts
	var err error
	if f.Hits, f.LockedUntil, err = s.HitUnlessLocked(ctx, key, at, since); err != nil {
		return store.StartFacts{}, err
	}
	if f.User, err = s.UserByUPN(ctx, upn); errors.Is(err, store.ErrNotFound) {
		f.User, err = store.User{}, nil
	}
	if err != nil {
		return store.StartFacts{}, err
	}
	if audit != nil {
		if err := s.ListAudit(ctx, *audit, func(e store.AuditEvent) error {
			f.Audit = append(f.Audit, e)
			return nil
		}); err != nil {
			return store.StartFacts{}, err
		}
	}
	return f, nil
}

// LockedUntilAny returns the latest end of the locks of keys at now (zero when none), in one
// statement.
func (s *Store) LockedUntilAny(ctx context.Context, now time.Time, keys ...string) (time.Time, error) {
	if len(keys) == 0 {
		return time.Time{}, nil
	}
	l, err := encodeList(keys)
	if err != nil {
		return time.Time{}, fmt.Errorf("throttle locked until: %w", err)
	}
	var until sql.NullInt64
	if err := s.readRow(ctx, `SELECT max(locked_until) FROM throttle_locks
		WHERE key IN (SELECT value FROM json_each(?)) AND locked_until > ?`, l, micros(now)).Scan(&until); err != nil {
		return time.Time{}, fmt.Errorf("throttle locked until: %w", err)
	}
	if !until.Valid {
		return time.Time{}, nil
	}
	return fromMicros(until.Int64), nil
}

// WriteStep does w's writes in one transaction on the single writer, all or nothing.
func (s *Store) WriteStep(ctx context.Context, w store.StepWrite) error {
	if err := w.Check(); err != nil {
		return fmt.Errorf("write step: %w", err)
	}
	ses := w.CreateSession
	var created time.Time
	if ses != nil {
		created = s.orNow(ses.CreatedAt)
	}
	var clear string
	if len(w.ClearThrottles) > 0 {
		l, err := encodeList(w.ClearThrottles)
		if err != nil {
			return fmt.Errorf("write step: %w", err)
		}
		clear = l
	}
	rows := make([]auditRow, len(w.Audit))
	for i, e := range w.Audit {
		a, err := s.auditArgs(e)
		if err != nil {
			return fmt.Errorf("write step: %w", err)
		}
		rows[i] = a
	}
	var code codeInsert
	if w.IssueCode != nil {
		c, err := s.newCode(w.IssueCode)
		if err != nil {
			return fmt.Errorf("write step: issue code: %w", err)
		}
		code = c
	}
	msgs := make([]messageInsert, len(w.Enqueue))
	for i, m := range w.Enqueue {
		mi, err := s.newMessage(m)
		if err != nil {
			return fmt.Errorf("write step: enqueue: %w", err)
		}
		msgs[i] = mi
	}
	links := make([]link, len(rows))
	var version int64
	err := s.wr.writeMany(ctx, func(c wconn) error {
		if w.UpdateSession != nil {
			v, err := updateSession(c, w.UpdateSession)
			if err != nil {
				return err
			}
			version = v
		}
		if ses != nil {
			if _, err := c.exec(`INSERT INTO sessions (`+sessionColumns+`) VALUES (?, ?, ?, ?, ?, ?, 1)`,
				ses.ID, ses.Kind, nullString(ses.UserID), blob(ses.State), micros(created), micros(ses.ExpiresAt)); err != nil {
				return err
			}
		}
		if w.DeleteSession != "" {
			if _, err := c.exec(`DELETE FROM sessions WHERE id = ?`, w.DeleteSession); err != nil {
				return err
			}
		}
		if clear != "" {
			if err := clearKeys(c, clear); err != nil {
				return err
			}
		}
		if code.c != nil {
			if err := code.insert(c); err != nil {
				return err
			}
		}
		for _, mi := range msgs {
			if err := mi.insert(c); err != nil {
				return err
			}
		}
		for i, a := range rows {
			l, err := a.insert(c, s.auditKey)
			if err != nil {
				return err
			}
			links[i] = l
		}
		return nil
	})
	switch {
	case ses != nil && isUniqueViolation(err):
		return fmt.Errorf("write step: create session: id taken: %w", store.ErrConflict)
	case ses != nil && isForeignKeyViolation(err):
		return fmt.Errorf("write step: create session: user %s: %w", ses.UserID, store.ErrNotFound)
	case w.IssueCode != nil && err != nil && (isUniqueViolation(err) || isForeignKeyViolation(err)):
		return fmt.Errorf("write step: %w", codeErr(w.IssueCode, err))
	case err != nil:
		return fmt.Errorf("write step: %w", err)
	}
	if ses != nil {
		ses.Version, ses.CreatedAt, ses.ExpiresAt = 1, created, asStored(ses.ExpiresAt)
	}
	if u := w.UpdateSession; u != nil {
		u.Version, u.ExpiresAt = version, asStored(u.ExpiresAt)
	}
	if code.c != nil {
		code.done()
	}
	for _, mi := range msgs {
		mi.done()
	}
	for i, e := range w.Audit {
		links[i].set(e, rows[i].at)
	}
	return nil
}

// SessionUser reads the session, then its user.
func (s *Store) SessionUser(ctx context.Context, id string, now time.Time) (store.Session, store.User, error) {
	ses, err := s.Session(ctx, id, now)
	if err != nil || ses.UserID == "" {
		return ses, store.User{}, err
	}
	u, err := scanUser(s.readRow(ctx, qUserByID, ses.UserID))
	if errors.Is(err, sql.ErrNoRows) {
		return ses, store.User{}, nil
	}
	if err != nil {
		return store.Session{}, store.User{}, fmt.Errorf("session: user: %w", err)
	}
	return ses, u, nil
}

// CountActiveAttempt is ActiveCode, then CountAttempt (SQLite has no round trips to save).
func (s *Store) CountActiveAttempt(ctx context.Context, sessionID, purpose string, now time.Time) (store.Code, error) {
	c, err := s.ActiveCode(ctx, sessionID, purpose, now)
	if err != nil {
		return store.Code{}, err
	}
	c, err = s.CountAttempt(ctx, c.ID, now)
	if errors.Is(err, store.ErrExhausted) {
		// Out of tries, or consumed or gone since: never ErrNotFound here.
		return store.Code{}, fmt.Errorf("count attempt %s: %w", purpose, store.ErrExhausted)
	}
	return c, err
}
