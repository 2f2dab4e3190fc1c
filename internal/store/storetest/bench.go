package storetest

import (
	"testing"

	"github.com/sspr/sspr/internal/store"
)

// BenchPutUser measures PutUser inserting b.N new directory users in one SyncTx (Commit included)
// into the empty store s: the first sync of a directory.
func BenchPutUser(b *testing.B, s store.Store) {
	users := make([]store.User, b.N)
	for i := range users {
		users[i] = dirUser(i)
	}
	ctx := b.Context()
	b.ReportAllocs()
	b.ResetTimer()
	tx, err := s.BeginSync(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	for i := range users {
		if err := tx.PutUser(ctx, &users[i]); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// BenchFingerprints stores n directory users in s, then measures one Fingerprints walk over them
// per iteration (a re-sync's first step).
func BenchFingerprints(b *testing.B, s store.Store, n int) {
	ctx := b.Context()
	tx, err := s.BeginSync(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	for i := range n {
		u := dirUser(i)
		if err := tx.PutUser(ctx, &u); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		tx, err := s.BeginSync(ctx)
		if err != nil {
			b.Fatal(err)
		}
		seen := 0
		if err := tx.Fingerprints(ctx, func(store.Fingerprint) error { seen++; return nil }); err != nil {
			b.Fatal(err)
		}
		if err := tx.Rollback(); err != nil {
			b.Fatal(err)
		}
		if seen != n {
			b.Fatalf("%d fingerprints, want %d", seen, n)
		}
	}
}
