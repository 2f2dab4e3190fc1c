package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sspr/sspr/internal/store"
)

// Worker defaults and the default backoff.
const (
	DefaultPollInterval = time.Second
	DefaultLease        = 2 * time.Minute
	DefaultBatchSize    = 16
	DefaultMaxAttempts  = 8
	DefaultSendTimeout  = 30 * time.Second

	BackoffInitial = 5 * time.Second
	BackoffFactor  = 3
	BackoffMax     = 30 * time.Minute
	BackoffJitter  = 0.2
)

// recordTimeout bounds RecordAttempt, which runs even when the worker is stopping.
const recordTimeout = 10 * time.Second

// WorkerOptions tune a Worker. Zero values take the defaults.
type WorkerOptions struct {
	PollInterval time.Duration // how often the queue is read when nobody calls Notify; 1 s
	Lease        time.Duration // how long a claimed message is kept from other workers; 2 min
	BatchSize    int           // messages claimed (and sent concurrently) at once; 16
	MaxAttempts  int           // attempts before a message fails; 8
	// SendTimeout bounds one Channel.Send; 30 s, and never more than half the lease so that a
	// message is recorded before another worker may claim it.
	SendTimeout time.Duration
	// Backoff returns the delay before the next attempt after attempt number n (1, 2, ...)
	// failed; DefaultBackoff.
	Backoff func(n int) time.Duration
	// Now returns the current time; time.Now when nil (tests pass a fake).
	Now func() time.Time
	// Registerer receives the worker's metrics; nil: not registered.
	Registerer prometheus.Registerer
	// Failed, when set, is called after a failed attempt is recorded (retried or given up),
	// with the attempt's time: `sspr serve` counts them for the administrators' notifications
	// (package alert).
	Failed func(ctx context.Context, at time.Time)
}

func (o WorkerOptions) withDefaults() WorkerOptions {
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultPollInterval
	}
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = DefaultMaxAttempts
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = DefaultSendTimeout
	}
	o.SendTimeout = min(o.SendTimeout, o.Lease/2)
	if o.Backoff == nil {
		o.Backoff = DefaultBackoff
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// DefaultBackoff is the delay after failed attempt n (1, 2, ...): 5 s × 3^(n-1), ±20 % jitter,
// at most 30 min. With 8 attempts a message is retried for about an hour before it fails.
func DefaultBackoff(n int) time.Duration { return backoff(n, rand.Float64()) }

// backoff is DefaultBackoff with u, uniform in [0, 1), choosing the jitter.
func backoff(n int, u float64) time.Duration {
	d := float64(BackoffMax)
	if n < 1 {
		n = 1
	}
	if e := float64(BackoffInitial) * math.Pow(BackoffFactor, float64(n-1)); e < d {
		d = e
	}
	d *= 1 + BackoffJitter*(2*u-1)
	return min(time.Duration(d), BackoffMax)
}

// Worker delivers queued messages through Channels, with retries: see the package doc.
type Worker struct {
	q        Queue
	s        *Sealer
	channels map[string]Channel
	opts     WorkerOptions
	log      *slog.Logger
	metrics  *metrics
	wake     chan struct{}
}

// NewWorker returns a Worker that claims messages from q, opens their bodies with s and hands
// them to channels[message channel] ("email", "sms", "voice"). A message whose channel has no
// entry fails at once (ErrNoChannel). log nil discards logs.
func NewWorker(q Queue, s *Sealer, channels map[string]Channel, opts WorkerOptions, log *slog.Logger) *Worker {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	chs := make(map[string]Channel, len(channels))
	names := make([]string, 0, len(channels))
	for name, c := range channels {
		if c != nil {
			chs[name] = c
			names = append(names, name)
		}
	}
	slices.Sort(names)
	opts = opts.withDefaults()
	return &Worker{
		q:        q,
		s:        s,
		channels: chs,
		opts:     opts,
		log:      log,
		metrics:  newMetrics(opts.Registerer, names, log),
		wake:     make(chan struct{}, 1),
	}
}

// Notify wakes Run so that a message just queued goes out now rather than at the next poll.
// It never blocks.
func (w *Worker) Notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers due messages until ctx ends, then returns nil. It reads the queue every poll
// interval and whenever Notify is called. Store errors are logged and retried at the next poll.
func (w *Worker) Run(ctx context.Context) error {
	w.log.Info("notify worker started", "channels", len(w.channels), "pollInterval", w.opts.PollInterval, "lease", w.opts.Lease)
	defer w.log.Info("notify worker stopped")
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-w.wake:
		case <-t.C:
		}
		if _, _, err := w.DeliverDue(ctx); err != nil && ctx.Err() == nil {
			w.log.Warn("notify: delivery pass failed", "error", err)
		}
		t.Reset(w.opts.PollInterval)
	}
}

// DeliverDue claims the messages due now, batch after batch while batches come full, and tries
// each once. It returns how many were delivered and how many attempts failed (retried later or
// failed for good), and an error when the queue could not be read or an attempt not recorded
// (such a message is tried again once its lease ends).
func (w *Worker) DeliverDue(ctx context.Context) (delivered, failed int, err error) {
	var errs []error
	for ctx.Err() == nil {
		now := w.opts.Now()
		msgs, cerr := w.q.ClaimMessages(ctx, now, now.Add(w.opts.Lease), w.opts.BatchSize)
		if cerr != nil {
			errs = append(errs, fmt.Errorf("notify: claim messages: %w", cerr))
			break
		}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, m := range msgs {
			wg.Go(func() {
				sent, rerr := w.deliver(ctx, m)
				mu.Lock()
				defer mu.Unlock()
				if rerr != nil {
					errs = append(errs, rerr)
				} else if sent {
					delivered++
				} else {
					failed++
				}
			})
		}
		wg.Wait()
		if len(msgs) < w.opts.BatchSize {
			break
		}
	}
	return delivered, failed, errors.Join(errs...)
}

// deliver makes one attempt at m and records it. sent reports a delivery; err a failure to
// record the attempt.
func (w *Worker) deliver(ctx context.Context, sm store.Message) (sent bool, err error) {
	attempt := sm.Attempts + 1
	m := Message{Channel: sm.Channel, To: sm.To, Subject: sm.Subject, Language: sm.Language, IdempotencyKey: IdempotencyKey(sm)}
	log := w.log.With("messageID", sm.ID, "channel", sm.Channel, "to", MaskDestination(sm.Channel, sm.To), "attempt", attempt)
	label := metricChannel(sm.Channel)

	start := w.opts.Now()
	sendErr := w.send(ctx, sm, &m)
	end := w.opts.Now()
	dur := max(end.Sub(start), 0)

	a := store.Attempt{MessageID: sm.ID, At: end, Duration: dur}
	status, next, result := store.MessageSent, time.Time{}, resultSent
	switch {
	case sendErr == nil:
	case IsPermanent(sendErr):
		status, result = store.MessageFailed, resultFailed
	case ctx.Err() != nil:
		// The worker is stopping: the next one tries again at once.
		status, next, result = store.MessageQueued, end, resultRetry
	case attempt >= w.opts.MaxAttempts:
		status, result = store.MessageFailed, resultFailed
	default:
		status, next, result = store.MessageQueued, end.Add(w.opts.Backoff(attempt)), resultRetry
	}
	if sendErr != nil {
		a.Error = scrub(sendErr.Error(), m)
	}
	m.Body = ""

	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if rerr := w.q.RecordAttempt(rctx, a, status, next); rerr != nil {
		log.Error("notify: cannot record attempt; the message will be tried again when its lease ends", "error", rerr, "result", result)
		return false, fmt.Errorf("notify: record attempt of message %d: %w", sm.ID, rerr)
	}
	w.metrics.messages.WithLabelValues(label, result).Inc()
	w.metrics.seconds.WithLabelValues(label).Observe(dur.Seconds())
	if result != resultSent && w.opts.Failed != nil && ctx.Err() == nil { // not a worker stopping mid-send
		w.opts.Failed(rctx, end)
	}
	switch result {
	case resultSent:
		log.Info("message sent", "duration", dur)
	case resultRetry:
		log.Warn("message not delivered; will retry", "error", a.Error, "nextAttemptAt", next, "duration", dur)
	default:
		reason := "permanent error"
		if !IsPermanent(sendErr) {
			reason = fmt.Sprintf("gave up after %d attempts", attempt)
		}
		log.Error("message failed", "error", a.Error, "reason", reason, "duration", dur)
	}
	return status == store.MessageSent, nil
}

// send opens the body into m and hands m to its channel.
func (w *Worker) send(ctx context.Context, sm store.Message, m *Message) (err error) {
	ch, ok := w.channels[sm.Channel]
	if !ok {
		return Permanent(fmt.Errorf("%w for channel %q", ErrNoChannel, truncate(sm.Channel, 32)))
	}
	body, err := w.s.open(sm.Body, messageAD(sm.Channel, sm.To))
	if err != nil {
		return Permanent(fmt.Errorf("body: %w", err))
	}
	m.Body = string(body)
	sctx, cancel := context.WithTimeout(ctx, w.opts.SendTimeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("channel %s panicked: %v", sm.Channel, r)
		}
	}()
	return ch.Send(sctx, *m)
}
