package main

import (
	"context"
	"time"

	"github.com/sspr/sspr/internal/report"
)

// keepInsights keeps what the dashboard reads without scanning (internal/insight): the daily
// counts of the days that are over (report.UpdateDailyCounts: nothing to do once they are
// counted) and today's readiness snapshot (report.TakeSnapshot: once a day). Housekeeping calls
// it every minute under its lease, before audit events are pruned, so a day is counted before
// its events go.
func keepInsights(ctx context.Context, a *app, now time.Time) {
	if n, err := report.UpdateDailyCounts(ctx, a.store, now); err != nil && ctx.Err() == nil {
		a.log.Error("housekeeping: daily counts", "err", err)
	} else if n > 0 {
		a.log.Info("housekeeping: daily counts", "days", n)
	}
	if took, err := report.TakeSnapshot(ctx, a.store, a.cfg.Reset, now); err != nil && ctx.Err() == nil {
		a.log.Error("housekeeping: readiness snapshot", "err", err)
	} else if took {
		a.log.Info("housekeeping: readiness snapshot taken", "day", now.UTC().Format(time.DateOnly))
	}
}
