package flow

import (
	"context"
	"fmt"
	"time"

	"github.com/sspr/sspr/internal/store"
)

// Enforce counts an event of key against l at now and refuses it (KindThrottled) when key is
// locked or the event is one too many; a Limit with Lock then locks key.
func Enforce(ctx context.Context, st store.Throttles, key string, l Limit, now time.Time) error {
	if err := CheckLocks(ctx, st, now, key); err != nil {
		return err
	}
	n, err := st.Hit(ctx, key, now, now.Add(-l.Window))
	if err != nil {
		return fmt.Errorf("throttle: %w", err)
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

// CheckLocks returns a KindThrottled error for the first of keys that is locked at now.
func CheckLocks(ctx context.Context, st store.Throttles, now time.Time, keys ...string) error {
	for _, key := range keys {
		until, err := st.LockedUntil(ctx, key, now)
		if err != nil {
			return fmt.Errorf("throttle: %w", err)
		}
		if !until.IsZero() {
			return Locked(until)
		}
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
