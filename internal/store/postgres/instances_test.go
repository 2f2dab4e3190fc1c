package postgres

import (
	"fmt"
	"testing"

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
