package console

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/sspr/sspr/internal/report"
	"github.com/sspr/sspr/internal/store"
)

// Activity counts the reset and unlock outcomes of one period, from the audit log.
type Activity struct {
	Days int
	// Started counts flows started for a known user; Done the resets (or unlocks) completed.
	ResetsStarted, ResetsDone   int
	UnlocksStarted, UnlocksDone int
	// FailedProofs are wrong codes and wrong answers; Throttled the steps refused by a limit
	// (lockouts included); WritebackFailed the new passwords the directory refused.
	FailedProofs, Throttled, WritebackFailed int
}

// SuccessRate is completed ÷ started for known users, in percent; -1 when none started.
func (a Activity) SuccessRate() float64 {
	started := a.ResetsStarted + a.UnlocksStarted
	if started == 0 {
		return -1
	}
	return float64(a.ResetsDone+a.UnlocksDone) * 100 / float64(started)
}

// count adds one event.
func (a *Activity) count(e store.AuditEvent) {
	switch e.Type {
	case "reset.started":
		if e.UserID != "" {
			a.ResetsStarted++
		}
	case "unlock.started":
		if e.UserID != "" {
			a.UnlocksStarted++
		}
	case "reset.done":
		a.ResetsDone++
	case "unlock.done":
		a.UnlocksDone++
	case "reset.code.failed", "unlock.code.failed", "reset.questions.failed", "unlock.questions.failed":
		a.FailedProofs++
	case "reset.throttled", "unlock.throttled", "reset.lockedOut", "unlock.lockedOut":
		a.Throttled++
	case "reset.writeback.failed", "unlock.failed":
		a.WritebackFailed++
	}
}

// Dashboard is the figures of the dashboard's tiles.
type Dashboard struct {
	At         time.Time
	Totals     report.TotalsJSON
	Registered int
	Week       Activity
	Month      Activity
	// LockedOut counts the users locked out of reset by failed proofs now.
	LockedOut int
	// Queued messages in the outbox, and the oldest one's age.
	Queued    int
	OldestAge time.Duration
	LastRun   *store.SyncRun
}

// Duration of the last run ("" while it runs).
func (d Dashboard) RunDuration() string {
	if d.LastRun == nil || d.LastRun.FinishedAt == nil {
		return ""
	}
	return d.LastRun.FinishedAt.Sub(d.LastRun.StartedAt).Round(time.Millisecond).String()
}

// RunChanges is what the last run changed.
func (d Dashboard) RunChanges() int {
	if d.LastRun == nil {
		return 0
	}
	return d.LastRun.Added + d.LastRun.Updated + d.LastRun.Deleted
}

// dashboardFigures computes the tiles from the store: the readiness report's totals under the
// current policy, and the last 30 days of reset and unlock events.
func (s *Server) dashboardFigures(ctx context.Context) (Dashboard, error) {
	now := s.cfg.Now()
	d := Dashboard{At: now, Week: Activity{Days: 7}, Month: Activity{Days: 30}}
	t, err := report.Build(ctx, s.st, s.cfg.Reset, store.UserFilter{}, func(r report.Readiness) error {
		if r.Registered {
			d.Registered++
		}
		return nil
	})
	if err != nil {
		return d, err
	}
	d.Totals = t.JSON()
	weekAgo := now.Add(-7 * 24 * time.Hour)
	lockedUsers := map[string]bool{}
	for _, prefix := range []string{"reset.", "unlock."} {
		err := s.st.ListAudit(ctx, store.AuditFilter{TypePrefix: prefix, Since: now.Add(-30 * 24 * time.Hour)}, func(e store.AuditEvent) error {
			d.Month.count(e)
			if !e.Time.Before(weekAgo) {
				d.Week.count(e)
			}
			if e.Type == prefix+"lockedOut" && e.UserID != "" && e.Details["scope"] != "ip" {
				if until, err := time.Parse(time.RFC3339, e.Details["until"]); err == nil && until.After(now) {
					lockedUsers[e.UserID] = true
				}
			}
			return nil
		})
		if err != nil {
			return d, fmt.Errorf("console: activity: %w", err)
		}
	}
	// A lockout event may have been cleared since (an unlock, a successful reset): ask the
	// throttle store about each.
	for id := range lockedUsers {
		if until, err := s.st.LockedUntil(ctx, lockKey(id), now); err == nil && !until.IsZero() {
			d.LockedOut++
		}
	}
	queued, oldest, err := s.st.OutboxBacklog(ctx)
	if err != nil {
		return d, fmt.Errorf("console: outbox: %w", err)
	}
	d.Queued = queued
	if !oldest.IsZero() {
		d.OldestAge = now.Sub(oldest).Round(time.Second)
	}
	runs, err := s.st.ListRuns(ctx, 1)
	if err != nil {
		return d, fmt.Errorf("console: sync runs: %w", err)
	}
	if len(runs) > 0 {
		d.LastRun = &runs[0]
	}
	return d, nil
}

func (s *Server) dashboard(w http.ResponseWriter, r *http.Request, a *Admin) {
	d, err := s.dashboardFigures(r.Context())
	if err != nil {
		s.fail(w, r, a, err)
		return
	}
	p := s.newPage(w, r, "Dashboard", "dashboard", a)
	p.Data = d
	s.render(w, "dashboard", http.StatusOK, p)
}
