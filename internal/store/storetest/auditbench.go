package storetest

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	auditchain "github.com/sspr/sspr/internal/audit"
	"github.com/sspr/sspr/internal/store"
)

// BenchAuditKey is the chain key of the benchmarks' events.
var BenchAuditKey = []byte("benchmark audit chain key 32 byt")

// AuditRow is one generated audit event with its chain link, for a backend's bulk load.
type AuditRow struct {
	store.AuditEvent
	Details string // JSON
}

// AuditRows calls fn for n audit events of users user00000 to user{users-1} (as dirUser names
// them) over the year before end, oldest first, chained with BenchAuditKey: ten kinds of event,
// their outcomes, client addresses of a /16, the user agent of a browser.
func AuditRows(n, users int, end time.Time, fn func(AuditRow) error) error {
	r := rand.New(rand.NewPCG(1, 2))
	types := []struct{ typ, outcome string }{{"reset.started", ""}, {"reset.code.sent", ""}, {"reset.done", "done"},
		{"reset.failed", "failedProof"}, {"reset.throttled", "throttled"}, {"unlock.done", "done"}, {"register.confirmed", ""},
		{"reset.abandoned", "abandoned"}, {"admin.user.updated", ""}, {"sync.contact.changed", ""}}
	start := end.Add(-365 * 24 * time.Hour)
	step := 365 * 24 * time.Hour / time.Duration(n)
	prev := auditchain.Genesis
	for i := range n {
		t := types[r.IntN(len(types))]
		u := r.IntN(users)
		e := store.AuditEvent{Time: start.Add(time.Duration(i) * step).UTC().Truncate(time.Microsecond), Type: t.typ, Actor: "user",
			UserPrincipalName: fmt.Sprintf("user%05d@example.com", u), ClientIP: fmt.Sprintf("10.%d.%d.%d", u%8, r.IntN(256), r.IntN(256)),
			UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
			Details:   map[string]string{"method": "sms"}}
		if t.outcome != "" {
			e.Details["outcome"] = t.outcome
		}
		if strings.HasPrefix(t.typ, "admin.") {
			e.Actor = "admin:helpdesk"
		}
		e.Seq = int64(i + 1)
		e.Hash = auditchain.Link(BenchAuditKey, prev, e.Seq, auditchain.Digest(e))
		prev = e.Hash
		d := `{"method":"sms"}`
		if t.outcome != "" {
			d = `{"method":"sms","outcome":"` + t.outcome + `"}`
		}
		if err := fn(AuditRow{e, d}); err != nil {
			return err
		}
	}
	return nil
}

// PutBenchUsers stores n directory users (dirUser) in one SyncTx.
func PutBenchUsers(b *testing.B, s store.Store, n int) {
	ctx := b.Context()
	tx, err := s.BeginSync(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	for i := range n {
		u := dirUser(i)
		if err := tx.PutUser(ctx, &u); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// BenchAuditLarge measures, on s holding users users and events audit events (AuditRows), the
// audit log read three ways: a user's events (the console's user page and `sspr audit list
// --user`), newest first, p50 and p99 over b.N random users; a full CSV export streamed (time
// and peak heap and RSS over the export, three exports, the medians); the chain's verify.
func BenchAuditLarge(b *testing.B, s store.Store, users, events int) {
	ctx := b.Context()
	b.Run("byUser", func(b *testing.B) {
		// Each iteration reads 100 random users' events; the p50 and p99 are of every read.
		r := rand.New(rand.NewPCG(3, 4))
		var lat []time.Duration
		total := 0
		for b.Loop() {
			for range 100 {
				upn := fmt.Sprintf("USER%05d@example.com", r.IntN(users))
				start := time.Now()
				if err := s.ListAudit(ctx, store.AuditFilter{UserPrincipalName: upn}, func(store.AuditEvent) error { total++; return nil }); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
		}
		slices.Sort(lat)
		b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
		b.ReportMetric(ms(lat[min(len(lat)-1, len(lat)*99/100)]), "p99-ms")
		b.ReportMetric(float64(total)/float64(len(lat)), "events/user")
	})
	b.Run("byUserPage", func(b *testing.B) {
		r := rand.New(rand.NewPCG(5, 6))
		for b.Loop() {
			upn := fmt.Sprintf("user%05d@example.com", r.IntN(users))
			if err := s.ListAudit(ctx, store.AuditFilter{UserPrincipalName: upn, TypePrefix: "reset.", Limit: 50}, func(store.AuditEvent) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("exportCSV", func(b *testing.B) {
		var durs []time.Duration
		var heaps, rsss, bases []float64
		for b.Loop() {
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			base := m.HeapInuse
			peak := sample()
			start := time.Now()
			n, err := exportCSV(b, s, io.Discard)
			d := time.Since(start)
			heap, rss := peak()
			if err != nil {
				b.Fatal(err)
			}
			if n != events {
				b.Fatalf("exported %d events, want %d", n, events)
			}
			durs = append(durs, d)
			heaps = append(heaps, float64(heap)/(1<<20))
			rsss = append(rsss, float64(rss)/(1<<20))
			bases = append(bases, float64(base)/(1<<20))
		}
		slices.Sort(durs)
		b.ReportMetric(durs[len(durs)/2].Seconds(), "export-s")
		b.ReportMetric(median(heaps), "peak-heap-MB")
		b.ReportMetric(median(bases), "heap-before-MB")
		b.ReportMetric(median(rsss), "peak-rss-MB")
	})
	b.Run("verify", func(b *testing.B) {
		for b.Loop() {
			r, err := auditchain.Verify(ctx, s, BenchAuditKey)
			if err != nil || r.Broken != nil || r.Checked != int64(events) {
				b.Fatalf("verify: checked %d, broken %v, %v", r.Checked, r.Broken, err)
			}
		}
	})
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// exportCSV writes every event as `sspr audit list -o csv` does (one row at a time).
func exportCSV(b *testing.B, s store.Store, w io.Writer) (int, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	n := 0
	err := s.ListAudit(b.Context(), store.AuditFilter{}, func(e store.AuditEvent) error {
		n++
		return cw.Write([]string{strconv.FormatInt(e.ID, 10), e.Time.Format(time.RFC3339Nano), e.Type, e.Actor, e.UserPrincipalName,
			e.ClientIP, e.Details["outcome"], e.Details["method"], e.UserID, e.UserAgent, strconv.FormatInt(e.Seq, 10), fmt.Sprintf("%x", e.Hash)})
	})
	cw.Flush()
	bw.Flush()
	return n, err
}

// sample records the peak heap in use and resident set size every 5 ms until the returned stop
// function is called, which returns both peaks in bytes.
func sample() (stop func() (heap, rss uint64)) {
	var done atomic.Bool
	var wg sync.WaitGroup
	var heap, rss uint64
	measure := func() {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		heap = max(heap, m.HeapInuse)
		rss = max(rss, residentBytes())
	}
	wg.Go(func() {
		for !done.Load() {
			measure()
			time.Sleep(5 * time.Millisecond)
		}
	})
	return func() (uint64, uint64) {
		done.Store(true)
		wg.Wait()
		measure()
		return heap, rss
	}
}

// residentBytes is the process's resident set size (Linux; 0 elsewhere).
func residentBytes() uint64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseUint(f[1], 10, 64)
	return pages * uint64(os.Getpagesize())
}

// BenchAuditAppends measures appends as the flows make them, 16 callers at once: one event
// alone (AppendAudit) or the reset flow's first step (WriteStep: a session and two events);
// the p50 and p99 of one call. Its numbers before and after the audit chain say what the chain
// costs.
func BenchAuditAppends(b *testing.B, s store.Store) {
	ctx := b.Context()
	var (
		seq atomic.Int64
		mu  sync.Mutex
		lat []time.Duration
	)
	at := time.Now()
	b.SetParallelism(8) // × GOMAXPROCS callers
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var local []time.Duration
		for pb.Next() {
			i := seq.Add(1)
			start := time.Now()
			var err error
			if i%2 == 0 {
				err = s.AppendAudit(ctx, &store.AuditEvent{Type: "reset.code.sent", Actor: "user", UserPrincipalName: "u@example.com",
					ClientIP: "127.0.0.1", Details: map[string]string{"method": "sms"}})
			} else {
				err = s.WriteStep(ctx, store.StepWrite{
					CreateSession: &store.Session{ID: fmt.Sprintf("bench-%d", i), Kind: "reset", State: []byte("state"), ExpiresAt: at.Add(time.Hour)},
					Audit: []*store.AuditEvent{{Type: "reset.started", Actor: "user", UserPrincipalName: "u@example.com", ClientIP: "127.0.0.1"},
						{Type: "reset.methods.offered", Actor: "user", UserPrincipalName: "u@example.com", ClientIP: "127.0.0.1"}}})
			}
			if err != nil {
				b.Error(err)
				return
			}
			local = append(local, time.Since(start))
		}
		mu.Lock()
		lat = append(lat, local...)
		mu.Unlock()
	})
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[min(len(lat)-1, len(lat)*99/100)]), "p99-ms")
}
