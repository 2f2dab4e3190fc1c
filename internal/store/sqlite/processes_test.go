package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

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

// TestTwoStoresOneFileFlows: an Update on a second Store (another process) waits for the first
// one's SyncTx write lock and gives up when its context ends; claims from two Stores on one file
// never get the same message.
func TestTwoStoresOneFileFlows(t *testing.T) {
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
	create := func(upn string) func(store.UsersTx) error {
		return func(tx store.UsersTx) error {
			u := store.User{Source: store.SourceCloud, UserPrincipalName: upn}
			return tx.CreateUser(ctx, &u)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- b.Update(cctx, create("cancelled@example.com")) }()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Update on the second store: %v", err)
	}
	go func() { errc <- b.Update(ctx, create("second@example.com")) }()
	select {
	case err := <-errc:
		t.Fatalf("second store's Update ran while the first held the lock: %v", err)
	default:
	}
	if err := txA.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("second store's Update after the lock: %v", err)
	}
	if _, err := a.UserByUPN(ctx, "second@example.com"); err != nil {
		t.Errorf("first store does not see the second's user: %v", err)
	}

	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	const n = 100
	for range n {
		if err := a.Enqueue(ctx, &store.Message{Channel: "sms", To: "x", CreatedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	var (
		mu    sync.Mutex
		count = map[int64]int{}
		wg    sync.WaitGroup
	)
	for _, s := range []*Store{a, b, a, b} {
		wg.Go(func() {
			for round := 0; ; round++ {
				if round > n {
					t.Errorf("claims without end: leased messages are claimed again")
					return
				}
				l, err := s.ClaimMessages(ctx, at, at.Add(time.Hour), 3)
				if err != nil {
					t.Errorf("ClaimMessages: %v", err)
					return
				}
				if len(l) == 0 {
					return
				}
				mu.Lock()
				for _, m := range l {
					count[m.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for id, k := range count {
		if k > 1 {
			t.Errorf("message %d claimed %d times", id, k)
		}
	}
	if len(count) != n {
		t.Errorf("%d messages claimed, want %d", len(count), n)
	}
}
