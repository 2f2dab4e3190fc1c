package insight_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/chart"
	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/insight"
	"github.com/sspr/sspr/internal/report"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/postgres"
	"github.com/sspr/sspr/internal/store/sqlite"
	"github.com/sspr/sspr/internal/testenv"
)

type backend struct {
	name string
	open func(t testing.TB) store.Store
}

var backends = []backend{
	{"sqlite", func(t testing.TB) store.Store {
		s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "sspr.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}},
	{"postgres", func(t testing.TB) store.Store {
		s, err := postgres.Open(t.Context(), testenv.PostgresDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}},
}

// TestDashboard: the dashboard's figures match the events, messages, locks, runs and users the
// test created, on both backends, before and after housekeeping stored the finished days.
func TestDashboard(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := t.Context()
			s := b.open(t)
			now := time.Now().UTC()
			yesterday := store.Day(now).Add(-12 * time.Hour)
			tenDays := store.Day(now).AddDate(0, 0, -10).Add(9 * time.Hour)

			mobile := store.Phone{Raw: "+44 7700 900123", Number: "+44 7700900123", Type: "mobile"}
			tx, err := s.BeginSync(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range []store.User{
				{Source: store.SourceDirectory, Anchor: []byte{1}, UserPrincipalName: "ready@example.com", AccountEnabled: true, MobilePhone: mobile, AuthenticationEmail: "r@example.net"},
				{Source: store.SourceDirectory, Anchor: []byte{2}, UserPrincipalName: "none@example.com", AccountEnabled: true},
				{Source: store.SourceDirectory, Anchor: []byte{3}, UserPrincipalName: "off@example.com", AccountEnabled: false},
			} {
				if err := tx.PutUser(ctx, &u); err != nil {
					t.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			ev := func(at time.Time, user, typ string, details map[string]string) {
				t.Helper()
				if err := s.AppendAudit(ctx, &store.AuditEvent{Time: at, Type: typ, Actor: "user", UserID: user, UserPrincipalName: user + "@example.com", Details: details}); err != nil {
					t.Fatal(err)
				}
			}
			ok := map[string]string{"outcome": "ok"}
			// Ten days ago: a reset done by sms.
			ev(tenDays, "a", "reset.started", ok)
			ev(tenDays, "a", "reset.code.sent", map[string]string{"method": "sms"})
			ev(tenDays, "a", "reset.code.verified", map[string]string{"method": "sms"})
			ev(tenDays, "a", "reset.done", nil)
			// Yesterday: a failed proof then gave up, a throttled one, a writeback failure, one
			// left, an unlock done, an unknown name.
			ev(yesterday, "b", "reset.started", ok)
			ev(yesterday, "b", "reset.code.failed", map[string]string{"option": "email"})
			ev(yesterday, "c", "reset.started", ok)
			ev(yesterday, "c", "reset.throttled", map[string]string{"step": "send"})
			ev(yesterday, "d", "reset.started", ok)
			ev(yesterday, "d", "reset.writeback.failed", map[string]string{"reason": "policy"})
			ev(yesterday, "e", "reset.started", ok)
			ev(yesterday, "f", "unlock.started", ok)
			ev(yesterday, "f", "unlock.done", nil)
			ev(yesterday, "", "reset.started", map[string]string{"outcome": "unknown"})
			// Today: a reset done by questions.
			ev(now.Add(-time.Minute), "g", "reset.started", ok)
			ev(now.Add(-time.Minute), "g", "reset.questions.verified", map[string]string{"method": "questions"})
			ev(now.Add(-time.Minute), "g", "reset.done", nil)

			m := &store.Message{Channel: "sms", To: "+44 7700900123", Body: []byte("x"), CreatedAt: now.Add(-time.Hour)}
			if err := s.Enqueue(ctx, m); err != nil {
				t.Fatal(err)
			}
			if err := s.RecordAttempt(ctx, store.Attempt{MessageID: m.ID, At: now.Add(-59 * time.Minute), Error: "gateway down"}, store.MessageFailed, now); err != nil {
				t.Fatal(err)
			}
			if err := s.Enqueue(ctx, &store.Message{Channel: "email", To: "a@example.org", Body: []byte("x")}); err != nil {
				t.Fatal(err)
			}
			if err := s.Lock(ctx, "user:x", now.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			run := store.SyncRun{Mode: "full", StartedAt: now.Add(-time.Hour)}
			if err := s.StartRun(ctx, &run); err != nil {
				t.Fatal(err)
			}
			fin := run.StartedAt.Add(1500 * time.Millisecond)
			run.Status, run.Added, run.Updated, run.FinishedAt = store.RunSucceeded, 3, 1, &fin
			if err := s.FinishRun(ctx, run); err != nil {
				t.Fatal(err)
			}
			if took, err := report.TakeSnapshot(ctx, s, flow.DefaultPolicy(), now); err != nil || !took {
				t.Fatalf("TakeSnapshot = %v, %v", took, err)
			}

			check := func(stage string) insight.Data {
				d, err := insight.Dashboard(ctx, s, now)
				if err != nil {
					t.Fatalf("%s: %v", stage, err)
				}
				tl := d.Tiles
				if tl.UsersInScope != 3 || tl.Enabled != 2 || tl.ReadyToday != 1 || tl.ReadyPercent != 50 || tl.Registered != 1 || tl.SnapshotAt == nil {
					t.Errorf("%s: user tiles %+v", stage, tl)
				}
				if tl.Resets7 != 1 || tl.Resets30 != 2 || tl.Unlocks7 != 1 || tl.Unlocks30 != 1 {
					t.Errorf("%s: resets/unlocks 7/30 = %d/%d %d/%d, want 1/2 1/1", stage, tl.Resets7, tl.Resets30, tl.Unlocks7, tl.Unlocks30)
				}
				if tl.SuccessRate30 == nil || *tl.SuccessRate30 != 42.9 { // 3 done of 7 started
					t.Errorf("%s: success rate %v, want 42.9", stage, tl.SuccessRate30)
				}
				if tl.LockedOutNow != 1 || tl.OutboxBacklog != 1 || tl.OutboxOldest == nil {
					t.Errorf("%s: locked %d, backlog %d %v", stage, tl.LockedOutNow, tl.OutboxBacklog, tl.OutboxOldest)
				}
				if tl.LastSync == nil || tl.LastSync.Changes != 4 || tl.LastSync.Duration != 1500*time.Millisecond || tl.LastSync.Status != store.RunSucceeded {
					t.Errorf("%s: last sync %+v", stage, tl.LastSync)
				}
				if len(d.Activity) != insight.Days {
					t.Fatalf("%s: %d activity days, want %d", stage, len(d.Activity), insight.Days)
				}
				y := d.Activity[len(d.Activity)-2]
				want := insight.DayActivity{Day: store.Day(yesterday), Done: 1, Abandoned: 1, FailedProof: 1, Throttled: 1, WritebackFailed: 1}
				if y != want {
					t.Errorf("%s: yesterday %+v, want %+v", stage, y, want)
				}
				if last := d.Activity[len(d.Activity)-1]; last.Done != 1 || last.Abandoned != 0 {
					t.Errorf("%s: today %+v", stage, last)
				}
				byMethod := map[string]insight.MethodStat{}
				for _, m := range d.Methods {
					byMethod[m.Method] = m
				}
				if byMethod["sms"] != (insight.MethodStat{Method: "sms", Used: 1, CodesSent: 1, DeliveryFailures: 2}) ||
					byMethod["email"] != (insight.MethodStat{Method: "email", Failed: 1}) || byMethod["questions"].Used != 1 {
					t.Errorf("%s: methods %+v", stage, d.Methods)
				}
				if len(d.NotReady) != len(report.AllReasons) || d.NotReady[0] != (insight.ReasonCount{Reason: report.ReasonNoContact, Users: 1}) {
					t.Errorf("%s: not ready %+v", stage, d.NotReady)
				}
				if len(d.Readiness) != 1 || d.Readiness[0].ReadyPercent != 50 || len(d.SyncRuns) != 1 {
					t.Errorf("%s: readiness %+v runs %+v", stage, d.Readiness, d.SyncRuns)
				}
				return d
			}
			// The store's tally and the event-by-event reading count alike.
			for _, day := range []time.Time{tenDays, yesterday, now} {
				tallied, err := report.CountDay(ctx, s, day, true)
				if err != nil {
					t.Fatal(err)
				}
				read, err := report.CountDay(ctx, eventByEvent{s}, day, true)
				if err != nil {
					t.Fatal(err)
				}
				var deliveries []store.DailyCount // only the DeliveryStore counts the outbox
				for _, c := range tallied {
					if c.Flow != report.FlowDelivery {
						deliveries = append(deliveries, c)
					}
				}
				if !reflect.DeepEqual(deliveries, read) {
					t.Errorf("%s: TallyAudit counts\n%+v\nListAudit counts\n%+v", day.Format(time.DateOnly), deliveries, read)
				}
			}
			before := check("live")
			if n, err := report.UpdateDailyCounts(ctx, s, now); err != nil || n != report.MaxBackfill {
				t.Fatalf("UpdateDailyCounts = %d, %v", n, err)
			}
			after := check("stored")
			a, _ := json.Marshal(before)
			b2, _ := json.Marshal(after)
			if string(a) != string(b2) {
				t.Errorf("the dashboard changed once the days were stored:\n%s\n%s", a, b2)
			}

			// Every chart renders as an SVG with its title, and a table.
			c := after.Charts(insight.English)
			for _, x := range []struct {
				c  chart.Chart
				fn func(chart.Chart) string
			}{
				{c.Readiness, line}, {c.Coverage, line}, {c.Activity, stacked}, {c.Methods, hbars}, {c.NotReady, hbars}, {c.SyncRuns, line},
			} {
				svg := x.fn(x.c)
				if !strings.Contains(svg, "<title id=\""+x.c.ID+"-title\">"+x.c.Title+"</title>") || strings.Contains(svg, "No data yet") {
					t.Errorf("chart %s: %s", x.c.ID, svg)
				}
				if !strings.Contains(string(chart.Table(x.c)), "<caption>") {
					t.Errorf("chart %s has no table", x.c.ID)
				}
			}
			if !strings.Contains(c.Activity.Desc, "3 done of 7") {
				t.Errorf("activity desc %q", c.Activity.Desc)
			}
		})
	}
}

// eventByEvent hides the store's TallyAudit and DeliveryStats: report.CountDay reads the events one by one.
type eventByEvent struct{ s store.Store }

func (e eventByEvent) ListAudit(ctx context.Context, f store.AuditFilter, fn func(store.AuditEvent) error) error {
	return e.s.ListAudit(ctx, f, fn)
}

func (e eventByEvent) ListDailyCounts(ctx context.Context, since, until time.Time) ([]store.DailyCount, error) {
	return e.s.ListDailyCounts(ctx, since, until)
}

func (e eventByEvent) CountedDays(ctx context.Context, since, until time.Time) ([]time.Time, error) {
	return e.s.CountedDays(ctx, since, until)
}

func line(c chart.Chart) string    { return string(chart.Line(c)) }
func stacked(c chart.Chart) string { return string(chart.StackedBars(c)) }
func hbars(c chart.Chart) string   { return string(chart.HBars(c)) }

// TestEmptyDashboard: a new store has a dashboard with empty series and "no data" charts.
func TestEmptyDashboard(t *testing.T) {
	s := backends[0].open(t)
	d, err := insight.Dashboard(t.Context(), s, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if d.Tiles.SnapshotAt != nil || d.Tiles.SuccessRate30 != nil || d.Tiles.LastSync != nil || len(d.Readiness) != 0 || len(d.SyncRuns) != 0 {
		t.Errorf("empty dashboard %+v", d)
	}
	c := d.Charts(insight.English)
	for _, x := range []chart.Chart{c.Readiness, c.Activity, c.Methods, c.NotReady, c.SyncRuns} {
		if svg := string(chart.Line(x)); !strings.Contains(svg, "No data yet") {
			t.Errorf("chart %s of an empty store: %s", x.ID, svg)
		}
	}
}
