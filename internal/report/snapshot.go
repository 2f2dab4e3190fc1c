package report

import (
	"context"
	"fmt"
	"time"

	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/store"
)

// SnapshotStore is what TakeSnapshot reads and writes.
type SnapshotStore interface {
	Lister
	ListSnapshots(ctx context.Context, since, until time.Time) ([]store.Snapshot, error)
	PutSnapshot(ctx context.Context, s store.Snapshot) (bool, error)
}

// TakeSnapshot stores today's readiness totals under policy p, unless today (UTC, at now) has
// a snapshot: true when this call stored one. Serve's housekeeping calls it every few minutes
// under its lease; only the first call of a day reads the users.
func TakeSnapshot(ctx context.Context, st SnapshotStore, p flow.Policy, now time.Time) (bool, error) {
	day := store.Day(now)
	have, err := st.ListSnapshots(ctx, day, day.AddDate(0, 0, 1))
	if err != nil {
		return false, fmt.Errorf("snapshot: %w", err)
	}
	if len(have) > 0 {
		return false, nil
	}
	t, err := Build(ctx, st, p, store.UserFilter{}, nil)
	if err != nil {
		return false, fmt.Errorf("snapshot: %w", err)
	}
	return st.PutSnapshot(ctx, SnapshotOf(t, now))
}

// SnapshotOf is the snapshot of totals t taken at now.
func SnapshotOf(t Totals, now time.Time) store.Snapshot {
	s := store.Snapshot{Day: store.Day(now), TakenAt: now.UTC(), Users: t.Users, Enabled: t.Enabled, Ready: t.Ready,
		NotReady: t.NotReady, Registered: t.Registered, ByMethod: map[string]int{}, Reasons: map[string]int{}}
	for _, m := range flow.AllMethods {
		s.ByMethod[m] = t.ByMethod[m]
	}
	for _, r := range AllReasons {
		s.Reasons[r] = t.Reasons[r]
	}
	return s
}
