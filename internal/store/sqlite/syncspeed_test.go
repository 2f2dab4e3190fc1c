package sqlite

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/sspr/sspr/internal/store"
)

// cacheSize is the writer connection's PRAGMA cache_size. The writer lock must be held.
func cacheSize(t *testing.T, w *writer) int64 {
	t.Helper()
	var n int64
	if err := w.conn.QueryRowContext(context.Background(), qCacheSize).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// The Fingerprints scan runs with a small page cache and gives the writer its cache size back,
// whether the scan ends normally or by fn's error, and the transaction stays usable.
func TestFingerprintsRestoresCacheSize(t *testing.T) {
	ctx := t.Context()
	s := openStore(t)
	tx, err := s.BeginSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for i := range 3 {
		u := store.User{Source: store.SourceDirectory, Anchor: []byte(fmt.Sprintf("anchor-%010d", i)), UserPrincipalName: fmt.Sprintf("u%d@example.com", i)}
		if err := tx.PutUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
	}
	w := tx.(*syncTx).w
	before := cacheSize(t, w)
	if before == -scanCacheKiB {
		t.Fatalf("writer cache size %d is the scan's already", before)
	}
	stop := errors.New("stop")
	for _, tc := range []struct {
		name string
		fn   func(store.Fingerprint) error
		want error
	}{
		{"whole scan", func(store.Fingerprint) error {
			if got := cacheSize(t, w); got != -scanCacheKiB {
				t.Errorf("cache size during the scan %d, want %d", got, -scanCacheKiB)
			}
			return nil
		}, nil},
		{"stopped by fn", func(store.Fingerprint) error { return stop }, stop},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tx.Fingerprints(ctx, tc.fn); !errors.Is(err, tc.want) {
				t.Fatalf("Fingerprints: %v, want %v", err, tc.want)
			}
			if got := cacheSize(t, w); got != before {
				t.Errorf("cache size after the scan %d, want %d", got, before)
			}
		})
	}
	u := store.User{Source: store.SourceDirectory, Anchor: []byte("anchor-after-scan"), UserPrincipalName: "after@example.com"}
	if err := tx.PutUser(ctx, &u); err != nil {
		t.Fatalf("PutUser after the scans: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}
