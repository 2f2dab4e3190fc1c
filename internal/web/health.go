package web

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/sspr/sspr/internal/store"
)

// ReadyStore is what the readiness check asks of the store.
type ReadyStore interface {
	Ping(ctx context.Context, now time.Time) error
	OutboxBacklog(ctx context.Context) (int, time.Time, error)
	ListRuns(ctx context.Context, limit int) ([]store.SyncRun, error)
}

// ReadyConfig says what "ready" means.
type ReadyConfig struct {
	Store ReadyStore
	// MaxBacklogAge: the oldest queued message may wait this long (default 15 minutes: the
	// worker's retries are shorter, so an older one means delivery is stuck).
	MaxBacklogAge time.Duration
	// MaxSyncAge: the last successful sync may be this old (0: not checked, as without a
	// directory).
	MaxSyncAge time.Duration
	Now        func() time.Time
}

type check struct {
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

// Ready answers /readyz: 200 when the store accepts a write, the outbox delivers and the
// directory was synced recently; 503 otherwise. The JSON body says which check failed. /healthz
// (liveness) only says the process answers.
func Ready(cfg ReadyConfig) http.Handler {
	if cfg.MaxBacklogAge == 0 {
		cfg.MaxBacklogAge = 15 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		now := cfg.Now().UTC()
		checks := map[string]check{}
		if err := cfg.Store.Ping(ctx, now); err != nil {
			checks["store"] = check{Detail: err.Error()}
		} else {
			checks["store"] = check{OK: true}
		}
		// No counts: /readyz is on the public listener, and the backlog grows with the codes
		// sent to real users (decoys send nothing).
		switch n, oldest, err := cfg.Store.OutboxBacklog(ctx); {
		case err != nil:
			checks["outbox"] = check{Detail: err.Error()}
		case n > 0 && now.Sub(oldest) > cfg.MaxBacklogAge:
			checks["outbox"] = check{Detail: "a queued message has waited longer than " + cfg.MaxBacklogAge.String()}
		default:
			checks["outbox"] = check{OK: true}
		}
		if cfg.MaxSyncAge > 0 {
			checks["sync"] = syncCheck(ctx, cfg.Store, now, cfg.MaxSyncAge)
		}
		status, code := "ok", http.StatusOK
		for _, c := range checks {
			if !c.OK {
				status, code = "fail", http.StatusServiceUnavailable
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(struct {
			Status string           `json:"status"`
			Checks map[string]check `json:"checks"`
		}{status, checks})
	})
}

func syncCheck(ctx context.Context, st ReadyStore, now time.Time, maxAge time.Duration) check {
	runs, err := st.ListRuns(ctx, 50)
	if err != nil {
		return check{Detail: err.Error()}
	}
	for _, r := range runs {
		if r.Status == store.RunSucceeded && r.FinishedAt != nil {
			age := now.Sub(*r.FinishedAt)
			if age > maxAge {
				return check{Detail: "the last successful sync ended " + age.Round(time.Second).String() + " ago"}
			}
			return check{OK: true, Detail: "last successful sync " + age.Round(time.Second).String() + " ago"}
		}
	}
	return check{Detail: "no successful sync among the last runs"}
}
