package main

import (
	"context"
	"time"

	"github.com/sspr/sspr/internal/i18n"
	"github.com/sspr/sspr/internal/notify"
	"github.com/sspr/sspr/internal/reminder"
)

// reminderInterval is how often `sspr serve` looks for password expiry reminders due.
const reminderInterval = 5 * time.Minute

// reminderLoop sends the password expiry reminders due now and every reminderInterval, while
// this instance leads the "reminders" lease (started only when reminders.enabled is not false). Each reminder is claimed in the store before it is
// queued (package reminder), so a restart or another instance never sends it again.
func reminderLoop(ctx context.Context, a *app, outbox *notify.Outbox, worker *notify.Worker) {
	r, err := reminder.New(a.store, outbox, a.cfg.Reminders, a.cfg.Server.PublicURL, a.log)
	if err != nil {
		a.log.Error("reminders disabled", "err", err)
		<-ctx.Done() // keep the lease: another instance would fail alike
		return
	}
	texts, err := i18n.New(a.cfg.I18N) // each user's preferredLanguage
	if err != nil {
		a.log.Error("reminders disabled", "err", err)
		<-ctx.Done()
		return
	}
	r.SetTexts(texts)
	t := time.NewTicker(reminderInterval)
	defer t.Stop()
	for {
		n, err := r.Run(ctx, time.Now())
		if err != nil && ctx.Err() == nil {
			a.log.Error("reminders", "err", err)
		}
		if n > 0 {
			a.log.Info("password expiry reminders queued", "users", n)
			worker.Notify()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
