package main

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/sspr/sspr/internal/alert"
	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/i18n"
	"github.com/sspr/sspr/internal/notify"
	"github.com/sspr/sspr/internal/syncer"
)

// alertInterval is how often `sspr serve` evaluates the administrators' notifications.
const alertInterval = time.Minute

// alertLoop notifies the administrators (notifications.administrators) of new incidents now and
// every alertInterval, while this instance leads the "alerts" lease; the incidents notified are
// recorded in the audit log (package alert), so a restart or another instance never sends one
// twice.
func alertLoop(ctx context.Context, a *app, outbox *notify.Outbox, worker *notify.Worker) {
	// In the configured default language and time zone (Load checked the i18n block).
	texts, err := i18n.New(a.cfg.I18N)
	if err != nil {
		a.log.Error("notifications disabled", "err", err)
		<-ctx.Done()
		return
	}
	r, err := alert.New(a.store, outbox, a.cfg.Notifications, texts.Pick(""), a.log)
	if err != nil {
		a.log.Error("notifications disabled", "err", err)
		<-ctx.Done() // keep the lease: another instance would fail alike
		return
	}
	t := time.NewTicker(alertInterval)
	defer t.Stop()
	for {
		n, err := r.Run(ctx, time.Now())
		if err != nil && ctx.Err() == nil {
			a.log.Error("notifications", "err", err)
		}
		if n > 0 {
			worker.Notify()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// countDeliveryFailure counts a failed delivery attempt for the notifications' threshold
// (notify.WorkerOptions.Failed).
func countDeliveryFailure(a *app) func(ctx context.Context, at time.Time) {
	return func(ctx context.Context, at time.Time) {
		if err := alert.CountDeliveryFailure(ctx, a.store, at); err != nil {
			a.log.Error("notifications", "err", err)
		}
	}
}

// registerMetrics registers on reg what /metrics serves (server.metricsListen): the Go and
// process collectors, the outbox backlog (read from the store at each scrape), the sync engine's
// metrics (kept on a for every engine a builds) and the flows' metrics, returned for the reset
// and registration services.
func registerMetrics(reg prometheus.Registerer, a *app) (*flow.Metrics, error) {
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, err
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, err
	}
	if err := notify.RegisterBacklog(reg, a.store, nil, a.log); err != nil {
		return nil, err
	}
	a.syncMetrics = syncer.NewMetrics(reg)
	return flow.NewMetrics(reg), nil
}
