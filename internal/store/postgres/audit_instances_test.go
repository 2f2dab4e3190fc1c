package postgres_test

import (
	"sync"
	"testing"

	"github.com/sspr/sspr/internal/audit"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/postgres"
	"github.com/sspr/sspr/internal/testenv"
)

// TestAuditChainInstances: three instances on one database append at once, alone, in Updates
// and in WriteSteps; the chain has no gap or fork and verifies with their shared key.
func TestAuditChainInstances(t *testing.T) {
	dsn := testenv.PostgresDSN(t)
	key := []byte("0123456789abcdef0123456789abcdef")
	var stores []*postgres.Store
	for range 3 {
		s, err := postgres.Open(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		s.SetAuditKey(key)
		stores = append(stores, s)
	}
	ctx := t.Context()
	const each = 40
	var wg sync.WaitGroup
	for i, s := range stores {
		for w := range 3 {
			wg.Go(func() {
				for n := range each {
					var err error
					switch (i + w + n) % 3 {
					case 0:
						err = s.AppendAudit(ctx, &store.AuditEvent{Type: "reset.started", Actor: "user"})
					case 1:
						err = s.Update(ctx, func(tx store.UsersTx) error {
							return tx.AppendAudit(ctx, &store.AuditEvent{Type: "admin.user.updated", Actor: "admin:ops"})
						})
					default:
						err = s.WriteStep(ctx, store.StepWrite{Audit: []*store.AuditEvent{{Type: "reset.done", Actor: "user"}}})
					}
					if err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	r, err := audit.Verify(ctx, stores[0], key)
	if err != nil || r.Broken != nil || r.Checked != 3*3*each || r.Chain.HeadSeq != 3*3*each {
		t.Errorf("after concurrent appends from three instances: checked %d, head %d, broken %v (%v)", r.Checked, r.Chain.HeadSeq, r.Broken, err)
	}
}
