package flow

import (
	"context"
	"fmt"
	"time"

	"github.com/sspr/sspr/internal/store"
)

// ContactChangedEvent is the audit event a sync writes, in its transaction, when a directory
// contact value of an existing user changes (details: field, old and new, masked).
const ContactChangedEvent = "sync.contact.changed"

// AuditLister reads the audit log (the store).
type AuditLister interface {
	ListAudit(ctx context.Context, f store.AuditFilter, fn func(store.AuditEvent) error) error
}

// RecentChanges returns when each of u's directory contact fields last changed, for the
// changes after since (Facts.Changed).
func RecentChanges(ctx context.Context, a AuditLister, u store.User, since time.Time) (map[string]time.Time, error) {
	var events []store.AuditEvent
	if err := a.ListAudit(ctx, ChangesFilter(u.UserPrincipalName, since), func(e store.AuditEvent) error {
		events = append(events, e)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("recent contact changes: %w", err)
	}
	return ContactChanges(events, u), nil
}

// ChangesFilter lists the contact changes of the user named upn after since, for
// ContactChanges (a step that reads them with others, store.StepReads.ReadStart).
func ChangesFilter(upn string, since time.Time) store.AuditFilter {
	return store.AuditFilter{UserPrincipalName: upn, TypePrefix: ContactChangedEvent, Since: since}
}

// ContactChanges returns when each of u's directory contact fields last changed, from the
// events ChangesFilter lists: only u's own (a user of that name before u had other numbers).
func ContactChanges(events []store.AuditEvent, u store.User) map[string]time.Time {
	var out map[string]time.Time
	for _, e := range events {
		if e.Type != ContactChangedEvent || e.UserID != u.ID {
			continue
		}
		if out == nil {
			out = map[string]time.Time{}
		}
		if f := e.Details["field"]; e.Time.After(out[f]) {
			out[f] = e.Time
		}
	}
	return out
}

// AllRecentChanges returns, per user ID, when each directory contact field last changed after
// since (for the readiness report).
func AllRecentChanges(ctx context.Context, a AuditLister, since time.Time) (map[string]map[string]time.Time, error) {
	out := map[string]map[string]time.Time{}
	err := a.ListAudit(ctx, store.AuditFilter{TypePrefix: ContactChangedEvent, Since: since}, func(e store.AuditEvent) error {
		if e.Type != ContactChangedEvent {
			return nil
		}
		m := out[e.UserID]
		if m == nil {
			m = map[string]time.Time{}
			out[e.UserID] = m
		}
		if f := e.Details["field"]; e.Time.After(m[f]) {
			m[f] = e.Time
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("recent contact changes: %w", err)
	}
	return out, nil
}
