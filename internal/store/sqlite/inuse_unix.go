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

// takeOwner gives file the owner and group of like (when like exists and they differ): a backup
// restored by root for an sspr that runs as its own user stays readable by that user.
func takeOwner(file, like string) error {
	fi, err := os.Stat(like)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if mine, err := os.Stat(file); err == nil {
		if m, ok := mine.Sys().(*syscall.Stat_t); ok && m.Uid == st.Uid && m.Gid == st.Gid {
			return nil
		}
	}
	return os.Chown(file, int(st.Uid), int(st.Gid))
}
