package flow

import (
	"context"
	"fmt"
	"time"

	"github.com/sspr/sspr/internal/store"
)

// Enforce counts an event of key against l at now and refuses it (KindThrottled) when key is
// locked or the event is one too many; a Limit with Lock then locks key.
//
// The locks of alsoLocked refuse it too (a step's failed-proof locks), and then nothing is
// counted. A store that is also a store.ThrottleGates checks the locks and counts the event in
// one call (one round trip on PostgreSQL).
func Enforce(ctx context.Context, st store.Throttles, key string, l Limit, now time.Time, alsoLocked ...string) error {
	var n int
	if g, ok := st.(store.ThrottleGates); ok {
		hits, until, err := g.HitUnlessLocked(ctx, key, now, now.Add(-l.Window), alsoLocked...)
		if err != nil {
			return fmt.Errorf("throttle: %w", err)
		}
		if !until.IsZero() {
			return Locked(until)
		}
		n = hits
	} else {
		if err := CheckLocks(ctx, st, now, append([]string{key}, alsoLocked...)...); err != nil {
			return err
		}
		hits, err := st.Hit(ctx, key, now, now.Add(-l.Window))
		if err != nil {
			return fmt.Errorf("throttle: %w", err)
		}
		n = hits
	}
	return Judge(ctx, st, key, l, now, n, time.Time{})
}

// Judge is Enforce's decision on an event of key already counted (n events in l's window, the
// new one included) or refused by a lock ending at lockedUntil (not zero): KindThrottled when
// locked or one too many; a Limit with Lock then locks key. For a step that counts the event in
// a read of its own (store.StepReads.ReadStart).
func Judge(ctx context.Context, st store.Throttles, key string, l Limit, now time.Time, n int, lockedUntil time.Time) error {
	if !lockedUntil.IsZero() {
		return Locked(lockedUntil)
	}
	if n > l.Max {
		if l.Lock > 0 {
			until := now.Add(l.Lock)
			if err := st.Lock(ctx, key, until); err != nil {
				return fmt.Errorf("throttle: %w", err)
			}
			return Locked(until)
		}
		return TooMany(l.Window)
	}
	return nil
}

// CheckLocks returns a KindThrottled error when any of keys is locked at now, until the latest
// of their locks' ends. A store that is also a store.ThrottleGates reads every key's lock in one
// statement.
func CheckLocks(ctx context.Context, st store.Throttles, now time.Time, keys ...string) error {
	if g, ok := st.(store.ThrottleGates); ok {
		until, err := g.LockedUntilAny(ctx, now, keys...)
		if err != nil {
			return fmt.Errorf("throttle: %w", err)
		}
		if !until.IsZero() {
			return Locked(until)
		}
		return nil
	}
	var latest time.Time
	for _, key := range keys {
		until, err := st.LockedUntil(ctx, key, now)
		if err != nil {
			return fmt.Errorf("throttle: %w", err)
		}
		if until.After(latest) {
			latest = until
		}
	}
	if !latest.IsZero() {
		return Locked(latest)
	}
	return nil
}

// Counter is one key counted against its limit.
type Counter struct {
	Key   string
	Limit Limit
}

// Failure counts a failure against each counter; at a counter's limit it locks that key and
// returns the lock (the counter and until), else a zero Counter. Both the reset proofs and the
// registration sign-in count their failures this way.
func Failure(ctx context.Context, st store.Throttles, now time.Time, counters ...Counter) (Counter, time.Time, error) {
	for _, c := range counters {
		n, err := st.Hit(ctx, c.Key, now, now.Add(-c.Limit.Window))
		if err != nil {
			return Counter{}, time.Time{}, fmt.Errorf("throttle: %w", err)
		}
		if n >= c.Limit.Max {
			until := now.Add(c.Limit.Lock)
			if err := st.Lock(ctx, c.Key, until); err != nil {
				return Counter{}, time.Time{}, fmt.Errorf("throttle: %w", err)
			}
			return c, until, nil
		}
	}
	return Counter{}, time.Time{}, nil
}

// IPKey is the throttle key of a client for a purpose ("ip:<address or network>:<purpose>").
func IPKey(c Client, purpose string) string {
	k := c.ThrottleKey
	if k == "" {
		k = c.IP
	}
	return "ip:" + k + ":" + purpose
}
