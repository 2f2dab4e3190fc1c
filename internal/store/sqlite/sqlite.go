package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/sspr/sspr/internal/audit"
	"github.com/sspr/sspr/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// busyTimeout is how long one statement waits for another process's lock before SQLITE_BUSY.
const busyTimeout = 10 * time.Second

// Store is the SQLite implementation of store.Store. It is safe for concurrent use.
type Store struct {
	w   *sql.DB   // the pool of the one writer connection, which wr keeps checked out
	wr  *writer   // the writer connection, its prepared statements and the queue of small writes
	r   *sql.DB   // readers (WAL: they never wait for the writer)
	rs  readStmts // statements prepared on the readers
	now func() time.Time
	// auditKey keys the audit chain (SetAuditKey; audit.Unkeyed until then).
	auditKey []byte
}

var _ store.Store = (*Store)(nil)

// Option changes how Open opens a store.
type Option func(*options)

type options struct {
	log       *slog.Logger
	mustExist bool
}

// WithLogger sends Open's warnings (store files that other users may read) to log instead of
// slog.Default().
func WithLogger(log *slog.Logger) Option {
	return func(o *options) {
		if log != nil {
			o.log = log
		}
	}
}

// MustExist makes Open fail, with an error that wraps fs.ErrNotExist, when the database file does
// not exist, instead of creating it and its folder: for commands that only read, so that a
// mistyped path does not leave an empty store behind. An existing database lacking migrations
// is still migrated.
func MustExist() Option {
	return func(o *options) { o.mustExist = true }
}

// Open opens (creating it if needed, unless MustExist) the SQLite database at path, a plain file
// path (the caller turns a store URL such as sqlite:///var/lib/sspr/sspr.db into
// /var/lib/sspr/sspr.db), and applies
// the embedded migrations that it lacks. A new database file is created 0600 (SQLite gives its
// -wal and -shm files the same mode), a missing folder 0700; existing store files that other users
// may read are reported as a warning. An I/O error says which file system failed, and whether it
// is full (then it wraps syscall.ENOSPC).
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	if path == "" || strings.ContainsAny(path, "?#") || strings.HasPrefix(path, "file:") || path == ":memory:" {
		return nil, fmt.Errorf("sqlite: open %q: want a plain file path", path)
	}
	o := options{log: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	s, err := open(ctx, path, o)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, explain(path, err))
	}
	return s, nil
}

func open(ctx context.Context, path string, o options) (*Store, error) {
	if o.mustExist {
		if _, err := os.Stat(path); err != nil {
			return nil, err
		}
	}
	if err := prepareFiles(path, o.log); err != nil {
		return nil, err
	}
	ms := strconv.FormatInt(busyTimeout.Milliseconds(), 10)
	w, err := sql.Open("sqlite", path+"?"+url.Values{
		"_pragma":       {"busy_timeout(" + ms + ")", "foreign_keys(1)", "cache_size(-32768)", "journal_size_limit(67108864)"},
		"_txlock":       {"immediate"},
		"_journal_mode": {"WAL"},
		"_synchronous":  {"NORMAL"},
	}.Encode())
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &Store{w: w, now: time.Now, auditKey: audit.Unkeyed}
	if err := s.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	s.wr = newWriter(w)
	s.wr.path = path
	if s.wr.commits, err = checkCommits(ctx, path, w); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", path+"?"+url.Values{
		"_pragma":     {"busy_timeout(" + ms + ")", "foreign_keys(1)"},
		"_query_only": {"1"},
	}.Encode())
	if err != nil {
		s.wr.close()
		w.Close()
		return nil, err
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	s.r, s.rs.db = r, r
	if err := r.PingContext(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close releases the database. A SyncTx still open is rolled back by SQLite.
func (s *Store) Close() error {
	var errR error
	if s.r != nil {
		s.rs.close()
		errR = s.r.Close()
	}
	errW := s.wr.close()
	return errors.Join(errW, s.w.Close(), errR, s.wr.commits.close())
}

// migrate applies, in file-name order and each in its own transaction, the migrations that
// schema_migrations does not list.
func (s *Store) migrate(ctx context.Context) error {
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	// The usual case, an up-to-date database, is checked with a read: a command that only reads
	// (user list, report) must not wait behind a sync that holds the write lock.
	var applied int
	if err := s.w.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&applied); err == nil && applied >= len(files) {
		return nil
	}
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER NOT NULL PRIMARY KEY,
		name       TEXT    NOT NULL,
		applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	sort.Strings(files)
	for _, f := range files {
		name := strings.TrimPrefix(f, "migrations/")
		v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migrate: %s: file name must start with a version number", name)
		}
		if err := s.apply(ctx, v, name, f); err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
	}
	return nil
}

func (s *Store) apply(ctx context.Context, version int, name, file string) error {
	body, err := migrations.ReadFile(file)
	if err != nil {
		return err
	}
	tx, err := s.w.BeginTx(ctx, nil) // BEGIN IMMEDIATE: a second process waits here
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		version, name, micros(s.now())); err != nil {
		return err
	}
	return tx.Commit()
}

// sqliteCode returns the extended result code of an SQLite error, 0 for other errors.
func sqliteCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

func isUniqueViolation(err error) bool {
	c := sqliteCode(err)
	return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// isConstraint: the statement was undone, the transaction goes on.
func isConstraint(err error) bool { return sqliteCode(err)&0xff == sqlite3.SQLITE_CONSTRAINT }

func isBusy(err error) bool {
	c := sqliteCode(err) & 0xff
	return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
}

// micros is the stored form of a time: microseconds since the epoch.
func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// microsOrNil is the stored form of an optional time: NULL when t is nil.
func microsOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return micros(*t)
}

// timeOrNil reads an optional time.
func timeOrNil(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

// asStored is t as the store keeps it: whole microseconds, UTC.
func asStored(t time.Time) time.Time { return fromMicros(micros(t)) }

// orNow is t, or now when t is zero, as the store keeps it.
func (s *Store) orNow(t time.Time) time.Time {
	if t.IsZero() {
		t = s.now()
	}
	return asStored(t)
}

func isForeignKeyViolation(err error) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// newID is a new identifier: a UUID, version 7 (time-ordered).
func newID() string { return uuid.Must(uuid.NewV7()).String() }
