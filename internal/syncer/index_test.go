package syncer

import (
	"bytes"
	"context"
	"encoding/binary"
	"testing"

	"github.com/sspr/sspr/internal/store"
)

// fingerprintsTx is a SyncTx whose Fingerprints walks a list (the other methods are not used).
type fingerprintsTx struct {
	store.SyncTx
	list []store.Fingerprint
}

func (t fingerprintsTx) Fingerprints(_ context.Context, fn func(store.Fingerprint) error) error {
	for _, f := range t.list {
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

// The index holds every stored user, sorted, whatever the number (one chunk, several, a
// partial last one) and whatever order the store gives them in.
func TestLoadIndex(t *testing.T) {
	for _, tc := range []struct {
		name     string
		n        int
		reversed bool
	}{
		{"empty", 0, false},
		{"one chunk", 100, false},
		{"exactly one chunk", indexChunk, false},
		{"several chunks", 3*indexChunk + 17, false},
		{"several chunks, unsorted", 2*indexChunk + 5, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			anchor := func(i int) []byte {
				a := make([]byte, anchorLen)
				binary.BigEndian.PutUint64(a[8:], uint64(i))
				return a
			}
			var list []store.Fingerprint
			for i := range tc.n {
				j := i
				if tc.reversed {
					j = tc.n - 1 - i
				}
				list = append(list, store.Fingerprint{Anchor: anchor(j), Fingerprint: uint64(j) * 7})
			}
			idx, err := loadIndex(context.Background(), fingerprintsTx{list: list})
			if err != nil {
				t.Fatal(err)
			}
			if idx.n != tc.n || len(idx.seenBit) != (tc.n+63)/64 || !idx.sorted() {
				t.Fatalf("%d entries, %d seen words, sorted %v; want %d", idx.n, len(idx.seenBit), idx.sorted(), tc.n)
			}
			for i := range tc.n {
				k, ok := idx.find(anchor(i))
				if !ok || idx.at(k).fp != uint64(i)*7 {
					t.Fatalf("anchor %d: found %v at %d", i, ok, k)
				}
			}
			if _, ok := idx.find(anchor(tc.n)); ok {
				t.Error("an anchor never stored was found")
			}
			if tc.n > 0 {
				idx.markSeen(tc.n - 1)
				if u := idx.unseen(); len(u) != tc.n-1 || !bytes.Equal(u[0], anchor(0)) {
					t.Errorf("%d unseen after one was seen, want %d", len(u), tc.n-1)
				}
			}
		})
	}
}
