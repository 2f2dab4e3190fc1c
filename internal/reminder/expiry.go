package reminder

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sspr/sspr/internal/store"
)

// Expiry is one row of the expiry report: a user whose password expires (or expired) by a
// given time.
type Expiry struct {
	UserPrincipalName string    `json:"userPrincipalName"`
	DisplayName       string    `json:"displayName"`
	AccountEnabled    bool      `json:"accountEnabled"`
	PasswordExpiresAt time.Time `json:"passwordExpiresAt"`
	// DaysLeft is the whole days from now to the expiry, rounded up (0 or less: expired).
	DaysLeft int  `json:"daysLeft"`
	Expired  bool `json:"expired"`
}

// Lister lists users (store.Users).
type Lister interface {
	ListUsers(ctx context.Context, f store.UserFilter, fn func(store.User) error) error
}

// MaxWithin is the longest window the expiry report accepts.
const MaxWithin = 366 * 24 * time.Hour

// ParseWithin reads a report window: "14d" (days) or a Go duration ("36h"), positive, at most
// 366 days.
func ParseWithin(s string) (time.Duration, error) {
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil {
			return 0, fmt.Errorf("%q: use days (14d) or a duration (36h)", s)
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("%q: use days (14d) or a duration (36h)", s)
		}
	}
	if d <= 0 || d > MaxWithin {
		return 0, fmt.Errorf("%q: use more than 0 and at most 366d", s)
	}
	return d, nil
}

// Expiring lists the users whose password expires before now + within, the expired ones
// included, soonest first (then by userPrincipalName). Users whose password does not expire
// are left out.
func Expiring(ctx context.Context, l Lister, now time.Time, within time.Duration) ([]Expiry, error) {
	until := now.Add(within)
	out := []Expiry{}
	err := l.ListUsers(ctx, store.UserFilter{}, func(u store.User) error {
		if u.PasswordExpiresAt == nil || u.PasswordExpiresAt.After(until) {
			return nil
		}
		left := u.PasswordExpiresAt.Sub(now)
		days := int(left / (24 * time.Hour))
		if left > 0 && left%(24*time.Hour) != 0 {
			days++
		}
		out = append(out, Expiry{UserPrincipalName: u.UserPrincipalName, DisplayName: u.DisplayName,
			AccountEnabled: u.AccountEnabled, PasswordExpiresAt: u.PasswordExpiresAt.UTC(), DaysLeft: days, Expired: left <= 0})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("expiry report: %w", err)
	}
	slices.SortStableFunc(out, func(a, b Expiry) int {
		if c := a.PasswordExpiresAt.Compare(b.PasswordExpiresAt); c != 0 {
			return c
		}
		return strings.Compare(a.UserPrincipalName, b.UserPrincipalName)
	})
	return out, nil
}
