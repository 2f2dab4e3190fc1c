package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/store"
)

// testClaimReminder: each (user, expiry, threshold) is claimed once, by exactly one of
// concurrent claimers; another expiry or threshold is a new reminder.
func testClaimReminder(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := put(t, s, dirUser(1), dirUser(2))
	exp := time.Date(2026, 12, 20, 9, 30, 0, 0, time.UTC)
	at := exp.Add(-7 * 24 * time.Hour)
	claim := func(id string, e time.Time, th int) bool {
		t.Helper()
		ok, err := s.ClaimReminder(ctx, id, e, th, at)
		if err != nil {
			t.Fatalf("ClaimReminder(%s, %v, %d): %v", id, e, th, err)
		}
		return ok
	}
	tests := []struct {
		name string
		id   string
		exp  time.Time
		th   int
		want bool
	}{
		{"first", u[0].ID, exp, 7, true},
		{"again", u[0].ID, exp, 7, false},
		{"same instant in another zone", u[0].ID, exp.In(time.FixedZone("X", 3600)), 7, false},
		{"another threshold", u[0].ID, exp, 3, true},
		{"a new expiry", u[0].ID, exp.Add(90 * 24 * time.Hour), 7, true},
		{"another user", u[1].ID, exp, 7, true},
	}
	for _, tc := range tests {
		if got := claim(tc.id, tc.exp, tc.th); got != tc.want {
			t.Errorf("%s: claimed %v, want %v", tc.name, got, tc.want)
		}
	}
	if _, err := s.ClaimReminder(ctx, "00000000-0000-0000-0000-000000000000", exp, 7, at); err == nil {
		t.Error("ClaimReminder of an unknown user: no error")
	}

	// Concurrent claimers: exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for range 8 {
		wg.Go(func() {
			ok, err := s.ClaimReminder(ctx, u[1].ID, exp, 1, at)
			if err != nil {
				t.Errorf("concurrent ClaimReminder: %v", err)
			}
			if ok {
				mu.Lock()
				won++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if won != 1 {
		t.Errorf("%d of 8 concurrent claims won, want 1", won)
	}
}
