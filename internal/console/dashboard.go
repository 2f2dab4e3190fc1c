package console

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/sspr/sspr/internal/report"
	"github.com/sspr/sspr/internal/store"
)

// Activity sums the reset and unlock outcomes of one period: report.Activity's daily counts
// (the one classification of the audit log, shared with the reports and the charts).
type Activity struct {
	Days int
	// Started counts flows started for a known user; Done the resets (or unlocks) completed.
	ResetsStarted, ResetsDone   int
	UnlocksStarted, UnlocksDone int
	// FailedProofs are wrong codes and wrong answers; Throttled the steps refused by a limit
	// (lockouts included); WritebackFailed the proven flows the directory refused; Abandoned
	// the flows of finished days that ended none of these ways.
	FailedProofs, Throttled, WritebackFailed, Abandoned int
}

// SuccessRate is completed ÷ started for known users, in percent; -1 when none started.
func (a Activity) SuccessRate() float64 {
	started := a.ResetsStarted + a.UnlocksStarted
	if started == 0 {
		return -1
	}
	return float64(a.ResetsDone+a.UnlocksDone) * 100 / float64(started)
}

// activity sums the counts of the last days days up to today (today included).
func activity(counts []store.DailyCount, days int, now time.Time) Activity {
	first := store.Day(now).AddDate(0, 0, 1-days)
	var in []store.DailyCount
	for _, c := range counts {
		if !c.Day.Before(first) {
			in = append(in, c)
		}
	}
	both := func(outcome string) int {
		return report.Sum(in, report.FlowReset, outcome, "") + report.Sum(in, report.FlowUnlock, outcome, "")
	}
	return Activity{Days: days,
		ResetsStarted: report.Sum(in, report.FlowReset, report.OutcomeStarted, ""), ResetsDone: report.Sum(in, report.FlowReset, report.OutcomeDone, ""),
		UnlocksStarted: report.Sum(in, report.FlowUnlock, report.OutcomeStarted, ""), UnlocksDone: report.Sum(in, report.FlowUnlock, report.OutcomeDone, ""),
		FailedProofs: both(report.OutcomeFailedProof), Throttled: both(report.OutcomeThrottled),
		WritebackFailed: both(report.OutcomeWritebackFailed), Abandoned: both(report.OutcomeAbandoned)}
}

// Dashboard is the figures of the dashboard's tiles.
type Dashboard struct {
	At     time.Time
	Totals report.TotalsJSON
	// Registered counts the enabled users who registered something.
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
	d := Dashboard{At: now}
	t, err := report.Build(ctx, s.st, s.cfg.Reset, store.UserFilter{}, nil)
	if err != nil {
		return d, err
	}
	d.Totals, d.Registered = t.JSON(), t.Registered
	counts, err := report.Activity(ctx, s.st, now.AddDate(0, 0, -29), now)
	if err != nil {
		return d, fmt.Errorf("console: %w", err)
	}
	d.Week, d.Month = activity(counts, 7, now), activity(counts, 30, now)
	// Users locked out of reset: the lockouts of the last day (a lock lasts
	// reset.throttle.failedProofs.lock), each checked in the throttle store.
	lockedUsers := map[string]bool{}
	for _, prefix := range []string{"reset.", "unlock."} {
		err := s.st.ListAudit(ctx, store.AuditFilter{TypePrefix: prefix + "lockedOut", Since: now.Add(-s.cfg.Reset.Throttle.FailedProofs.Lock)}, func(e store.AuditEvent) error {
			if e.UserID != "" && e.Details["scope"] != "ip" {
				lockedUsers[e.UserID] = true
			}
			return nil
		})
		if err != nil {
			return d, fmt.Errorf("console: lockouts: %w", err)
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
