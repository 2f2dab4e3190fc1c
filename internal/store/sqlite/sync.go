package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sspr/sspr/internal/store"
)

const (
	qInsertUser = `INSERT INTO users (id, source, anchor, dn, user_principal_name, upn_key,
	display_name, display_name_key,
	mobile_phone_raw, mobile_phone_number, mobile_phone_type, mobile_phone_problem,
	office_phone_raw, office_phone_number, office_phone_type, office_phone_problem,
	alternate_emails, account_enabled, privileged, authentication_phone, authentication_email,
	directory_fields, directory_mobile_phone, mobile_phone_overridden, fingerprint,
	security_questions_count, security_questions_registered_at, version, created_at, updated_at,
	password_expires_at, preferred_language)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

	// qUpdateUser's parameters are those of qInsertUser, in the same order; the version parameter
	// is the version the caller read (0: any, -1: none). It leaves the security questions'
	// count and date alone (?26, ?27 unused): SetSecurityAnswers alone writes them, without
	// changing the version, so a writer holding an older copy of the user must not undo them.
	qUpdateUser = `UPDATE users SET source = ?2, anchor = ?3, dn = ?4, user_principal_name = ?5, upn_key = ?6,
	display_name = ?7, display_name_key = ?8,
	mobile_phone_raw = ?9, mobile_phone_number = ?10, mobile_phone_type = ?11, mobile_phone_problem = ?12,
	office_phone_raw = ?13, office_phone_number = ?14, office_phone_type = ?15, office_phone_problem = ?16,
	alternate_emails = ?17, account_enabled = ?18, privileged = ?19, authentication_phone = ?20, authentication_email = ?21,
	directory_fields = ?22, directory_mobile_phone = ?23, mobile_phone_overridden = ?24, fingerprint = ?25,
	password_expires_at = ?31, preferred_language = ?32, version = version + 1, updated_at = ?30
	WHERE id = ?1 AND (?28 = 0 OR version = ?28)
	RETURNING version, created_at, security_questions_count, security_questions_registered_at`

	qUserByAnchor   = `SELECT ` + userColumns + ` FROM users WHERE anchor = ?`
	qDeleteByAnchor = `DELETE FROM users WHERE anchor = ?`
	// qFingerprints reads the covering index users_fingerprints (migration 0011), never the
	// table: a few MB instead of every user's page.
	qFingerprints      = `SELECT anchor, fingerprint FROM users INDEXED BY users_fingerprints WHERE source = 'directory'`
	qSetSyncState      = `INSERT INTO sync_state (key, watermark, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET watermark = excluded.watermark, updated_at = excluded.updated_at`
	qVersionByID       = `SELECT version FROM users WHERE id = ?`
	qUserByID          = `SELECT ` + userColumns + ` FROM users WHERE id = ?`
	qUserByUPN         = `SELECT ` + userColumns + ` FROM users WHERE upn_key = ?`
	qDeleteByID        = `DELETE FROM users WHERE id = ?`
	beginRetryInterval = 50 * time.Millisecond

	qCacheSize    = `PRAGMA cache_size`
	qSetCacheSize = `PRAGMA cache_size = %d`
	scanCacheKiB  = 2048
)

// BeginSync takes the writer connection (waiting while another SyncTx or write holds it) and
// starts a write transaction on it with BEGIN IMMEDIATE, waiting for another process's write
// lock until ctx is done.
//
// The SyncTx holds the only writer connection until Commit or Rollback: StartRun and FinishRun
// called in between wait for it, so record runs before BeginSync and after Commit/Rollback.
func (s *Store) BeginSync(ctx context.Context) (store.SyncTx, error) {
	t, err := s.beginWrite(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin sync: %w", err)
	}
	return t, nil
}

// beginWrite takes the writer connection (waiting, until ctx is done, while a group commit, a
// SyncTx or an Update has it) and runs BEGIN IMMEDIATE on it, retrying while another process holds
// the write lock, until ctx is done.
func (s *Store) beginWrite(ctx context.Context) (*syncTx, error) {
	w := s.wr
	if err := w.acquire(ctx); err != nil {
		return nil, err
	}
	conn, err := w.connection(ctx)
	if err != nil {
		w.release()
		return nil, err
	}
	for {
		_, err = conn.ExecContext(ctx, qBegin)
		if err == nil {
			break
		}
		if !isBusy(err) {
			if ctx.Err() == nil {
				w.discard()
			}
			w.release()
			return nil, err
		}
		select {
		case <-ctx.Done():
			w.release()
			return nil, ctx.Err()
		case <-time.After(beginRetryInterval):
		}
	}
	return &syncTx{s: s, w: w}, nil
}

// syncTx is a write transaction on the writer connection: a SyncTx, and under usersTx the
// transaction of Update. It is not safe for concurrent use.
type syncTx struct {
	s *Store
	w *writer // held until Commit or Rollback

	done bool
	// failed is the error after which SQLite may have undone the transaction itself (I/O error,
	// interrupted statement): from then on only Rollback is allowed.
	failed error
}

var _ store.SyncTx = (*syncTx)(nil)

var errTxDone = errors.New("transaction already committed or rolled back")

// usable reports why the transaction cannot take another statement.
func (t *syncTx) usable() error {
	if t.done {
		return errTxDone
	}
	if t.failed != nil {
		return fmt.Errorf("transaction aborted by an earlier error: %w", t.failed)
	}
	return nil
}

// short checks, before a one-row statement, that the transaction is usable and ctx is not done,
// and returns the context to run the statement with. A one-row statement takes microseconds, and
// the driver watches a cancellable context with a goroutine per statement (which would double the
// cost of PutUser), so it runs without one: ctx is honoured between statements, not during one.
func (t *syncTx) short(ctx context.Context) (context.Context, error) {
	if err := t.usable(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, t.fail(err)
	}
	return context.Background(), nil
}

// fail records err as fatal to the transaction unless SQLite undid only the statement
// (a constraint failure).
func (t *syncTx) fail(err error) error {
	if !isConstraint(err) {
		err = t.w.explain(err)
		t.failed = err
	}
	return err
}

// stmt returns q prepared on the writer connection (once for the life of the store).
func (t *syncTx) stmt(q string) (*sql.Stmt, error) {
	st, err := t.w.stmt(q)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", t.fail(err))
	}
	return st, nil
}

// Fingerprints calls fn for every directory user. fn must not call the SyncTx.
func (t *syncTx) Fingerprints(ctx context.Context, fn func(store.Fingerprint) error) error {
	if err := t.usable(); err != nil {
		return fmt.Errorf("fingerprints: %w", err)
	}
	restore, err := t.smallCache()
	if err != nil {
		return fmt.Errorf("fingerprints: %w", err)
	}
	defer restore()
	st, err := t.stmt(qFingerprints)
	if err != nil {
		return fmt.Errorf("fingerprints: %w", err)
	}
	rows, err := st.QueryContext(ctx)
	if err != nil {
		return fmt.Errorf("fingerprints: %w", t.fail(err))
	}
	defer rows.Close()
	var (
		anchor []byte
		fp     int64
	)
	for rows.Next() {
		if err := rows.Scan(&anchor, &fp); err != nil {
			return fmt.Errorf("fingerprints: %w", t.fail(err))
		}
		if err := fn(store.Fingerprint{Anchor: anchor, Fingerprint: uint64(fp)}); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("fingerprints: %w", t.fail(err))
		}
		anchor = nil // Scan copies into a new slice only when the destination is nil
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("fingerprints: %w", t.fail(err))
	}
	return nil
}

// smallCache shrinks the writer's page cache to scanCacheKiB for a scan that reads every page of
// the users table once, and returns the function that gives the cache its size back. A scan with
// the full cache would fill it (every page a fresh allocation of the SQLite allocator, which maps
// and unmaps memory page by page) and leave it full until the store closes, when freeing it costs
// as much again: at 100,000 users 0.9 CPU-seconds of a sync that changes nothing, against 0.2 with
// the small cache (the pages are reused). Writes after the scan grow the cache again as they need.
func (t *syncTx) smallCache() (restore func(), err error) {
	c, bg := t.w.conn, context.Background()
	var size int64
	if err := c.QueryRowContext(bg, qCacheSize).Scan(&size); err != nil {
		return nil, t.fail(err)
	}
	if _, err := c.ExecContext(bg, fmt.Sprintf(qSetCacheSize, -scanCacheKiB)); err != nil {
		return nil, t.fail(err)
	}
	return func() {
		if _, err := c.ExecContext(bg, fmt.Sprintf(qSetCacheSize, size)); err != nil {
			t.fail(err)
		}
	}, nil
}

// UserByAnchor returns the user with this anchor, as this transaction sees it.
func (t *syncTx) UserByAnchor(ctx context.Context, anchor []byte) (store.User, error) {
	ctx, err := t.short(ctx)
	if err != nil {
		return store.User{}, fmt.Errorf("user by anchor: %w", err)
	}
	if len(anchor) == 0 {
		return store.User{}, fmt.Errorf("user by anchor: empty anchor: %w", store.ErrNotFound)
	}
	st, err := t.stmt(qUserByAnchor)
	if err != nil {
		return store.User{}, fmt.Errorf("user by anchor: %w", err)
	}
	u, err := scanUser(st.QueryRowContext(ctx, anchor))
	if errors.Is(err, sql.ErrNoRows) {
		return store.User{}, fmt.Errorf("user by anchor %x: %w", anchor, store.ErrNotFound)
	}
	if err != nil {
		return store.User{}, fmt.Errorf("user by anchor %x: %w", anchor, t.fail(err))
	}
	return u, nil
}

// validate rejects a user the schema would not hold.
func validate(u *store.User) error {
	switch {
	case u.Source != store.SourceDirectory && u.Source != store.SourceCloud:
		return fmt.Errorf("invalid source %q", u.Source)
	case u.UserPrincipalName == "":
		return errors.New("empty userPrincipalName")
	case u.Source == store.SourceDirectory && len(u.Anchor) == 0:
		return errors.New("directory user without anchor")
	}
	return nil
}

// putMode says what a write of a user may do.
type putMode int

const (
	putAny    putMode = iota + 1 // SyncTx.PutUser: insert when u.ID == "", else update (Version 0: any)
	putCreate                    // UsersTx.CreateUser: insert, with u.ID when set
	putUpdate                    // UsersTx.UpdateUser: update; the version must match
)

// PutUser inserts (u.ID == "") or updates (by ID) a user and sets u's ID, Version and times.
// An update with u.Version != 0 applies only if the stored version is u.Version
// (ErrVersionMismatch otherwise). An update keeps the stored security questions' count and date
// (SetSecurityAnswers writes them) and writes them back to u.
func (t *syncTx) PutUser(ctx context.Context, u *store.User) error {
	return t.putUser(ctx, "put user", u, putAny)
}

// putUser writes u as mode says; op names the operation in errors.
func (t *syncTx) putUser(ctx context.Context, op string, u *store.User, mode putMode) error {
	ctx, err := t.short(ctx)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if err := validate(u); err != nil {
		return fmt.Errorf("%s %q: %w", op, u.UserPrincipalName, err)
	}
	emails, err := encodeList(u.AlternateEmails)
	if err != nil {
		return fmt.Errorf("%s %q: %w", op, u.UserPrincipalName, err)
	}
	flds, err := encodeList(u.DirectoryFields)
	if err != nil {
		return fmt.Errorf("%s %q: %w", op, u.UserPrincipalName, err)
	}
	var anchor any
	if len(u.Anchor) > 0 {
		anchor = u.Anchor
	}
	var sqAt any
	if u.SecurityQuestionsRegisteredAt != nil {
		sqAt = micros(*u.SecurityQuestionsRegisteredAt)
	}
	now := t.s.now().UTC().Truncate(time.Microsecond)
	insert := mode == putCreate || mode == putAny && u.ID == ""
	id, version := u.ID, u.Version
	switch {
	case insert:
		if id == "" {
			id = newID()
		}
		version = 1
	case id == "":
		return fmt.Errorf("%s %q: no id: %w", op, u.UserPrincipalName, store.ErrNotFound)
	case mode == putUpdate && version == 0:
		version = -1 // matches no stored version
	}
	args := [...]any{id, string(u.Source), anchor, u.DN, u.UserPrincipalName, key(u.UserPrincipalName),
		u.DisplayName, key(u.DisplayName),
		u.MobilePhone.Raw, u.MobilePhone.Number, u.MobilePhone.Type, u.MobilePhone.Problem,
		u.OfficePhone.Raw, u.OfficePhone.Number, u.OfficePhone.Type, u.OfficePhone.Problem,
		emails, u.AccountEnabled, u.Privileged, u.AuthenticationPhone, u.AuthenticationEmail,
		flds, u.DirectoryMobilePhone, u.MobilePhoneOverridden, int64(u.Fingerprint),
		u.SecurityQuestionsCount, sqAt, version, micros(now), micros(now), microsOrNil(u.PasswordExpiresAt),
		u.PreferredLanguage}

	if insert {
		st, err := t.stmt(qInsertUser)
		if err != nil {
			return fmt.Errorf("%s %q: %w", op, u.UserPrincipalName, err)
		}
		if _, err := st.ExecContext(ctx, args[:]...); err != nil {
			return t.putError(op, u, err)
		}
		u.ID, u.Version, u.CreatedAt, u.UpdatedAt = id, 1, now, now
		return nil
	}
	st, err := t.stmt(qUpdateUser)
	if err != nil {
		return fmt.Errorf("%s %q: %w", op, u.UserPrincipalName, err)
	}
	var (
		created int64
		sqCount int
		sqAtNew sql.NullInt64
	)
	err = st.QueryRowContext(ctx, args[:]...).Scan(&version, &created, &sqCount, &sqAtNew)
	if errors.Is(err, sql.ErrNoRows) {
		var stored int64
		st, err := t.stmt(qVersionByID)
		if err != nil {
			return fmt.Errorf("%s %q: %w", op, u.UserPrincipalName, err)
		}
		switch err := st.QueryRowContext(ctx, id).Scan(&stored); {
		case errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("%s %q: id %s: %w", op, u.UserPrincipalName, id, store.ErrNotFound)
		case err != nil:
			return fmt.Errorf("%s %q: %w", op, u.UserPrincipalName, t.fail(err))
		default:
			return fmt.Errorf("%s %q: stored version %d, given %d: %w",
				op, u.UserPrincipalName, stored, u.Version, store.ErrVersionMismatch)
		}
	}
	if err != nil {
		return t.putError(op, u, err)
	}
	u.Version, u.CreatedAt, u.UpdatedAt = version, fromMicros(created), now
	u.SecurityQuestionsCount, u.SecurityQuestionsRegisteredAt = sqCount, timeOrNil(sqAtNew)
	return nil
}

func (t *syncTx) putError(op string, u *store.User, err error) error {
	if isUniqueViolation(err) {
		return fmt.Errorf("%s %q: userPrincipalName or anchor taken by another user: %w",
			op, u.UserPrincipalName, store.ErrConflict)
	}
	return fmt.Errorf("%s %q: %w", op, u.UserPrincipalName, t.fail(err))
}

// DeleteUserByAnchor removes the user with this anchor (and, by foreign keys, what belongs to it).
func (t *syncTx) DeleteUserByAnchor(ctx context.Context, anchor []byte) error {
	ctx, err := t.short(ctx)
	if err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	if len(anchor) == 0 {
		return fmt.Errorf("delete user: empty anchor: %w", store.ErrNotFound)
	}
	st, err := t.stmt(qDeleteByAnchor)
	if err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	res, err := st.ExecContext(ctx, anchor)
	if err != nil {
		return fmt.Errorf("delete user %x: %w", anchor, t.fail(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete user %x: %w", anchor, t.fail(err))
	} else if n == 0 {
		return fmt.Errorf("delete user %x: %w", anchor, store.ErrNotFound)
	}
	return nil
}

// SetSyncState stores s under s.Key; a zero UpdatedAt means now.
func (t *syncTx) SetSyncState(ctx context.Context, s store.SyncState) error {
	ctx, err := t.short(ctx)
	if err != nil {
		return fmt.Errorf("set sync state: %w", err)
	}
	at := s.UpdatedAt
	if at.IsZero() {
		at = t.s.now()
	}
	st, err := t.stmt(qSetSyncState)
	if err != nil {
		return fmt.Errorf("set sync state: %w", err)
	}
	if _, err := st.ExecContext(ctx, s.Key, s.Watermark, micros(at)); err != nil {
		return fmt.Errorf("set sync state %q: %w", s.Key, t.fail(err))
	}
	return nil
}

// Commit makes the transaction's writes durable and visible. After a failed Commit nothing is kept.
func (t *syncTx) Commit() error {
	if err := t.usable(); err != nil {
		if !t.done {
			t.Rollback()
		}
		return fmt.Errorf("commit: %w", err)
	}
	if err := t.w.commit(true); err != nil {
		t.rollbackAndRelease()
		return fmt.Errorf("commit: %w", t.w.explain(err))
	}
	t.release(false)
	return nil
}

// Rollback undoes the transaction; after Commit or Rollback it does nothing and returns nil.
func (t *syncTx) Rollback() error {
	if t.done {
		return nil
	}
	return t.rollbackAndRelease()
}

func (t *syncTx) rollbackAndRelease() error {
	_, err := t.w.exec(qRollback)
	if err != nil && t.failed != nil {
		// SQLite may already have rolled back after the earlier failure ("no transaction is
		// active"): the connection is still sound only if it is in autocommit mode again, which
		// we cannot ask database/sql; discard it to be safe.
		t.release(true)
		return nil
	}
	if err != nil {
		t.release(true)
		return fmt.Errorf("rollback: %w", err)
	}
	t.release(false)
	return nil
}

// release gives the writer connection back, after discarding it when bad.
func (t *syncTx) release(bad bool) {
	t.done = true
	if bad {
		t.w.discard()
	}
	t.w.release()
}
