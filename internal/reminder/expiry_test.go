package reminder

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/store"
)

type users []store.User

func (us users) ListUsers(_ context.Context, _ store.UserFilter, fn func(store.User) error) error {
	for _, u := range us {
		if err := fn(u); err != nil {
			return err
		}
	}
	return nil
}

func TestExpiring(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	at := func(h float64) *time.Time { v := now.Add(time.Duration(h * float64(time.Hour))); return &v }
	us := users{
		{UserPrincipalName: "late@x", PasswordExpiresAt: at(24 * 20)},
		{UserPrincipalName: "never@x"},
		{UserPrincipalName: "soon@x", AccountEnabled: true, PasswordExpiresAt: at(30)},
		{UserPrincipalName: "gone@x", PasswordExpiresAt: at(-5)},
		{UserPrincipalName: "edge@x", PasswordExpiresAt: at(24 * 14)},
	}
	got, err := Expiring(t.Context(), us, now, 14*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var days []int
	for _, e := range got {
		names = append(names, e.UserPrincipalName)
		days = append(days, e.DaysLeft)
	}
	if !slices.Equal(names, []string{"gone@x", "soon@x", "edge@x"}) || !slices.Equal(days, []int{0, 2, 14}) || !got[0].Expired || got[1].Expired {
		t.Errorf("got %+v", got)
	}
}

func TestParseWithin(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"14d", 14 * 24 * time.Hour, true},
		{"36h", 36 * time.Hour, true},
		{"366d", MaxWithin, true},
		{"367d", 0, false},
		{"0d", 0, false},
		{"-1h", 0, false},
		{"2w", 0, false},
		{"d", 0, false},
	}
	for _, tc := range tests {
		got, err := ParseWithin(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseWithin(%q) = %v, %v", tc.in, got, err)
		}
	}
}
