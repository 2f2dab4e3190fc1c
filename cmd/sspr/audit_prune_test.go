package main

import (
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/audit"
	"github.com/sspr/sspr/internal/config"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/sqlite"
)

// TestPruneAudit: housekeeping's prune keeps audit.retention of events, audits itself, and the
// chain still verifies.
func TestPruneAudit(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, age := range []int{40, 31, 29, 1} { // days
		if err := st.AppendAudit(ctx, &store.AuditEvent{Time: now.Add(-time.Duration(age) * 24 * time.Hour), Type: "reset.started", Actor: "user"}); err != nil {
			t.Fatal(err)
		}
	}
	a := &app{cfg: config.Config{Audit: config.Audit{Retention: "30d"}}, log: slog.New(slog.NewTextHandler(t.Output(), nil)), store: st}
	pruneAudit(ctx, a, now)
	var types []string
	if err := st.ListAudit(ctx, store.AuditFilter{}, func(e store.AuditEvent) error {
		types = append(types, e.Type)
		if e.Type == eventAuditPruned && (e.Details["count"] != "2" || e.Details["before"] != "2026-05-02T12:00:00Z") {
			t.Errorf("prune event %+v", e)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(types) != 3 || types[0] != eventAuditPruned {
		t.Errorf("after the prune: %v", types)
	}
	if r, err := audit.Verify(ctx, st, audit.Unkeyed); err != nil || r.Broken != nil || r.Chain.AnchorSeq != 2 || r.Checked != 3 {
		t.Errorf("verify after the prune: %+v, broken %v (%v)", r.Chain, r.Broken, err)
	}
	pruneAudit(ctx, a, now) // nothing more: no event
	if r, _ := audit.Verify(ctx, st, audit.Unkeyed); r.Checked != 3 {
		t.Errorf("a prune with nothing to prune wrote events: %d", r.Checked)
	}
}
