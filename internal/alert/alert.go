package alert

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/sspr/sspr/internal/i18n"
	"github.com/sspr/sspr/internal/notify"
	"github.com/sspr/sspr/internal/store"
)

// Incident kinds: the "incident" detail of alert events.
const (
	KindPrivileged = "privileged"
	KindSyncFailed = "sync.failed"
	KindSyncGuard  = "sync.guard"
	KindDeliveries = "deliveries"
	KindLockouts   = "lockouts"
)

// Audit event types that hold the state.
const (
	EventNotified = "alert.notified"
	EventResolved = "alert.resolved"
)

const (
	// Lookback is how far back the runner reads its own alert events.
	Lookback = 7 * 24 * time.Hour
	// PrivilegedWindow is how far back it looks for privileged resets and unlocks.
	PrivilegedWindow = 24 * time.Hour
	// syncRuns is how many recent runs it reads to find where a failing streak started.
	syncRuns = 200
	// DeliveryFailuresKey is the store counter (store.Throttles) of failed delivery attempts.
	DeliveryFailuresKey = "alert:deliveryFailed"
)

// Store is what a Runner needs of the store.
type Store interface {
	ListAudit(ctx context.Context, f store.AuditFilter, fn func(store.AuditEvent) error) error
	AppendAudit(ctx context.Context, e *store.AuditEvent) error
	ListRuns(ctx context.Context, limit int) ([]store.SyncRun, error)
	CountEvents(ctx context.Context, key string, since time.Time) (int, error)
}

// Sender queues a message (notify.Outbox).
type Sender interface {
	Send(ctx context.Context, m notify.Message) (int64, error)
}

// Hitter counts an event in the store (store.Throttles).
type Hitter interface {
	Hit(ctx context.Context, key string, at, since time.Time) (int, error)
}

// CountDeliveryFailure records one failed delivery attempt at at, for the deliveries trigger:
// every instance's outbox worker calls it, the runner reads the count of the last hour.
func CountDeliveryFailure(ctx context.Context, h Hitter, at time.Time) error {
	if _, err := h.Hit(ctx, DeliveryFailuresKey, at, at); err != nil {
		return fmt.Errorf("alert: count a delivery failure: %w", err)
	}
	return nil
}

// Runner evaluates the triggers and notifies the administrators of new incidents.
type Runner struct {
	store  Store
	send   Sender
	policy Policy
	tr     *i18n.Translator
	log    *slog.Logger
}

// New returns a Runner for p (defaults applied here) whose messages are written by tr (the
// configured default language, in the configured zone; nil: English). log nil discards.
func New(s Store, send Sender, p Policy, tr *i18n.Translator, log *slog.Logger) (*Runner, error) {
	p = p.WithDefaults()
	if ps := p.Problems(); len(ps) > 0 {
		return nil, fmt.Errorf("notifications: %s", strings.Join(ps, "; "))
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if tr == nil {
		tr = i18n.Default().For("en")
	}
	return &Runner{store: s, send: send, policy: p, tr: tr, log: log}, nil
}

// incident is one thing to tell the administrators about.
type incident struct {
	kind, key       string
	subject, body   string
	userID, upn, ip string
	details         map[string]string
}

// state is what the alert events of the lookback say.
type state struct {
	notified map[string]bool   // incident keys notified
	open     map[string]string // kind → key of the newest notified incident not resolved since
}

func (r *Runner) state(ctx context.Context, now time.Time) (state, error) {
	s := state{notified: map[string]bool{}, open: map[string]string{}}
	seen := map[string]bool{} // kinds whose newest event was read (events come newest first)
	err := r.store.ListAudit(ctx, store.AuditFilter{TypePrefix: "alert.", Since: now.Add(-Lookback)}, func(e store.AuditEvent) error {
		kind, key := e.Details["incident"], e.Details["key"]
		if e.Type == EventNotified {
			s.notified[key] = true
		}
		if !seen[kind] {
			seen[kind] = true
			if e.Type == EventNotified {
				s.open[kind] = key
			}
		}
		return nil
	})
	if err != nil {
		return s, fmt.Errorf("alert: read alert events: %w", err)
	}
	return s, nil
}

// Run evaluates every trigger at now and notifies the incidents not notified yet. It returns
// how many incidents it notified; a trigger that cannot be evaluated is logged and the others
// still run (the error is the first).
func (r *Runner) Run(ctx context.Context, now time.Time) (int, error) {
	if !r.policy.On() {
		return 0, nil
	}
	now = now.UTC()
	st, err := r.state(ctx, now)
	if err != nil {
		return 0, err
	}
	var errs []error
	var found []incident
	for _, trigger := range []func(context.Context, time.Time, state) ([]incident, error){
		r.privileged, r.sync, r.deliveries, r.lockouts,
	} {
		in, err := trigger(ctx, now, st)
		if err != nil {
			r.log.Error("notifications: trigger", "err", err)
			errs = append(errs, err)
		}
		found = append(found, in...)
	}
	n := 0
	for _, in := range found {
		if in.subject == "" { // an incident that ended
			r.record(ctx, EventResolved, in, now)
			continue
		}
		if st.notified[in.key] {
			continue
		}
		if err := r.notify(ctx, in, now); err != nil {
			errs = append(errs, err)
			continue
		}
		st.notified[in.key] = true
		n++
	}
	return n, errors.Join(errs...)
}

// notify queues the message to every administrator, then records the incident as notified.
func (r *Runner) notify(ctx context.Context, in incident, now time.Time) error {
	body := in.body + "\n\n" + r.tr.T("alert.footer", EventNotified, in.kind) + "\n"
	for _, to := range r.policy.Administrators {
		m := notify.Message{Channel: notify.ChannelEmail, To: to, Subject: "sspr: " + in.subject, Body: body, Language: r.tr.Lang()}
		if _, err := r.send.Send(ctx, m); err != nil {
			return fmt.Errorf("alert: queue %s notification: %w", in.kind, err)
		}
	}
	r.log.Warn("administrators notified", "incident", in.kind, "key", in.key, "subject", in.subject, "administrators", len(r.policy.Administrators))
	r.record(ctx, EventNotified, in, now)
	return nil
}

func (r *Runner) record(ctx context.Context, typ string, in incident, now time.Time) {
	d := map[string]string{"incident": in.kind, "key": in.key}
	for k, v := range in.details {
		d[k] = v
	}
	if typ == EventNotified {
		d["administrators"] = strconv.Itoa(len(r.policy.Administrators))
	}
	e := &store.AuditEvent{Time: now, Type: typ, Actor: "system", UserID: in.userID, UserPrincipalName: in.upn, ClientIP: in.ip, Details: d}
	if err := r.store.AppendAudit(ctx, e); err != nil {
		r.log.Error("notifications: record", "type", typ, "incident", in.kind, "key", in.key, "err", err)
	}
}

// privileged: each reset or unlock of a privileged user in the window.
func (r *Runner) privileged(ctx context.Context, now time.Time, _ state) ([]incident, error) {
	var out []incident
	for _, typ := range []string{"reset.done", "unlock.done"} {
		err := r.store.ListAudit(ctx, store.AuditFilter{TypePrefix: typ, Since: now.Add(-PrivilegedWindow)}, func(e store.AuditEvent) error {
			if e.Type != typ || e.Details["privileged"] != "true" {
				return nil
			}
			what := map[string]string{"reset.done": "alert.privileged.reset", "unlock.done": "alert.privileged.unlock"}[typ]
			ip := e.ClientIP
			if ip == "" {
				ip = r.tr.T("alert.unknown")
			}
			out = append(out, incident{
				kind: KindPrivileged, key: KindPrivileged + ":" + strconv.FormatInt(e.ID, 10),
				subject: r.tr.T(what+".subject", e.UserPrincipalName),
				body:    r.tr.T(what+".body", e.UserPrincipalName, r.tr.Time(e.Time), ip),
				userID:  e.UserID, upn: e.UserPrincipalName, ip: e.ClientIP,
				details: map[string]string{"event": e.Type, "eventID": strconv.FormatInt(e.ID, 10)},
			})
			return nil
		})
		if err != nil {
			return out, fmt.Errorf("alert: privileged: %w", err)
		}
	}
	return out, nil
}

// sync: the latest finished run failed or was refused by the delete guard; the incident starts
// at the first run of the streak.
func (r *Runner) sync(ctx context.Context, _ time.Time, _ state) ([]incident, error) {
	runs, err := r.store.ListRuns(ctx, syncRuns)
	if err != nil {
		return nil, fmt.Errorf("alert: sync runs: %w", err)
	}
	var streak []store.SyncRun // newest first
	for _, run := range runs {
		if run.Status == store.RunRunning || run.Status == store.RunDryRun {
			continue
		}
		if len(streak) > 0 && run.Status != streak[0].Status {
			break
		}
		if run.Status != store.RunFailed && run.Status != store.RunRefused {
			break
		}
		streak = append(streak, run)
	}
	if len(streak) == 0 {
		return nil, nil
	}
	first, last := streak[len(streak)-1], streak[0]
	kind, key := KindSyncFailed, "alert.syncFailed"
	if last.Status == store.RunRefused {
		kind, key = KindSyncGuard, "alert.syncGuard"
	}
	var b strings.Builder
	b.WriteString(r.tr.T(key+".body", r.tr.Time(first.StartedAt), len(streak), strconv.FormatInt(last.ID, 10), r.tr.Time(last.StartedAt)) + "\n")
	for _, e := range last.Errors {
		fmt.Fprintf(&b, "  %s\n", e)
	}
	return []incident{{kind: kind, key: kind + ":" + strconv.FormatInt(first.ID, 10), subject: r.tr.T(key + ".subject"), body: b.String(),
		details: map[string]string{"run": strconv.FormatInt(last.ID, 10), "runs": strconv.Itoa(len(streak))}}}, nil
}

// threshold opens an incident of kind when count passes limit and none is open, and ends the
// open one when count is back at or below limit.
func threshold(kind string, count, limit int, now time.Time, st state, subject, body string) []incident {
	open := st.open[kind]
	switch {
	case count > limit && open == "":
		key := kind + ":" + now.Format(time.RFC3339)
		return []incident{{kind: kind, key: key, subject: subject, body: body,
			details: map[string]string{"count": strconv.Itoa(count), "threshold": strconv.Itoa(limit)}}}
	case count <= limit && open != "":
		return []incident{{kind: kind, key: open, details: map[string]string{"count": strconv.Itoa(count), "threshold": strconv.Itoa(limit)}}}
	}
	return nil
}

// deliveries: more failed delivery attempts in the last hour than the policy allows.
func (r *Runner) deliveries(ctx context.Context, now time.Time, st state) ([]incident, error) {
	n, err := r.store.CountEvents(ctx, DeliveryFailuresKey, now.Add(-time.Hour))
	if err != nil {
		return nil, fmt.Errorf("alert: delivery failures: %w", err)
	}
	lim := r.policy.DeliveryFailures
	return threshold(KindDeliveries, n, lim, now, st, r.tr.T("alert.deliveries.subject"), r.tr.T("alert.deliveries.body", n, lim)), nil
}

// lockoutTypes are the audit events of a lockout.
var lockoutTypes = []string{"reset.lockedOut", "unlock.lockedOut", "register.lockedOut"}

// lockouts: more lockouts in the last hour than the policy allows.
func (r *Runner) lockouts(ctx context.Context, now time.Time, st state) ([]incident, error) {
	n := 0
	for _, typ := range lockoutTypes {
		err := r.store.ListAudit(ctx, store.AuditFilter{TypePrefix: typ, Since: now.Add(-time.Hour)}, func(e store.AuditEvent) error {
			if e.Type == typ {
				n++
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("alert: lockouts: %w", err)
		}
	}
	lim := r.policy.LockoutsPerHour
	return threshold(KindLockouts, n, lim, now, st, r.tr.T("alert.lockouts.subject"), r.tr.T("alert.lockouts.body", n, lim)), nil
}
