package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/sspr/sspr/internal/store"
)

// Update runs fn in one transaction (READ COMMITTED, beside any SyncTx: the version check of
// UpdateUser and PutUser keeps either from undoing the other). It commits when fn returns nil
// and returns the commit's error; otherwise it rolls back and returns fn's error.
func (s *Store) Update(ctx context.Context, fn func(store.UsersTx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("update: begin: %w", withCtx(ctx, err))
	}
	x := &usersTx{s: s, tx: tx}
	defer func() {
		if !x.done {
			x.done = true
			tx.Rollback(context.Background())
		}
	}()
	if err := fn(x); err != nil {
		return err
	}
	if err := x.audit.insert(ctx, s, tx); err != nil {
		return fmt.Errorf("update: %w", err)
	}
	x.done = true
	if err := tx.Commit(context.Background()); err != nil {
		return fmt.Errorf("update: commit: %w", err)
	}
	return nil
}

// usersTx is the UsersTx of Update. ErrConflict, ErrNotFound and ErrVersionMismatch are found
// without an error on the server, so the transaction goes on after them; any other error from
// the server aborts it (PostgreSQL), and the commit then fails.
type usersTx struct {
	s     *Store
	tx    pgx.Tx
	done  bool
	audit pendingAudit // appended at the commit
}

var _ store.UsersTx = (*usersTx)(nil)

func (x *usersTx) usable() error {
	if x.done {
		return errTxDone
	}
	return nil
}

// UserByUPN finds a user by userPrincipalName, case-insensitively, as the transaction sees it.
func (x *usersTx) UserByUPN(ctx context.Context, upn string) (store.User, error) {
	return x.user(ctx, fmt.Sprintf("user %q", upn), qUserByUPN, key(upn))
}

// UserByID finds a user by ID, as the transaction sees it.
func (x *usersTx) UserByID(ctx context.Context, id string) (store.User, error) {
	uid, err := parseUserID(id)
	if err != nil {
		return store.User{}, err
	}
	return x.user(ctx, "user "+id, qUserByID, uid)
}

func (x *usersTx) user(ctx context.Context, what, q string, arg any) (store.User, error) {
	if err := x.usable(); err != nil {
		return store.User{}, fmt.Errorf("%s: %w", what, err)
	}
	u, err := scanUser(x.tx.QueryRow(ctx, q, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.User{}, fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	if err != nil {
		return store.User{}, fmt.Errorf("%s: %w", what, withCtx(ctx, err))
	}
	return u, nil
}

// CreateUser inserts u with u.ID, or a new ID when it is "", at Version 1. A taken
// userPrincipalName, anchor or ID is ErrConflict (ON CONFLICT DO NOTHING: no server error).
func (x *usersTx) CreateUser(ctx context.Context, u *store.User) error {
	if err := x.usable(); err != nil {
		return fmt.Errorf("create user: %w", err)
	}
	id, args, err := userArgs(u)
	if err != nil {
		return fmt.Errorf("create user %q: %w", u.UserPrincipalName, err)
	}
	now := ts(x.s.now())
	tag, err := x.tx.Exec(ctx, qInsertUser, insertArgs(u, args, now)...)
	if err != nil {
		return fmt.Errorf("create user %q: %w", u.UserPrincipalName, withCtx(ctx, err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("create user %q: userPrincipalName, anchor or id taken by another user: %w",
			u.UserPrincipalName, store.ErrConflict)
	}
	u.ID, u.Version, u.CreatedAt, u.UpdatedAt = id.String(), 1, now, now
	return nil
}

// UpdateUser replaces the user u.ID when its stored version is u.Version, and writes the new
// Version and UpdatedAt to u, with the stored security questions' count and date, which it keeps.
func (x *usersTx) UpdateUser(ctx context.Context, u *store.User) error {
	if err := x.usable(); err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	if u.ID == "" {
		return fmt.Errorf("update user %q: no id: %w", u.UserPrincipalName, store.ErrNotFound)
	}
	id, args, err := userArgs(u)
	if err != nil {
		return fmt.Errorf("update user %q: %w", u.UserPrincipalName, err)
	}
	version := u.Version
	if version == 0 {
		version = -1 // matches no stored version
	}
	now := ts(x.s.now())
	r, err := updateUser(ctx, x.tx, u, id, args, version, now, func(err error) error { return withCtx(ctx, err) })
	if err != nil {
		return fmt.Errorf("update user %q: %w", u.UserPrincipalName, err)
	}
	u.Version, u.CreatedAt, u.UpdatedAt = r.version, r.created, now
	u.SecurityQuestionsCount, u.SecurityQuestionsRegisteredAt = r.sqCount, r.sqAt
	return nil
}

// DeleteUser removes the user; foreign keys remove its answers, sessions and codes.
func (x *usersTx) DeleteUser(ctx context.Context, id string) error {
	if err := x.usable(); err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	uid, err := parseUserID(id)
	if err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	tag, err := x.tx.Exec(ctx, qDeleteByID, uid)
	return oneRow(ctx, tag, err, "delete user "+id)
}

// ClearSecurityAnswers removes the user's answers, with the questions' count and date, in the
// transaction.
func (x *usersTx) ClearSecurityAnswers(ctx context.Context, userID string) error {
	if err := x.usable(); err != nil {
		return fmt.Errorf("clear security answers: %w", err)
	}
	uid, err := parseUserID(userID)
	if err != nil {
		return fmt.Errorf("clear security answers: %w", err)
	}
	tag, err := x.tx.Exec(ctx, `UPDATE users SET security_questions_count = 0, security_questions_registered_at = NULL WHERE id = $1`, uid)
	if err := oneRow(ctx, tag, err, "clear security answers of "+userID); err != nil {
		return err
	}
	if _, err := x.tx.Exec(ctx, `DELETE FROM security_answers WHERE user_id = $1`, uid); err != nil {
		return fmt.Errorf("clear security answers of %s: %w", userID, withCtx(ctx, err))
	}
	return nil
}

// AppendAudit records e in the transaction: it is kept only if the transaction commits. It is
// inserted, and e.ID, e.Seq and e.Hash set, just before the commit (see pendingAudit).
func (x *usersTx) AppendAudit(ctx context.Context, e *store.AuditEvent) error {
	if err := x.usable(); err != nil {
		return fmt.Errorf("append audit: %w", err)
	}
	if err := x.audit.add(x.s, e); err != nil {
		return fmt.Errorf("append audit: %w", err)
	}
	return nil
}
