package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrInUse: a process has the store open, so it may not be replaced.
var ErrInUse = errors.New("store in use")

// BackupInfo describes a backup that Backup wrote or Restore put in place.
type BackupInfo struct {
	SchemaVersion int   // the highest migration applied
	Commits       int64 // store_commits.n: write transactions committed when the backup was taken
	Bytes         int64 // the backup file's size
}

// openRaw opens the database file at path without migrating it or checking its commits: one
// connection, for the operations of this file. The file must exist.
func openRaw(path string, readOnly bool) (*sql.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	pragmas := []string{"busy_timeout(" + strconv.FormatInt(busyTimeout.Milliseconds(), 10) + ")"}
	if readOnly {
		pragmas = append(pragmas, "query_only(1)")
	}
	db, err := sql.Open("sqlite", path+"?"+url.Values{"_pragma": pragmas}.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// SchemaVersion returns the highest migration applied to the SQLite database at path (0: none),
// without migrating it, and the highest migration this build knows (numbers may have gaps:
// they are reserved per feature).
func SchemaVersion(ctx context.Context, path string) (have, want int, err error) {
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return 0, 0, err
	}
	for _, f := range files {
		if v, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(f, "migrations/"), "_", 2)[0]); err == nil {
			want = max(want, v)
		}
	}
	db, err := openRaw(path, true)
	if err != nil {
		return 0, want, fmt.Errorf("sqlite: %w", err)
	}
	defer db.Close()
	have, err = schemaVersion(ctx, db)
	return have, want, err
}

func schemaVersion(ctx context.Context, db *sql.DB) (int, error) {
	var exists int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&exists); err != nil {
		return 0, fmt.Errorf("sqlite: schema version: %w", err)
	}
	if exists == 0 {
		return 0, nil
	}
	var v sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, fmt.Errorf("sqlite: schema version: %w", err)
	}
	return int(v.Int64), nil
}

// Backup writes a consistent copy of the SQLite store at path to dest with VACUUM INTO, while
// sspr may be running: the copy is the database as of one moment (a read transaction, which
// the writer does not wait for), commits still in the write-ahead log included, in one file
// without a -wal. dest must not exist; it is created 0600. The copy is checked (quick_check)
// before Backup returns; a failed backup leaves no dest behind.
func Backup(ctx context.Context, path, dest string) (BackupInfo, error) {
	info, err := backup(ctx, path, dest)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("sqlite: backup %s to %s: %w", path, dest, explain(dest, err))
	}
	return info, nil
}

func backup(ctx context.Context, path, dest string) (_ BackupInfo, err error) {
	db, err := openRaw(path, false)
	if err != nil {
		return BackupInfo{}, err
	}
	defer db.Close()
	// VACUUM INTO wants a file that does not exist or is empty; creating it here gives it the
	// store's mode and refuses to overwrite anything.
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	if err != nil {
		return BackupInfo{}, err
	}
	f.Close()
	defer func() {
		if err != nil {
			os.Remove(dest)
		}
	}()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dest); err != nil {
		return BackupInfo{}, err
	}
	return check(ctx, dest)
}

// check opens the backup at path read-only and says what it holds, after SQLite's quick_check.
func check(ctx context.Context, path string) (BackupInfo, error) {
	db, err := openRaw(path, true)
	if err != nil {
		return BackupInfo{}, err
	}
	defer db.Close()
	var ok string
	if err := db.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&ok); err != nil {
		return BackupInfo{}, fmt.Errorf("%s: %w", path, err)
	}
	if ok != "ok" {
		return BackupInfo{}, fmt.Errorf("%s is damaged: %s", path, ok)
	}
	var info BackupInfo
	if info.SchemaVersion, err = schemaVersion(ctx, db); err != nil {
		return BackupInfo{}, err
	}
	if info.SchemaVersion == 0 {
		return BackupInfo{}, fmt.Errorf("%s is not an sspr store (no schema_migrations)", path)
	}
	var n sql.NullInt64
	if err := db.QueryRowContext(ctx, `SELECT n FROM store_commits WHERE id = 1`).Scan(&n); err != nil && !errors.Is(err, sql.ErrNoRows) && info.SchemaVersion >= 4 {
		return BackupInfo{}, fmt.Errorf("%s: commit count: %w", path, err)
	}
	info.Commits = n.Int64
	st, err := os.Stat(path)
	if err != nil {
		return BackupInfo{}, err
	}
	info.Bytes = st.Size()
	return info, nil
}

// Restore puts the backup file at backupPath in place as the SQLite store at path, for a store
// that no process has open (ErrInUse otherwise: stop sspr first). It checks the backup, copies it
// beside path, with the owner of the file it replaces (root restoring for an sspr that runs as
// its own user), and renames it over path (so path is never half written), and removes path's -wal
// and -shm (they belong to the database replaced) and its -commits (which counts the commits of
// the database replaced, more than the backup holds: left, it would make Open refuse the
// backup as a store that lost commits). The next Open counts the backup's commits afresh. A
// backup of an older schema is migrated by that Open.
func Restore(ctx context.Context, backupPath, path string) (BackupInfo, error) {
	info, err := restore(ctx, backupPath, path)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("sqlite: restore %s to %s: %w", backupPath, path, explain(path, err))
	}
	return info, nil
}

func restore(ctx context.Context, backupPath, path string) (BackupInfo, error) {
	info, err := check(ctx, backupPath)
	if err != nil {
		return BackupInfo{}, err
	}
	if busy, err := inUse(path); err != nil {
		return BackupInfo{}, err
	} else if busy {
		return BackupInfo{}, fmt.Errorf("%w: a process has %s open; stop every sspr process on it first", ErrInUse, path)
	}
	if err := os.MkdirAll(filepath.Dir(path), dirMode); err != nil {
		return BackupInfo{}, err
	}
	tmp := path + ".restore"
	if err := copySynced(backupPath, tmp); err != nil {
		os.Remove(tmp)
		return BackupInfo{}, err
	}
	if err := takeOwner(tmp, path); err != nil {
		os.Remove(tmp)
		return BackupInfo{}, fmt.Errorf("give the restored store the owner of %s: %w", path, err)
	}
	for _, suffix := range []string{"-wal", "-shm", commitsSuffix} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			os.Remove(tmp)
			return BackupInfo{}, err
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return BackupInfo{}, err
	}
	return info, nil
}

// InUse reports whether another process (sspr serve, a sync) has the SQLite store at path open.
// It cannot see this process's own connections.
func InUse(path string) (bool, error) { return inUse(path) }

// copySynced copies src to a new file dst (mode 0600), synced to disk.
func copySynced(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fileMode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
