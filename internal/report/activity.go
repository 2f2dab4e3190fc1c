package report

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/store"
)

// Flows counted in the activity report.
const (
	FlowReset    = "reset"
	FlowUnlock   = "unlock"
	FlowRegister = "register"
	// FlowDelivery counts the outbox messages queued that day by channel (Method): sent,
	// failed (given up) and attemptErrors (failed attempts), as counted when the day is.
	FlowDelivery = "delivery"
)

// Outcomes counted per flow and day. Started, Done, Abandoned, FailedProof, Throttled and
// WritebackFailed are the outcomes the dashboard stacks; MethodUsed, MethodFailed and CodeSent
// carry the method (or channel) in DailyCount.Method; Registered carries the field registered.
const (
	OutcomeStarted         = "started"         // a flow started for a known user (unknown names are not counted)
	OutcomeDone            = "done"            // password reset, account unlocked, registration confirmed
	OutcomeAbandoned       = "abandoned"       // started and left without a failure (finished days only)
	OutcomeFailedProof     = "failedProof"     // not done, after a wrong code or wrong answers (register: each wrong code)
	OutcomeThrottled       = "throttled"       // not done, refused by a throttle or a lockout (register: each refusal)
	OutcomeWritebackFailed = "writebackFailed" // proven, but the directory refused or did not answer
	OutcomeMethodUsed      = "methodUsed"      // a method proven (Method: email, sms, voice, questions)
	OutcomeMethodFailed    = "methodFailed"    // a failed proof by that method
	OutcomeCodeSent        = "codeSent"        // a code queued on that channel
	OutcomeRegistered      = "registered"      // a field registered (Method: authenticationPhone, authenticationEmail, securityQuestions)
	OutcomeSent            = "sent"            // delivery: messages sent
	OutcomeFailed          = "failed"          // delivery: messages given up
	OutcomeAttemptErrors   = "attemptErrors"   // delivery: failed attempts
)

// StackedOutcomes are the outcomes of the activity chart, in stacking order.
var StackedOutcomes = []string{OutcomeDone, OutcomeAbandoned, OutcomeFailedProof, OutcomeThrottled, OutcomeWritebackFailed}

// countKey is one cell of the daily counts.
type countKey struct{ flow, outcome, method string }

// Classify names what an audit event counts for: none, one or two cells (a failed code is a
// failed proof and a failure of its method). The event types are those written by
// internal/reset (reset.* and unlock.*) and internal/register (register.*).
func classify(e store.AuditEvent) []countKey {
	kind, rest, ok := strings.Cut(e.Type, ".")
	if !ok {
		return nil
	}
	switch kind {
	case FlowReset, FlowUnlock:
		switch rest {
		case "started":
			if e.Details["outcome"] == "ok" {
				return []countKey{{kind, OutcomeStarted, ""}}
			}
		case "done":
			return []countKey{{kind, OutcomeDone, ""}}
		case "code.failed":
			return []countKey{{kind, OutcomeFailedProof, ""}, {kind, OutcomeMethodFailed, optionMethod(e.Details["option"])}}
		case "questions.failed":
			return []countKey{{kind, OutcomeFailedProof, ""}, {kind, OutcomeMethodFailed, flow.MethodQuestions}}
		case "throttled", "lockedOut":
			return []countKey{{kind, OutcomeThrottled, ""}}
		case "writeback.failed", "writeback.unknown", "failed", "unknown":
			return []countKey{{kind, OutcomeWritebackFailed, ""}}
		case "code.verified":
			return []countKey{{kind, OutcomeMethodUsed, optionMethod(e.Details["method"])}}
		case "questions.verified":
			return []countKey{{kind, OutcomeMethodUsed, flow.MethodQuestions}}
		case "code.sent":
			return []countKey{{kind, OutcomeCodeSent, e.Details["method"]}}
		}
	case FlowRegister:
		switch rest {
		case "confirmed":
			return []countKey{{kind, OutcomeDone, ""}}
		case "phone.changed":
			return []countKey{{kind, OutcomeRegistered, store.FieldAuthenticationPhone}}
		case "email.changed":
			return []countKey{{kind, OutcomeRegistered, store.FieldAuthenticationEmail}}
		case "questions.registered":
			return []countKey{{kind, OutcomeRegistered, "securityQuestions"}}
		case "code.failed":
			return []countKey{{kind, OutcomeFailedProof, ""}}
		case "throttled", "lockedOut":
			return []countKey{{kind, OutcomeThrottled, ""}}
		case "code.sent":
			return []countKey{{kind, OutcomeCodeSent, e.Details["method"]}}
		case "signin":
			if e.Details["outcome"] == "ok" {
				return []countKey{{kind, OutcomeStarted, ""}}
			}
		}
	}
	return nil
}

// optionMethod is the method of an option ID ("voice-office" is a voice call).
func optionMethod(id string) string {
	if id == flow.OptionVoiceOffice {
		return flow.MethodVoice
	}
	return id
}

// ActivityReader is what the activity counts read.
type ActivityReader interface {
	ListAudit(ctx context.Context, f store.AuditFilter, fn func(store.AuditEvent) error) error
	ListDailyCounts(ctx context.Context, since, until time.Time) ([]store.DailyCount, error)
	CountedDays(ctx context.Context, since, until time.Time) ([]time.Time, error)
}

// AuditTallier counts a day's audit events in the store (store.Insights.TallyAudit); CountDay
// uses it when the store has it, and reads the events one by one otherwise.
type AuditTallier interface {
	TallyAudit(ctx context.Context, since, until time.Time) ([]store.AuditTally, error)
}

// ActivityStore is what housekeeping's UpdateDailyCounts reads and writes.
type ActivityStore interface {
	ActivityReader
	PutDailyCounts(ctx context.Context, day time.Time, counts []store.DailyCount) error
}

// CountDay counts the audit events of day (UTC), and the outbox messages queued that day when st
// is also a DeliveryStore. finished: the day is over.
//
// Resets and unlocks are counted as flows, so that their outcomes add up to the flows started:
// per user and day, the flows started are done, failed at the writeback, or else end on the
// worst thing that happened to them: throttled (a throttle or lockout refused a step), failed
// proof (a wrong code or answer), or abandoned (nothing: only once the day is over; today they
// are still in progress). A flow finished the day after it started counts its end on that day.
// Unknown names are never counted (their events carry no user). Registrations, methods and
// codes are counted as events.
func CountDay(ctx context.Context, st ActivityReader, day time.Time, finished bool) ([]store.DailyCount, error) {
	day = store.Day(day)
	m := map[countKey]int{}
	type tally struct{ started, done, writeback, failed, throttled int }
	flows := map[[2]string]*tally{} // (flow, user) → what happened
	count := func(e store.AuditEvent, n int) {
		for _, k := range classify(e) {
			if k.flow != FlowReset && k.flow != FlowUnlock {
				m[k]++
				continue
			}
			var f *tally
			if e.UserID != "" {
				key := [2]string{k.flow, e.UserID}
				if f = flows[key]; f == nil {
					f = &tally{}
					flows[key] = f
				}
			}
			switch k.outcome {
			case OutcomeStarted, OutcomeDone, OutcomeWritebackFailed, OutcomeFailedProof, OutcomeThrottled:
				if f == nil {
					continue // no known user: not a flow
				}
				switch k.outcome {
				case OutcomeStarted:
					f.started += n
				case OutcomeDone:
					f.done += n
				case OutcomeWritebackFailed:
					f.writeback += n
				case OutcomeFailedProof:
					f.failed += n
				case OutcomeThrottled:
					f.throttled += n
				}
			default:
				m[k] += n
			}
		}
	}
	until := day.AddDate(0, 0, 1)
	if ts, ok := st.(AuditTallier); ok {
		tallies, err := ts.TallyAudit(ctx, day, until)
		if err != nil {
			return nil, fmt.Errorf("count %s: %w", day.Format(time.DateOnly), err)
		}
		for _, t := range tallies {
			count(store.AuditEvent{Type: t.Type, UserID: t.UserID, Details: map[string]string{"outcome": t.Outcome, "method": t.Method, "option": t.Option}}, t.Count)
		}
	} else if err := st.ListAudit(ctx, store.AuditFilter{Since: day, Until: until}, func(e store.AuditEvent) error {
		count(e, 1)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("count %s: %w", day.Format(time.DateOnly), err)
	}
	if ds, ok := st.(DeliveryStore); ok {
		stats, err := ds.DeliveryStats(ctx, day, day.AddDate(0, 0, 1))
		if err != nil {
			return nil, fmt.Errorf("count %s: %w", day.Format(time.DateOnly), err)
		}
		for _, d := range stats {
			m[countKey{FlowDelivery, OutcomeSent, d.Channel}] += d.Sent
			m[countKey{FlowDelivery, OutcomeFailed, d.Channel}] += d.Failed
			m[countKey{FlowDelivery, OutcomeAttemptErrors, d.Channel}] += d.AttemptErrors
		}
	}
	for key, f := range flows {
		kind := key[0]
		m[countKey{kind, OutcomeStarted, ""}] += f.started
		m[countKey{kind, OutcomeDone, ""}] += f.done
		m[countKey{kind, OutcomeWritebackFailed, ""}] += f.writeback
		rest := f.started - f.done - f.writeback
		if rest <= 0 {
			continue
		}
		switch {
		case f.throttled > 0:
			m[countKey{kind, OutcomeThrottled, ""}] += rest
		case f.failed > 0:
			m[countKey{kind, OutcomeFailedProof, ""}] += rest
		case finished:
			m[countKey{kind, OutcomeAbandoned, ""}] += rest
		}
	}
	out := make([]store.DailyCount, 0, len(m))
	for k, n := range m {
		if n > 0 {
			out = append(out, store.DailyCount{Day: day, Flow: k.flow, Outcome: k.outcome, Method: k.method, Count: n})
		}
	}
	sortCounts(out)
	return out, nil
}

func sortCounts(cs []store.DailyCount) {
	sort.Slice(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if !a.Day.Equal(b.Day) {
			return a.Day.Before(b.Day)
		}
		if a.Flow != b.Flow {
			return a.Flow < b.Flow
		}
		if a.Outcome != b.Outcome {
			return a.Outcome < b.Outcome
		}
		return a.Method < b.Method
	})
}

// MaxBackfill is how many finished days UpdateDailyCounts counts at most, going back from yesterday.
const MaxBackfill = 400

// UpdateDailyCounts counts and stores every finished day of the last MaxBackfill that is not
// counted yet; it returns how many days it counted. It is idempotent: run it as often as you
// like (serve's housekeeping does, under its lease).
func UpdateDailyCounts(ctx context.Context, st ActivityStore, now time.Time) (int, error) {
	today := store.Day(now)
	since := today.AddDate(0, 0, -MaxBackfill)
	counted, err := st.CountedDays(ctx, since, today)
	if err != nil {
		return 0, fmt.Errorf("daily counts: %w", err)
	}
	done := make(map[time.Time]bool, len(counted))
	for _, d := range counted {
		done[d] = true
	}
	n := 0
	for d := since; d.Before(today); d = d.AddDate(0, 0, 1) {
		if done[d] {
			continue
		}
		counts, err := CountDay(ctx, st, d, true)
		if err != nil {
			return n, fmt.Errorf("daily counts: %w", err)
		}
		if err := st.PutDailyCounts(ctx, d, counts); err != nil {
			return n, fmt.Errorf("daily counts: %w", err)
		}
		n++
	}
	return n, nil
}

// Activity returns the daily counts of the days from since's day to now's day included: the
// stored counts of the days housekeeping counted, the others (today, and days not counted yet)
// counted from the audit log now. Oldest day first.
func Activity(ctx context.Context, st ActivityReader, since, now time.Time) ([]store.DailyCount, error) {
	first, today := store.Day(since), store.Day(now)
	counted, err := st.CountedDays(ctx, first, today)
	if err != nil {
		return nil, fmt.Errorf("activity: %w", err)
	}
	out, err := st.ListDailyCounts(ctx, first, today)
	if err != nil {
		return nil, fmt.Errorf("activity: %w", err)
	}
	done := make(map[time.Time]bool, len(counted))
	for _, d := range counted {
		done[d] = true
	}
	for d := first; !d.After(today); d = d.AddDate(0, 0, 1) {
		if done[d] {
			continue
		}
		live, err := CountDay(ctx, st, d, d.Before(today))
		if err != nil {
			return nil, fmt.Errorf("activity: %w", err)
		}
		out = append(out, live...)
	}
	sortCounts(out)
	return out, nil
}

// Sum adds the counts of flow and outcome (and method, unless method is "*") over cs.
func Sum(cs []store.DailyCount, flowName, outcome, method string) int {
	n := 0
	for _, c := range cs {
		if c.Flow == flowName && c.Outcome == outcome && (method == "*" || c.Method == method) {
			n += c.Count
		}
	}
	return n
}
