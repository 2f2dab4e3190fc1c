package audit_test

import (
	"context"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/audit"
	"github.com/sspr/sspr/internal/store"
)

// racing is a chain that changes between Verify's reads, as a running sspr does: its states are
// what AuditChain returns at each call; the walk sees events (all of them, as stored by then).
type racing struct {
	states []store.AuditChain
	calls  int
	events []store.AuditEvent
}

func (r *racing) AuditChain(context.Context) (store.AuditChain, error) {
	s := r.states[min(r.calls, len(r.states)-1)]
	r.calls++
	return s, nil
}

func (r *racing) WalkAuditChain(_ context.Context, after int64, fn func(store.AuditEvent) error) error {
	for _, e := range r.events {
		if e.Seq > after {
			if err := fn(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// chain is n events chained with key from the genesis.
func chain(n int) []store.AuditEvent {
	prev := audit.Genesis
	var l []store.AuditEvent
	for i := range n {
		e := store.AuditEvent{ID: int64(i + 10), Seq: int64(i + 1), Time: time.Unix(int64(i), 0).UTC(), Type: "reset.started", Actor: "user"}
		e.Hash = audit.Link(key, prev, e.Seq, audit.Digest(e))
		prev = e.Hash
		l = append(l, e)
	}
	return l
}

func TestVerifyWhileSsprRuns(t *testing.T) {
	ev := chain(6)
	anchor := func(seq int) store.AuditChain {
		before := time.Unix(100, 0).UTC()
		return store.AuditChain{AnchorSeq: int64(seq), AnchorHash: ev[seq-1].Hash, AnchorBefore: before,
			AnchorMAC: audit.AnchorMAC(key, int64(seq), ev[seq-1].Hash, before), HeadSeq: 6, HeadHash: ev[5].Hash}
	}
	for _, c := range []struct {
		name    string
		r       *racing
		checked int64
		broken  bool
	}{
		{"events appended after the head was read are left for later",
			&racing{states: []store.AuditChain{{AnchorHash: audit.Genesis, HeadSeq: 4, HeadHash: ev[3].Hash}}, events: ev}, 4, false},
		{"a prune overtook the walk: it starts again from the new anchor",
			&racing{states: []store.AuditChain{{AnchorHash: audit.Genesis, HeadSeq: 6, HeadHash: ev[5].Hash}, anchor(3), anchor(3)}, events: ev[3:]}, 3, false},
		{"events deleted after the anchor, which did not move, are found",
			&racing{states: []store.AuditChain{anchor(2)}, events: ev[3:]}, 0, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := audit.Verify(t.Context(), c.r, key)
			if err != nil || (r.Broken != nil) != c.broken || r.Checked != c.checked {
				t.Errorf("checked %d, broken %v (%v)", r.Checked, r.Broken, err)
			}
		})
	}
}
