package sqlite

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sspr/sspr/internal/store"
)

const killChildEnv = "SSPR_TEST_SQLITE_KILLED_WRITER"

// TestKilledWriterLeavesNothing: a process killed in the middle of a SyncTx, after its
// uncommitted pages reached the WAL file, leaves the database as it was before the SyncTx.
func TestKilledWriterLeavesNothing(t *testing.T) {
	if path := os.Getenv(killChildEnv); path != "" {
		killedWriterChild(t, path)
		return
	}
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "sspr.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := s.BeginSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kept := store.User{Source: store.SourceDirectory, Anchor: []byte("kept"), UserPrincipalName: "kept@example.com"}
	if err := tx.PutUser(ctx, &kept); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	cmd, out, stderr := startChild(t, "TestKilledWriterLeavesNothing", killChildEnv+"="+path)
	ready := false
	for out.Scan() {
		if strings.HasPrefix(out.Text(), "READY ") {
			t.Logf("child: %s", out.Text())
			ready = true
			break
		}
	}
	if !ready {
		cmd.Wait()
		t.Fatalf("child did not get ready; stderr:\n%s", stderr.String())
	}
	if fi, err := os.Stat(path + "-wal"); err != nil || fi.Size() < 1<<20 {
		t.Fatalf("uncommitted pages did not reach the WAL file (%v, %v): the test proves nothing", fi, err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil {
		t.Fatal("child exited normally")
	}

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen after the kill: %v", err)
	}
	defer s.Close()
	var check string
	if err := s.r.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %q, %v", check, err)
	}
	if n, err := s.CountUsers(ctx, store.UserFilter{}); err != nil || n != 1 {
		t.Errorf("CountUsers after the kill = %d, %v; want 1", n, err)
	}
	got, err := s.UserByUPN(ctx, kept.UserPrincipalName)
	if err != nil || got.DisplayName != "" || got.Version != 1 {
		t.Errorf("kept user after the kill: %+v, %v", got, err)
	}
	if _, err := s.SyncState(ctx, "child"); err == nil {
		t.Errorf("the killed SyncTx's sync state is there")
	}
	// The lock died with the child.
	tx, err = s.BeginSync(ctx)
	if err != nil {
		t.Fatalf("BeginSync after the kill: %v", err)
	}
	u := store.User{Source: store.SourceDirectory, Anchor: []byte("after"), UserPrincipalName: "after@example.com"}
	if err := tx.PutUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

// startChild runs this test binary again, with only the named test and env set, and returns the
// lines of its output. Its stdin stays open until the test ends (a child that waits to be killed
// leaves when it closes); the test's cleanup kills it.
func startChild(t *testing.T, test, env string) (*exec.Cmd, *bufio.Scanner, *strings.Builder) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$", "-test.v")
	cmd.Env = append(os.Environ(), env)
	stderr := new(strings.Builder)
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd, bufio.NewScanner(out), stderr
}

// killedWriterChild writes a large SyncTx without committing it, says READY and waits to be killed.
func killedWriterChild(t *testing.T, path string) {
	ctx := t.Context()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	// A small page cache makes SQLite spill uncommitted pages to the WAL file early.
	if err := s.wr.acquire(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = s.wr.exec(`PRAGMA cache_size = 100`)
	s.wr.release()
	if err != nil {
		t.Fatal(err)
	}
	tx, err := s.BeginSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	kept, err := tx.UserByAnchor(ctx, []byte("kept"))
	if err != nil {
		t.Fatal(err)
	}
	kept.DisplayName = "changed by the killed writer"
	if err := tx.PutUser(ctx, &kept); err != nil {
		t.Fatal(err)
	}
	for i := range 5000 {
		u := store.User{
			Source:            store.SourceDirectory,
			Anchor:            fmt.Appendf(nil, "anchor-%d", i),
			UserPrincipalName: fmt.Sprintf("user%d@example.com", i),
			DisplayName:       strings.Repeat("x", 200),
		}
		if err := tx.PutUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.SetSyncState(ctx, store.SyncState{Key: "child", Watermark: "w"}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("READY wal=%d\n", fi.Size())
	// Wait for SIGKILL; should the parent die first, its end of stdin closes and the child leaves.
	io.Copy(io.Discard, os.Stdin)
	os.Exit(1)
}
