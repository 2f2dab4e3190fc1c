package insight

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/report"
	"github.com/sspr/sspr/internal/store"
)

// Store is what the dashboard reads.
type Store interface {
	report.ActivityStore
	ListSnapshots(ctx context.Context, since, until time.Time) ([]store.Snapshot, error)
	// DeliveryStats: report.Activity counts the outbox of the days it counts through it.
	DeliveryStats(ctx context.Context, since, until time.Time) ([]store.DeliveryStat, error)
	ActiveLocks(ctx context.Context, now time.Time) (int, error)
	OutboxBacklog(ctx context.Context) (queued int, oldest time.Time, err error)
	ListRuns(ctx context.Context, limit int) ([]store.SyncRun, error)
}

// Days is the dashboard's window: the charts show the last 30 days, today included.
const Days = 30

// SyncRuns is how many of the latest sync runs the dashboard shows.
const SyncRuns = 30

// Data is everything the dashboard shows.
type Data struct {
	Now   time.Time `json:"now"`
	Tiles Tiles     `json:"tiles"`
	// Readiness has a point per day with a snapshot, oldest first: readiness and registration
	// coverage over time.
	Readiness []DayTotals `json:"readiness"`
	// Activity has a point per day of the window, oldest first: resets and unlocks by outcome.
	Activity []DayActivity `json:"activity"`
	// Methods: per method (and channel), over the window.
	Methods []MethodStat `json:"methods"`
	// NotReady: enabled users who are not ready, by reason, from the latest snapshot.
	NotReady []ReasonCount `json:"notReady"`
	// SyncRuns: the latest runs, oldest first.
	SyncRuns []SyncRun `json:"syncRuns"`
}

// Tiles are the dashboard's single figures.
type Tiles struct {
	// From the latest snapshot (SnapshotAt; null when none was taken yet).
	UsersInScope      int        `json:"usersInScope"`
	Enabled           int        `json:"enabled"`
	ReadyToday        int        `json:"readyToday"`
	ReadyPercent      float64    `json:"readyPercent"`
	Registered        int        `json:"registered"`
	RegisteredPercent float64    `json:"registeredPercent"`
	SnapshotAt        *time.Time `json:"snapshotAt"`
	// Resets and unlocks done in the last 7 and 30 days (today included).
	Resets7   int `json:"resets7"`
	Resets30  int `json:"resets30"`
	Unlocks7  int `json:"unlocks7"`
	Unlocks30 int `json:"unlocks30"`
	// SuccessRate30 is the percentage of the resets and unlocks started in the last 30 days
	// (known users) that were done; null when none started.
	SuccessRate30 *float64 `json:"successRate30"`
	// LockedOutNow counts sspr's own lockouts (throttle locks) in force.
	LockedOutNow int `json:"lockedOutNow"`
	// OutboxBacklog is how many messages wait for delivery; OutboxOldest since when.
	OutboxBacklog int        `json:"outboxBacklog"`
	OutboxOldest  *time.Time `json:"outboxOldest"`
	// LastSync is the latest sync run; null when none ran.
	LastSync *SyncRun `json:"lastSync"`
}

// DayTotals is one day's snapshot.
type DayTotals struct {
	Day               time.Time `json:"day"`
	Enabled           int       `json:"enabled"`
	Ready             int       `json:"ready"`
	ReadyPercent      float64   `json:"readyPercent"`
	Registered        int       `json:"registered"`
	RegisteredPercent float64   `json:"registeredPercent"`
}

// DayActivity counts the resets and unlocks of one day by outcome.
type DayActivity struct {
	Day             time.Time `json:"day"`
	Done            int       `json:"done"`
	Abandoned       int       `json:"abandoned"`
	FailedProof     int       `json:"failedProof"`
	Throttled       int       `json:"throttled"`
	WritebackFailed int       `json:"writebackFailed"`
}

// Outcome returns the count of one of report.StackedOutcomes.
func (a DayActivity) Outcome(o string) int {
	switch o {
	case report.OutcomeDone:
		return a.Done
	case report.OutcomeAbandoned:
		return a.Abandoned
	case report.OutcomeFailedProof:
		return a.FailedProof
	case report.OutcomeThrottled:
		return a.Throttled
	case report.OutcomeWritebackFailed:
		return a.WritebackFailed
	}
	return 0
}

// MethodStat is one method over the window: proofs that succeeded and failed (resets and
// unlocks), codes queued on its channel, and the channel's delivery failures.
type MethodStat struct {
	Method           string `json:"method"`
	Used             int    `json:"used"`
	Failed           int    `json:"failed"`
	CodesSent        int    `json:"codesSent"`
	DeliveryFailures int    `json:"deliveryFailures"` // messages given up plus failed attempts
}

// ReasonCount is how many enabled users are not ready for one reason (report.Reason*).
type ReasonCount struct {
	Reason string `json:"reason"`
	Users  int    `json:"users"`
}

// SyncRun is one sync run as the dashboard shows it.
type SyncRun struct {
	StartedAt time.Time       `json:"startedAt"`
	Duration  time.Duration   `json:"durationNs"` // 0 while running
	Changes   int             `json:"changes"`    // added + updated + deleted
	Status    store.RunStatus `json:"status"`
}

// Dashboard computes the dashboard at now.
func Dashboard(ctx context.Context, st Store, now time.Time) (Data, error) {
	today := store.Day(now)
	first := today.AddDate(0, 0, 1-Days)
	d := Data{Now: now.UTC(), Readiness: []DayTotals{}, Activity: []DayActivity{}, Methods: []MethodStat{}, NotReady: []ReasonCount{}, SyncRuns: []SyncRun{}}

	snaps, err := st.ListSnapshots(ctx, first, today.AddDate(0, 0, 1))
	if err != nil {
		return Data{}, fmt.Errorf("dashboard: %w", err)
	}
	for _, s := range snaps {
		d.Readiness = append(d.Readiness, DayTotals{Day: s.Day, Enabled: s.Enabled, Ready: s.Ready, ReadyPercent: percent(s.Ready, s.Enabled),
			Registered: s.Registered, RegisteredPercent: percent(s.Registered, s.Enabled)})
	}
	if len(snaps) > 0 {
		s := snaps[len(snaps)-1]
		at := s.TakenAt
		d.Tiles.UsersInScope, d.Tiles.Enabled, d.Tiles.ReadyToday, d.Tiles.Registered, d.Tiles.SnapshotAt = s.Users, s.Enabled, s.Ready, s.Registered, &at
		d.Tiles.ReadyPercent, d.Tiles.RegisteredPercent = percent(s.Ready, s.Enabled), percent(s.Registered, s.Enabled)
		for _, r := range report.AllReasons {
			d.NotReady = append(d.NotReady, ReasonCount{Reason: r, Users: s.Reasons[r]})
		}
	}

	counts, err := report.Activity(ctx, st, first, now)
	if err != nil {
		return Data{}, fmt.Errorf("dashboard: %w", err)
	}
	byDay := map[time.Time]*DayActivity{}
	for day := first; !day.After(today); day = day.AddDate(0, 0, 1) {
		d.Activity = append(d.Activity, DayActivity{Day: day})
	}
	for i := range d.Activity {
		byDay[d.Activity[i].Day] = &d.Activity[i]
	}
	methods := map[string]*MethodStat{}
	method := func(m string) *MethodStat {
		if methods[m] == nil {
			methods[m] = &MethodStat{Method: m}
		}
		return methods[m]
	}
	for _, m := range flow.AllMethods {
		method(m)
	}
	week := today.AddDate(0, 0, -6)
	started, done := 0, 0
	for _, c := range counts {
		if c.Flow == report.FlowDelivery && (c.Outcome == report.OutcomeFailed || c.Outcome == report.OutcomeAttemptErrors) {
			method(c.Method).DeliveryFailures += c.Count
		}
		if c.Flow != report.FlowReset && c.Flow != report.FlowUnlock {
			continue
		}
		a := byDay[c.Day]
		switch c.Outcome {
		case report.OutcomeDone:
			done += c.Count
			if c.Flow == report.FlowReset {
				d.Tiles.Resets30 += c.Count
				if !c.Day.Before(week) {
					d.Tiles.Resets7 += c.Count
				}
			} else {
				d.Tiles.Unlocks30 += c.Count
				if !c.Day.Before(week) {
					d.Tiles.Unlocks7 += c.Count
				}
			}
			if a != nil {
				a.Done += c.Count
			}
		case report.OutcomeStarted:
			started += c.Count
		case report.OutcomeAbandoned:
			if a != nil {
				a.Abandoned += c.Count
			}
		case report.OutcomeFailedProof:
			if a != nil {
				a.FailedProof += c.Count
			}
		case report.OutcomeThrottled:
			if a != nil {
				a.Throttled += c.Count
			}
		case report.OutcomeWritebackFailed:
			if a != nil {
				a.WritebackFailed += c.Count
			}
		case report.OutcomeMethodUsed:
			method(c.Method).Used += c.Count
		case report.OutcomeMethodFailed:
			method(c.Method).Failed += c.Count
		case report.OutcomeCodeSent:
			method(c.Method).CodesSent += c.Count
		}
	}
	if started > 0 {
		r := round1(float64(min(done, started)) * 100 / float64(started))
		d.Tiles.SuccessRate30 = &r
	}

	for _, m := range flow.AllMethods {
		d.Methods = append(d.Methods, *methods[m])
		delete(methods, m)
	}
	var others []string
	for m := range methods {
		others = append(others, m)
	}
	slices.Sort(others)
	for _, m := range others {
		d.Methods = append(d.Methods, *methods[m])
	}

	if d.Tiles.LockedOutNow, err = st.ActiveLocks(ctx, now); err != nil {
		return Data{}, fmt.Errorf("dashboard: %w", err)
	}
	queued, oldest, err := st.OutboxBacklog(ctx)
	if err != nil {
		return Data{}, fmt.Errorf("dashboard: %w", err)
	}
	d.Tiles.OutboxBacklog = queued
	if !oldest.IsZero() {
		d.Tiles.OutboxOldest = &oldest
	}
	runs, err := st.ListRuns(ctx, SyncRuns)
	if err != nil {
		return Data{}, fmt.Errorf("dashboard: %w", err)
	}
	for i := len(runs) - 1; i >= 0; i-- {
		r := runs[i]
		sr := SyncRun{StartedAt: r.StartedAt, Changes: r.Added + r.Updated + r.Deleted, Status: r.Status}
		if r.FinishedAt != nil {
			sr.Duration = r.FinishedAt.Sub(r.StartedAt)
		}
		d.SyncRuns = append(d.SyncRuns, sr)
	}
	if n := len(d.SyncRuns); n > 0 {
		last := d.SyncRuns[n-1]
		d.Tiles.LastSync = &last
	}
	return d, nil
}

func percent(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return round1(float64(n) * 100 / float64(of))
}

func round1(f float64) float64 { return float64(int(f*10+0.5)) / 10 }
