package flow_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/store/sqlite"
)

// TestJudge: the decision on a hit already counted: under the limit passes, a lock refuses, one
// too many refuses and, with Lock, locks the key for Lock.
func TestJudge(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		lim      flow.Limit
		n        int
		until    time.Time
		wantKey  string // the error's catalog key, "" for none
		lockedTo time.Time
	}{
		{"under", flow.Limit{Max: 3, Window: time.Hour}, 3, time.Time{}, "", time.Time{}},
		{"locked", flow.Limit{Max: 3, Window: time.Hour}, 0, now.Add(time.Minute), "throttle.locked", time.Time{}},
		{"too many", flow.Limit{Max: 3, Window: time.Hour}, 4, time.Time{}, "throttle.tooMany", time.Time{}},
		{"too many, locks", flow.Limit{Max: 3, Window: time.Hour, Lock: 15 * time.Minute}, 4, time.Time{}, "throttle.locked", now.Add(15 * time.Minute)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := "k:" + tc.name
			err := flow.Judge(ctx, st, key, tc.lim, now, tc.n, tc.until)
			var fe *flow.Error
			switch {
			case tc.wantKey == "" && err != nil:
				t.Fatalf("Judge = %v, want nil", err)
			case tc.wantKey != "" && (!errors.As(err, &fe) || fe.Key != tc.wantKey || !flow.IsKind(err, flow.KindThrottled)):
				t.Fatalf("Judge = %v, want %s", err, tc.wantKey)
			}
			until, err := st.LockedUntil(ctx, key, now)
			if err != nil || !until.Equal(tc.lockedTo) {
				t.Errorf("lock of %s after Judge: %v, %v; want %v", key, until, err, tc.lockedTo)
			}
		})
	}
}
