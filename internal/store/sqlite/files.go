package sqlite

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"

	sqlite3 "modernc.org/sqlite/lib"
)

// Modes of what the store creates: the database holds password-reset sessions, code hashes and
// personal data, so only sspr's own user may read it. SQLite creates the -wal and -shm files with
// the mode of the database file.
const (
	fileMode = 0o600
	dirMode  = 0o700
)

// storeFiles are the files of the database at path that SQLite reads and writes.
func storeFiles(path string) []string {
	return []string{path, path + "-wal", path + "-shm"}
}

// prepareFiles creates the database's folder (0700) and file (0600) when they do not exist, so that
// SQLite, which would create them with the umask's mode (usually 0644), opens them as they are;
// and it warns about existing store files that the group or others may read.
func prepareFiles(path string, log *slog.Logger) error {
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, dirMode); err != nil {
			return fmt.Errorf("create folder: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, fileMode)
	switch {
	case err == nil:
		return f.Close()
	case errors.Is(err, fs.ErrExist):
	default:
		return err
	}
	for _, p := range storeFiles(path) {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm()&0o077 == 0 {
			continue
		}
		log.Warn("store file is readable or writable by other users than sspr's: it holds personal data and reset codes; run chmod 600 on it",
			"file", p, "mode", fmt.Sprintf("%04o", fi.Mode().Perm()))
	}
	return nil
}

// lowSpace: a file system with less free space than this is full for SQLite (a new -shm file
// alone takes 32 KiB).
const lowSpace = 1 << 20

// explain adds to an error of the database at path what a bare SQLite I/O error code ("disk I/O
// error (4874)") does not say: which file system, and that it is full when it is. A full disk
// wraps syscall.ENOSPC.
func explain(path string, err error) error {
	code := sqliteCode(err) & 0xff
	if code != sqlite3.SQLITE_IOERR && code != sqlite3.SQLITE_FULL && code != sqlite3.SQLITE_CANTOPEN &&
		!errors.Is(err, syscall.ENOSPC) {
		return err
	}
	dir := filepath.Dir(path)
	if free, ok := freeSpace(dir); ok && (free < lowSpace || code == sqlite3.SQLITE_FULL || errors.Is(err, syscall.ENOSPC)) {
		return fmt.Errorf("the store files (%s, -wal, -shm) cannot be written: the file system of %s has %d bytes free: %w (%w)",
			filepath.Base(path), dir, free, syscall.ENOSPC, err)
	}
	return fmt.Errorf("the store files (%s, -wal, -shm) in %s cannot be read or written (check the folder's permissions, free space and file system): %w",
		filepath.Base(path), dir, err)
}
