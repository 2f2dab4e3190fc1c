package notify

import (
	"errors"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
)

// Metric results.
const (
	resultSent   = "sent"
	resultRetry  = "retry"
	resultFailed = "failed"
)

type metrics struct {
	messages *prometheus.CounterVec   // sspr_notify_messages_total{channel,result}
	seconds  *prometheus.HistogramVec // sspr_notify_delivery_seconds{channel}
}

func newMetrics(reg prometheus.Registerer, channels []string, log *slog.Logger) *metrics {
	m := &metrics{
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sspr_notify_messages_total",
			Help: "Delivery attempts of outbox messages by channel and result (sent, retry: failed and queued again, failed: given up).",
		}, []string{"channel", "result"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sspr_notify_delivery_seconds",
			Help:    "Duration of delivery attempts of outbox messages by channel.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"channel"}),
	}
	if reg != nil {
		m.messages = register(reg, m.messages, log)
		m.seconds = register(reg, m.seconds, log)
	}
	for _, ch := range channels {
		ch = metricChannel(ch)
		for _, r := range []string{resultSent, resultRetry, resultFailed} {
			m.messages.WithLabelValues(ch, r)
		}
		m.seconds.WithLabelValues(ch)
	}
	return m
}

// register registers c, or returns the collector already registered under its name (a second
// Worker on the same registry shares the metrics).
func register[C prometheus.Collector](reg prometheus.Registerer, c C, log *slog.Logger) C {
	err := reg.Register(c)
	if err == nil {
		return c
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing
		}
	}
	log.Warn("notify: cannot register metrics", "error", err)
	return c
}

// metricChannel bounds the label's values: a channel name read from the database that is not
// one of ours counts as "other".
func metricChannel(ch string) string {
	switch ch {
	case ChannelEmail, ChannelSMS, ChannelVoice:
		return ch
	}
	return "other"
}
