package storetest

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/store"
)

// BenchPutUser measures PutUser inserting b.N new directory users in one SyncTx (Commit included)
// into the empty store s: the first sync of a directory.
func BenchPutUser(b *testing.B, s store.Store) {
	users := make([]store.User, b.N)
	for i := range users {
		users[i] = dirUser(i)
	}
	ctx := b.Context()
	b.ReportAllocs()
	b.ResetTimer()
	tx, err := s.BeginSync(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback()
	for i := range users {
		if err := tx.PutUser(ctx, &users[i]); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// BenchFingerprints stores n directory users in s, then measures one Fingerprints walk over them
// per iteration (a re-sync's first step).
func BenchFingerprints(b *testing.B, s store.Store, n int) {
	ctx := b.Context()
	PutBenchUsers(b, s, n)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		tx, err := s.BeginSync(ctx)
		if err != nil {
			b.Fatal(err)
		}
		seen := 0
		if err := tx.Fingerprints(ctx, func(store.Fingerprint) error { seen++; return nil }); err != nil {
			b.Fatal(err)
		}
		if err := tx.Rollback(); err != nil {
			b.Fatal(err)
		}
		if seen != n {
			b.Fatalf("%d fingerprints, want %d", seen, n)
		}
	}
}

// BenchFlowWrites measures the writes of one step of the reset flow (a throttle Hit, CreateSession,
// AppendAudit, UpdateSession, Enqueue: one iteration) made by many concurrent callers, as the web
// server makes them, and reports the p50 and p99 time of an iteration.
func BenchFlowWrites(b *testing.B, s store.Store) {
	ctx := b.Context()
	var (
		seq atomic.Int64
		mu  sync.Mutex
		lat []time.Duration
	)
	at := time.Now()
	b.ReportAllocs()
	b.SetParallelism(64)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var local []time.Duration
		for pb.Next() {
			start := time.Now()
			i := seq.Add(1)
			if _, err := s.Hit(ctx, fmt.Sprintf("start:user%d", i%1000), at, at.Add(-time.Minute)); err != nil {
				b.Error(err)
				return
			}
			ses := store.Session{ID: fmt.Sprintf("bench-%d", i), Kind: "reset", State: []byte("state"), ExpiresAt: at.Add(time.Hour)}
			if err := s.CreateSession(ctx, &ses); err != nil {
				b.Error(err)
				return
			}
			if err := s.AppendAudit(ctx, &store.AuditEvent{Type: "reset.started", Actor: "user", UserPrincipalName: "u@example.com",
				ClientIP: "127.0.0.1", Details: map[string]string{"method": "sms"}}); err != nil {
				b.Error(err)
				return
			}
			ses.State = []byte("state 2")
			if err := s.UpdateSession(ctx, &ses); err != nil {
				b.Error(err)
				return
			}
			if err := s.Enqueue(ctx, &store.Message{Channel: "sms", To: "+1 4255550100", Body: []byte("sealed")}); err != nil {
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
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Microseconds())/1000, "p99-ms")
}
