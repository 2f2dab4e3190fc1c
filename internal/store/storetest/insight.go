package storetest

import (
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/store"
)

// insightTests are the conformance tests of store.Insights.
var insightTests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	{"Snapshots", testSnapshots},
	{"DailyCounts", testDailyCounts},
	{"DeliveryStats", testDeliveryStats},
	{"ActiveLocks", testActiveLocks},
	{"TallyAudit", testTallyAudit},
}

// testSnapshots: one snapshot per day, the first one kept; listed by day range, oldest first.
func testSnapshots(t *testing.T, s store.Store) {
	ctx := t.Context()
	d1 := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	snap := func(day time.Time, ready int) store.Snapshot {
		return store.Snapshot{Day: day, TakenAt: day.Add(3*time.Hour + 123456*time.Microsecond), Users: 10, Enabled: 9, Ready: ready,
			NotReady: 9 - ready, Registered: 4, ByMethod: map[string]int{"email": 7, "sms": 5},
			Reasons: map[string]int{"noContact": 9 - ready}}
	}
	tests := []struct {
		name string
		s    store.Snapshot
		want bool
	}{
		{"first of the day", snap(d1, 6), true},
		{"again the same day (later, another zone)", snap(d1.Add(20*time.Hour).In(time.FixedZone("X", -5*3600)), 2), false},
		{"next day", snap(d1.AddDate(0, 0, 1), 7), true},
		{"empty maps", store.Snapshot{Day: d1.AddDate(0, 0, 3), TakenAt: d1.AddDate(0, 0, 3)}, true},
	}
	for _, tc := range tests {
		got, err := s.PutSnapshot(ctx, tc.s)
		if err != nil || got != tc.want {
			t.Errorf("%s: PutSnapshot = %v, %v; want %v", tc.name, got, err, tc.want)
		}
	}
	list, err := s.ListSnapshots(ctx, d1, d1.AddDate(0, 0, 3))
	if err != nil {
		t.Fatalf("ListSnapshots: %v", err)
	}
	if len(list) != 2 {
		t.Fatalf("ListSnapshots = %d snapshots, want 2 (the 4th day is outside): %+v", len(list), list)
	}
	want := snap(d1, 6)
	if !reflect.DeepEqual(list[0], want) {
		t.Errorf("snapshot 1 = %+v, want %+v (the first of the day)", list[0], want)
	}
	if list[1].Ready != 7 || !list[1].Day.Equal(d1.AddDate(0, 0, 1)) || list[1].Day.Location() != time.UTC {
		t.Errorf("snapshot 2 = %+v", list[1])
	}
	all, err := s.ListSnapshots(ctx, d1.AddDate(0, 0, -10), d1.AddDate(0, 0, 10))
	if err != nil || len(all) != 3 || all[2].ByMethod == nil || len(all[2].ByMethod) != 0 || all[2].Reasons == nil {
		t.Errorf("all snapshots = %+v (%v), want 3, the last with empty maps", all, err)
	}
	none, err := s.ListSnapshots(ctx, d1.AddDate(1, 0, 0), d1.AddDate(1, 0, 1))
	if err != nil || none == nil || len(none) != 0 {
		t.Errorf("no snapshots = %#v (%v), want an empty list", none, err)
	}
}

// testDailyCounts: a day's counts are replaced, not added to; days without events are marked
// counted; listed by day range.
func testDailyCounts(t *testing.T, s store.Store) {
	ctx := t.Context()
	d1 := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	d2 := d1.AddDate(0, 0, 1)
	c := func(day time.Time, flow, outcome, method string, n int) store.DailyCount {
		return store.DailyCount{Day: day, Flow: flow, Outcome: outcome, Method: method, Count: n}
	}
	put := func(day time.Time, cs ...store.DailyCount) {
		t.Helper()
		if err := s.PutDailyCounts(ctx, day, cs); err != nil {
			t.Fatalf("PutDailyCounts(%s): %v", day.Format(time.DateOnly), err)
		}
	}
	put(d1, c(d1, "reset", "done", "", 5), c(d1, "reset", "methodUsed", "sms", 3))
	put(d1, c(d1, "reset", "done", "", 4), c(d1, "unlock", "done", "", 1)) // replaces
	put(d2)                                                                // a day without events
	put(d2.AddDate(0, 0, 1), c(d2.AddDate(0, 0, 1), "register", "done", "email", 2))
	if err := s.PutDailyCounts(ctx, d1, []store.DailyCount{c(d2, "reset", "done", "", 1)}); err == nil {
		t.Error("PutDailyCounts with a count of another day: no error")
	}
	got, err := s.ListDailyCounts(ctx, d1, d2.AddDate(0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	want := []store.DailyCount{c(d1, "reset", "done", "", 4), c(d1, "unlock", "done", "", 1)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ListDailyCounts = %+v, want %+v", got, want)
	}
	days, err := s.CountedDays(ctx, d1.AddDate(0, 0, -1), d2.AddDate(0, 0, 5))
	if err != nil {
		t.Fatal(err)
	}
	wantDays := []time.Time{d1, d2, d2.AddDate(0, 0, 1)}
	if !reflect.DeepEqual(days, wantDays) {
		t.Errorf("CountedDays = %v, want %v", days, wantDays)
	}
	if none, err := s.ListDailyCounts(ctx, d1.AddDate(-1, 0, 0), d1); err != nil || none == nil || len(none) != 0 {
		t.Errorf("ListDailyCounts before = %#v (%v), want empty", none, err)
	}
}

// testDeliveryStats: outbox messages summed by day and channel, with latency and failed attempts.
func testDeliveryStats(t *testing.T, s store.Store) {
	ctx := t.Context()
	d1 := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	enqueue := func(channel string, at time.Time) int64 {
		t.Helper()
		m := &store.Message{Channel: channel, To: "x@example.org", Body: []byte("sealed"), CreatedAt: at}
		if err := s.Enqueue(ctx, m); err != nil {
			t.Fatalf("Enqueue: %v", err)
		}
		return m.ID
	}
	attempt := func(id int64, at time.Time, errText string, status store.MessageStatus) {
		t.Helper()
		if err := s.RecordAttempt(ctx, store.Attempt{MessageID: id, At: at, Duration: time.Second, Error: errText}, status, at.Add(time.Minute)); err != nil {
			t.Fatalf("RecordAttempt: %v", err)
		}
	}
	t0 := d1.Add(10 * time.Hour)
	a := enqueue("email", t0)
	attempt(a, t0.Add(2*time.Second), "", store.MessageSent)
	b := enqueue("email", t0.Add(time.Hour))
	attempt(b, t0.Add(time.Hour+time.Second), "421 try later", store.MessageQueued)
	attempt(b, t0.Add(time.Hour+5*time.Second), "", store.MessageSent)
	c := enqueue("sms", t0)
	attempt(c, t0.Add(time.Second), "gateway down", store.MessageQueued)
	attempt(c, t0.Add(2*time.Second), "gateway down", store.MessageFailed)
	enqueue("sms", t0.Add(time.Minute))                  // still queued
	enqueue("email", d1.AddDate(0, 0, 1).Add(time.Hour)) // next day
	enqueue("email", d1.AddDate(0, 0, 5))                // outside

	got, err := s.DeliveryStats(ctx, d1, d1.AddDate(0, 0, 2))
	if err != nil {
		t.Fatal(err)
	}
	want := []store.DeliveryStat{
		{Day: d1, Channel: "email", Sent: 2, AttemptErrors: 1, LatencyTotal: 7 * time.Second, LatencyMax: 5 * time.Second},
		{Day: d1, Channel: "sms", Queued: 1, Failed: 1, AttemptErrors: 2},
		{Day: d1.AddDate(0, 0, 1), Channel: "email", Queued: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DeliveryStats =\n%+v\nwant\n%+v", got, want)
	}
	if none, err := s.DeliveryStats(ctx, d1.AddDate(0, 0, -3), d1); err != nil || none == nil || len(none) != 0 {
		t.Errorf("DeliveryStats before = %#v (%v), want empty", none, err)
	}
}

// testActiveLocks: only the locks in force at now count.
func testActiveLocks(t *testing.T, s store.Store) {
	ctx := t.Context()
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for key, until := range map[string]time.Time{"user:a": now.Add(time.Minute), "ip:192.0.2.1": now.Add(time.Hour), "user:b": now.Add(-time.Second)} {
		if err := s.Lock(ctx, key, until); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.ActiveLocks(ctx, now); err != nil || n != 2 {
		t.Errorf("ActiveLocks = %d (%v), want 2", n, err)
	}
	if n, err := s.ActiveLocks(ctx, now.Add(2*time.Hour)); err != nil || n != 0 {
		t.Errorf("ActiveLocks later = %d (%v), want 0", n, err)
	}
}

// testTallyAudit: events of the range counted by type, user and the details read.
func testTallyAudit(t *testing.T, s store.Store) {
	ctx := t.Context()
	d1 := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	for _, e := range []store.AuditEvent{
		{Time: d1.Add(time.Hour), Type: "reset.started", UserID: "u1", Details: map[string]string{"outcome": "ok"}},
		{Time: d1.Add(2 * time.Hour), Type: "reset.started", UserID: "u1", Details: map[string]string{"outcome": "ok", "other": "x"}},
		{Time: d1.Add(3 * time.Hour), Type: "reset.code.failed", UserID: "u1", Details: map[string]string{"option": "voice-office"}},
		{Time: d1.Add(4 * time.Hour), Type: "reset.code.verified", UserID: "u2", Details: map[string]string{"method": "sms"}},
		{Time: d1.Add(5 * time.Hour), Type: "reset.done", UserID: "u2"},
		{Time: d1.Add(-time.Second), Type: "reset.done", UserID: "u3"}, // the day before
		{Time: d1.AddDate(0, 0, 1), Type: "reset.done", UserID: "u3"},  // the day after
	} {
		if err := s.AppendAudit(ctx, &e); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.TallyAudit(ctx, d1, d1.AddDate(0, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(got, func(i, j int) bool { return got[i].Type+got[i].UserID < got[j].Type+got[j].UserID })
	want := []store.AuditTally{
		{Type: "reset.code.failed", UserID: "u1", Option: "voice-office", Count: 1},
		{Type: "reset.code.verified", UserID: "u2", Method: "sms", Count: 1},
		{Type: "reset.done", UserID: "u2", Count: 1},
		{Type: "reset.started", UserID: "u1", Outcome: "ok", Count: 2},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("TallyAudit =\n%+v\nwant\n%+v", got, want)
	}
	if none, err := s.TallyAudit(ctx, d1.AddDate(0, 0, 5), d1.AddDate(0, 0, 6)); err != nil || none == nil || len(none) != 0 {
		t.Errorf("TallyAudit of an empty range = %#v (%v)", none, err)
	}
}
