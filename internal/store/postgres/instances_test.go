package postgres

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/testenv"
)

// openInstances opens n stores, like n sspr instances, on one new database at the same time.
func openInstances(t *testing.T, n int) (string, []*Store) {
	t.Helper()
	dsn := testenv.PostgresDSN(t)
	type opened struct {
		s   *Store
		err error
	}
	ch := make(chan opened, n)
	for range n {
		go func() {
			s, err := Open(t.Context(), dsn)
			ch <- opened{s, err}
		}()
	}
	var stores []*Store
	for range n {
		o := <-ch
		if o.err != nil {
			t.Errorf("Open: %v", o.err)
			continue
		}
		t.Cleanup(func() { o.s.Close() })
		stores = append(stores, o.s)
	}
	if t.Failed() {
		t.FailNow()
	}
	return dsn, stores
}

// TestInstancesMigrateTogether: instances starting at once apply each migration once.
func TestInstancesMigrateTogether(t *testing.T) {
	_, stores := openInstances(t, 4)
	var applied, files int
	if err := stores[0].pool.QueryRow(t.Context(), `SELECT count(*) FROM schema_migrations`).Scan(&applied); err != nil {
		t.Fatal(err)
	}
	entries, err := migrations.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	files = len(entries)
	if applied != files {
		t.Errorf("%d migrations recorded, want %d", applied, files)
	}
}

// TestSyncAcrossInstances: one SyncTx at a time across instances, and a session that dies (the
// process was killed) leaves nothing and frees the lock.
func TestSyncAcrossInstances(t *testing.T) {
	dsn, stores := openInstances(t, 2)
	a, b := stores[0], stores[1]
	ctx := t.Context()

	txA, err := a.BeginSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer txA.Rollback()
	for i := range 100 {
		u := store.User{Source: store.SourceDirectory, Anchor: fmt.Appendf(nil, "a%d", i), UserPrincipalName: fmt.Sprintf("a%d@example.com", i)}
		if err := txA.PutUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
	}
	var pid int32
	if err := txA.(*syncTx).tx.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pid); err != nil {
		t.Fatal(err)
	}

	type result struct {
		users int
		err   error
	}
	done := make(chan result, 1)
	go func() {
		txB, err := b.BeginSync(ctx)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer txB.Rollback()
		n := 0
		err = txB.Fingerprints(ctx, func(store.Fingerprint) error { n++; return nil })
		done <- result{n, err}
	}()
	select {
	case r := <-done:
		t.Fatalf("instance B began a sync while A's was open (%+v)", r)
	default:
	}

	// A's process dies: its session ends.
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var ok bool
	if err := admin.QueryRow(ctx, `SELECT pg_terminate_backend($1)`, pid).Scan(&ok); err != nil || !ok {
		t.Fatalf("pg_terminate_backend: %v, %v", ok, err)
	}

	r := <-done
	if r.err != nil {
		t.Fatalf("instance B after A died: %v", r.err)
	}
	if r.users != 0 {
		t.Errorf("instance B sees %d users of A's dead SyncTx", r.users)
	}
	if err := txA.Commit(); err == nil {
		t.Errorf("Commit on a dead session succeeded")
	}
	if n, err := b.CountUsers(ctx, store.UserFilter{}); err != nil || n != 0 {
		t.Errorf("CountUsers = %d, %v; want 0", n, err)
	}
}

// TestQueuedInsertClashesWithConcurrentWrite: a userPrincipalName taken by another transaction
// after the SyncTx loaded the taken values makes the queued insert fail; Commit then fails and
// nothing of the SyncTx is kept.
func TestQueuedInsertClashesWithConcurrentWrite(t *testing.T) {
	_, stores := openInstances(t, 1)
	s := stores[0]
	ctx := t.Context()
	tx, err := s.BeginSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	first := store.User{Source: store.SourceDirectory, Anchor: []byte("first"), UserPrincipalName: "first@example.com"}
	if err := tx.PutUser(ctx, &first); err != nil {
		t.Fatal(err)
	}
	// An administrator creates a cloud user, committed at once.
	if _, err := s.pool.Exec(ctx, `INSERT INTO users (id, source, user_principal_name, upn_key, version, created_at, updated_at)
		VALUES ('0190b6a4-0000-7000-8000-000000000001', 'cloud', 'Taken@example.com', 'taken@example.com', 1, now(), now())`); err != nil {
		t.Fatal(err)
	}
	clash := store.User{Source: store.SourceDirectory, Anchor: []byte("clash"), UserPrincipalName: "taken@example.com"}
	if err := tx.PutUser(ctx, &clash); err != nil {
		t.Fatalf("PutUser (queued): %v", err)
	}
	err = tx.Commit()
	if err == nil {
		t.Fatal("Commit succeeded with a clashing queued insert")
	}
	if errors.Is(err, store.ErrConflict) {
		t.Errorf("Commit error %v matches ErrConflict, which means one user's clash", err)
	}
	t.Logf("Commit: %v", err)
	var upns []string
	if err := s.ListUsers(ctx, store.UserFilter{}, func(u store.User) error {
		upns = append(upns, u.UserPrincipalName)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(upns) != 1 || upns[0] != "Taken@example.com" {
		t.Errorf("users after the failed sync: %v, want only the administrator's", upns)
	}
}

// TestFlowsAcrossInstances: instances sharing one database share throttles and the outbox:
// concurrent hits on one key get distinct counts, concurrent claims never share a message, and a
// code's tries are counted once across instances.
func TestFlowsAcrossInstances(t *testing.T) {
	_, stores := openInstances(t, 3)
	ctx := t.Context()
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

	const hits = 30
	var (
		mu     sync.Mutex
		counts []int
		wg     sync.WaitGroup
	)
	for i := range hits {
		s := stores[i%len(stores)]
		wg.Go(func() {
			n, err := s.Hit(ctx, "ip:192.0.2.1", at, at)
			if err != nil {
				t.Errorf("Hit: %v", err)
				return
			}
			mu.Lock()
			counts = append(counts, n)
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(counts)
	for i, n := range counts {
		if n != i+1 {
			t.Fatalf("counts of %d hits across instances: %v; want each of 1..%d once", hits, counts, hits)
		}
	}

	const messages = 150
	for range messages {
		if err := stores[0].Enqueue(ctx, &store.Message{Channel: "sms", To: "x", CreatedAt: at}); err != nil {
			t.Fatal(err)
		}
	}
	claimed := map[int64]int{}
	for w := range 6 {
		s := stores[w%len(stores)]
		wg.Go(func() {
			for round := 0; ; round++ {
				if round > messages {
					t.Errorf("claims without end: leased messages are claimed again")
					return
				}
				l, err := s.ClaimMessages(ctx, at, at.Add(time.Hour), 4)
				if err != nil {
					t.Errorf("ClaimMessages: %v", err)
					return
				}
				if len(l) == 0 {
					return
				}
				mu.Lock()
				for _, m := range l {
					claimed[m.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for id, n := range claimed {
		if n != 1 {
			t.Errorf("message %d claimed %d times", id, n)
		}
	}
	if len(claimed) != messages {
		t.Errorf("%d messages claimed, want %d", len(claimed), messages)
	}

	ses := store.Session{ID: "s", Kind: "reset", ExpiresAt: at.Add(time.Hour)}
	if err := stores[0].CreateSession(ctx, &ses); err != nil {
		t.Fatal(err)
	}
	c := store.Code{SessionID: "s", Purpose: "reset:sms", MAC: []byte{1}, MaxAttempts: 4, ExpiresAt: at.Add(time.Hour)}
	if err := stores[1].CreateCode(ctx, &c); err != nil {
		t.Fatal(err)
	}
	var ok int
	for i := range 24 {
		s := stores[i%len(stores)]
		wg.Go(func() {
			_, err := s.CountAttempt(ctx, c.ID, at)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, store.ErrExhausted):
				t.Errorf("CountAttempt: %v", err)
			}
		})
	}
	wg.Wait()
	if ok != 4 {
		t.Errorf("%d of 24 CountAttempt across instances succeeded on a 4-try code", ok)
	}
}
