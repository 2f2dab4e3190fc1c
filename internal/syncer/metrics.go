package syncer

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sspr/sspr/internal/promutil"
	"github.com/sspr/sspr/internal/store"
)

// Metrics are the sync engine's Prometheus metrics, observed at the end of every run. A nil
// *Metrics records nothing.
type Metrics struct {
	runs        *prometheus.CounterVec   // sspr_sync_runs_total{mode, status}
	seconds     *prometheus.HistogramVec // sspr_sync_duration_seconds{mode}
	changes     *prometheus.CounterVec   // sspr_sync_changes_total{change}
	rejected    prometheus.Counter       // sspr_sync_rejected_total
	lastSuccess prometheus.Gauge         // sspr_sync_last_success_timestamp_seconds
}

// NewMetrics registers the sync metrics on reg (nil: not registered). A name registered with
// other labels panics (a programming error).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sspr_sync_runs_total",
			Help: "Sync runs by mode (full, delta) and status (succeeded, failed, refused: the delete guard held, dry-run).",
		}, []string{"mode", "status"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sspr_sync_duration_seconds",
			Help:    "Duration of sync runs by mode.",
			Buckets: []float64{0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800},
		}, []string{"mode"}),
		changes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sspr_sync_changes_total",
			Help: "Users changed by committed sync runs, by change (added, updated, deleted).",
		}, []string{"change"}),
		rejected: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sspr_sync_rejected_total",
			Help: "Directory entries and values sync runs could not use (rejections).",
		}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sspr_sync_last_success_timestamp_seconds",
			Help: "When the last successful sync run of this process finished (Unix time); 0 before one.",
		}),
	}
	for _, c := range []string{"added", "updated", "deleted"} {
		m.changes.WithLabelValues(c)
	}
	if reg != nil {
		m.runs = must(promutil.Register(reg, m.runs))
		m.seconds = must(promutil.Register(reg, m.seconds))
		m.changes = must(promutil.Register(reg, m.changes))
		m.rejected = must(promutil.Register(reg, m.rejected))
		m.lastSuccess = must(promutil.Register(reg, m.lastSuccess))
	}
	return m
}

func must[C any](c C, err error) C {
	if err != nil {
		panic(err)
	}
	return c
}

// observe records a finished run.
func (m *Metrics) observe(r store.SyncRun) {
	if m == nil {
		return
	}
	m.runs.WithLabelValues(r.Mode, string(r.Status)).Inc()
	if r.FinishedAt != nil {
		m.seconds.WithLabelValues(r.Mode).Observe(max(r.FinishedAt.Sub(r.StartedAt).Seconds(), 0))
	}
	if r.Status == store.RunSucceeded {
		m.changes.WithLabelValues("added").Add(float64(r.Added))
		m.changes.WithLabelValues("updated").Add(float64(r.Updated))
		m.changes.WithLabelValues("deleted").Add(float64(r.Deleted))
		if r.FinishedAt != nil {
			m.lastSuccess.Set(float64(r.FinishedAt.Unix()))
		}
	}
	m.rejected.Add(float64(r.Rejected))
}
