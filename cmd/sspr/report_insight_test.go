package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/sqlite"
)

// TestReportCoverageActivityDeliveries: sspr report coverage, activity and deliveries in json,
// csv and table, over a synced directory with events, a registration and messages.
func TestReportCoverageActivityDeliveries(t *testing.T) {
	d := newDirectory(t, nil, "")
	if r := run(t, d.cfg, "sync"); r.code != 0 {
		t.Fatal(r)
	}
	alice := setExpiry(t, d.store, "alice", time.Now().Add(90*24*time.Hour), func(u *store.User) {
		u.AuthenticationEmail = "alice.private@example.net"
	})
	ctx := context.Background()
	st, err := sqlite.Open(ctx, d.store)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for _, e := range []store.AuditEvent{
		{Time: now.Add(-2 * time.Hour), Type: "register.email.changed", UserID: alice.ID},
		{Time: now.Add(-time.Hour), Type: "reset.started", UserID: alice.ID, Details: map[string]string{"outcome": "ok"}},
		{Time: now.Add(-time.Hour), Type: "reset.code.verified", UserID: alice.ID, Details: map[string]string{"method": "email"}},
		{Time: now.Add(-time.Hour), Type: "reset.done", UserID: alice.ID},
	} {
		if err := st.AppendAudit(ctx, &e); err != nil {
			t.Fatal(err)
		}
	}
	m := &store.Message{Channel: "sms", To: "+1 4255550100", Body: []byte("x"), CreatedAt: now.Add(-time.Hour)}
	if err := st.Enqueue(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordAttempt(ctx, store.Attempt{MessageID: m.ID, At: now.Add(-time.Hour + 2*time.Second)}, store.MessageSent, now); err != nil {
		t.Fatal(err)
	}
	st.Close()

	// coverage
	r := run(t, d.cfg, "report", "coverage", "-o", "json")
	var cov struct {
		Users []struct {
			UserPrincipalName string     `json:"userPrincipalName"`
			RegisteredFields  []string   `json:"registeredFields"`
			RegisteredAt      *time.Time `json:"registeredAt"`
		} `json:"users"`
		Totals struct {
			Registered         int `json:"registered"`
			Never              int `json:"neverRegistered"`
			RegisteredInWindow int `json:"registeredInWindow"`
		} `json:"totals"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &cov); err != nil || r.code != 0 {
		t.Fatalf("coverage json: %v\n%s", err, r)
	}
	if cov.Totals.Registered != 1 || cov.Totals.RegisteredInWindow != 1 || cov.Totals.Never == 0 {
		t.Errorf("coverage totals %+v", cov.Totals)
	}
	for _, u := range cov.Users {
		if u.UserPrincipalName == "alice" && (len(u.RegisteredFields) != 1 || u.RegisteredFields[0] != "authenticationEmail" || u.RegisteredAt == nil) {
			t.Errorf("alice %+v", u)
		}
	}
	if strings.Contains(r.stdout, "alice.private") {
		t.Errorf("coverage shows a registered value:\n%s", r.stdout)
	}
	r = run(t, d.cfg, "report", "coverage", "--never", "-o", "csv")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "userPrincipalName,displayName,accountEnabled,registered,authenticationPhone,authenticationEmail,securityQuestions,registeredAt\n") ||
		strings.Contains(r.stdout, "\nalice,") {
		t.Errorf("coverage --never csv:\n%s", r)
	}
	if r := run(t, d.cfg, "report", "coverage"); r.code != 0 || !strings.Contains(r.stdout, "registered: 1 of") {
		t.Errorf("coverage table:\n%s", r)
	}

	// activity
	r = run(t, d.cfg, "report", "activity", "--since", "7d", "-o", "csv")
	today := now.Format(time.DateOnly)
	for _, want := range []string{"day,flow,outcome,method,count\n", today + ",reset,done,,1\n", today + ",reset,methodUsed,email,1\n",
		today + ",reset,started,,1\n", today + ",register,registered,authenticationEmail,1\n"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("activity csv lacks %q:\n%s", want, r)
		}
	}
	if r := run(t, d.cfg, "report", "activity", "-o", "json"); r.code != 0 || !strings.Contains(r.stdout, `"outcome": "done"`) {
		t.Errorf("activity json:\n%s", r)
	}

	// deliveries
	r = run(t, d.cfg, "report", "deliveries", "-o", "json")
	var del struct {
		Channels []struct {
			Channel      string  `json:"channel"`
			Sent         int     `json:"sent"`
			LatencyAvgMs float64 `json:"latencyAvgMs"`
		} `json:"channels"`
		Days []struct{ Day string } `json:"days"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &del); err != nil || r.code != 0 {
		t.Fatalf("deliveries json: %v\n%s", err, r)
	}
	var sms bool
	for _, c := range del.Channels {
		if c.Channel == "sms" {
			sms = c.Sent == 1 && c.LatencyAvgMs == 2000
		}
	}
	if !sms || len(del.Days) == 0 {
		t.Errorf("deliveries %+v", del)
	}
	if r := run(t, d.cfg, "report", "deliveries", "--daily", "-o", "table"); r.code != 0 || !strings.Contains(r.stdout, today) {
		t.Errorf("deliveries --daily:\n%s", r)
	}

	for _, args := range [][]string{{"coverage", "--since", "0d"}, {"activity", "--since", "400d"}, {"deliveries", "-o", "xml"}} {
		if r := run(t, d.cfg, append([]string{"report"}, args...)...); r.code != 2 {
			t.Errorf("report %v: exit %d, want 2\n%s", args, r.code, r)
		}
	}
}
