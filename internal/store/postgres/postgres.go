package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sspr/sspr/internal/audit"
	"github.com/sspr/sspr/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Advisory lock keys ("sspr" and a number), shared by every sspr instance on the database.
const (
	migrateLockKey int64 = 0x7373_7072_0001 // session lock while migrating
	syncLockKey    int64 = 0x7373_7072_0002 // transaction lock held by a SyncTx
)

// Store is the PostgreSQL implementation of store.Store. It is safe for concurrent use, and
// several sspr instances may share one database.
type Store struct {
	pool *pgxpool.Pool
	now  func() time.Time
	// auditKey keys the audit chain; auditInner and auditOuter are its HMAC pads (SetAuditKey).
	auditKey, auditInner, auditOuter []byte
}

var _ store.Store = (*Store)(nil)

// Option changes how Open connects.
type Option func(*pgxpool.Config)

// WithTracer has t see every statement and batch the store sends (a pgx.QueryTracer that may
// also be a pgx.BatchTracer): the tests count round trips per step with it.
func WithTracer(t pgx.QueryTracer) Option {
	return func(c *pgxpool.Config) { c.ConnConfig.Tracer = t }
}

// Open connects to the database named by dsn (a postgres:// URL or key=value string, as
// libpq takes) and applies the embedded migrations it lacks.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	for _, o := range opts {
		o(cfg)
	}
	// A cancelled context cancels the statement on the server (a waiting pg_advisory_xact_lock
	// included) and keeps the connection, instead of cutting the connection and leaving the
	// server to find out later.
	cfg.ConnConfig.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: 10 * time.Second}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &Store{pool: pool, now: time.Now}
	s.SetAuditKey(audit.Unkeyed)
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return s, nil
}

// Close closes every connection.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// migrate applies, in file-name order and each in its own transaction, the migrations that
// schema_migrations does not list, holding an advisory lock so that instances starting together
// take turns.
func (s *Store) migrate(ctx context.Context) (err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrateLockKey); err != nil {
		conn.Release()
		return fmt.Errorf("migrate: lock: %w", withCtx(ctx, err))
	}
	defer func() {
		if _, uerr := conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, migrateLockKey); uerr != nil {
			// Closing the session releases its locks.
			conn.Hijack().Close(context.Background())
			return
		}
		conn.Release()
	}()

	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer     NOT NULL PRIMARY KEY,
		name       text        NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	sort.Strings(files)
	for _, f := range files {
		name := strings.TrimPrefix(f, "migrations/")
		v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migrate: %s: file name must start with a version number", name)
		}
		body, err := migrations.ReadFile(f)
		if err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
		if err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			var applied bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, v).Scan(&applied); err != nil || applied {
				return err
			}
			if _, err := tx.Exec(ctx, string(body)); err != nil { // no arguments: simple protocol, several statements
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, v, name)
			return err
		}); err != nil {
			return fmt.Errorf("migrate %s: %w", name, withCtx(ctx, err))
		}
	}
	return nil
}

// withCtx makes an error that ctx's end caused match context.Canceled or DeadlineExceeded
// (the server reports a cancelled statement as its own error).
func withCtx(ctx context.Context, err error) error {
	if ce := ctx.Err(); ce != nil && !errors.Is(err, ce) {
		return fmt.Errorf("%w: %w", ce, err)
	}
	return err
}

func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// ts is the stored form of a time: PostgreSQL keeps microseconds.
func ts(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func isForeignKeyViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23503"
}

// userID parses a user ID; one that is not a UUID names no user: ErrNotFound.
func parseUserID(id string) (uuid.UUID, error) {
	u, err := uuid.Parse(id)
	if err != nil {
		return uuid.UUID{}, fmt.Errorf("user %q: %w", id, store.ErrNotFound)
	}
	return u, nil
}

// optionalUserID is the stored form of an optional user reference: NULL when id is "".
func optionalUserID(id string) (*uuid.UUID, error) {
	if id == "" {
		return nil, nil
	}
	u, err := parseUserID(id)
	return &u, err
}

// tsOrNil is the stored form of an optional time.
func tsOrNil(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := ts(*t)
	return &v
}

// utcOrNil returns an optional time read from the database in UTC.
func utcOrNil(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC()
	return &v
}

// orNow is t, or now when t is zero, as the store keeps it.
func (s *Store) orNow(t time.Time) time.Time {
	if t.IsZero() {
		t = s.now()
	}
	return ts(t)
}

// bytes0 is a bytea NOT NULL value: never NULL.
func bytes0(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// oneRow turns the outcome of a statement that changes one row by key into an error: ErrNotFound
// when it changed none.
func oneRow(ctx context.Context, tag pgconn.CommandTag, err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, withCtx(ctx, err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%s: %w", what, store.ErrNotFound)
	}
	return nil
}
