//go:build unix

package sqlite

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// shmDMS is the byte of the -shm file on which every connection of SQLite's unix VFS holds a
// shared lock while it has the database open in WAL mode (UNIX_SHM_DMS in SQLite's os_unix.c).
const shmDMS = 128

// inUse reports whether another process has the SQLite database at path open: it asks (F_GETLK,
// taking nothing) whether a write lock on the -shm file's DMS byte would conflict. A lock held by
// this process never conflicts, so the caller must not have the store open itself.
func inUse(path string) (bool, error) {
	f, err := os.Open(path + "-shm")
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: 0, Start: shmDMS, Len: 1}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_GETLK, &lk); err != nil {
		return false, err
	}
	return lk.Type != syscall.F_UNLCK, nil
}
