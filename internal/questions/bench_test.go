package questions

import (
	"context"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkVerify is the cost of checking one answer with the OWASP parameters (one core).
func BenchmarkVerify(b *testing.B) {
	ctx := context.Background()
	h := NewHasher(HasherOptions{Pepper: []byte("pepper-pepper-pepper-pepper-0001")})
	phc, _ := h.Hash(ctx, "rex the dog")
	for b.Loop() {
		if ok, err := h.Verify(ctx, phc, "Rex the dog"); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// flood runs `callers` verifications at once through h and reports the peak Go heap (objects,
// sampled every millisecond) and the process's peak resident set (VmHWM, reset first).
func flood(tb testing.TB, h *Hasher, phc string, callers int) (peakHeap, peakRSS uint64, took time.Duration) {
	ctx := context.Background()
	runtime.GC()
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // reset VmHWM (Linux); ignored elsewhere
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(samples)
			peakHeap = max(peakHeap, samples[0].Value.Uint64())
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	})
	start := time.Now()
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			if ok, err := h.Verify(ctx, phc, "rex the dog"); !ok || err != nil {
				tb.Errorf("verify: %v %v", ok, err)
			}
		})
	}
	wg.Wait()
	took = time.Since(start)
	close(stop)
	sampler.Wait()
	return peakHeap, vmHWM(), took
}

// vmHWM is the process's peak resident set in bytes (0 when /proc is not there).
func vmHWM() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// BenchmarkFlood sends 200 verifications at once at a Hasher admitting the default 8 and
// reports the peak memory that costs.
func BenchmarkFlood(b *testing.B) {
	for _, n := range []int{1, 2, 4, 8} {
		b.Run("admit="+strconv.Itoa(n), func(b *testing.B) {
			h := NewHasher(HasherOptions{MaxConcurrent: n})
			phc, _ := h.Hash(context.Background(), "rex the dog")
			var heap, rss uint64
			var took time.Duration
			for b.Loop() {
				ph, pr, d := flood(b, h, phc, 200)
				heap, rss, took = max(heap, ph), max(rss, pr), took+d
			}
			b.ReportMetric(float64(h.Stats().Peak), "admitted")
			b.ReportMetric(float64(heap)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MiB")
			b.ReportMetric(float64(200*b.N)/took.Seconds(), "verifications/s")
		})
	}
}

// TestFloodMemory checks that a flood of verifications holds no more than the semaphore's
// share of memory: 64 callers at once, 8 admitted, so about 8 × 19 MiB of hash memory live (the
// garbage collector lets the heap grow to about twice the live memory before it collects:
// GOMEMLIMIT lowers that), never the 64 × 19 MiB = 1216 MiB of an unbounded flood.
func TestFloodMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("hashes 64 answers with the real parameters")
	}
	// The wait for a slot is unbounded here: this test measures memory, and a loaded machine
	// must not turn a slow queue into ErrBusy (no test fails on a wall-clock time).
	h := NewHasher(HasherOptions{MaxConcurrent: 8, MaxWait: time.Hour})
	phc, _ := h.Hash(context.Background(), "rex the dog")
	heap, rss, took := flood(t, h, phc, 64)
	const mib = 1 << 20
	t.Logf("64 callers, %d admitted at once: peak heap %d MiB, peak RSS %d MiB (semaphore bound %d MiB), %s",
		h.Stats().Peak, heap/mib, rss/mib, h.PeakMemory()/mib, took.Round(time.Millisecond))
	if h.Stats().Peak > 8 {
		t.Errorf("%d ran at once", h.Stats().Peak)
	}
	if limit := uint64(3*h.PeakMemory() + 64*mib); heap > limit {
		t.Errorf("peak heap %d MiB > %d MiB", heap/mib, limit/mib)
	}
}
