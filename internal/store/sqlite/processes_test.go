package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/sspr/sspr/internal/store"
)

// TestTwoStoresOneFile: two Stores on one file (as two processes would be) take turns: the second
// BeginSync waits for the first SyncTx's write lock, and gives up when its context ends.
func TestTwoStoresOneFile(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "sspr.db")
	a, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	txA, err := a.BeginSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer txA.Rollback()
	u := store.User{Source: store.SourceDirectory, Anchor: []byte("a"), UserPrincipalName: "a@example.com"}
	if err := txA.PutUser(ctx, &u); err != nil {
		t.Fatal(err)
	}

	// Cancelled while waiting.
	cctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() {
		tx, err := b.BeginSync(cctx)
		if err == nil {
			tx.Rollback()
		}
		errc <- err
	}()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled BeginSync on the second store: %v", err)
	}

	type result struct {
		saw bool
		err error
	}
	done := make(chan result, 1)
	go func() {
		tx, err := b.BeginSync(ctx)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer tx.Rollback()
		_, err = tx.UserByAnchor(ctx, []byte("a"))
		done <- result{saw: err == nil, err: tx.Commit()}
	}()
	select {
	case r := <-done:
		t.Fatalf("second store began a sync while the first held the lock: %+v", r)
	default:
	}
	if err := txA.Commit(); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || !r.saw {
		t.Errorf("second store's SyncTx: saw the first's user %v, err %v", r.saw, r.err)
	}
}
