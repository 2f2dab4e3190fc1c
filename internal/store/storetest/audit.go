package storetest

import (
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	auditchain "github.com/sspr/sspr/internal/audit"
	"github.com/sspr/sspr/internal/store"
)

// testAuditFilters checks the filters beside user, type and time: actor, outcome, client
// address, and the keyset cursor with a limit.
func testAuditFilters(t *testing.T, s store.Store) {
	ctx := t.Context()
	events := []store.AuditEvent{
		{Type: "reset.started", Actor: "user", ClientIP: "192.0.2.7"},
		{Type: "reset.done", Actor: "user", ClientIP: "10.1.2.3", Details: map[string]string{"outcome": "done", "method": "sms"}},
		{Type: "admin.user.updated", Actor: "admin:Helpdesk", ClientIP: "2001:db8::1"},
		{Type: "reset.failed", Actor: "User", ClientIP: "10.9.9.9", Details: map[string]string{"outcome": "failedProof"}},
		{Type: "admin.user.created", Actor: "admin:", ClientIP: "::ffff:192.0.2.7"},
		{Type: "sync.contact.changed", Actor: "administrator", Details: map[string]string{"outcome": "DONE"}},
		{Type: "reset.done", Actor: "user", ClientIP: "10.1.2.4", Details: map[string]string{"outcome": "done"}},
	}
	for i := range events {
		events[i].Time = t0.Add(time.Duration(i) * time.Minute)
		if i == 6 {
			events[i].Time = events[5].Time // two at one instant: by ID
		}
		if err := s.AppendAudit(ctx, &events[i]); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(idx ...int) []int64 {
		var l []int64
		for _, i := range idx {
			l = append(l, events[i].ID)
		}
		return l
	}
	net := func(s string) netip.Prefix { return netip.MustParsePrefix(s) }
	after := func(i int) *store.AuditCursor { return &store.AuditCursor{Time: events[i].Time, ID: events[i].ID} }
	for _, tc := range []struct {
		name string
		f    store.AuditFilter
		want []int64
	}{
		{"actor exact, any case", store.AuditFilter{Actor: "USER"}, ids(6, 3, 1, 0)},
		{"actor prefix", store.AuditFilter{Actor: "admin:"}, ids(2)},
		{"actor prefix, any case", store.AuditFilter{Actor: "ADMIN:"}, ids(2)},
		{"actor without colon is exact", store.AuditFilter{Actor: "admin"}, nil},
		{"actor is not a pattern", store.AuditFilter{Actor: "us%"}, nil},
		{"outcome, any case", store.AuditFilter{Outcome: "done"}, ids(6, 5, 1)},
		{"outcome other", store.AuditFilter{Outcome: "failedProof"}, ids(3)},
		{"client address, mapped form too", store.AuditFilter{ClientIP: net("192.0.2.7/32")}, ids(4, 0)},
		{"client IPv6", store.AuditFilter{ClientIP: net("2001:db8::1/128")}, ids(2)},
		{"client network", store.AuditFilter{ClientIP: net("10.0.0.0/8")}, ids(6, 3, 1)},
		{"client network, limit", store.AuditFilter{ClientIP: net("10.0.0.0/8"), Limit: 2}, ids(6, 3)},
		{"outcome and network", store.AuditFilter{Outcome: "done", ClientIP: net("10.1.0.0/16")}, ids(6, 1)},
		{"page 1", store.AuditFilter{Limit: 3}, ids(6, 5, 4)},
		{"page 2 after a tie on time", store.AuditFilter{Limit: 3, After: after(4)}, ids(3, 2, 1)},
		{"after the first of a tie", store.AuditFilter{Limit: 1, After: after(6)}, ids(5)},
		{"last page", store.AuditFilter{Limit: 3, After: after(1)}, ids(0)},
		{"cursor and filters", store.AuditFilter{Actor: "user", After: after(6)}, ids(3, 1, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) { checkAuditIDs(t, s, tc.f, tc.want) })
	}
}

// verify checks the chain with the key stores use without SetAuditKey.
func verify(t *testing.T, s store.Store) auditchain.Report {
	t.Helper()
	r, err := auditchain.Verify(t.Context(), s, auditchain.Unkeyed)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return r
}

// testAuditChain appends through every path (AppendAudit, an Update, a SyncTx, WriteStep, some
// rolled back) and checks the chain: contiguous seqs in append order, the head on the last event,
// and Verify passing.
func testAuditChain(t *testing.T, s store.Store) {
	ctx := t.Context()
	if r := verify(t, s); r.Broken != nil || r.Checked != 0 || r.Chain.HeadSeq != 0 || r.Chain.AnchorSeq != 0 {
		t.Fatalf("empty store: %+v", r)
	}
	a := &store.AuditEvent{Type: "reset.started", Actor: "user", Time: t0, Details: map[string]string{"b": "2", "a": "1"}}
	if err := s.AppendAudit(ctx, a); err != nil {
		t.Fatal(err)
	}
	if a.Seq != 1 || len(a.Hash) != auditchain.HashSize {
		t.Errorf("first event: seq %d hash %x", a.Seq, a.Hash)
	}
	var inTx store.AuditEvent
	update(t, s, func(tx store.UsersTx) error {
		inTx = store.AuditEvent{Type: "admin.user.updated", Actor: "admin:ops", Time: t0.Add(time.Second)}
		return tx.AppendAudit(ctx, &inTx)
	})
	// A rolled-back transaction's events leave no gap.
	_ = s.Update(ctx, func(tx store.UsersTx) error {
		if err := tx.AppendAudit(ctx, &store.AuditEvent{Type: "admin.user.updated", Actor: "admin:ops"}); err != nil {
			return err
		}
		return errRollback
	})
	tx, err := s.BeginSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	inSync := store.AuditEvent{Type: "sync.contact.changed", Actor: "sync", Time: t0.Add(2 * time.Second)}
	if err := tx.AppendAudit(ctx, &inSync); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if tx, err = s.BeginSync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := tx.AppendAudit(ctx, &store.AuditEvent{Type: "sync.contact.changed", Actor: "sync"}); err != nil {
		t.Fatal(err)
	}
	tx.Rollback()
	step := &store.AuditEvent{Type: "reset.done", Actor: "user", Time: t0.Add(3 * time.Second)}
	if err := s.WriteStep(ctx, store.StepWrite{Audit: []*store.AuditEvent{step}}); err != nil {
		t.Fatal(err)
	}
	// An update of a session that fails writes no event and moves no head.
	missing := &store.Session{ID: "absent", Version: 1, ExpiresAt: t0.Add(time.Hour)}
	if err := s.WriteStep(ctx, store.StepWrite{UpdateSession: missing, Audit: []*store.AuditEvent{{Type: "reset.x", Actor: "user"}}}); err == nil {
		t.Errorf("WriteStep of an absent session succeeded")
	}
	chain := []*store.AuditEvent{a, &inTx, &inSync, step}
	for i, e := range chain {
		if e.Seq != int64(i+1) || e.ID == 0 {
			t.Errorf("event %d (%s): seq %d id %d", i, e.Type, e.Seq, e.ID)
		}
	}
	r := verify(t, s)
	if r.Broken != nil || r.Checked != 4 || r.Chain.HeadSeq != 4 || !slices.Equal(r.Chain.HeadHash, step.Hash) || r.Legacy != 0 {
		t.Errorf("after 4 appends: %+v broken %v", r, r.Broken)
	}
	// The hash is the documented one.
	prev := auditchain.Genesis
	var walked []store.AuditEvent
	if err := s.WalkAuditChain(ctx, 0, func(e store.AuditEvent) error { walked = append(walked, e); return nil }); err != nil {
		t.Fatal(err)
	}
	for i, e := range walked {
		if want := auditchain.Link(auditchain.Unkeyed, prev, int64(i+1), auditchain.Digest(e)); !slices.Equal(e.Hash, want) {
			t.Errorf("event %d: hash %x, want %x", e.ID, e.Hash, want)
		}
		prev = e.Hash
	}
	// Another key does not verify.
	if r, err := auditchain.Verify(ctx, s, make([]byte, 32)); err != nil || r.Broken == nil || r.Broken.ID != a.ID {
		t.Errorf("Verify with another key: %+v %v", r.Broken, err)
	}
}

var errRollback = errorString("roll back")

type errorString string

func (e errorString) Error() string { return string(e) }

// testAuditChainConcurrent appends from many goroutines, alone and in transactions: the seqs
// are 1..n without a gap or a repeat and the chain verifies.
func testAuditChainConcurrent(t *testing.T, s store.Store) {
	ctx := t.Context()
	const workers, each = 8, 15
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				var err error
				switch (w + i) % 3 {
				case 0:
					err = s.AppendAudit(ctx, &store.AuditEvent{Type: "reset.started", Actor: "user"})
				case 1:
					err = s.Update(ctx, func(tx store.UsersTx) error {
						return tx.AppendAudit(ctx, &store.AuditEvent{Type: "admin.user.updated", Actor: "admin:ops"})
					})
				default:
					err = s.WriteStep(ctx, store.StepWrite{Audit: []*store.AuditEvent{{Type: "reset.a", Actor: "user"}, {Type: "reset.b", Actor: "user"}}})
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var seqs []int64
	if err := s.WalkAuditChain(ctx, 0, func(e store.AuditEvent) error { seqs = append(seqs, e.Seq); return nil }); err != nil {
		t.Fatal(err)
	}
	n := len(seqs)
	if n < workers*each || seqs[0] != 1 || seqs[n-1] != int64(n) {
		t.Errorf("%d events, seqs %v ... %v", n, seqs[:1], seqs[n-1:])
	}
	if r := verify(t, s); r.Broken != nil || r.Checked != int64(n) {
		t.Errorf("after concurrent appends: checked %d of %d, broken %v", r.Checked, n, r.Broken)
	}
}

// testPruneAudit prunes by time: the chain's prefix of older events goes, the anchor moves to
// the last one pruned, signed, and the rest verifies; events out of time order stay with the
// first one kept.
func testPruneAudit(t *testing.T, s store.Store) {
	ctx := t.Context()
	if n, err := s.PruneAudit(ctx, t0); err != nil || n != 0 {
		t.Errorf("prune of an empty log: %d, %v", n, err)
	}
	var events []*store.AuditEvent
	for i, d := range []int{0, 1, 2, 5, 3, 6, 7} { // days after t0; 3 comes after 5
		e := &store.AuditEvent{Type: "reset.started", Actor: "user", Time: t0.Add(time.Duration(d) * 24 * time.Hour),
			Details: map[string]string{"i": string(rune('a' + i))}}
		if err := s.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
	}
	cut := t0.Add(4 * 24 * time.Hour)
	n, err := s.PruneAudit(ctx, cut)
	if err != nil || n != 3 {
		t.Fatalf("PruneAudit: %d, %v; want 3 (the 4th event is newer than the cut, so the 5th stays)", n, err)
	}
	var kept []int64
	for _, e := range audit(t, s, store.AuditFilter{}) {
		kept = append(kept, e.Seq)
	}
	if !slices.Equal(kept, []int64{7, 6, 4, 5}) {
		t.Errorf("kept seqs %v, want 7 6 4 5 (newest first)", kept)
	}
	r := verify(t, s)
	if r.Broken != nil || r.Checked != 4 || r.Chain.AnchorSeq != 3 || !slices.Equal(r.Chain.AnchorHash, events[2].Hash) ||
		!r.Chain.AnchorBefore.Equal(cut) {
		t.Errorf("after the prune: %+v, broken %v", r.Chain, r.Broken)
	}
	// Appends go on from the head; another prune moves the anchor on.
	if err := s.AppendAudit(ctx, &store.AuditEvent{Type: "reset.done", Actor: "user", Time: t0.Add(8 * 24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PruneAudit(ctx, t0.Add(100*24*time.Hour)); err != nil || n != 5 {
		t.Errorf("prune of everything: %d, %v", n, err)
	}
	if r := verify(t, s); r.Broken != nil || r.Checked != 0 || r.Chain.AnchorSeq != 8 || r.Chain.HeadSeq != 8 {
		t.Errorf("after pruning everything: %+v, broken %v", r.Chain, r.Broken)
	}
	if err := s.AppendAudit(ctx, &store.AuditEvent{Type: "reset.done", Actor: "user"}); err != nil {
		t.Fatal(err)
	}
	if r := verify(t, s); r.Broken != nil || r.Checked != 1 {
		t.Errorf("an append after pruning everything: %+v, broken %v", r.Chain, r.Broken)
	}
}
