package sqlite

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/store"
)

// TestStoreFileModes: a new store's folder is 0700 and its files (database, -wal, -shm) 0600,
// whatever the umask; an existing store that others may read is opened with a warning naming the
// file.
func TestStoreFileModes(t *testing.T) {
	ctx := t.Context()
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "state", "sspr")
	path := filepath.Join(dir, "sspr.db")
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	s, err := Open(ctx, path, WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	u := store.User{Source: store.SourceCloud, UserPrincipalName: "a@example.com"}
	if err := s.Update(ctx, func(tx store.UsersTx) error { return tx.CreateUser(ctx, &u) }); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("store folder: %v, %v; want mode 0700", fi.Mode(), err)
	}
	for _, p := range storeFiles(path) {
		fi, err := os.Stat(p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %04o, want 0600", filepath.Base(p), fi.Mode().Perm())
		}
	}
	if logs.Len() != 0 {
		t.Errorf("warnings for a store created 0600:\n%s", logs.String())
	}
	s.Close()

	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, path, WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if got := logs.String(); !strings.Contains(got, "level=WARN") || !strings.Contains(got, path) || !strings.Contains(got, "mode=0644") {
		t.Errorf("no warning naming the readable store file; log:\n%s", got)
	}
}

// TestFullDiskAtOpen: opening a store on a full file system says that it is full, and where
// (wrapping syscall.ENOSPC), both for a new store and for an existing one. The full file system is
// a small tmpfs mounted in the test's folder, filled up with a file; the test needs root for the
// mount and skips without it.
func TestFullDiskAtOpen(t *testing.T) {
	ctx := t.Context()
	dir := mountTmpfs(t, "2m")
	existing := filepath.Join(dir, "old", "sspr.db")
	s, err := Open(ctx, existing)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	fill(t, filepath.Join(dir, "filler"))

	for _, path := range []string{filepath.Join(dir, "new", "sspr.db"), existing} {
		_, err := Open(ctx, path)
		if err == nil {
			t.Errorf("Open(%s) on a full file system: no error", path)
			continue
		}
		t.Logf("Open(%s): %v", path, err)
		msg := err.Error()
		if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(msg, "no space left on device") ||
			!strings.Contains(msg, path) || !strings.Contains(msg, dir) {
			t.Errorf("Open(%s) on a full file system: %q; want the path, the file system and \"no space left on device\"", path, msg)
		}
	}
}

// TestFullDiskWhileRunning: writes that fail because the file system filled up after Open say
// so (wrapping syscall.ENOSPC, naming the folder), whether group-committed or in a SyncTx; once
// space is freed, writes succeed again.
func TestFullDiskWhileRunning(t *testing.T) {
	ctx := t.Context()
	dir := mountTmpfs(t, "4m")
	s, err := Open(ctx, filepath.Join(dir, "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	filler := filepath.Join(dir, "filler")
	fill(t, filler)

	check := func(what string, err error) {
		t.Helper()
		if err == nil {
			t.Errorf("%s on a full file system: no error", what)
			return
		}
		t.Logf("%s: %v", what, err)
		if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "no space left on device") || !strings.Contains(err.Error(), dir) {
			t.Errorf("%s on a full file system: %v; want no space left on device, and where", what, err)
		}
	}
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	body := strings.Repeat("x", 4000)
	var werr error
	for i := 0; i < 1000 && werr == nil; i++ {
		werr = s.Enqueue(ctx, &store.Message{Channel: "sms", To: body, Body: []byte(body), CreatedAt: at})
	}
	check("Enqueue", werr)

	tx, err := s.BeginSync(ctx)
	if err == nil {
		for i := 0; i < 1000 && err == nil; i++ {
			u := store.User{Source: store.SourceDirectory, Anchor: fmt.Appendf(nil, "a%d", i),
				UserPrincipalName: fmt.Sprintf("u%d@example.com", i), DisplayName: body}
			err = tx.PutUser(ctx, &u)
		}
		if err == nil {
			err = tx.Commit()
		}
		tx.Rollback()
	}
	check("sync", err)

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := s.Enqueue(ctx, &store.Message{Channel: "sms", To: "x", CreatedAt: at}); err != nil {
		t.Errorf("Enqueue once space is freed: %v", err)
	}
}

// TestCloseReleasesFiles: Close closes every file of the store (the writer connection, which its
// prepared statements held open, included), so that SQLite checkpoints the WAL into the database
// and removes it, after flow writes, an Update and a SyncTx alike.
func TestCloseReleasesFiles(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "sspr.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	writeSome(t, s, "x", 3)
	if _, err := s.CountUsers(ctx, store.UserFilter{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, e := range ents {
		if l, _ := os.Readlink("/proc/self/fd/" + e.Name()); strings.HasPrefix(l, dir) {
			t.Errorf("after Close, file descriptor %s is still open on %s", e.Name(), l)
		}
	}
	if _, err := os.Stat(path + "-wal"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("after Close the WAL is still there (%v): it was not checkpointed", err)
	}
}

// mountTmpfs mounts a tmpfs of the given size in a new temporary folder, unmounted at the end.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs needs root")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0700", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fill writes zeros to path until the file system is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = io.Copy(f, zeros{})
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("filling the file system: %v", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestMustExist: with MustExist, a path that names no database fails with an error that wraps
// fs.ErrNotExist and names the path, and creates neither the file nor its folder; an existing
// database opens and reads as usual.
func TestMustExist(t *testing.T) {
	ctx := t.Context()
	root := t.TempDir()
	for _, path := range []string{
		filepath.Join(root, "sspr.db"),             // missing file
		filepath.Join(root, "typo", "sspr.db"),     // missing folder
		filepath.Join(root, "a", "b", "c", "s.db"), // missing folders
	} {
		s, err := Open(ctx, path, MustExist())
		if err == nil {
			s.Close()
			t.Fatalf("%s: opened a store that does not exist", path)
		}
		if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want one that wraps fs.ErrNotExist and names the path", path, err)
		}
	}
	if entries, err := os.ReadDir(root); err != nil || len(entries) != 0 {
		t.Fatalf("MustExist created %v (%v)", entries, err)
	}

	path := filepath.Join(root, "sspr.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	u := store.User{Source: store.SourceCloud, UserPrincipalName: "a@example.com"}
	if err := s.Update(ctx, func(tx store.UsersTx) error { return tx.CreateUser(ctx, &u) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(ctx, path, MustExist())
	if err != nil {
		t.Fatalf("existing store: %v", err)
	}
	defer s.Close()
	if n, err := s.CountUsers(ctx, store.UserFilter{}); err != nil || n != 1 {
		t.Errorf("existing store: %d users, %v; want 1", n, err)
	}
}
