package sqlite

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/store"
)

// writeSome commits n small transactions of each kind: group-committed flow writes (outbox
// messages, as a sent code is), Updates and a SyncTx.
func writeSome(t *testing.T, s *Store, tag string, n int) {
	t.Helper()
	ctx := t.Context()
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		if err := s.Enqueue(ctx, &store.Message{Channel: "sms", To: fmt.Sprintf("%s-%d", tag, i), CreatedAt: at}); err != nil {
			t.Fatal(err)
		}
		u := store.User{Source: store.SourceCloud, UserPrincipalName: fmt.Sprintf("%s-%d@example.com", tag, i)}
		if err := s.Update(ctx, func(tx store.UsersTx) error { return tx.CreateUser(ctx, &u) }); err != nil {
			t.Fatal(err)
		}
	}
	tx, err := s.BeginSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.SetSyncState(ctx, store.SyncState{Key: tag, Watermark: "w"}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string, size int64) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if size >= 0 && size < int64(len(b)) {
		b = b[:size]
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestLostWALRefused: a store whose write-ahead log was deleted or truncated (its last commits
// lost) is refused at Open with ErrCommitsLost and a message that says what happened and how to
// proceed; removing the commit log (the documented override) opens it with what it holds. A
// clean Close, and the files as a killed process leaves them (database and whole WAL), open.
//
// The lost WAL is simulated by copying a live store's files, as a process killed at that moment
// would leave them, without the WAL, with part of it, or with all of it.
func TestLostWALRefused(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "sspr.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	writeSome(t, s, "before", 5)
	// Checkpoint what there is: the database file holds it, the WAL starts over.
	if err := s.wr.acquire(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = s.wr.exec(`PRAGMA wal_checkpoint(TRUNCATE)`)
	s.wr.release()
	if err != nil {
		t.Fatal(err)
	}
	writeSome(t, s, "after", 20) // only in the WAL
	wal, err := os.Stat(path + "-wal")
	if err != nil || wal.Size() < 10*4096 {
		t.Fatalf("WAL %v, %v: the commits after the checkpoint should be there", wal, err)
	}

	tests := []struct {
		name    string
		walSize int64 // -1: the whole WAL; -2: no WAL file
		lost    bool
	}{
		{"WAL deleted", -2, true},
		{"WAL emptied", 0, true},
		{"WAL truncated to its header", 32, true},
		{"WAL truncated to half", wal.Size() / 2, true},
		{"WAL one byte short", wal.Size() - 1, true},
		{"whole WAL (a killed process)", -1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cp := filepath.Join(dir, "sspr.db")
			// The commit log first: then it never counts more than the copied WAL holds.
			copyFile(t, path+commitsSuffix, cp+commitsSuffix, -1)
			copyFile(t, path, cp, -1)
			if tc.walSize != -2 {
				copyFile(t, path+"-wal", cp+"-wal", tc.walSize)
			}
			c, err := Open(ctx, cp)
			if !tc.lost {
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				defer c.Close()
				if n, err := c.CountUsers(ctx, store.UserFilter{}); err != nil || n != 25 {
					t.Errorf("%d users, %v; want 25", n, err)
				}
				return
			}
			if !errors.Is(err, ErrCommitsLost) {
				t.Fatalf("Open of a store whose WAL lost commits: %v; want ErrCommitsLost", err)
			}
			msg := err.Error()
			t.Logf("%v", msg)
			for _, want := range []string{"sspr.db-wal", "deleted or truncated", "lost", "backup", "remove " + cp + commitsSuffix} {
				if !strings.Contains(msg, want) {
					t.Errorf("message lacks %q", want)
				}
			}
			// The override: without the commit log, the store opens with what it holds.
			if err := os.Remove(cp + commitsSuffix); err != nil {
				t.Fatal(err)
			}
			c, err = Open(ctx, cp)
			if err != nil {
				t.Fatalf("Open after removing the commit log: %v", err)
			}
			defer c.Close()
			writeSome(t, c, "later", 1)
			c.Close()
			if c, err = Open(ctx, cp); err != nil {
				t.Fatalf("Open after the override and more commits: %v", err)
			}
			c.Close()
		})
	}

	// A store created anew in place of the old one (WAL lost before the first checkpoint) is
	// not the store the commit log counts.
	t.Run("database created anew", func(t *testing.T) {
		dir := t.TempDir()
		cp := filepath.Join(dir, "sspr.db")
		copyFile(t, path+commitsSuffix, cp+commitsSuffix, -1)
		_, err := Open(ctx, cp)
		if !errors.Is(err, ErrCommitsLost) || !strings.Contains(err.Error(), "created anew") {
			t.Fatalf("Open: %v; want ErrCommitsLost, created anew", err)
		}
	})

	// A clean close and open again, twice (the log equals the database's count).
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("Open after a clean Close: %v", err)
		}
		writeSome(t, s, fmt.Sprint("again", time.Now().UnixNano()), 1)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

const killCommitsEnv = "SSPR_TEST_SQLITE_KILLED_AFTER_COMMITS"

// TestKilledProcessNotFlagged: a process killed (SIGKILL) while it commits, with its last commits
// only in the WAL, does not make the next Open refuse the store, and nothing committed is lost.
func TestKilledProcessNotFlagged(t *testing.T) {
	if path := os.Getenv(killCommitsEnv); path != "" {
		killedCommitterChild(t, path)
		return
	}
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "sspr.db")
	for round := range 3 {
		cmd, out, stderr := startChild(t, "TestKilledProcessNotFlagged", killCommitsEnv+"="+path)
		committed := -1
		for out.Scan() {
			// The child says how many users it committed, and goes on committing.
			if _, err := fmt.Sscanf(out.Text(), "COMMITTED %d", &committed); err == nil && committed >= 30 {
				break
			}
		}
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		if committed < 0 {
			t.Fatalf("child did not commit: %v\n%s", err, stderr.String())
		}
		if _, err := os.Stat(path + "-wal"); err != nil {
			t.Fatalf("no WAL after the kill: %v", err)
		}
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("round %d: Open after a killed process: %v", round, err)
		}
		n, err := s.CountUsers(ctx, store.UserFilter{})
		s.Close()
		if err != nil || n < committed {
			t.Fatalf("round %d: %d users after the kill (%v), the child had committed %d", round, n, err, committed)
		}
	}
}

// killedCommitterChild commits users one by one, saying after each commit how many there are,
// until it is killed (or its parent is gone: stdin closed).
func killedCommitterChild(t *testing.T, path string) {
	go func() {
		io.Copy(io.Discard, os.Stdin)
		os.Exit(1)
	}()
	ctx := t.Context()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.CountUsers(ctx, store.UserFilter{})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; ; i++ {
		u := store.User{Source: store.SourceCloud, UserPrincipalName: fmt.Sprintf("%d-%d@example.com", os.Getpid(), i)}
		if err := s.Update(ctx, func(tx store.UsersTx) error { return tx.CreateUser(ctx, &u) }); err != nil {
			t.Fatal(err)
		}
		if err := s.Enqueue(ctx, &store.Message{Channel: "sms", To: u.UserPrincipalName, CreatedAt: at}); err != nil {
			t.Fatal(err)
		}
		n++
		fmt.Printf("COMMITTED %d\n", n)
	}
}
