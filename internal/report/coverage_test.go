package report

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/store"
)

func TestCoverage(t *testing.T) {
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	qAt := now.AddDate(0, -6, 0)
	m := newMem()
	m.users = []store.User{
		{ID: "1", UserPrincipalName: "a@example.com", AccountEnabled: true, AuthenticationPhone: "+1 4255550100", SecurityQuestionsCount: 3, SecurityQuestionsRegisteredAt: &qAt},
		{ID: "2", UserPrincipalName: "b@example.com", AccountEnabled: true, AuthenticationEmail: "b@example.net"},
		{ID: "3", UserPrincipalName: "c@example.com", AccountEnabled: true},
		{ID: "4", UserPrincipalName: "d@example.com", AccountEnabled: false, AuthenticationEmail: "d@example.net"},
	}
	regAt := now.Add(-2 * time.Hour)
	m.events = []store.AuditEvent{
		{Time: regAt, Type: "register.email.changed", UserID: "2"},
		{Time: now.AddDate(0, 0, -60), Type: "register.phone.changed", UserID: "1"},                      // outside the window
		{Time: regAt, Type: "register.signin", UserID: "3", Details: map[string]string{"outcome": "ok"}}, // not a registration
	}
	var rows []CoverageRow
	tot, err := Coverage(t.Context(), m, store.UserFilter{}, now.AddDate(0, 0, -30), func(r CoverageRow) error {
		rows = append(rows, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := CoverageTotals{Users: 4, Enabled: 3, Registered: 2, Never: 1, RegisteredInWindow: 1, RegisteredPercent: 66.7,
		ByField: map[string]int{"authenticationPhone": 1, "authenticationEmail": 1, "securityQuestions": 1}}
	if !reflect.DeepEqual(tot, want) {
		t.Errorf("totals %+v, want %+v", tot, want)
	}
	if !reflect.DeepEqual(rows[0].RegisteredFields, []string{"authenticationPhone", "securityQuestions"}) || !rows[0].RegisteredAt.Equal(qAt) {
		t.Errorf("a: %+v", rows[0])
	}
	if rows[1].RegisteredAt == nil || !rows[1].RegisteredAt.Equal(regAt) || rows[2].Registered || rows[2].RegisteredAt != nil {
		t.Errorf("b, c: %+v %+v", rows[1], rows[2])
	}
	// Never a registered value: the JSON holds field names, not numbers or addresses.
	b, _ := json.Marshal(rows)
	for _, secret := range []string{"4255550100", "b@example.net", "d@example.net"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("coverage JSON leaks %q: %s", secret, b)
		}
	}
}

type fakeDeliveries []store.DeliveryStat

func (f fakeDeliveries) DeliveryStats(context.Context, time.Time, time.Time) ([]store.DeliveryStat, error) {
	return f, nil
}

func TestDeliveries(t *testing.T) {
	d1 := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	days := fakeDeliveries{
		{Day: d1, Channel: "sms", Sent: 2, Failed: 1, AttemptErrors: 3, LatencyTotal: 3 * time.Second, LatencyMax: 2 * time.Second},
		{Day: d1, Channel: "email", Sent: 1, LatencyTotal: 500 * time.Millisecond, LatencyMax: 500 * time.Millisecond},
		{Day: d1.AddDate(0, 0, 1), Channel: "sms", Sent: 1, Queued: 2, LatencyTotal: 3 * time.Second, LatencyMax: 3 * time.Second},
	}
	rows, perDay, err := Deliveries(t.Context(), days, d1, d1.AddDate(0, 0, 2))
	if err != nil || len(perDay) != 3 {
		t.Fatal(err, perDay)
	}
	want := []DeliveryRow{
		{Channel: "email", Sent: 1, LatencyAvgMs: 500, LatencyMaxMs: 500},
		{Channel: "sms", Sent: 3, Failed: 1, Queued: 2, AttemptErrors: 3, LatencyAvgMs: 2000, LatencyMaxMs: 3000},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows %+v, want %+v", rows, want)
	}
	if rows, _, _ := Deliveries(t.Context(), fakeDeliveries{}, d1, d1); rows == nil || len(rows) != 0 {
		t.Errorf("no deliveries: %#v, want an empty list", rows)
	}
}
