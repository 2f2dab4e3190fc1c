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

// indexChunk is how many entries loadIndex collects per allocation (192 KiB).
const indexChunk = 8192

func loadIndex(ctx context.Context, tx store.SyncTx) (*index, error) {
	idx := &index{}
	// Collected in chunks, then copied once into a slice of the exact size: append's growth
	// allocated (and page-faulted, and copied) some five times the index (13 MB for 100,000
	// users), and doubling kept up to three times it at once (peak RSS).
	var chunks [][]indexEntry
	cur := make([]indexEntry, 0, indexChunk)
	n := 0
	err := tx.Fingerprints(ctx, func(f store.Fingerprint) error {
		if len(f.Anchor) != anchorLen {
			return fmt.Errorf("stored anchor has %d bytes, want %d", len(f.Anchor), anchorLen)
		}
		if len(cur) == cap(cur) {
			chunks = append(chunks, cur)
			cur = make([]indexEntry, 0, indexChunk)
		}
		var e indexEntry
		copy(e.anchor[:], f.Anchor)
		e.fp = f.Fingerprint
		cur = append(cur, e)
		n++
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(chunks) == 0 {
		idx.entries = cur
	} else {
		idx.entries = make([]indexEntry, 0, n)
		for _, c := range append(chunks, cur) {
			idx.entries = append(idx.entries, c...)
		}
	}
	cmp := func(a, b indexEntry) int { return bytes.Compare(a.anchor[:], b.anchor[:]) }
	if !slices.IsSortedFunc(idx.entries, cmp) { // the SQLite store reads them in anchor order
		slices.SortFunc(idx.entries, cmp)
	}
	idx.seenBit = make([]uint64, (len(idx.entries)+63)/64)
	return idx, nil
}

// pendingIndex is an index loading on its own goroutine: the directory read starts at once
// (connection, bind, first pages) while the store is scanned, and the handler waits for the
// index only when the first entry arrives.
type pendingIndex struct {
	done chan struct{}
	idx  *index
	err  error
}

// startIndex loads the index of tx on a new goroutine. tx must not be used until the index is
// loaded (wait or loaded returned): a SyncTx is not safe for concurrent use.
func startIndex(ctx context.Context, tx store.SyncTx) *pendingIndex {
	p := &pendingIndex{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		p.idx, p.err = loadIndex(ctx, tx)
	}()
	return p
}

// wait returns the index once loaded, or ctx's error first.
func (p *pendingIndex) wait(ctx context.Context) (*index, error) {
	select {
	case <-p.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if p.err != nil {
		return nil, fmt.Errorf("sync: read stored users: %w", p.err)
	}
	return p.idx, nil
}

// loaded waits for the loading goroutine to end, whatever ctx says (Fingerprints watches ctx
// and ends soon after it is cancelled), and returns the loader's error, wrapped, if any.
func (p *pendingIndex) loaded() error {
	<-p.done
	if p.err != nil {
		return fmt.Errorf("sync: read stored users: %w", p.err)
	}
	return nil
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
