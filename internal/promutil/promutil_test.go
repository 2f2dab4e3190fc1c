package promutil_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sspr/sspr/internal/promutil"
)

func TestRegister(t *testing.T) {
	reg := prometheus.NewRegistry()
	newVec := func(labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sspr_test_total", Help: "test"}, labels)
	}
	a, err := promutil.Register(reg, newVec("x"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := promutil.Register(reg, newVec("x"))
	if err != nil || b != a {
		t.Errorf("second registration: %v, shared %v", err, b == a)
	}
	if _, err := promutil.Register(reg, newVec("y")); err == nil {
		t.Error("other labels: no error")
	}
}

func TestSnapshot(t *testing.T) {
	reg := prometheus.NewRegistry()
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sspr_c_total", Help: "c"}, []string{"b", "a"})
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "sspr_h_seconds", Help: "h"})
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "sspr_g", Help: "g"})
	reg.MustRegister(c, h, g)
	c.WithLabelValues("x", "y").Add(2)
	h.Observe(1)
	h.Observe(2)
	g.Set(7)
	got, err := promutil.Snapshot(reg)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{`sspr_c_total{a="y",b="x"}`: 2, "sspr_h_seconds": 2, "sspr_g": 7}
	if len(got) != len(want) {
		t.Errorf("got %v", got)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
	names, err := promutil.Names(reg)
	if err != nil || len(names) != 3 || !names["sspr_g"] {
		t.Errorf("Names = %v, %v", names, err)
	}
}
