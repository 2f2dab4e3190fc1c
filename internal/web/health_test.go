package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/sqlite"
)

// brokenStore wraps a real store and breaks one check (a fake of our own small interface).
type brokenStore struct {
	ReadyStore
	ping    error
	backlog time.Time
}

func (b brokenStore) Ping(ctx context.Context, now time.Time) error {
	if b.ping != nil {
		return b.ping
	}
	return b.ReadyStore.Ping(ctx, now)
}

func (b brokenStore) OutboxBacklog(ctx context.Context) (int, time.Time, error) {
	if !b.backlog.IsZero() {
		return 3, b.backlog, nil
	}
	return b.ReadyStore.OutboxBacklog(ctx)
}

func TestReady(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	run := &store.SyncRun{Mode: "full", StartedAt: now.Add(-2 * time.Hour)}
	if err := st.StartRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	end := now.Add(-2 * time.Hour)
	r := *run
	r.Status, r.FinishedAt = store.RunSucceeded, &end
	if err := st.FinishRun(ctx, r); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		store  ReadyStore
		sync   time.Duration
		code   int
		failed string
	}{
		{"healthy", st, 3 * time.Hour, http.StatusOK, ""},
		{"no directory: sync not checked", st, 0, http.StatusOK, ""},
		{"store refuses writes", brokenStore{ReadyStore: st, ping: errors.New("disk I/O error: no space left on device")}, 0, http.StatusServiceUnavailable, "store"},
		{"outbox stuck", brokenStore{ReadyStore: st, backlog: now.Add(-time.Hour)}, 0, http.StatusServiceUnavailable, "outbox"},
		{"sync too old", st, time.Hour, http.StatusServiceUnavailable, "sync"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			Ready(ReadyConfig{Store: tt.store, MaxSyncAge: tt.sync, Now: func() time.Time { return now }}).ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
			var body struct {
				Status string
				Checks map[string]struct {
					OK     bool
					Detail string
				}
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("%v: %s", err, rec.Body)
			}
			if rec.Code != tt.code {
				t.Errorf("status %d, want %d: %s", rec.Code, tt.code, rec.Body)
			}
			if strings.Contains(rec.Body.String(), "queued\"") || strings.Contains(rec.Body.String(), " messages") {
				t.Errorf("the body shows a count: %s", rec.Body) // the backlog grows with real users' codes
			}
			for name, c := range body.Checks {
				if c.OK == (name == tt.failed) {
					t.Errorf("check %s ok=%v (%s), failed should be %q", name, c.OK, c.Detail, tt.failed)
				}
			}
		})
	}
}
