package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/sspr/sspr/internal/store"
)

// Update runs fn in one write transaction on the writer connection, begun like a SyncTx (BEGIN
// IMMEDIATE, retried while another process holds the write lock, until ctx is done). It commits
// when fn returns nil and returns the commit's error; otherwise it rolls back and returns fn's
// error. Like a SyncTx, it waits while a SyncTx holds the writer.
func (s *Store) Update(ctx context.Context, fn func(store.UsersTx) error) error {
	t, err := s.beginWrite(ctx)
	if err != nil {
		return fmt.Errorf("update: begin: %w", err)
	}
	defer t.Rollback()
	if err := fn(usersTx{t}); err != nil {
		return err
	}
	if err := t.Commit(); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	return nil
}

// usersTx is the UsersTx of Update: the same transaction type as a SyncTx, so users are written by
// the same code. After an error other than ErrConflict, ErrNotFound, ErrVersionMismatch or a
// refused value, only returning from fn is useful: Update then rolls back.
type usersTx struct{ t *syncTx }

var _ store.UsersTx = usersTx{}

// UserByUPN finds a user by userPrincipalName, case-insensitively, as the transaction sees it.
func (x usersTx) UserByUPN(ctx context.Context, upn string) (store.User, error) {
	return x.user(ctx, fmt.Sprintf("user %q", upn), qUserByUPN, key(upn))
}

// UserByID finds a user by ID, as the transaction sees it.
func (x usersTx) UserByID(ctx context.Context, id string) (store.User, error) {
	return x.user(ctx, "user "+id, qUserByID, id)
}

func (x usersTx) user(ctx context.Context, what, q string, arg any) (store.User, error) {
	ctx, err := x.t.short(ctx)
	if err != nil {
		return store.User{}, fmt.Errorf("%s: %w", what, err)
	}
	st, err := x.t.stmt(q)
	if err != nil {
		return store.User{}, fmt.Errorf("%s: %w", what, err)
	}
	u, err := scanUser(st.QueryRowContext(ctx, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return store.User{}, fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	if err != nil {
		return store.User{}, fmt.Errorf("%s: %w", what, x.t.fail(err))
	}
	return u, nil
}

// CreateUser inserts u with u.ID, or a new ID when it is "", at Version 1.
func (x usersTx) CreateUser(ctx context.Context, u *store.User) error {
	return x.t.putUser(ctx, "create user", u, putCreate)
}

// UpdateUser replaces the user u.ID when its stored version is u.Version, and writes the new
// Version and UpdatedAt to u, with the stored security questions' count and date, which it keeps.
func (x usersTx) UpdateUser(ctx context.Context, u *store.User) error {
	return x.t.putUser(ctx, "update user", u, putUpdate)
}

// DeleteUser removes the user; foreign keys remove its answers, sessions and codes.
func (x usersTx) DeleteUser(ctx context.Context, id string) error {
	ctx, err := x.t.short(ctx)
	if err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	st, err := x.t.stmt(qDeleteByID)
	if err != nil {
		return fmt.Errorf("delete user %s: %w", id, err)
	}
	res, err := st.ExecContext(ctx, id)
	if err != nil {
		return fmt.Errorf("delete user %s: %w", id, x.t.fail(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete user %s: %w", id, x.t.fail(err))
	} else if n == 0 {
		return fmt.Errorf("delete user %s: %w", id, store.ErrNotFound)
	}
	return nil
}

// ClearSecurityAnswers removes the user's answers, with the questions' count and date, in the
// transaction.
func (x usersTx) ClearSecurityAnswers(ctx context.Context, userID string) error {
	if _, err := x.t.short(ctx); err != nil {
		return fmt.Errorf("clear security answers: %w", err)
	}
	c := wconn{x.t.w}
	res, err := c.exec(`UPDATE users SET security_questions_count = 0, security_questions_registered_at = NULL WHERE id = ?`, userID)
	if err != nil {
		return fmt.Errorf("clear security answers of %s: %w", userID, x.t.fail(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("clear security answers of %s: %w", userID, x.t.fail(err))
	} else if n == 0 {
		return fmt.Errorf("clear security answers of %s: %w", userID, store.ErrNotFound)
	}
	if _, err := c.exec(`DELETE FROM security_answers WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("clear security answers of %s: %w", userID, x.t.fail(err))
	}
	return nil
}

// AppendAudit records e in the transaction: it is kept only if the transaction commits.
func (x usersTx) AppendAudit(ctx context.Context, e *store.AuditEvent) error {
	if _, err := x.t.short(ctx); err != nil {
		return fmt.Errorf("append audit: %w", err)
	}
	a, err := x.t.s.auditArgs(e)
	if err != nil {
		return fmt.Errorf("append audit: %w", err)
	}
	l, err := a.insert(wconn{x.t.w}, x.t.s.auditKey)
	if err != nil {
		return fmt.Errorf("append audit: %w", x.t.fail(err))
	}
	l.set(e, a.at)
	return nil
}

// AppendAudit records e in the sync's transaction: it is kept only if the transaction commits.
func (t *syncTx) AppendAudit(ctx context.Context, e *store.AuditEvent) error {
	if err := t.usable(); err != nil {
		return fmt.Errorf("append audit: %w", err)
	}
	return usersTx{t}.AppendAudit(ctx, e)
}
