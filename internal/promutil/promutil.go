// Package promutil holds what sspr's packages share to register their Prometheus metrics on the
// registry `sspr serve` builds (served on server.metricsListen).
package promutil

import (
	"errors"
	"fmt"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Register registers c on reg, or returns the collector already registered under its name, so
// that several services of one process (two outbox workers, the reset and registration flows)
// share their metrics. Another error (a name registered with other labels) is returned with c.
func Register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}

// Snapshot returns the value of every series g gathers, by `name{label="value",...}` (labels
// in the order Prometheus sorts them): a counter's or gauge's value, a histogram's or summary's
// sample count. Tests compare two snapshots to see what moved.
func Snapshot(g prometheus.Gatherer) (map[string]float64, error) {
	mfs, err := g.Gather()
	if err != nil {
		return nil, fmt.Errorf("promutil: gather: %w", err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			var b strings.Builder
			b.WriteString(mf.GetName())
			for i, l := range m.GetLabel() {
				b.WriteString(map[bool]string{true: "{", false: ","}[i == 0])
				fmt.Fprintf(&b, "%s=%q", l.GetName(), l.GetValue())
			}
			if len(m.GetLabel()) > 0 {
				b.WriteString("}")
			}
			var v float64
			switch mf.GetType() {
			case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
				v = float64(m.GetHistogram().GetSampleCount())
			case dto.MetricType_SUMMARY:
				v = float64(m.GetSummary().GetSampleCount())
			case dto.MetricType_GAUGE:
				v = m.GetGauge().GetValue()
			case dto.MetricType_UNTYPED:
				v = m.GetUntyped().GetValue()
			default:
				v = m.GetCounter().GetValue()
			}
			out[b.String()] = v
		}
	}
	return out, nil
}

// Names returns the metric names of the families g gathers.
func Names(g prometheus.Gatherer) (map[string]bool, error) {
	mfs, err := g.Gather()
	if err != nil {
		return nil, fmt.Errorf("promutil: gather: %w", err)
	}
	out := map[string]bool{}
	for _, mf := range mfs {
		out[mf.GetName()] = true
	}
	return out, nil
}
