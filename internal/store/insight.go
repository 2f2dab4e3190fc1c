package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Snapshot is the readiness report's totals on one day, taken once that day (internal/report
// TakeSnapshot) so that readiness and registration coverage can be drawn over time.
type Snapshot struct {
	Day        time.Time // the day (UTC midnight)
	TakenAt    time.Time
	Users      int // users in scope
	Enabled    int
	Ready      int // enabled users who can reset under the policy of that day
	NotReady   int
	Registered int // enabled users who registered an authenticationPhone, authenticationEmail or questions
	// ByMethod counts the enabled users for whom each method works (email, sms, voice, questions).
	ByMethod map[string]int
	// Reasons counts the enabled users who are not ready by why (report.Reason* keys).
	Reasons map[string]int
}

// DailyCount is how many times one outcome of one flow happened on one day (UTC), counted from
// the audit log: internal/report.Classify names them.
type DailyCount struct {
	Day     time.Time // UTC midnight
	Flow    string    // "reset", "unlock", "register"
	Outcome string    // "started", "done", "abandoned", "failedProof", "throttled", "writebackFailed", "methodUsed", "methodFailed", ...
	Method  string    // the method or channel concerned, "" when none
	Count   int
}

// DeliveryStat sums the outbox messages of one channel queued on one day (UTC).
type DeliveryStat struct {
	Day     time.Time
	Channel string // "email", "sms", "voice", "file"
	Queued  int    // still waiting for delivery
	Sent    int
	Failed  int // given up after the last retry
	// AttemptErrors counts the delivery attempts that failed (retried or not).
	AttemptErrors int
	// LatencyTotal and LatencyMax are the time from queueing to sending, over the Sent messages.
	LatencyTotal time.Duration
	LatencyMax   time.Duration
}

// Insights keeps what the dashboard and the reports read without scanning every user or
// event: daily snapshots of the readiness totals and daily counts of the audit log.
type Insights interface {
	// PutSnapshot stores s for s.Day unless a snapshot of that day exists: true when this call
	// stored it (one snapshot per day, whoever takes it).
	PutSnapshot(ctx context.Context, s Snapshot) (bool, error)
	// ListSnapshots returns the snapshots of the days in [since, until), oldest first.
	ListSnapshots(ctx context.Context, since, until time.Time) ([]Snapshot, error)
	// PutDailyCounts replaces the counts of day with counts (each with Day == day) and marks the
	// day as counted, even when counts is empty. Calling it again with the same counts changes nothing.
	PutDailyCounts(ctx context.Context, day time.Time, counts []DailyCount) error
	// ListDailyCounts returns the counts of the days in [since, until), oldest day first.
	ListDailyCounts(ctx context.Context, since, until time.Time) ([]DailyCount, error)
	// CountedDays returns the days in [since, until) that PutDailyCounts marked, oldest first.
	CountedDays(ctx context.Context, since, until time.Time) ([]time.Time, error)
	// DeliveryStats sums the outbox messages queued in [since, until) by day and channel,
	// oldest day first, then by channel.
	DeliveryStats(ctx context.Context, since, until time.Time) ([]DeliveryStat, error)
	// ActiveLocks counts the throttle locks (sspr's own lockouts) in force at now.
	ActiveLocks(ctx context.Context, now time.Time) (int, error)
	// TallyAudit counts the audit events of [since, until) by type, user ID and the details
	// outcome, method and option ("" when absent), in no particular order: what the activity
	// counts need of a day, without reading each event whole.
	TallyAudit(ctx context.Context, since, until time.Time) ([]AuditTally, error)
}

// AuditTally is how many audit events share a type, a user and the details that the activity
// counts read.
type AuditTally struct {
	Type    string
	UserID  string
	Outcome string // Details["outcome"]
	Method  string // Details["method"]
	Option  string // Details["option"]
	Count   int
}

// Day returns the UTC midnight that starts t's day (UTC).
func Day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// EncodeMaps returns ByMethod and Reasons as the JSON objects the backends store ({} for nil).
func (s Snapshot) EncodeMaps() (byMethod, reasons string, err error) {
	enc := func(m map[string]int) (string, error) {
		if m == nil {
			m = map[string]int{}
		}
		b, err := json.Marshal(m)
		return string(b), err
	}
	if byMethod, err = enc(s.ByMethod); err != nil {
		return "", "", fmt.Errorf("snapshot: %w", err)
	}
	if reasons, err = enc(s.Reasons); err != nil {
		return "", "", fmt.Errorf("snapshot: %w", err)
	}
	return byMethod, reasons, nil
}
