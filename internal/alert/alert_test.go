package alert_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/alert"
	"github.com/sspr/sspr/internal/i18n"
	"github.com/sspr/sspr/internal/notify"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/postgres"
	"github.com/sspr/sspr/internal/store/sqlite"
	"github.com/sspr/sspr/internal/testenv"
)

const admin = "secops@example.com"

// en is the English catalog: the messages' language when none is configured.
var en = i18n.Default().For("en")

// outbox is the real outbox on the test's store; queued reads back what it holds.
func outbox(t *testing.T, s store.Store) *notify.Outbox {
	t.Helper()
	sealer, err := notify.NewSealer(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	return notify.NewOutbox(s, sealer, func() time.Time { return t0 })
}

// queued claims every message queued (to read them; the test's worker is itself).
func queued(t *testing.T, s store.Store) []store.Message {
	t.Helper()
	far := t0.Add(365 * 24 * time.Hour)
	msgs, err := s.ClaimMessages(t.Context(), far, far.Add(time.Hour), 1000)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

func openStore(t *testing.T) store.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// backends runs fn on a fresh SQLite store and a fresh PostgreSQL database (which several
// instances share in production).
func backends(t *testing.T, fn func(t *testing.T, s store.Store)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, openStore(t)) })
	t.Run("postgres", func(t *testing.T) {
		s, err := postgres.Open(t.Context(), testenv.PostgresDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		fn(t, s)
	})
}

func newRunner(t *testing.T, s alert.Store, o alert.Sender) *alert.Runner {
	t.Helper()
	r, err := alert.New(s, o, alert.Policy{Administrators: []string{admin}, DeliveryFailures: 3, LockoutsPerHour: 2}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

var t0 = time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)

func audit(t *testing.T, s store.Store, at time.Time, typ, upn string, details map[string]string) {
	t.Helper()
	if err := s.AppendAudit(t.Context(), &store.AuditEvent{Time: at, Type: typ, Actor: "user", UserPrincipalName: upn, ClientIP: "192.0.2.7", Details: details}); err != nil {
		t.Fatal(err)
	}
}

func syncRun(t *testing.T, s store.Store, at time.Time, status store.RunStatus) {
	t.Helper()
	r := store.SyncRun{Mode: "full", Status: store.RunRunning, StartedAt: at}
	if err := s.StartRun(t.Context(), &r); err != nil {
		t.Fatal(err)
	}
	fin := at.Add(time.Second)
	r.Status, r.FinishedAt = status, &fin
	if status == store.RunRefused {
		r.Errors = []string{"the run would delete 600 users (threshold 500)"}
	}
	if err := s.FinishRun(t.Context(), r); err != nil {
		t.Fatal(err)
	}
}

// TestOncePerIncident: for each trigger, events at minutes 0, 1, 2 of one incident and runs of
// the runner (a second runner too: a restart or another instance) every minute queue one
// message; once the incident ends, a new one is notified again.
func TestOncePerIncident(t *testing.T) {
	tests := []struct {
		name    string
		subject string
		// event makes the trigger's condition true (or truer) at minute i of incident n.
		event func(t *testing.T, s store.Store, at time.Time, n, i int)
		// end ends the incident at at.
		end func(t *testing.T, s store.Store, at time.Time)
		// wait is how long after end the next incident may start.
		wait time.Duration
	}{
		{
			name: "privileged reset", subject: en.T("alert.privileged.reset.subject", "admin@example.com"),
			event: func(t *testing.T, s store.Store, at time.Time, n, i int) {
				if i == 0 { // one reset is one incident; its other events are not
					audit(t, s, at, "reset.done", "admin@example.com", map[string]string{"privileged": "true"})
				}
				audit(t, s, at, "reset.done", "user@example.com", nil) // not privileged: nothing
				audit(t, s, at, "reset.started", "admin@example.com", nil)
			},
			end: func(*testing.T, store.Store, time.Time) {},
		},
		{
			name: "privileged unlock", subject: en.T("alert.privileged.unlock.subject", "admin@example.com"),
			event: func(t *testing.T, s store.Store, at time.Time, n, i int) {
				if i == 0 {
					audit(t, s, at, "unlock.done", "admin@example.com", map[string]string{"privileged": "true"})
				}
			},
			end: func(*testing.T, store.Store, time.Time) {},
		},
		{
			name: "sync failed", subject: en.T("alert.syncFailed.subject"),
			event: func(t *testing.T, s store.Store, at time.Time, n, i int) { syncRun(t, s, at, store.RunFailed) },
			end:   func(t *testing.T, s store.Store, at time.Time) { syncRun(t, s, at, store.RunSucceeded) },
		},
		{
			name: "delete guard held", subject: en.T("alert.syncGuard.subject"),
			event: func(t *testing.T, s store.Store, at time.Time, n, i int) { syncRun(t, s, at, store.RunRefused) },
			end:   func(t *testing.T, s store.Store, at time.Time) { syncRun(t, s, at, store.RunSucceeded) },
		},
		{
			name: "deliveries failing", subject: en.T("alert.deliveries.subject"),
			event: func(t *testing.T, s store.Store, at time.Time, n, i int) {
				for range 2 { // 2, 4, 6 in the hour: over 3 from minute 1
					if err := alert.CountDeliveryFailure(t.Context(), s, at); err != nil {
						t.Fatal(err)
					}
				}
			},
			end:  func(*testing.T, store.Store, time.Time) {}, // the hour passes
			wait: time.Hour,
		},
		{
			name: "lockout spike", subject: en.T("alert.lockouts.subject"),
			event: func(t *testing.T, s store.Store, at time.Time, n, i int) {
				audit(t, s, at, "reset.lockedOut", "a@example.com", nil)
				audit(t, s, at, "register.lockedOut", "b@example.com", nil)
				audit(t, s, at, "reset.code.failed", "b@example.com", nil) // not a lockout
			},
			end:  func(*testing.T, store.Store, time.Time) {},
			wait: time.Hour,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			backends(t, func(t *testing.T, s store.Store) {
				o := outbox(t, s)
				runners := []*alert.Runner{newRunner(t, s, o), newRunner(t, s, o)}
				var msgs []store.Message
				now := t0
				run := func() {
					for _, r := range runners {
						if _, err := r.Run(t.Context(), now); err != nil {
							t.Fatal(err)
						}
					}
				}
				for n := range 2 {
					for i := range 3 {
						tt.event(t, s, now, n, i)
						now = now.Add(time.Minute)
						run()
					}
					for range 3 {
						now = now.Add(time.Minute)
						run()
					}
					msgs = append(msgs, queued(t, s)...)
					if len(msgs) != n+1 {
						t.Fatalf("incident %d: %d messages, want %d: %+v", n+1, len(msgs), n+1, msgs)
					}
					tt.end(t, s, now)
					now = now.Add(time.Minute + tt.wait)
					run()
				}
				for _, m := range msgs {
					if m.To != admin || m.Channel != notify.ChannelEmail || !strings.Contains(m.Subject, tt.subject) {
						t.Errorf("message %s to %s: %q", m.Channel, m.To, m.Subject)
					}
				}
				notified := 0
				err := s.ListAudit(t.Context(), store.AuditFilter{TypePrefix: alert.EventNotified}, func(e store.AuditEvent) error {
					notified++
					if e.Actor != "system" || e.Details["incident"] == "" || e.Details["key"] == "" {
						t.Errorf("audit event %+v", e)
					}
					return nil
				})
				if err != nil || notified != 2 {
					t.Errorf("%d %s events (%v), want 2", notified, alert.EventNotified, err)
				}
			})
		})
	}
}

// TestNoAdministrators: without administrators nothing is read or sent.
func TestNoAdministrators(t *testing.T) {
	s := openStore(t)
	audit(t, s, t0, "reset.done", "admin@example.com", map[string]string{"privileged": "true"})
	r, err := alert.New(s, outbox(t, s), alert.Policy{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := r.Run(t.Context(), t0.Add(time.Minute)); n != 0 || err != nil || len(queued(t, s)) != 0 {
		t.Errorf("Run: %d, %v", n, err)
	}
}

func TestPolicyProblems(t *testing.T) {
	tests := []struct {
		p    alert.Policy
		want []string
	}{
		{alert.Policy{}, nil},
		{alert.Policy{Administrators: []string{"a@example.com", "b@example.org"}}, nil},
		{alert.Policy{Administrators: []string{"not an address", "a@example.com", "A@example.com"}, DeliveryFailures: -1, LockoutsPerHour: -2}, []string{
			`administrators[0]: "not an address" is not an email address`,
			`administrators[2]: "A@example.com" comes twice`,
			"deliveryFailures: -1: use 1 or more failed attempts per hour",
			"lockoutsPerHour: -2: use 1 or more lockouts per hour",
		}},
	}
	for _, tt := range tests {
		got := tt.p.WithDefaults().Problems()
		if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("%+v: %q, want %q", tt.p, got, tt.want)
		}
	}
	if p := (alert.Policy{}).WithDefaults(); p.DeliveryFailures != alert.DefaultDeliveryFailures || p.LockoutsPerHour != alert.DefaultLockoutsPerHour {
		t.Errorf("defaults %+v", p)
	}
}

// The messages are in the language they are given (the configured default), times in its zone.
func TestNotificationsInTheDefaultLanguage(t *testing.T) {
	s := openStore(t)
	texts, err := i18n.New(i18n.Config{DefaultLanguage: "de", TimeZone: "Europe/Berlin"})
	if err != nil {
		t.Fatal(err)
	}
	de := texts.Pick("")
	audit(t, s, t0, "reset.done", "admin@example.com", map[string]string{"privileged": "true"})
	r, err := alert.New(s, outbox(t, s), alert.Policy{Administrators: []string{admin}}, de, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Run(t.Context(), t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	msgs := queued(t, s)
	if len(msgs) != 1 || msgs[0].Subject != "sspr: "+de.T("alert.privileged.reset.subject", "admin@example.com") || msgs[0].Language != "de" {
		t.Fatalf("messages: %+v", msgs)
	}
}
