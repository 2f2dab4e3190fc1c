package notify_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/sspr/sspr/internal/notify"
	"github.com/sspr/sspr/internal/store"
)

const (
	code  = "482913"
	phone = "+14255550100"
)

var secret = []byte("0123456789abcdef0123456789abcdef-server-secret")

// env is an outbox and a worker over one memQueue and a fake clock.
type env struct {
	q      *memQueue
	clock  *fakeClock
	outbox *notify.Outbox
	worker *notify.Worker
	logs   *bytes.Buffer
	reg    *prometheus.Registry
}

func newEnv(t *testing.T, channels map[string]notify.Channel, opts notify.WorkerOptions) *env {
	t.Helper()
	s, err := notify.NewSealer(secret)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{q: newMemQueue(), clock: newClock(), logs: &bytes.Buffer{}, reg: prometheus.NewRegistry()}
	e.outbox = notify.NewOutbox(e.q, s, e.clock.Now)
	opts.Now = e.clock.Now
	opts.Registerer = e.reg
	log := slog.New(slog.NewTextHandler(io.MultiWriter(e.logs, t.Output()), &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.worker = notify.NewWorker(e.q, s, channels, opts, log)
	return e
}

func (e *env) send(t *testing.T, m notify.Message) int64 {
	t.Helper()
	id, err := e.outbox.Send(t.Context(), m)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	return id
}

func (e *env) deliver(t *testing.T) (int, int) {
	t.Helper()
	d, f, err := e.worker.DeliverDue(t.Context())
	if err != nil {
		t.Fatalf("DeliverDue: %v", err)
	}
	return d, f
}

// metric returns the value of a counter or a histogram's sample count.
func (e *env) metric(t *testing.T, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if labels[lp.GetName()] != lp.GetValue() {
					continue next
				}
			}
			if mf.GetType() == dto.MetricType_HISTOGRAM {
				return float64(m.GetHistogram().GetSampleCount())
			}
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("metric %s%v not found", name, labels)
	return 0
}

func smsMsg() notify.Message {
	return notify.Message{Channel: "sms", To: phone, Body: "Your sspr code is " + code}
}

func TestDeliveredOnce(t *testing.T) {
	ch := &channel{}
	e := newEnv(t, map[string]notify.Channel{"email": ch}, notify.WorkerOptions{})
	want := notify.Message{Channel: "email", To: "alice@example.com", Subject: "Your code", Body: "Your sspr code is " + code}
	id := e.send(t, want)

	if d, f := e.deliver(t); d != 1 || f != 0 {
		t.Fatalf("DeliverDue = %d delivered, %d failed; want 1, 0", d, f)
	}
	if got := ch.messages(); len(got) != 1 || got[0] != want {
		t.Fatalf("channel got %+v, want %+v", got, want)
	}
	m := e.q.message(id)
	if m.Status != store.MessageSent || m.Attempts != 1 || m.SentAt == nil || !m.SentAt.Equal(e.clock.Now()) {
		t.Errorf("message after delivery: %+v", m)
	}
	if as := e.q.attemptsOf(id); len(as) != 1 || as[0].Error != "" || !as[0].At.Equal(e.clock.Now()) {
		t.Errorf("attempts %+v", as)
	}
	if d, f := e.deliver(t); d != 0 || f != 0 {
		t.Errorf("second pass = %d, %d; want nothing", d, f)
	}
	if n := len(ch.messages()); n != 1 {
		t.Errorf("delivered %d times", n)
	}
	if v := e.metric(t, "sspr_notify_messages_total", map[string]string{"channel": "email", "result": "sent"}); v != 1 {
		t.Errorf("sent counter = %v", v)
	}
	if v := e.metric(t, "sspr_notify_delivery_seconds", map[string]string{"channel": "email"}); v != 1 {
		t.Errorf("histogram count = %v", v)
	}
}

// TestLanguageCarried: the message's language is kept in the outbox (in clear, beside the
// sealed body) and handed to the channel with the body; a message without one has none.
func TestLanguageCarried(t *testing.T) {
	ch := &channel{}
	e := newEnv(t, map[string]notify.Channel{"voice": ch, "sms": ch}, notify.WorkerOptions{})
	tests := []struct {
		name string
		m    notify.Message
	}{
		{"arabic voice", notify.Message{Channel: "voice", To: phone, Body: "رمزك هو " + code, Language: "ar"}},
		{"german sms", notify.Message{Channel: "sms", To: phone, Body: "Ihr Code " + code, Language: "de"}},
		{"none", notify.Message{Channel: "voice", To: phone, Body: "Your code " + code}},
	}
	ids := map[string]int64{}
	for _, tt := range tests {
		ids[tt.name] = e.send(t, tt.m)
	}
	if d, f := e.deliver(t); d != len(tests) || f != 0 {
		t.Fatalf("DeliverDue = %d delivered, %d failed; want %d, 0", d, f, len(tests))
	}
	got := map[string]notify.Message{}
	for _, m := range ch.messages() {
		got[m.Body] = m
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if g := got[tt.m.Body]; g.Language != tt.m.Language || g.Channel != tt.m.Channel {
				t.Errorf("channel got %+v, want language %q", g, tt.m.Language)
			}
			if sm := e.q.message(ids[tt.name]); sm.Language != tt.m.Language {
				t.Errorf("outbox row language %q, want %q", sm.Language, tt.m.Language)
			}
		})
	}
}

func TestRetriedWithBackoff(t *testing.T) {
	fail := true
	ch := &channel{fn: func(context.Context, notify.Message) error {
		if fail {
			fail = false
			return errors.New("connection reset")
		}
		return nil
	}}
	e := newEnv(t, map[string]notify.Channel{"sms": ch}, notify.WorkerOptions{})
	id := e.send(t, smsMsg())
	start := e.clock.Now()

	if d, f := e.deliver(t); d != 0 || f != 1 {
		t.Fatalf("first pass = %d, %d; want 0, 1", d, f)
	}
	m := e.q.message(id)
	if m.Status != store.MessageQueued || m.Attempts != 1 || m.LastError != "connection reset" {
		t.Fatalf("after a failure: %+v", m)
	}
	if wait := m.NextAttemptAt.Sub(start); wait < 4*time.Second || wait > 6*time.Second {
		t.Errorf("next attempt in %v, want 5 s ± 20 %%", wait)
	}
	e.clock.Advance(3 * time.Second)
	if d, f := e.deliver(t); d != 0 || f != 0 {
		t.Fatalf("before the backoff = %d, %d; want nothing", d, f)
	}
	e.clock.Advance(3 * time.Second)
	if d, f := e.deliver(t); d != 1 || f != 0 {
		t.Fatalf("after the backoff = %d, %d; want 1, 0", d, f)
	}
	if m := e.q.message(id); m.Status != store.MessageSent || m.Attempts != 2 {
		t.Errorf("after the retry: %+v", m)
	}
	as := e.q.attemptsOf(id)
	if len(as) != 2 || as[0].Error != "connection reset" || as[1].Error != "" {
		t.Errorf("attempts %+v", as)
	}
	if v := e.metric(t, "sspr_notify_messages_total", map[string]string{"channel": "sms", "result": "retry"}); v != 1 {
		t.Errorf("retry counter = %v", v)
	}
}

func TestPermanentFailsAtOnce(t *testing.T) {
	ch := &channel{fn: func(context.Context, notify.Message) error {
		return notify.Permanent(errors.New("HTTP 400: code 21211: Invalid 'To' Phone Number"))
	}}
	e := newEnv(t, map[string]notify.Channel{"sms": ch}, notify.WorkerOptions{})
	id := e.send(t, smsMsg())
	if d, f := e.deliver(t); d != 0 || f != 1 {
		t.Fatalf("DeliverDue = %d, %d", d, f)
	}
	m := e.q.message(id)
	if m.Status != store.MessageFailed || m.Attempts != 1 || m.Body != nil {
		t.Errorf("message %+v, want failed after one attempt, body wiped", m)
	}
	if !strings.Contains(m.LastError, "21211") {
		t.Errorf("LastError %q", m.LastError)
	}
	e.clock.Advance(time.Hour)
	if d, f := e.deliver(t); d+f != 0 {
		t.Errorf("failed message tried again")
	}
	if v := e.metric(t, "sspr_notify_messages_total", map[string]string{"channel": "sms", "result": "failed"}); v != 1 {
		t.Errorf("failed counter = %v", v)
	}
}

func TestMaxAttempts(t *testing.T) {
	ch := &channel{fn: func(context.Context, notify.Message) error { return errors.New("503 busy") }}
	e := newEnv(t, map[string]notify.Channel{"sms": ch}, notify.WorkerOptions{MaxAttempts: 4})
	id := e.send(t, smsMsg())
	for i := 1; i <= 4; i++ {
		if d, f := e.deliver(t); d != 0 || f != 1 {
			t.Fatalf("pass %d = %d, %d", i, d, f)
		}
		m := e.q.message(id)
		if m.Attempts != i {
			t.Fatalf("pass %d: %d attempts", i, m.Attempts)
		}
		if i < 4 && m.Status != store.MessageQueued || i == 4 && m.Status != store.MessageFailed {
			t.Fatalf("pass %d: status %s", i, m.Status)
		}
		e.clock.Advance(notify.BackoffMax)
	}
	if d, f := e.deliver(t); d+f != 0 {
		t.Error("tried after the last attempt")
	}
	if n := len(ch.messages()); n != 4 {
		t.Errorf("channel called %d times, want 4", n)
	}
	labels := map[string]string{"channel": "sms"}
	for r, want := range map[string]float64{"retry": 3, "failed": 1, "sent": 0} {
		labels["result"] = r
		if v := e.metric(t, "sspr_notify_messages_total", labels); v != want {
			t.Errorf("%s counter = %v, want %v", r, v, want)
		}
	}
	if !strings.Contains(e.logs.String(), "gave up after 4 attempts") {
		t.Error("no log line says the message was given up")
	}
}

func TestCrashedWorkerMessageDeliveredAfterLease(t *testing.T) {
	ch := &channel{}
	e := newEnv(t, map[string]notify.Channel{"sms": ch}, notify.WorkerOptions{Lease: time.Minute})
	id := e.send(t, smsMsg())

	// Worker A claims the message and dies before recording anything.
	now := e.clock.Now()
	claimed, err := e.q.ClaimMessages(t.Context(), now, now.Add(time.Minute), 10)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim = %v, %v", claimed, err)
	}

	// Worker B sees nothing while the lease holds...
	e.clock.Advance(59 * time.Second)
	if d, f := e.deliver(t); d+f != 0 {
		t.Fatalf("leased message delivered: %d, %d", d, f)
	}
	// ...and delivers it once the lease has run out.
	e.clock.Advance(time.Second)
	if d, f := e.deliver(t); d != 1 || f != 0 {
		t.Fatalf("after the lease = %d, %d; want 1, 0", d, f)
	}
	if m := e.q.message(id); m.Status != store.MessageSent || m.Attempts != 1 {
		t.Errorf("message %+v", m)
	}
	if got := ch.messages(); len(got) != 1 || got[0] != smsMsg() {
		t.Errorf("channel got %+v", got)
	}
	// The delivery carries the key worker A would have sent: a provider that got A's request
	// drops B's.
	if keys, want := ch.idempotencyKeys(), notify.IdempotencyKey(claimed[0]); len(keys) != 1 || keys[0] != want || want == "" {
		t.Errorf("idempotency keys %q, want [%q]", keys, want)
	}
}

// TestIdempotencyKey: one key per message, the same on every attempt, different for another
// message or the same ID in another database (another creation time); no code in it.
func TestIdempotencyKey(t *testing.T) {
	at := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	m := store.Message{ID: 7, Channel: "sms", To: "+14255550100", Body: []byte("sealed 482913"), CreatedAt: at}
	k := notify.IdempotencyKey(m)
	retry := m
	retry.Attempts, retry.LastError = 3, "timeout"
	other, restarted := m, m
	other.ID = 8
	restarted.CreatedAt = at.Add(time.Second)
	switch {
	case !strings.HasPrefix(k, "sspr-7-") || len(k) != len("sspr-7-")+16:
		t.Errorf("key %q", k)
	case notify.IdempotencyKey(retry) != k:
		t.Error("a retry has another key")
	case notify.IdempotencyKey(other) == k, notify.IdempotencyKey(restarted) == k:
		t.Error("two messages share a key")
	case strings.Contains(k, "482913"):
		t.Error("the key holds the code")
	}
}

func TestNoChannelConfigured(t *testing.T) {
	e := newEnv(t, map[string]notify.Channel{"sms": &channel{}, "email": nil}, notify.WorkerOptions{})
	for _, m := range []notify.Message{
		{Channel: "voice", To: phone, Body: "Your code is " + code},
		{Channel: "email", To: "alice@example.com", Body: "Your code is " + code},
	} {
		id := e.send(t, m)
		if d, f := e.deliver(t); d != 0 || f != 1 {
			t.Fatalf("%s: DeliverDue = %d, %d", m.Channel, d, f)
		}
		got := e.q.message(id)
		want := fmt.Sprintf("no channel configured for channel %q", m.Channel)
		if got.Status != store.MessageFailed || got.Attempts != 1 || got.LastError != want {
			t.Errorf("%s: %+v, want failed with %q", m.Channel, got, want)
		}
	}
}

func TestBodySealedAtRest(t *testing.T) {
	e := newEnv(t, map[string]notify.Channel{"sms": &channel{}}, notify.WorkerOptions{})
	id := e.send(t, smsMsg())
	stored := e.q.message(id)
	if stored.To != phone || stored.Channel != "sms" {
		t.Errorf("routing fields %q %q not kept in clear", stored.Channel, stored.To)
	}
	for _, b := range e.q.bodies {
		if bytes.Contains(b, []byte(code)) || bytes.Contains(b, []byte("sspr code")) {
			t.Fatalf("plaintext in the queue: %q", b)
		}
		if len(b) != 12+len(smsMsg().Body)+16 {
			t.Errorf("sealed body of %d bytes", len(b))
		}
	}
	// Another server secret cannot read it.
	other, err := notify.NewSealer(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Open(stored.Body); !errors.Is(err, notify.ErrUnsealed) {
		t.Errorf("Open with another key = %v", err)
	}
}

func TestRedirectedMessageFails(t *testing.T) {
	ch := &channel{}
	e := newEnv(t, map[string]notify.Channel{"sms": ch}, notify.WorkerOptions{})
	id := e.send(t, smsMsg())
	e.q.setTo(id, "+14255550199") // someone with write access to the database
	if d, f := e.deliver(t); d != 0 || f != 1 {
		t.Fatalf("DeliverDue = %d, %d", d, f)
	}
	if m := e.q.message(id); m.Status != store.MessageFailed || !strings.Contains(m.LastError, "altered") {
		t.Errorf("message %+v", m)
	}
	if n := len(ch.messages()); n != 0 {
		t.Error("a redirected message was sent")
	}
}

// TestNoSecretInAttemptsOrLogs: a provider that quotes the whole request in its errors leaks
// neither the code nor the full number into the store or the logs.
func TestNoSecretInAttemptsOrLogs(t *testing.T) {
	tests := []struct {
		name string
		err  func(m notify.Message) error
	}{
		{"retry", func(m notify.Message) error { return fmt.Errorf("HTTP 503 for To=%s Body=%q", m.To, m.Body) }},
		{"permanent", func(m notify.Message) error {
			return notify.Permanent(fmt.Errorf("HTTP 400: number %s rejected (code %s)", strings.TrimPrefix(m.To, "+"), code))
		}},
		{"panic", func(m notify.Message) error { panic("cannot send " + m.Body) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := &channel{fn: func(_ context.Context, m notify.Message) error { return tt.err(m) }}
			e := newEnv(t, map[string]notify.Channel{"sms": ch, "voice": ch}, notify.WorkerOptions{MaxAttempts: 2})
			id := e.send(t, smsMsg())
			vid := e.send(t, notify.Message{Channel: "voice", To: phone, Body: "Your code is " + code})
			for range 3 {
				e.deliver(t)
				e.clock.Advance(notify.BackoffMax)
			}
			var texts []string
			for _, id := range []int64{id, vid} {
				for _, a := range e.q.attemptsOf(id) {
					texts = append(texts, a.Error)
				}
				texts = append(texts, e.q.message(id).LastError)
			}
			texts = append(texts, e.logs.String())
			for _, s := range texts {
				if s == "" {
					t.Error("empty error text")
				}
				for _, secret := range []string{code, phone, phone[1:], "4, 8, 2"} {
					if strings.Contains(s, secret) {
						t.Errorf("%q leaks %q", s, secret)
					}
				}
			}
			if !strings.Contains(e.logs.String(), "+1 ••••••0100") {
				t.Errorf("logs do not show the masked number:\n%s", e.logs)
			}
		})
	}
}

func TestLogsShowMaskedEmail(t *testing.T) {
	e := newEnv(t, map[string]notify.Channel{"email": &channel{}}, notify.WorkerOptions{})
	e.send(t, notify.Message{Channel: "email", To: "alice@example.com", Body: "code " + code})
	e.deliver(t)
	logs := e.logs.String()
	if !strings.Contains(logs, "to=a•••@example.com") || strings.Contains(logs, "alice") || strings.Contains(logs, code) {
		t.Errorf("logs:\n%s", logs)
	}
	for _, key := range []string{"messageID=1", "channel=email", "attempt=1", "message sent"} {
		if !strings.Contains(logs, key) {
			t.Errorf("logs lack %q:\n%s", key, logs)
		}
	}
}

func TestBatches(t *testing.T) {
	ch := &channel{}
	e := newEnv(t, map[string]notify.Channel{"sms": ch}, notify.WorkerOptions{BatchSize: 4})
	for range 10 {
		e.send(t, smsMsg())
	}
	if d, f := e.deliver(t); d != 10 || f != 0 {
		t.Errorf("DeliverDue = %d, %d; want all 10 in one pass", d, f)
	}
}

func TestRunWakesOnNotify(t *testing.T) {
	ch := &channel{sent: make(chan notify.Message, 4)}
	e := newEnv(t, map[string]notify.Channel{"sms": ch}, notify.WorkerOptions{PollInterval: time.Hour})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- e.worker.Run(ctx) }()

	// The first pass runs at start; a message queued later waits for the poll (an hour) or Notify.
	e.send(t, smsMsg())
	e.worker.Notify()
	select {
	case m := <-ch.sent:
		if m != smsMsg() {
			t.Errorf("sent %+v", m)
		}
	case <-t.Context().Done():
		t.Fatal("message not delivered after Notify")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
}

func TestShutdownMidSendRequeues(t *testing.T) {
	started := make(chan struct{})
	ch := &channel{fn: func(ctx context.Context, _ notify.Message) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	}}
	e := newEnv(t, map[string]notify.Channel{"sms": ch}, notify.WorkerOptions{MaxAttempts: 1})
	id := e.send(t, smsMsg())
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() { _, _, _ = e.worker.DeliverDue(ctx) })
	<-started
	cancel()
	wg.Wait()
	m := e.q.message(id)
	if m.Status != store.MessageQueued || !m.NextAttemptAt.Equal(e.clock.Now()) || m.Attempts != 1 {
		t.Errorf("after shutdown: %+v, want queued again, due now", m)
	}
}

func TestSendValidates(t *testing.T) {
	e := newEnv(t, nil, notify.WorkerOptions{})
	tests := []struct {
		name    string
		m       notify.Message
		wantErr error
		text    string
	}{
		{"unknown channel", notify.Message{Channel: "fax", To: phone, Body: "x"}, notify.ErrUnknownChannel, `"fax"`},
		{"no channel", notify.Message{To: phone, Body: "x"}, notify.ErrUnknownChannel, "no channel"},
		{"no destination", notify.Message{Channel: "sms", Body: "x"}, notify.ErrInvalidMessage, "no destination"},
		{"national number", notify.Message{Channel: "sms", To: "4255550100", Body: "x"}, notify.ErrInvalidMessage, "not an E.164 number"},
		{"spaces", notify.Message{Channel: "voice", To: "+1 4255550100", Body: "x"}, notify.ErrInvalidMessage, "not an E.164 number"},
		{"too short", notify.Message{Channel: "sms", To: "+123456", Body: "x"}, notify.ErrInvalidMessage, "E.164"},
		{"too long", notify.Message{Channel: "sms", To: "+1234567890123456", Body: "x"}, notify.ErrInvalidMessage, "E.164"},
		{"leading zero", notify.Message{Channel: "sms", To: "+04255550100", Body: "x"}, notify.ErrInvalidMessage, "E.164"},
		{"bad email", notify.Message{Channel: "email", To: "alice", Body: "x"}, notify.ErrInvalidMessage, "email"},
		{"email with name", notify.Message{Channel: "email", To: "Alice <alice@example.com>", Body: "x"}, notify.ErrInvalidMessage, "email"},
		{"subject injection", notify.Message{Channel: "email", To: "alice@example.com", Subject: "a\r\nBcc: x@example.com", Body: "x"}, notify.ErrInvalidMessage, "control character"},
		{"empty body", notify.Message{Channel: "sms", To: phone, Body: " \n"}, notify.ErrInvalidMessage, "empty body"},
		{"huge body", notify.Message{Channel: "sms", To: phone, Body: strings.Repeat("x", notify.MaxBodyBytes+1)}, notify.ErrInvalidMessage, "longer"},
		{"language not a tag", notify.Message{Channel: "voice", To: phone, Body: "x", Language: `ar"><Play>`}, notify.ErrInvalidMessage, "language"},
		{"language with space", notify.Message{Channel: "voice", To: phone, Body: "x", Language: "de CH"}, notify.ErrInvalidMessage, "language"},
		{"language too long", notify.Message{Channel: "voice", To: phone, Body: "x", Language: "en" + strings.Repeat("-abcdefgh", 4)}, notify.ErrInvalidMessage, "language"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.outbox.Send(t.Context(), tt.m)
			if !errors.Is(err, tt.wantErr) || !errors.Is(err, notify.ErrInvalidMessage) {
				t.Fatalf("Send = %v, want %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.text) {
				t.Errorf("Send = %v, want %q", err, tt.text)
			}
			if strings.Contains(err.Error(), "4255550100") {
				t.Errorf("error %q shows the full number", err)
			}
		})
	}
	for _, m := range []notify.Message{
		{Channel: "sms", To: "+4917612345678", Body: "x"},
		{Channel: "voice", To: "+12345678", Body: "x", Language: "ar"},
		{Channel: "email", To: "zoë@example.com", Subject: "Réinitialisation", Body: "x", Language: "fr-CA"},
	} {
		if _, err := e.outbox.Send(t.Context(), m); err != nil {
			t.Errorf("Send(%+v) = %v", m, err)
		}
	}
	if len(e.q.msgs) != 3 {
		t.Errorf("%d messages queued, want 3", len(e.q.msgs))
	}
}

func TestSealer(t *testing.T) {
	if _, err := notify.NewSealer(make([]byte, 31)); !errors.Is(err, notify.ErrShortSecret) {
		t.Errorf("31-byte secret: %v", err)
	}
	a, err := notify.NewSealer(secret)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := notify.NewSealer(append([]byte(nil), secret...))
	s1, err := a.Seal([]byte(code))
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := a.Seal([]byte(code))
	if bytes.Equal(s1, s2) {
		t.Error("two seals of the same plaintext are equal: nonce not random")
	}
	if pt, err := b.Open(s1); err != nil || string(pt) != code {
		t.Errorf("Open with the same secret = %q, %v", pt, err)
	}
	for _, bad := range [][]byte{nil, s1[:10], append(append([]byte(nil), s1[:len(s1)-1]...), s1[len(s1)-1]^1)} {
		if _, err := a.Open(bad); !errors.Is(err, notify.ErrUnsealed) {
			t.Errorf("Open(%x) = %v", bad, err)
		}
	}
}

func TestPermanent(t *testing.T) {
	base := errors.New("550 no such user")
	p := notify.Permanent(fmt.Errorf("smtp: %w", base))
	wrapped := fmt.Errorf("deliver: %w", p)
	if !notify.IsPermanent(wrapped) || !errors.Is(wrapped, notify.ErrPermanent) || !errors.Is(wrapped, base) {
		t.Error("Permanent lost through wrapping")
	}
	if p.Error() != "smtp: 550 no such user" {
		t.Errorf("text %q changed", p.Error())
	}
	if notify.Permanent(nil) != nil || notify.IsPermanent(base) {
		t.Error("Permanent(nil) or IsPermanent of a plain error")
	}
}

func TestMaskDestination(t *testing.T) {
	tests := []struct{ ch, to, want string }{
		{"sms", "+14255550100", "+1 ••••••0100"},
		{"voice", "+442079460958", "+44 ••••••0958"},
		{"sms", "+19999999999", "•••••••9999"}, // not a valid number: digits only
		{"email", "alice@example.com", "a•••@example.com"},
		{"sms", "", "•••"},
	}
	for _, tt := range tests {
		if got := notify.MaskDestination(tt.ch, tt.to); got != tt.want {
			t.Errorf("MaskDestination(%q, %q) = %q, want %q", tt.ch, tt.to, got, tt.want)
		}
	}
}

func TestVoiceText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Your sspr code is 482913", "Your sspr code is 4, 8, 2, 9, 1, 3. Your sspr code is 4, 8, 2, 9, 1, 3."},
		{"Code:\n 12 !", "Code: 1, 2 ! Code: 1, 2 !"},
		{"Done.", "Done. Done."},
		{"", ""},
	}
	for _, tt := range tests {
		if got := notify.VoiceText(tt.in); got != tt.want {
			t.Errorf("VoiceText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMetricsShareRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	s, _ := notify.NewSealer(secret)
	for range 2 {
		notify.NewWorker(newMemQueue(), s, map[string]notify.Channel{"sms": &channel{}}, notify.WorkerOptions{Registerer: reg}, nil)
	}
	notify.NewWorker(newMemQueue(), s, nil, notify.WorkerOptions{}, nil) // nil registerer
	mfs, err := reg.Gather()
	if err != nil || len(mfs) != 2 {
		t.Errorf("Gather = %d families, %v", len(mfs), err)
	}
}
