package notify

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sspr/sspr/internal/promutil"
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
	c, err := promutil.Register(reg, c)
	if err != nil {
		log.Warn("notify: cannot register metrics", "error", err)
	}
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

// BacklogReader is what the backlog metrics read of the store (store.Health).
type BacklogReader interface {
	OutboxBacklog(ctx context.Context) (queued int, oldest time.Time, err error)
}

// backlogTimeout bounds the store read of one scrape.
const backlogTimeout = 5 * time.Second

// backlog reads the outbox backlog from the store at each scrape, so that every instance on
// one PostgreSQL reports the same shared queue.
type backlog struct {
	r      BacklogReader
	now    func() time.Time
	log    *slog.Logger
	queued *prometheus.Desc
	age    *prometheus.Desc
}

// RegisterBacklog registers sspr_outbox_queued (messages queued for delivery) and
// sspr_outbox_oldest_age_seconds (how long the oldest of them has waited; 0 when none), read
// through r at each scrape. now nil: time.Now; log nil: discarded.
func RegisterBacklog(reg prometheus.Registerer, r BacklogReader, now func() time.Time, log *slog.Logger) error {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &backlog{r: r, now: now, log: log,
		queued: prometheus.NewDesc("sspr_outbox_queued", "Messages queued in the outbox for delivery (the store's, shared by every instance).", nil, nil),
		age:    prometheus.NewDesc("sspr_outbox_oldest_age_seconds", "How long the oldest queued message has waited, in seconds; 0 when none is queued.", nil, nil),
	}
	if err := reg.Register(b); err != nil {
		return fmt.Errorf("notify: register backlog metrics: %w", err)
	}
	return nil
}

func (b *backlog) Describe(ch chan<- *prometheus.Desc) {
	ch <- b.queued
	ch <- b.age
}

// Collect reads the backlog; when the store cannot be read, the two metrics are left out of
// the scrape (logged), and the rest of the registry is still served.
func (b *backlog) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), backlogTimeout)
	defer cancel()
	n, oldest, err := b.r.OutboxBacklog(ctx)
	if err != nil {
		b.log.Warn("notify: backlog metrics: cannot read the outbox", "error", err)
		return
	}
	age := 0.0
	if n > 0 && !oldest.IsZero() {
		age = max(b.now().Sub(oldest).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(b.queued, prometheus.GaugeValue, float64(n))
	ch <- prometheus.MustNewConstMetric(b.age, prometheus.GaugeValue, age)
}
