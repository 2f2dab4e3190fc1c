package syncer

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sspr/sspr/internal/phone"
	"github.com/sspr/sspr/internal/promutil"
	"github.com/sspr/sspr/internal/store/sqlite"
)

// TestMetrics: a committed run, a run the guard refused and a failed run each count once by
// status; changes count only what was committed; durations are observed for all three.
func TestMetrics(t *testing.T) {
	ctx := context.Background()
	r := &fakeReader{}
	for i := range 5 {
		r.records = append(r.records, rec(i, fmt.Sprintf("user%d", i), ""))
	}
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	n, _ := phone.NewNormalizer("US")
	reg := prometheus.NewRegistry()
	e := New(st, r, n, Config{DeleteThreshold: 2, DefaultRegion: "US", Metrics: NewMetrics(reg)}, nil)
	if _, err := e.Run(ctx, Options{Full: true}); err != nil {
		t.Fatal(err)
	}
	r.records = r.records[:2] // three deletes: the guard holds
	if _, err := e.Run(ctx, Options{Full: true}); err == nil {
		t.Fatal("guard did not hold")
	}
	r.records, r.failAfter = append(r.records, rec(7, "user7", "")), 1
	if _, err := e.Run(ctx, Options{Full: true}); err == nil {
		t.Fatal("failed run: no error")
	}
	NewMetrics(reg) // a second engine on the registry shares them
	got, err := promutil.Snapshot(reg)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]float64{
		`sspr_sync_runs_total{mode="full",status="succeeded"}`: 1,
		`sspr_sync_runs_total{mode="full",status="refused"}`:   1,
		`sspr_sync_runs_total{mode="full",status="failed"}`:    1,
		`sspr_sync_changes_total{change="added"}`:              5,
		`sspr_sync_changes_total{change="deleted"}`:            0,
		`sspr_sync_duration_seconds{mode="full"}`:              3,
		`sspr_sync_rejected_total`:                             0,
	} {
		if got[name] != want {
			t.Errorf("%s = %v, want %v", name, got[name], want)
		}
	}
	if got["sspr_sync_last_success_timestamp_seconds"] == 0 {
		t.Error("last success not set")
	}
}
