// Package promutil holds what sspr's packages share to register their Prometheus metrics on the
// registry `sspr serve` builds (served on server.metricsListen).
package promutil

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
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
