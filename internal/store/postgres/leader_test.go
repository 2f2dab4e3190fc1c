package postgres

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLeadOneAtATime: four instances lead the same lease; at most one job runs at any moment,
// a different lease is independent, and when the leader's job ends another instance takes over.
func TestLeadOneAtATime(t *testing.T) {
	_, stores := openInstances(t, 4)
	ctx, cancel := context.WithCancel(t.Context())
	var running, maxRunning, runs, other atomic.Int32
	var wg sync.WaitGroup
	for _, s := range stores {
		wg.Go(func() {
			s.Lead(ctx, "test", 20*time.Millisecond, slog.Default(), func(jctx context.Context) {
				n := running.Add(1)
				for {
					m := maxRunning.Load()
					if n <= m || maxRunning.CompareAndSwap(m, n) {
						break
					}
				}
				runs.Add(1)
				select { // lead a while, then hand over
				case <-jctx.Done():
				case <-time.After(100 * time.Millisecond):
				}
				running.Add(-1)
			})
		})
		wg.Go(func() {
			s.Lead(ctx, "other", 20*time.Millisecond, slog.Default(), func(jctx context.Context) {
				other.Add(1)
				<-jctx.Done()
			})
		})
	}
	// Until several leaderships have passed (each leads 100 ms, then hands over), however slow
	// the machine: the count is checked below, not the time it took.
	for deadline := time.Now().Add(30 * time.Second); (runs.Load() < 3 || other.Load() < 1) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	if m := maxRunning.Load(); m != 1 {
		t.Errorf("%d jobs ran at once, want 1", m)
	}
	if r := runs.Load(); r < 3 {
		t.Errorf("%d leaderships of 100 ms each in 30 s, want several", r)
	}
	if o := other.Load(); o != 1 {
		t.Errorf("the other lease was led %d times, want 1 (its leader never let go)", o)
	}
	if leaderKey("sync") == leaderKey("housekeeping") || leaderKey("sync") == syncLockKey || leaderKey("sync") == migrateLockKey {
		t.Error("lease keys collide")
	}
}

// TestLeadEmptyName is refused.
func TestLeadEmptyName(t *testing.T) {
	_, stores := openInstances(t, 1)
	if err := stores[0].Lead(t.Context(), "", time.Second, slog.Default(), func(context.Context) {}); err == nil {
		t.Error("empty name accepted")
	}
}
