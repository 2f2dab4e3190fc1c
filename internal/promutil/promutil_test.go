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
