package sqlite

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/store"
)

func createUsers(t *testing.T, s *Store, from, to int) {
	t.Helper()
	ctx := t.Context()
	if err := s.Update(ctx, func(tx store.UsersTx) error {
		for i := from; i < to; i++ {
			u := store.User{Source: store.SourceCloud, UserPrincipalName: fmt.Sprintf("u%d@example.com", i)}
			if err := tx.CreateUser(ctx, &u); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// openWithUsers opens a new store at path holding n cloud users.
func openWithUsers(t *testing.T, path string, n int) *Store {
	t.Helper()
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	createUsers(t, s, 0, n)
	return s
}

func countUsers(t *testing.T, s *Store) int {
	t.Helper()
	n, err := s.CountUsers(t.Context(), store.UserFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBackupRestore: a backup taken while the store is open (its last commits only in the WAL)
// holds them; restored over the store after later commits (stop, Restore, start), it opens
// without ErrCommitsLost and holds exactly what it held when taken.
func TestBackupRestore(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "sspr.db")
	s := openWithUsers(t, path, 10)
	if st, err := os.Stat(path + "-wal"); err != nil || st.Size() == 0 {
		t.Fatalf("want the commits in the WAL: %v", err)
	}
	dest := filepath.Join(dir, "backup.db")
	info, err := Backup(ctx, path, dest)
	if err != nil {
		t.Fatal(err)
	}
	if info.SchemaVersion == 0 || info.Commits == 0 || info.Bytes == 0 {
		t.Errorf("backup info %+v", info)
	}
	if st, err := os.Stat(dest); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("backup mode: %v %v", st.Mode(), err)
	}
	if _, err := os.Stat(dest + "-wal"); err == nil {
		t.Error("the backup has a -wal")
	}
	if _, err := Backup(ctx, path, dest); !errors.Is(err, os.ErrExist) {
		t.Errorf("backup over an existing file: %v", err)
	}
	createUsers(t, s, 10, 15) // after the backup: lost by the restore

	s.Close()
	if _, err := Restore(ctx, dest, path); err != nil {
		t.Fatal(err)
	}
	r, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("open the restored store: %v", err)
	}
	defer r.Close()
	if n := countUsers(t, r); n != 10 {
		t.Errorf("restored store holds %d users, want 10", n)
	}
	createUsers(t, r, 10, 12)
}

// TestBackupPlainCopy: the backup file copied by hand to a new store path (no -commits there)
// opens as a store.
func TestBackupPlainCopy(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s := openWithUsers(t, filepath.Join(dir, "a.db"), 3)
	defer s.Close()
	if _, err := Backup(ctx, filepath.Join(dir, "a.db"), filepath.Join(dir, "b.db")); err != nil {
		t.Fatal(err)
	}
	b, err := Open(ctx, filepath.Join(dir, "b.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if n := countUsers(t, b); n != 3 {
		t.Errorf("%d users", n)
	}
}

// TestBackupRefusesNonStore: a file that is not an sspr store is not a backup.
func TestBackupRefusesNonStore(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.db")
	if err := os.WriteFile(junk, []byte("not a database at all, not even close to one......................................................................"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(t.Context(), junk, filepath.Join(dir, "sspr.db")); err == nil {
		t.Error("restored junk")
	}
	if _, err := os.Stat(filepath.Join(dir, "sspr.db")); err == nil {
		t.Error("restore of junk left a store")
	}
}

// TestRestoreInUse: Restore refuses a store another process has open.
func TestRestoreInUse(t *testing.T) {
	if p := os.Getenv("SSPR_TEST_HOLD_STORE"); p != "" {
		s, err := Open(t.Context(), p)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		fmt.Println("open")
		time.Sleep(time.Minute)
		return
	}
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "sspr.db")
	s := openWithUsers(t, path, 1)
	dest := filepath.Join(dir, "backup.db")
	if _, err := Backup(ctx, path, dest); err != nil {
		t.Fatal(err)
	}
	s.Close()

	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestRestoreInUse$")
	cmd.Env = append(os.Environ(), "SSPR_TEST_HOLD_STORE="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	buf := make([]byte, 4)
	if _, err := out.Read(buf); err != nil || string(buf) != "open" {
		t.Fatalf("helper: %q %v", buf, err)
	}
	if _, err := Restore(ctx, dest, path); !errors.Is(err, ErrInUse) {
		t.Errorf("restore while another process has the store open: %v", err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if _, err := Restore(ctx, dest, path); err != nil {
		t.Errorf("restore once the process is gone: %v", err)
	}
}

// TestBackupWhileWriting: a backup taken while another store on the file commits all the time
// succeeds without stopping the writes, and holds what was committed at one moment between them.
func TestBackupWhileWriting(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "sspr.db")
	s := openWithUsers(t, path, 100)
	defer s.Close()
	stop, done := make(chan struct{}), make(chan int)
	go func() {
		n := 100
		for {
			select {
			case <-stop:
				done <- n
				return
			default:
			}
			u := store.User{Source: store.SourceCloud, UserPrincipalName: fmt.Sprintf("w%d@example.com", n)}
			if err := s.Update(ctx, func(tx store.UsersTx) error { return tx.CreateUser(ctx, &u) }); err != nil {
				t.Error(err)
				done <- n
				return
			}
			n++
		}
	}()
	time.Sleep(20 * time.Millisecond)
	dest := filepath.Join(dir, "backup.db")
	_, err := Backup(ctx, path, dest)
	close(stop)
	written := <-done
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(ctx, dest)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if n := countUsers(t, b); n < 100 || n > written {
		t.Errorf("backup holds %d users; %d before it, %d at its end", n, 100, written)
	}
	if written == 100 {
		t.Error("no write went on during the backup")
	}
}

// TestRestoreKeepsOwner: run as root, Restore gives the restored store the owner of the file it
// replaces (the user sspr runs as), not root.
func TestRestoreKeepsOwner(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "sspr.db")
	openWithUsers(t, path, 1).Close()
	dest := filepath.Join(dir, "backup.db")
	if _, err := Backup(ctx, path, dest); err != nil {
		t.Fatal(err)
	}
	owner := os.Getuid() // not root: files can only be our own
	if owner == 0 {
		owner = 65534
		if err := os.Chown(path, owner, owner); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Restore(ctx, dest, path); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); int(st.Uid) != owner || fi.Mode().Perm() != 0o600 {
		t.Errorf("restored store owned by %d mode %v, want %d 0600", st.Uid, fi.Mode(), owner)
	}
}
