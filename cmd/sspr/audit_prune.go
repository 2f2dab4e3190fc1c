package main

import (
	"context"
	"strconv"
	"time"

	"github.com/sspr/sspr/internal/store"
)

// eventAuditPruned records a prune of the audit log by its retention.
const eventAuditPruned = "audit.pruned"

// pruneAudit deletes the audit events older than audit.retention before now. The store moves
// the chain's anchor to the last event it deletes (signed) before deleting, so that `sspr audit
// verify` still passes; a prune that deleted events is itself audited.
func pruneAudit(ctx context.Context, a *app, now time.Time) {
	before := now.Add(-a.cfg.Audit.RetentionPeriod())
	n, err := a.store.PruneAudit(ctx, before)
	if err != nil && ctx.Err() == nil {
		a.log.Error("housekeeping: prune the audit log", "before", before, "pruned", n, "err", err)
	}
	if n == 0 {
		return
	}
	a.log.Info("audit events pruned", "before", before.UTC(), "count", n)
	if err := a.store.AppendAudit(ctx, &store.AuditEvent{Type: eventAuditPruned, Actor: "system",
		Details: map[string]string{"before": before.UTC().Format(time.RFC3339), "count": strconv.FormatInt(n, 10)}}); err != nil && ctx.Err() == nil {
		a.log.Error("housekeeping: audit the prune", "err", err)
	}
}
