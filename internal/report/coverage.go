package report

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/sspr/sspr/internal/store"
)

// CoverageRow says what one user registered and when; never the values registered, never a
// question or an answer.
type CoverageRow struct {
	UserPrincipalName string `json:"userPrincipalName"`
	DisplayName       string `json:"displayName"`
	AccountEnabled    bool   `json:"accountEnabled"`
	Registered        bool   `json:"registered"`
	// RegisteredFields are the product's names of what the user registered: authenticationPhone,
	// authenticationEmail, securityQuestions.
	RegisteredFields []string `json:"registeredFields"`
	// SecurityQuestions is how many questions the user registered.
	SecurityQuestions int `json:"securityQuestions"`
	// RegisteredAt is the user's latest registration (a register.* audit event in the window,
	// else when the questions were registered); null when not known.
	RegisteredAt *time.Time `json:"registeredAt"`
}

// CoverageTotals sums the coverage report over the enabled users.
type CoverageTotals struct {
	Users      int `json:"users"`
	Enabled    int `json:"enabled"`
	Registered int `json:"registered"`
	Never      int `json:"neverRegistered"`
	// ByField counts the enabled users who registered each field.
	ByField map[string]int `json:"byField"`
	// RegisteredInWindow counts the enabled users with a registration since the report's start.
	RegisteredInWindow int     `json:"registeredInWindow"`
	RegisteredPercent  float64 `json:"registeredPercent"`
}

// CoverageStore is what the coverage report reads.
type CoverageStore interface {
	Lister
	ListAudit(ctx context.Context, f store.AuditFilter, fn func(store.AuditEvent) error) error
}

// FieldSecurityQuestions names the security questions among the registered fields.
const FieldSecurityQuestions = "securityQuestions"

// Coverage streams, for every user matching f, what they registered, and returns the totals;
// registrations since since (register.* audit events) date the rows.
func Coverage(ctx context.Context, st CoverageStore, f store.UserFilter, since time.Time, fn func(CoverageRow) error) (CoverageTotals, error) {
	latest := map[string]time.Time{}
	err := st.ListAudit(ctx, store.AuditFilter{TypePrefix: FlowRegister + ".", Since: since}, func(e store.AuditEvent) error {
		for _, k := range classify(e) {
			if k.outcome == OutcomeRegistered && e.UserID != "" && e.Time.After(latest[e.UserID]) {
				latest[e.UserID] = e.Time.UTC()
			}
		}
		return nil
	})
	if err != nil {
		return CoverageTotals{}, fmt.Errorf("coverage report: %w", err)
	}
	t := CoverageTotals{ByField: map[string]int{store.FieldAuthenticationPhone: 0, store.FieldAuthenticationEmail: 0, FieldSecurityQuestions: 0}}
	err = st.ListUsers(ctx, f, func(u store.User) error {
		r := CoverageRow{UserPrincipalName: u.UserPrincipalName, DisplayName: u.DisplayName, AccountEnabled: u.AccountEnabled,
			RegisteredFields: []string{}, SecurityQuestions: u.SecurityQuestionsCount}
		if u.AuthenticationPhone != "" {
			r.RegisteredFields = append(r.RegisteredFields, store.FieldAuthenticationPhone)
		}
		if u.AuthenticationEmail != "" {
			r.RegisteredFields = append(r.RegisteredFields, store.FieldAuthenticationEmail)
		}
		if u.SecurityQuestionsCount > 0 {
			r.RegisteredFields = append(r.RegisteredFields, FieldSecurityQuestions)
		}
		r.Registered = len(r.RegisteredFields) > 0
		if at, ok := latest[u.ID]; ok {
			r.RegisteredAt = &at
		} else if u.SecurityQuestionsRegisteredAt != nil {
			at := u.SecurityQuestionsRegisteredAt.UTC()
			r.RegisteredAt = &at
		}
		t.Users++
		if u.AccountEnabled {
			t.Enabled++
			if r.Registered {
				t.Registered++
			} else {
				t.Never++
			}
			for _, fld := range r.RegisteredFields {
				t.ByField[fld]++
			}
			if _, ok := latest[u.ID]; ok {
				t.RegisteredInWindow++
			}
		}
		if fn != nil {
			return fn(r)
		}
		return nil
	})
	if err != nil {
		return t, fmt.Errorf("coverage report: %w", err)
	}
	if t.Enabled > 0 {
		t.RegisteredPercent = round1(float64(t.Registered) * 100 / float64(t.Enabled))
	}
	return t, nil
}

// DeliveryRow sums the deliveries of one channel over the report's window.
type DeliveryRow struct {
	Channel       string `json:"channel"`
	Sent          int    `json:"sent"`
	Failed        int    `json:"failed"`
	Queued        int    `json:"queued"`
	AttemptErrors int    `json:"attemptErrors"`
	// LatencyAvgMs and LatencyMaxMs: from queueing to sending, over the messages sent.
	LatencyAvgMs float64 `json:"latencyAvgMs"`
	LatencyMaxMs float64 `json:"latencyMaxMs"`
}

// DeliveryStore is what the deliveries report reads.
type DeliveryStore interface {
	DeliveryStats(ctx context.Context, since, until time.Time) ([]store.DeliveryStat, error)
}

// Deliveries sums the outbox per channel (channels in name order) for the messages queued in
// [since, until), and returns the per-day rows it summed.
func Deliveries(ctx context.Context, st DeliveryStore, since, until time.Time) ([]DeliveryRow, []store.DeliveryStat, error) {
	days, err := st.DeliveryStats(ctx, since, until)
	if err != nil {
		return nil, nil, fmt.Errorf("deliveries report: %w", err)
	}
	return SumDeliveries(days), days, nil
}

// SumDeliveries sums daily delivery stats per channel, channels in name order.
func SumDeliveries(days []store.DeliveryStat) []DeliveryRow {
	by := map[string]*DeliveryRow{}
	total := map[string]time.Duration{}
	var names []string
	for _, d := range days {
		r, ok := by[d.Channel]
		if !ok {
			r = &DeliveryRow{Channel: d.Channel}
			by[d.Channel] = r
			names = append(names, d.Channel)
		}
		r.Sent += d.Sent
		r.Failed += d.Failed
		r.Queued += d.Queued
		r.AttemptErrors += d.AttemptErrors
		total[d.Channel] += d.LatencyTotal
		if ms := millis(d.LatencyMax); ms > r.LatencyMaxMs {
			r.LatencyMaxMs = ms
		}
	}
	slices.Sort(names)
	out := make([]DeliveryRow, 0, len(names))
	for _, n := range names {
		r := by[n]
		if r.Sent > 0 {
			r.LatencyAvgMs = round1(millis(total[n]) / float64(r.Sent))
		}
		out = append(out, *r)
	}
	return out
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
