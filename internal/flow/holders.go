package flow

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/sspr/sspr/internal/store"
)

// UserLister streams users (the store).
type UserLister interface {
	ListUsers(ctx context.Context, f store.UserFilter, fn func(store.User) error) error
}

// Holders counts, for every phone number, the users who hold it (mobilePhone, officePhone or
// authenticationPhone; a user holding one number in two fields counts once). The zero value
// is empty; Build fills it. Safe for concurrent use.
type Holders struct {
	mu      sync.RWMutex
	counts  map[string]int
	users   map[string][]string // number → UPNs, for the numbers shared by more than limit
	limit   int
	builtAt time.Time
}

// NewHolders returns an empty index that remembers the users of numbers held by more than
// limit users (for the report's list).
func NewHolders(limit int) *Holders { return &Holders{limit: limit} }

// Build reads every user and replaces the index.
func (h *Holders) Build(ctx context.Context, st UserLister, now time.Time) error {
	counts := map[string]int{}
	upns := map[string][]string{}
	err := st.ListUsers(ctx, store.UserFilter{}, func(u store.User) error {
		for _, n := range userNumbers(u) {
			counts[n]++
			upns[n] = append(upns[n], u.UserPrincipalName)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("shared numbers: %w", err)
	}
	for n := range upns {
		if counts[n] <= h.limit {
			delete(upns, n)
		}
	}
	h.mu.Lock()
	h.counts, h.users, h.builtAt = counts, upns, now
	h.mu.Unlock()
	return nil
}

// Count returns how many users hold number (a canonical "+CC NUMBER").
func (h *Holders) Count(number string) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.counts[number]
}

// BuiltAt is when the index was last built (zero: never).
func (h *Holders) BuiltAt() time.Time {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.builtAt
}

// SharedNumber is a number held by more users than the policy allows, and who holds it.
type SharedNumber struct {
	Number string   `json:"number"`
	Users  []string `json:"users"`
}

// Shared lists the numbers held by more than the limit, most held first.
func (h *Holders) Shared() []SharedNumber {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]SharedNumber, 0, len(h.users))
	for n, us := range h.users {
		us = append([]string(nil), us...)
		sort.Strings(us)
		out = append(out, SharedNumber{Number: n, Users: us})
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i].Users) != len(out[j].Users) {
			return len(out[i].Users) > len(out[j].Users)
		}
		return out[i].Number < out[j].Number
	})
	return out
}

// Refresh rebuilds the index in the background every interval until ctx ends; the first
// build happens before it returns. Errors go to onErr.
func (h *Holders) Refresh(ctx context.Context, st UserLister, interval time.Duration, onErr func(error)) {
	if err := h.Build(ctx, st, time.Now()); err != nil && onErr != nil {
		onErr(err)
	}
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := h.Build(ctx, st, time.Now()); err != nil && onErr != nil && ctx.Err() == nil {
					onErr(err)
				}
			}
		}
	}()
}

func userNumbers(u store.User) []string {
	var out []string
	for _, n := range []string{u.MobilePhone.Number, u.OfficePhone.Number, u.AuthenticationPhone} {
		if n == "" {
			continue
		}
		dup := false
		for _, x := range out {
			dup = dup || x == n
		}
		if !dup {
			out = append(out, n)
		}
	}
	return out
}
