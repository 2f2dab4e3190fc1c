package alert_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/alert"
	"github.com/sspr/sspr/internal/notify"
	"github.com/sspr/sspr/internal/notify/smtp"
	"github.com/sspr/sspr/internal/notify/smtp/smtptest"
	"github.com/sspr/sspr/internal/store"
)

// TestThroughSMTP: a privileged reset reaches the administrator through the outbox, the worker
// and the SMTP channel, on a real SMTP server (STARTTLS), once, however often the runner runs;
// a failed delivery attempt is counted for the deliveries trigger.
func TestThroughSMTP(t *testing.T) {
	s := openStore(t)
	srv := smtptest.Start(t, smtptest.Options{})
	ch, err := smtp.New(smtp.Config{Host: "localhost", Port: srv.Port, CAFile: srv.CAFile, From: "sspr@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := notify.NewSealer(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	out := notify.NewOutbox(s, sealer, func() time.Time { return now })
	failed := 0
	worker := notify.NewWorker(s, sealer, map[string]notify.Channel{notify.ChannelEmail: ch},
		notify.WorkerOptions{Failed: func(ctx context.Context, at time.Time) {
			failed++
			if err := alert.CountDeliveryFailure(ctx, s, at); err != nil {
				t.Error(err)
			}
		}}, nil)
	audit(t, s, now.Add(-time.Minute), "reset.done", "admin@example.com", map[string]string{"privileged": "true"})
	r := newRunner(t, s, out)
	for range 3 {
		if _, err := r.Run(t.Context(), now); err != nil {
			t.Fatal(err)
		}
		if _, _, err := worker.DeliverDue(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages delivered, want 1", len(msgs))
	}
	data := string(msgs[0].Data)
	if msgs[0].To != admin || !msgs[0].TLS || !strings.Contains(data, "privileged account admin@example.com") || !strings.Contains(data, "192.0.2.7") {
		t.Errorf("message to %s (TLS %v):\n%s", msgs[0].To, msgs[0].TLS, data)
	}
	// A message the server refuses for good counts as a failed attempt.
	if _, err := out.Send(t.Context(), notify.Message{Channel: notify.ChannelSMS, To: "+14255550100", Body: "no sms channel"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := worker.DeliverDue(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n, err := s.CountEvents(t.Context(), alert.DeliveryFailuresKey, now.Add(-time.Hour)); failed != 1 || n != 1 || err != nil {
		t.Errorf("failed attempts: hook %d, counted %d, %v", failed, n, err)
	}
	var notified []store.AuditEvent
	s.ListAudit(t.Context(), store.AuditFilter{TypePrefix: alert.EventNotified}, func(e store.AuditEvent) error {
		notified = append(notified, e)
		return nil
	})
	if len(notified) != 1 || notified[0].UserPrincipalName != "admin@example.com" || notified[0].Details["incident"] != alert.KindPrivileged {
		t.Errorf("notified events %+v", notified)
	}
}
