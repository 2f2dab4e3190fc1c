package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sspr/sspr/internal/store"
)

const (
	// qInsertUser does nothing when a unique value is taken: PutUser checks the values before it
	// queues an insert, so this only happens when a concurrent transaction took one.
	qInsertUser = `INSERT INTO users (id, source, anchor, dn, user_principal_name, upn_key,
	display_name, display_name_key,
	mobile_phone_raw, mobile_phone_number, mobile_phone_type, mobile_phone_problem,
	office_phone_raw, office_phone_number, office_phone_type, office_phone_problem,
	alternate_emails, account_enabled, privileged, authentication_phone, authentication_email,
	directory_fields, directory_mobile_phone, mobile_phone_overridden, fingerprint,
	password_expires_at, security_questions_count, security_questions_registered_at, version, created_at, updated_at,
	preferred_language)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
	$21, $22, $23, $24, $25, $26, $27, $28, 1, $29, $29, $30)
	ON CONFLICT DO NOTHING`

	// qUpdateUser updates nothing when the version differs ($27; 0: any, -1: none) or another user
	// has the userPrincipalName or anchor; the caller then finds out which. It leaves the security
	// questions' count and date alone (SetSecurityAnswers alone writes them, without changing the
	// version, so a writer holding an older copy of the user must not undo them) and returns them,
	// with the values it replaced for the taken-values sets.
	qUpdateUser = `WITH old AS (SELECT upn_key, anchor FROM users WHERE id = $1)
	UPDATE users SET source = $2, anchor = $3, dn = $4, user_principal_name = $5, upn_key = $6,
	display_name = $7, display_name_key = $8,
	mobile_phone_raw = $9, mobile_phone_number = $10, mobile_phone_type = $11, mobile_phone_problem = $12,
	office_phone_raw = $13, office_phone_number = $14, office_phone_type = $15, office_phone_problem = $16,
	alternate_emails = $17, account_enabled = $18, privileged = $19, authentication_phone = $20, authentication_email = $21,
	directory_fields = $22, directory_mobile_phone = $23, mobile_phone_overridden = $24, fingerprint = $25,
	password_expires_at = $26, preferred_language = $29, version = version + 1, updated_at = $28
	WHERE id = $1 AND ($27::bigint = 0 OR version = $27)
	AND NOT EXISTS (SELECT 1 FROM users o WHERE o.id <> $1 AND (o.upn_key = $6 OR o.anchor = $3))
	RETURNING version, created_at, security_questions_count, security_questions_registered_at,
	(SELECT upn_key FROM old), (SELECT anchor FROM old)`

	qUserByAnchor   = `SELECT ` + userColumns + ` FROM users WHERE anchor = $1`
	qDeleteByAnchor = `DELETE FROM users WHERE anchor = $1 RETURNING upn_key`
	qTakenValues    = `SELECT upn_key, anchor FROM users`
	qFingerprints   = `SELECT anchor, fingerprint FROM users WHERE source = 'directory'`
	qSetSyncState   = `INSERT INTO sync_state (key, watermark, updated_at) VALUES ($1, $2, $3)
	ON CONFLICT (key) DO UPDATE SET watermark = excluded.watermark, updated_at = excluded.updated_at`
	qVersionByID = `SELECT version FROM users WHERE id = $1`
	qUserByID    = `SELECT ` + userColumns + ` FROM users WHERE id = $1`
	qUserByUPN   = `SELECT ` + userColumns + ` FROM users WHERE upn_key = $1`
	qDeleteByID  = `DELETE FROM users WHERE id = $1`
)

// insertBatch is how many inserts PutUser queues before sending them in one round trip.
const insertBatch = 500

// BeginSync starts a transaction and takes the sync advisory lock in it, waiting (until ctx is
// done) while a SyncTx of this or another instance holds it. The lock ends with the transaction,
// or with the session if the process dies.
func (s *Store) BeginSync(ctx context.Context) (store.SyncTx, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin sync: %w", withCtx(ctx, err))
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, syncLockKey); err != nil {
		tx.Rollback(context.Background())
		return nil, fmt.Errorf("begin sync: lock: %w", withCtx(ctx, err))
	}
	return &syncTx{s: s, tx: tx}, nil
}

// syncTx is a transaction holding the sync lock. It is not safe for concurrent use. pgx prepares
// each statement once per connection and reuses it.
//
// Inserts are queued and sent insertBatch at a time in one round trip (a first sync is nearly all
// inserts). PutUser finds conflicts before queueing, in the sets of the userPrincipalName keys and
// anchors the transaction will leave, loaded at the first insert and kept up to date. Every other
// call sends the queue first, so the transaction always reads its own writes. A queued insert
// that fails anyway (a concurrent transaction took the value after the sets were loaded) aborts
// the SyncTx: the call that sent the queue, or Commit, returns the error.
type syncTx struct {
	s    *Store
	tx   pgx.Tx
	done bool
	// failed is the error that aborted the transaction on the server: from then on only Rollback
	// is allowed.
	failed error

	keys    map[string]struct{} // upn_key of every user; nil until the first insert
	anchors map[string]struct{} // anchor of every directory user
	batch   pgx.Batch
	queued  []string // userPrincipalName of each queued insert, for messages

	audit pendingAudit // appended at the commit
}

var _ store.SyncTx = (*syncTx)(nil)

var errTxDone = errors.New("sync transaction already committed or rolled back")

// usable reports why the transaction cannot take another statement.
func (t *syncTx) usable(ctx context.Context) error {
	if t.done {
		return errTxDone
	}
	if t.failed != nil {
		return fmt.Errorf("sync transaction aborted by an earlier error: %w", t.failed)
	}
	if err := ctx.Err(); err != nil {
		t.failed = err
		return err
	}
	return nil
}

// flush sends the queued inserts.
func (t *syncTx) flush(ctx context.Context) error {
	if len(t.queued) == 0 {
		return nil
	}
	br := t.tx.SendBatch(ctx, &t.batch)
	var err error
	for _, upn := range t.queued {
		var tag pgconn.CommandTag
		if tag, err = br.Exec(); err != nil {
			err = fmt.Errorf("queued insert of %q: %w", upn, err)
			break
		}
		if tag.RowsAffected() == 0 {
			// Not ErrConflict: the caller would take it for its own user's conflict.
			err = fmt.Errorf("queued insert of %q: userPrincipalName or anchor taken by a concurrent transaction", upn)
			break
		}
	}
	if cerr := br.Close(); err == nil && cerr != nil {
		err = cerr
	}
	t.batch = pgx.Batch{}
	t.queued = t.queued[:0]
	if err != nil {
		return t.fail(ctx, err)
	}
	return nil
}

// begin checks that the transaction is usable and sends the queued inserts.
func (t *syncTx) begin(ctx context.Context) error {
	if err := t.usable(ctx); err != nil {
		return err
	}
	return t.flush(ctx)
}

// loadTaken reads the taken userPrincipalName keys and anchors.
func (t *syncTx) loadTaken(ctx context.Context) error {
	rows, err := t.tx.Query(ctx, qTakenValues)
	if err != nil {
		return t.fail(ctx, err)
	}
	defer rows.Close()
	keys, anchors := map[string]struct{}{}, map[string]struct{}{}
	var (
		k string
		a []byte
	)
	for rows.Next() {
		if err := rows.Scan(&k, &a); err != nil {
			return t.fail(ctx, err)
		}
		keys[k] = struct{}{}
		if len(a) > 0 {
			anchors[string(a)] = struct{}{}
		}
	}
	if err := rows.Err(); err != nil {
		return t.fail(ctx, err)
	}
	t.keys, t.anchors = keys, anchors
	return nil
}

// fail records err, which PostgreSQL answered by aborting the transaction.
func (t *syncTx) fail(ctx context.Context, err error) error {
	err = withCtx(ctx, err)
	t.failed = err
	return err
}

// Fingerprints calls fn for every directory user. fn must not call the SyncTx: the rows hold
// its connection.
func (t *syncTx) Fingerprints(ctx context.Context, fn func(store.Fingerprint) error) error {
	if err := t.begin(ctx); err != nil {
		return fmt.Errorf("fingerprints: %w", err)
	}
	rows, err := t.tx.Query(ctx, qFingerprints)
	if err != nil {
		return fmt.Errorf("fingerprints: %w", t.fail(ctx, err))
	}
	defer rows.Close()
	var fp int64
	for rows.Next() {
		var anchor []byte
		if err := rows.Scan(&anchor, &fp); err != nil {
			rows.Close()
			return fmt.Errorf("fingerprints: %w", t.fail(ctx, err))
		}
		if err := fn(store.Fingerprint{Anchor: anchor, Fingerprint: uint64(fp)}); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			rows.Close()
			return fmt.Errorf("fingerprints: %w", t.fail(ctx, err))
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("fingerprints: %w", t.fail(ctx, err))
	}
	return nil
}

// UserByAnchor returns the user with this anchor, as this transaction sees it.
func (t *syncTx) UserByAnchor(ctx context.Context, anchor []byte) (store.User, error) {
	if err := t.begin(ctx); err != nil {
		return store.User{}, fmt.Errorf("user by anchor: %w", err)
	}
	if len(anchor) == 0 {
		return store.User{}, fmt.Errorf("user by anchor: empty anchor: %w", store.ErrNotFound)
	}
	u, err := scanUser(t.tx.QueryRow(ctx, qUserByAnchor, anchor))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.User{}, fmt.Errorf("user by anchor %x: %w", anchor, store.ErrNotFound)
	}
	if err != nil {
		return store.User{}, fmt.Errorf("user by anchor %x: %w", anchor, t.fail(ctx, err))
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

// userArgs validates u and returns its ID (u.ID, or a new one when it is "") and parameters $1 to
// $25 of qInsertUser and qUpdateUser. An ID that is not a UUID names no user: ErrNotFound.
func userArgs(u *store.User) (uuid.UUID, []any, error) {
	if err := validate(u); err != nil {
		return uuid.UUID{}, nil, err
	}
	var (
		id  uuid.UUID
		err error
	)
	if u.ID == "" {
		id, err = uuid.NewV7()
	} else if id, err = uuid.Parse(u.ID); err != nil {
		err = fmt.Errorf("id %q: %w", u.ID, store.ErrNotFound)
	}
	if err != nil {
		return uuid.UUID{}, nil, err
	}
	var anchor []byte
	if len(u.Anchor) > 0 {
		anchor = u.Anchor
	}
	// Room for the parameters that insertArgs or updateUser add.
	return id, append(make([]any, 0, 29), id, string(u.Source), anchor, u.DN, u.UserPrincipalName, key(u.UserPrincipalName),
		u.DisplayName, key(u.DisplayName),
		u.MobilePhone.Raw, u.MobilePhone.Number, u.MobilePhone.Type, u.MobilePhone.Problem,
		u.OfficePhone.Raw, u.OfficePhone.Number, u.OfficePhone.Type, u.OfficePhone.Problem,
		list(u.AlternateEmails), u.AccountEnabled, u.Privileged, u.AuthenticationPhone, u.AuthenticationEmail,
		list(u.DirectoryFields), u.DirectoryMobilePhone, u.MobilePhoneOverridden, int64(u.Fingerprint),
		tsOrNil(u.PasswordExpiresAt)), nil
}

// insertArgs completes userArgs's parameters for qInsertUser.
func insertArgs(u *store.User, args []any, now time.Time) []any {
	var sqAt *time.Time
	if u.SecurityQuestionsRegisteredAt != nil {
		at := ts(*u.SecurityQuestionsRegisteredAt)
		sqAt = &at
	}
	return append(args, u.SecurityQuestionsCount, sqAt, now, u.PreferredLanguage)
}

// updated is what qUpdateUser returns.
type updated struct {
	version   int64
	created   time.Time
	sqCount   int
	sqAt      *time.Time
	oldKey    string
	oldAnchor []byte
}

// updateUser runs qUpdateUser in tx with userArgs's parameters, version (0: any, -1: none) and
// now, and finds out why it changed nothing: ErrNotFound, ErrVersionMismatch or ErrConflict,
// none of which aborts the transaction. fail receives every server error (which does).
func updateUser(ctx context.Context, tx pgx.Tx, u *store.User, id uuid.UUID, args []any, version int64, now time.Time,
	fail func(error) error) (updated, error) {
	var r updated
	err := tx.QueryRow(ctx, qUpdateUser, append(args, version, now, u.PreferredLanguage)...).Scan(&r.version, &r.created, &r.sqCount, &r.sqAt, &r.oldKey, &r.oldAnchor)
	if errors.Is(err, pgx.ErrNoRows) {
		var stored int64
		switch err := tx.QueryRow(ctx, qVersionByID, id).Scan(&stored); {
		case errors.Is(err, pgx.ErrNoRows):
			return r, fmt.Errorf("id %s: %w", id, store.ErrNotFound)
		case err != nil:
			return r, fail(err)
		case version != 0 && stored != version:
			return r, fmt.Errorf("stored version %d, given %d: %w", stored, u.Version, store.ErrVersionMismatch)
		default:
			return r, fmt.Errorf("userPrincipalName or anchor taken by another user: %w", store.ErrConflict)
		}
	}
	if err != nil {
		err = fail(err)
		if isUniqueViolation(err) {
			return r, fmt.Errorf("userPrincipalName or anchor taken by a user another transaction is writing: %w (%w)",
				store.ErrConflict, err)
		}
		return r, err
	}
	r.created = r.created.UTC()
	if r.sqAt != nil {
		at := r.sqAt.UTC()
		r.sqAt = &at
	}
	return r, nil
}

// PutUser inserts (u.ID == "") or updates (by ID) a user and sets u's ID, Version and times.
// An update with u.Version != 0 applies only if the stored version is u.Version
// (ErrVersionMismatch otherwise). An update keeps the stored security questions' count and date
// (SetSecurityAnswers writes them) and writes them back to u.
//
// An insert is queued (see syncTx); an update is sent at once. A conflict is found without an
// error on the server, so the transaction goes on. Only a clash with a value that another
// transaction writes at the same moment (an administrator creating a user while the sync adds
// one with the same name) aborts the transaction: the sync fails and the next run does the work.
func (t *syncTx) PutUser(ctx context.Context, u *store.User) error {
	if err := t.usable(ctx); err != nil {
		return fmt.Errorf("put user: %w", err)
	}
	id, args, err := userArgs(u)
	if err != nil {
		return fmt.Errorf("put user %q: %w", u.UserPrincipalName, err)
	}
	now := ts(t.s.now())

	if u.ID == "" {
		if t.keys == nil {
			if err := t.begin(ctx); err != nil {
				return fmt.Errorf("put user %q: %w", u.UserPrincipalName, err)
			}
			if err := t.loadTaken(ctx); err != nil {
				return fmt.Errorf("put user %q: %w", u.UserPrincipalName, err)
			}
		}
		k := args[5].(string)
		anchor, _ := args[2].([]byte)
		_, upnTaken := t.keys[k]
		_, anchorTaken := t.anchors[string(anchor)]
		if upnTaken || anchor != nil && anchorTaken {
			return fmt.Errorf("put user %q: userPrincipalName or anchor taken by another user: %w",
				u.UserPrincipalName, store.ErrConflict)
		}
		// pgx encodes the arguments when it sends the batch: copy what the caller may reuse.
		args[2], args[16], args[21] = bytes.Clone(anchor), slices.Clone(list(u.AlternateEmails)), slices.Clone(list(u.DirectoryFields))
		t.batch.Queue(qInsertUser, insertArgs(u, args, now)...)
		t.queued = append(t.queued, u.UserPrincipalName)
		t.keys[k] = struct{}{}
		if anchor != nil {
			t.anchors[string(anchor)] = struct{}{}
		}
		if len(t.queued) >= insertBatch {
			if err := t.flush(ctx); err != nil {
				return fmt.Errorf("put user %q: %w", u.UserPrincipalName, err)
			}
		}
		u.ID, u.Version, u.CreatedAt, u.UpdatedAt = id.String(), 1, now, now
		return nil
	}

	if err := t.flush(ctx); err != nil {
		return fmt.Errorf("put user %q: %w", u.UserPrincipalName, err)
	}
	r, err := updateUser(ctx, t.tx, u, id, args, u.Version, now, func(err error) error { return t.fail(ctx, err) })
	if err != nil {
		return fmt.Errorf("put user %q: %w", u.UserPrincipalName, err)
	}
	if t.keys != nil {
		delete(t.keys, r.oldKey)
		delete(t.anchors, string(r.oldAnchor))
		t.keys[args[5].(string)] = struct{}{}
		if anchor, _ := args[2].([]byte); anchor != nil {
			t.anchors[string(anchor)] = struct{}{}
		}
	}
	u.Version, u.CreatedAt, u.UpdatedAt = r.version, r.created, now
	u.SecurityQuestionsCount, u.SecurityQuestionsRegisteredAt = r.sqCount, r.sqAt
	return nil
}

// DeleteUserByAnchor removes the user with this anchor (and, by foreign keys, what belongs to it).
func (t *syncTx) DeleteUserByAnchor(ctx context.Context, anchor []byte) error {
	if err := t.begin(ctx); err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	if len(anchor) == 0 {
		return fmt.Errorf("delete user: empty anchor: %w", store.ErrNotFound)
	}
	var k string
	err := t.tx.QueryRow(ctx, qDeleteByAnchor, anchor).Scan(&k)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("delete user %x: %w", anchor, store.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("delete user %x: %w", anchor, t.fail(ctx, err))
	}
	if t.keys != nil {
		delete(t.keys, k)
		delete(t.anchors, string(anchor))
	}
	return nil
}

// SetSyncState stores s under s.Key; a zero UpdatedAt means now.
func (t *syncTx) SetSyncState(ctx context.Context, s store.SyncState) error {
	if err := t.begin(ctx); err != nil {
		return fmt.Errorf("set sync state: %w", err)
	}
	at := s.UpdatedAt
	if at.IsZero() {
		at = t.s.now()
	}
	if _, err := t.tx.Exec(ctx, qSetSyncState, s.Key, s.Watermark, ts(at)); err != nil {
		return fmt.Errorf("set sync state %q: %w", s.Key, t.fail(ctx, err))
	}
	return nil
}

// AppendAudit records e in the transaction. It is inserted, and e.ID, e.Seq and e.Hash set, at
// the commit: the audit chain's head stays locked from the insert to the commit, which must not
// last the whole run (see pendingAudit).
func (t *syncTx) AppendAudit(ctx context.Context, e *store.AuditEvent) error {
	if err := t.usable(ctx); err != nil {
		return fmt.Errorf("append audit: %w", err)
	}
	if err := t.audit.add(t.s, e); err != nil {
		return fmt.Errorf("append audit: %w", err)
	}
	return nil
}

// Commit makes the transaction's writes durable and visible and releases the sync lock. After a
// failed Commit nothing is kept.
func (t *syncTx) Commit() error {
	if err := t.usable(context.Background()); err != nil {
		if !t.done {
			t.Rollback()
		}
		return fmt.Errorf("commit: %w", err)
	}
	if err := t.flush(context.Background()); err != nil {
		t.Rollback()
		return fmt.Errorf("commit: %w", err)
	}
	if err := t.audit.insert(context.Background(), t.s, t.tx); err != nil {
		t.Rollback()
		return fmt.Errorf("commit: %w", err)
	}
	t.done = true
	if err := t.tx.Commit(context.Background()); err != nil {
		t.tx.Rollback(context.Background())
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// Rollback undoes the transaction; after Commit or Rollback it does nothing and returns nil.
func (t *syncTx) Rollback() error {
	if t.done {
		return nil
	}
	t.done = true
	if err := t.tx.Rollback(context.Background()); err != nil && !errors.Is(err, pgx.ErrTxClosed) {
		return fmt.Errorf("rollback: %w", err)
	}
	return nil
}
