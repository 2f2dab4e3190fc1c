package syncer

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/sspr/sspr/internal/store"
)

// anchorLen is the length of every anchor: objectGUID and entryUUID are both 16 bytes.
const anchorLen = 16

// index holds what a run needs of every stored directory user, 24 bytes each plus a bit, sorted
// by anchor: 300,000 users cost about 7 MiB, so memory stays flat as the directory grows.
type index struct {
	entries []indexEntry
	seenBit []uint64
}

type indexEntry struct {
	anchor [anchorLen]byte
	fp     uint64
}

func loadIndex(ctx context.Context, tx store.SyncTx) (*index, error) {
	idx := &index{}
	err := tx.Fingerprints(ctx, func(f store.Fingerprint) error {
		if len(f.Anchor) != anchorLen {
			return fmt.Errorf("stored anchor has %d bytes, want %d", len(f.Anchor), anchorLen)
		}
		var e indexEntry
		copy(e.anchor[:], f.Anchor)
		e.fp = f.Fingerprint
		idx.entries = append(idx.entries, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(idx.entries, func(a, b indexEntry) int { return bytes.Compare(a.anchor[:], b.anchor[:]) })
	idx.seenBit = make([]uint64, (len(idx.entries)+63)/64)
	return idx, nil
}

func (x *index) find(anchor []byte) (int, bool) {
	if len(anchor) != anchorLen {
		return 0, false
	}
	return slices.BinarySearchFunc(x.entries, anchor, func(e indexEntry, a []byte) int {
		return bytes.Compare(e.anchor[:], a)
	})
}

func (x *index) markSeen(i int)  { x.seenBit[i/64] |= 1 << (i % 64) }
func (x *index) seen(i int) bool { return x.seenBit[i/64]&(1<<(i%64)) != 0 }

// unseen returns the anchors of stored users not reported by the directory.
func (x *index) unseen() [][]byte {
	var out [][]byte
	for i := range x.entries {
		if !x.seen(i) {
			out = append(out, append([]byte(nil), x.entries[i].anchor[:]...))
		}
	}
	return out
}
