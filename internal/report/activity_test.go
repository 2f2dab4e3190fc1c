package report

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/store"
)

// memStore is a fake of the report's own store interfaces (ActivityStore, SnapshotStore), in memory.
type memStore struct {
	users  []store.User
	events []store.AuditEvent
	daily  map[time.Time][]store.DailyCount
	snaps  []store.Snapshot
	listed int // ListAudit calls
	puts   int // PutDailyCounts calls
}

func newMem() *memStore { return &memStore{daily: map[time.Time][]store.DailyCount{}} }

func (m *memStore) ListUsers(_ context.Context, _ store.UserFilter, fn func(store.User) error) error {
	for _, u := range m.users {
		if err := fn(u); err != nil {
			return err
		}
	}
	return nil
}

func (m *memStore) ListAudit(_ context.Context, f store.AuditFilter, fn func(store.AuditEvent) error) error {
	m.listed++
	for i := len(m.events) - 1; i >= 0; i-- {
		e := m.events[i]
		if (!f.Since.IsZero() && e.Time.Before(f.Since)) || (!f.Until.IsZero() && !e.Time.Before(f.Until)) {
			continue
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

func (m *memStore) ListDailyCounts(_ context.Context, since, until time.Time) ([]store.DailyCount, error) {
	out := []store.DailyCount{}
	for d, cs := range m.daily {
		if !d.Before(since) && d.Before(until) {
			out = append(out, cs...)
		}
	}
	sortCounts(out)
	return out, nil
}

func (m *memStore) CountedDays(_ context.Context, since, until time.Time) ([]time.Time, error) {
	var out []time.Time
	for d := range m.daily {
		if !d.Before(since) && d.Before(until) {
			out = append(out, d)
		}
	}
	return out, nil
}

func (m *memStore) PutDailyCounts(_ context.Context, day time.Time, cs []store.DailyCount) error {
	m.puts++
	m.daily[store.Day(day)] = append([]store.DailyCount{}, cs...)
	return nil
}

func (m *memStore) ListSnapshots(_ context.Context, since, until time.Time) ([]store.Snapshot, error) {
	var out []store.Snapshot
	for _, s := range m.snaps {
		if !s.Day.Before(since) && s.Day.Before(until) {
			out = append(out, s)
		}
	}
	return out, nil
}

func (m *memStore) PutSnapshot(_ context.Context, s store.Snapshot) (bool, error) {
	for _, x := range m.snaps {
		if x.Day.Equal(s.Day) {
			return false, nil
		}
	}
	m.snaps = append(m.snaps, s)
	return true, nil
}

func (m *memStore) add(at time.Time, user, typ string, details map[string]string) {
	m.events = append(m.events, store.AuditEvent{Time: at, Type: typ, Actor: "user", UserID: user, UserPrincipalName: user + "@example.com", Details: details})
}

func TestClassify(t *testing.T) {
	tests := []struct {
		typ     string
		details map[string]string
		want    []countKey
	}{
		{"reset.started", map[string]string{"outcome": "ok"}, []countKey{{"reset", OutcomeStarted, ""}}},
		{"reset.started", map[string]string{"outcome": "unknown"}, nil}, // an unknown name is no flow
		{"unlock.done", nil, []countKey{{"unlock", OutcomeDone, ""}}},
		{"reset.code.failed", map[string]string{"option": "voice-office"}, []countKey{{"reset", OutcomeFailedProof, ""}, {"reset", OutcomeMethodFailed, "voice"}}},
		{"reset.questions.failed", nil, []countKey{{"reset", OutcomeFailedProof, ""}, {"reset", OutcomeMethodFailed, "questions"}}},
		{"reset.throttled", map[string]string{"step": "send"}, []countKey{{"reset", OutcomeThrottled, ""}}},
		{"unlock.lockedOut", nil, []countKey{{"unlock", OutcomeThrottled, ""}}},
		{"reset.writeback.failed", nil, []countKey{{"reset", OutcomeWritebackFailed, ""}}},
		{"reset.writeback.unknown", nil, []countKey{{"reset", OutcomeWritebackFailed, ""}}},
		{"unlock.failed", nil, []countKey{{"unlock", OutcomeWritebackFailed, ""}}},
		{"reset.code.verified", map[string]string{"method": "sms"}, []countKey{{"reset", OutcomeMethodUsed, "sms"}}},
		{"reset.questions.verified", nil, []countKey{{"reset", OutcomeMethodUsed, "questions"}}},
		{"reset.code.sent", map[string]string{"method": "email"}, []countKey{{"reset", OutcomeCodeSent, "email"}}},
		{"register.confirmed", nil, []countKey{{"register", OutcomeDone, ""}}},
		{"register.phone.changed", nil, []countKey{{"register", OutcomeRegistered, "authenticationPhone"}}},
		{"register.questions.registered", nil, []countKey{{"register", OutcomeRegistered, "securityQuestions"}}},
		{"admin.user.updated", nil, nil},
		{"sync.contact.changed", nil, nil},
		{"nodot", nil, nil},
	}
	for _, tt := range tests {
		got := classify(store.AuditEvent{Type: tt.typ, Details: tt.details})
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("classify(%s %v) = %v, want %v", tt.typ, tt.details, got, tt.want)
		}
	}
}

// TestActivity: finished days are counted once by UpdateDailyCounts (abandoned derived), today
// live; Activity gives the same numbers before and after the days are stored.
func TestActivity(t *testing.T) {
	ctx := t.Context()
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	yesterday := store.Day(now).AddDate(0, 0, -1)
	m := newMem()
	ok := map[string]string{"outcome": "ok"}
	at := yesterday.Add(10 * time.Hour)
	for _, u := range []string{"u1", "u2", "u3", "u4", "u5"} {
		m.add(at, u, "reset.started", ok)
	}
	m.add(at, "", "reset.started", map[string]string{"outcome": "unknown"})
	m.add(at, "", "reset.throttled", nil) // an unknown name's: no flow
	m.add(at, "u1", "reset.code.verified", map[string]string{"method": "sms"})
	m.add(at, "u1", "reset.done", nil)
	m.add(at, "u2", "reset.code.failed", map[string]string{"option": "email"})
	m.add(at, "u3", "reset.writeback.failed", nil)
	m.add(at, "u4", "reset.code.failed", map[string]string{"option": "email"})
	m.add(at, "u4", "reset.throttled", nil)               // throttled after a failed proof: throttled
	m.add(now.Add(-time.Hour), "u6", "reset.started", ok) // today: in progress, not abandoned
	m.add(now.Add(-time.Hour), "u7", "unlock.done", nil)

	before, err := Activity(ctx, m, yesterday, now)
	if err != nil {
		t.Fatal(err)
	}
	c := func(day time.Time, f, o, meth string, n int) store.DailyCount {
		return store.DailyCount{Day: day, Flow: f, Outcome: o, Method: meth, Count: n}
	}
	today := store.Day(now)
	want := []store.DailyCount{
		c(yesterday, "reset", OutcomeAbandoned, "", 1), // u5
		c(yesterday, "reset", OutcomeDone, "", 1),
		c(yesterday, "reset", OutcomeFailedProof, "", 1),
		c(yesterday, "reset", OutcomeMethodFailed, "email", 2),
		c(yesterday, "reset", OutcomeMethodUsed, "sms", 1),
		c(yesterday, "reset", OutcomeStarted, "", 5),
		c(yesterday, "reset", OutcomeThrottled, "", 1),
		c(yesterday, "reset", OutcomeWritebackFailed, "", 1),
		c(today, "reset", OutcomeStarted, "", 1),
		c(today, "unlock", OutcomeDone, "", 1),
	}
	if !reflect.DeepEqual(before, want) {
		t.Errorf("Activity before counting =\n%v\nwant\n%v", before, want)
	}
	n, err := UpdateDailyCounts(ctx, m, now)
	if err != nil || n != MaxBackfill {
		t.Fatalf("UpdateDailyCounts = %d, %v; want %d days", n, err, MaxBackfill)
	}
	if n, err := UpdateDailyCounts(ctx, m, now); err != nil || n != 0 {
		t.Errorf("UpdateDailyCounts again = %d, %v; want 0 (idempotent)", n, err)
	}
	if _, ok := m.daily[today]; ok {
		t.Error("today was stored: it is not over")
	}
	m.listed = 0
	after, err := Activity(ctx, m, yesterday, now)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(after, want) {
		t.Errorf("Activity after counting =\n%v\nwant\n%v", after, want)
	}
	if m.listed != 1 {
		t.Errorf("Activity read the audit log %d times, want 1 (today only)", m.listed)
	}
	if got := Sum(after, "reset", OutcomeStarted, "*"); got != 6 {
		t.Errorf("Sum started = %d, want 6", got)
	}
}

func TestReasonsAndSnapshot(t *testing.T) {
	mobile := store.Phone{Raw: "+44 7700 900123", Number: "+44 7700900123", Type: "mobile"}
	broken := store.Phone{Raw: "555-1234", Problem: "not a valid phone number"}
	tests := []struct {
		name string
		u    store.User
		want string
	}{
		{"ready", store.User{AccountEnabled: true, MobilePhone: mobile}, ""},
		{"disabled", store.User{AccountEnabled: false}, ""},
		{"nothing", store.User{AccountEnabled: true}, ReasonNoContact},
		{"broken mobile", store.User{AccountEnabled: true, MobilePhone: broken}, ReasonUnusableValue},
		{"privileged with one", store.User{AccountEnabled: true, Privileged: true, AlternateEmails: []string{"a@example.com"}}, ReasonPrivileged},
	}
	m := newMem()
	for _, tt := range tests {
		if got := Assess(tt.u).Reason(); got != tt.want {
			t.Errorf("%s: reason %q, want %q", tt.name, got, tt.want)
		}
		u := tt.u
		u.UserPrincipalName = tt.name + "@example.com"
		m.users = append(m.users, u)
	}
	m.users[0].AuthenticationEmail = "me@example.net" // registered
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	took, err := TakeSnapshot(t.Context(), m, flow.DefaultPolicy(), now)
	if err != nil || !took {
		t.Fatalf("TakeSnapshot = %v, %v", took, err)
	}
	if took, err := TakeSnapshot(t.Context(), m, flow.DefaultPolicy(), now.Add(10*time.Hour)); err != nil || took {
		t.Errorf("TakeSnapshot again the same day = %v, %v; want false", took, err)
	}
	s := m.snaps[0]
	if s.Users != 5 || s.Enabled != 4 || s.Ready != 1 || s.NotReady != 3 || s.Registered != 1 || !s.Day.Equal(store.Day(now)) {
		t.Errorf("snapshot %+v", s)
	}
	wantReasons := map[string]int{ReasonNoContact: 1, ReasonUnusableValue: 1, ReasonPrivileged: 1, ReasonTooFewMethods: 0}
	if !reflect.DeepEqual(s.Reasons, wantReasons) {
		t.Errorf("reasons %v, want %v", s.Reasons, wantReasons)
	}
	if s.ByMethod[flow.MethodSMS] != 1 || s.ByMethod[flow.MethodEmail] != 2 {
		t.Errorf("by method %v", s.ByMethod)
	}
}
