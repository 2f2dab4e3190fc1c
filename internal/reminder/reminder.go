package reminder

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/sspr/sspr/internal/i18n"
	"github.com/sspr/sspr/internal/notify"
	"github.com/sspr/sspr/internal/store"
)

// Store is what a Runner needs of the store.
type Store interface {
	ListUsers(ctx context.Context, f store.UserFilter, fn func(store.User) error) error
	store.Reminders
}

// Sender queues a message (notify.Outbox).
type Sender interface {
	Send(ctx context.Context, m notify.Message) (int64, error)
}

// Runner sends the reminders due at a given time.
type Runner struct {
	store     Store
	send      Sender
	policy    Policy
	thresh    []int // ascending
	quiet     quiet
	loc       *time.Location
	changeURL string
	log       *slog.Logger
	texts     *i18n.Bundle
}

// SetTexts sets the catalog the reminders are composed from, each in the user's preferred
// language (store.User.PreferredLanguage, else the default language), dates in the catalog's
// time zone. Without it: the built-in catalog.
func (r *Runner) SetTexts(b *i18n.Bundle) { r.texts = b }

// New returns a Runner for p (defaults applied here), sending through send a link to
// publicURL + "/change". log nil discards.
func New(s Store, send Sender, p Policy, publicURL string, log *slog.Logger) (*Runner, error) {
	p = p.WithDefaults()
	if ps := p.Problems(); len(ps) > 0 {
		return nil, fmt.Errorf("reminders: %s", strings.Join(ps, "; "))
	}
	q, _ := parseQuiet(p.QuietHours)
	loc, _ := time.LoadLocation(p.TimeZone)
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	th := slices.Clone(p.DaysBefore)
	slices.Sort(th)
	return &Runner{store: s, send: send, policy: p, thresh: th, quiet: q, loc: loc,
		changeURL: strings.TrimRight(publicURL, "/") + "/change", log: log}, nil
}

// Due is a user's reminder due at some time: the nearest threshold reached.
type Due struct {
	User      store.User
	Threshold int // days
}

// due returns the nearest threshold reached at now for u, or 0 when none.
func (r *Runner) due(u store.User, now time.Time) int {
	if !u.AccountEnabled || u.PasswordExpiresAt == nil {
		return 0
	}
	left := u.PasswordExpiresAt.Sub(now)
	if left <= 0 {
		return 0
	}
	for _, t := range r.thresh {
		if left <= time.Duration(t)*24*time.Hour {
			return t
		}
	}
	return 0
}

// Run queues the reminders due at now and returns how many users it reminded. In quiet hours it
// does nothing. A failure for one user is logged and the run goes on; the error is the first
// such failure, or the listing's.
func (r *Runner) Run(ctx context.Context, now time.Time) (int, error) {
	if !r.policy.On() || r.quiet.holds(now.In(r.loc)) {
		return 0, nil
	}
	var due []Due
	err := r.store.ListUsers(ctx, store.UserFilter{}, func(u store.User) error {
		if t := r.due(u, now); t > 0 {
			due = append(due, Due{User: u, Threshold: t})
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("reminders: list users: %w", err)
	}
	sent := 0
	var first error
	for _, d := range due {
		ok, err := r.remind(ctx, d, now)
		if err != nil {
			r.log.Warn("password expiry reminder failed", "user", d.User.ID, "threshold", d.Threshold, "err", err)
			if first == nil {
				first = err
			}
		}
		if ok {
			sent++
		}
	}
	return sent, first
}

// remind claims d's reminder and, when this call claimed it, queues it on every channel.
func (r *Runner) remind(ctx context.Context, d Due, now time.Time) (bool, error) {
	msgs := r.messages(d, now)
	if len(msgs) == 0 {
		return false, nil // nowhere to send it: no claim, so a contact added later still gets it
	}
	ok, err := r.store.ClaimReminder(ctx, d.User.ID, *d.User.PasswordExpiresAt, d.Threshold, now)
	if err != nil || !ok {
		return false, err
	}
	for _, m := range msgs {
		if _, err := r.send.Send(ctx, m); err != nil {
			return true, fmt.Errorf("queue %s reminder: %w", m.Channel, err)
		}
	}
	return true, nil
}

// messages are d's reminder on each configured channel, one per known address.
func (r *Runner) messages(d Due, now time.Time) []notify.Message {
	u := d.User
	exp := *u.PasswordExpiresAt
	days := int((exp.Sub(now) + 24*time.Hour - 1) / (24 * time.Hour))
	texts := r.texts
	if texts == nil {
		texts = i18n.Default()
	}
	// A directory's preferredLanguage may be a tag or an Accept-Language list.
	tr := texts.Pick(u.PreferredLanguage)
	when := tr.T("reminder.when", days)
	var out []notify.Message
	for _, ch := range r.policy.Channels {
		switch ch {
		case notify.ChannelEmail:
			subject := tr.T("mail.reminder.subject", when)
			body := tr.T("mail.reminder.body", u.UserPrincipalName, when, exp, r.changeURL)
			for _, to := range dedupe(append([]string{u.AuthenticationEmail}, u.AlternateEmails...), strings.ToLower) {
				out = append(out, notify.Message{Channel: ch, To: to, Subject: subject, Body: body, Language: tr.Lang()})
			}
		case notify.ChannelSMS:
			body := tr.T("sms.reminder", when, r.changeURL)
			nospace := func(s string) string { return strings.ReplaceAll(s, " ", "") }
			for _, to := range dedupe([]string{nospace(u.AuthenticationPhone), nospace(u.MobilePhone.Number)}, nil) {
				if notify.ValidE164(to) {
					out = append(out, notify.Message{Channel: ch, To: to, Body: body, Language: tr.Lang()})
				}
			}
		}
	}
	return out
}

// dedupe drops empty values and repeats (compared by key when not nil), in order.
func dedupe(vs []string, key func(string) string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range vs {
		k := v
		if key != nil {
			k = key(v)
		}
		if v == "" || seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, v)
	}
	return out
}
