package syncer

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/sspr/sspr/internal/store"
)

// anchorLen is the length of every anchor: objectGUID and entryUUID are both 16 bytes.
const anchorLen = 16

// index holds what a run needs of every stored directory user, 24 bytes each plus a bit, sorted
// by anchor: 300,000 users cost about 7 MiB, so memory stays flat as the directory grows. The
// entries live in chunks of indexChunk (all full but the last), never in one array grown by
// copies: entry i is chunks[i/indexChunk][i%indexChunk].
type index struct {
	chunks  [][]indexEntry
	n       int
	seenBit []uint64
}

type indexEntry struct {
	anchor [anchorLen]byte
	fp     uint64
}

// indexChunk is how many entries an index's chunk holds (192 KiB).
const indexChunk = 8192

func loadIndex(ctx context.Context, tx store.SyncTx) (*index, error) {
	idx := &index{}
	// In chunks: append's growth allocated (and page-faulted, and copied) some five times the
	// index (13 MB for 100,000 users), doubling kept up to three times it at once.
	var cur []indexEntry
	err := tx.Fingerprints(ctx, func(f store.Fingerprint) error {
		if len(f.Anchor) != anchorLen {
			return fmt.Errorf("stored anchor has %d bytes, want %d", len(f.Anchor), anchorLen)
		}
		if len(cur) == cap(cur) {
			cur = make([]indexEntry, 0, indexChunk)
			idx.chunks = append(idx.chunks, nil)
		}
		var e indexEntry
		copy(e.anchor[:], f.Anchor)
		e.fp = f.Fingerprint
		cur = append(cur, e)
		idx.chunks[len(idx.chunks)-1] = cur
		idx.n++
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !idx.sorted() { // the SQLite store reads them in anchor order, PostgreSQL does not
		all := make([]indexEntry, 0, idx.n)
		for _, c := range idx.chunks {
			all = append(all, c...)
		}
		slices.SortFunc(all, func(a, b indexEntry) int { return bytes.Compare(a.anchor[:], b.anchor[:]) })
		idx.chunks = idx.chunks[:0]
		for len(all) > 0 {
			k := min(len(all), indexChunk)
			idx.chunks = append(idx.chunks, all[:k:k])
			all = all[k:]
		}
	}
	idx.seenBit = make([]uint64, (idx.n+63)/64)
	return idx, nil
}

// at returns entry i.
func (x *index) at(i int) *indexEntry { return &x.chunks[i/indexChunk][i%indexChunk] }

func (x *index) sorted() bool {
	for i := 1; i < x.n; i++ {
		if bytes.Compare(x.at(i - 1).anchor[:], x.at(i).anchor[:]) > 0 {
			return false
		}
	}
	return true
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
	i := sort.Search(x.n, func(i int) bool { return bytes.Compare(x.at(i).anchor[:], anchor) >= 0 })
	return i, i < x.n && bytes.Equal(x.at(i).anchor[:], anchor)
}

func (x *index) markSeen(i int)  { x.seenBit[i/64] |= 1 << (i % 64) }
func (x *index) seen(i int) bool { return x.seenBit[i/64]&(1<<(i%64)) != 0 }

// unseen returns the anchors of stored users not reported by the directory.
func (x *index) unseen() [][]byte {
	var out [][]byte
	for i := range x.n {
		if !x.seen(i) {
			out = append(out, append([]byte(nil), x.at(i).anchor[:]...))
		}
	}
	return out
}
