package api_test

import (
	"strings"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/store"
)

// TestCoverageActivityDeliveries: the three reports of issue 10 item 5, their ?since= and
// scope, on both backends; the coverage never shows a registered value.
func TestCoverageActivityDeliveries(t *testing.T) {
	backends(t, func(t *testing.T, st testStore) {
		e := newEnv(t, st)
		e.sync()
		ctx := t.Context()
		var first store.User
		if err := st.ListUsers(ctx, store.UserFilter{Limit: 1}, func(u store.User) error { first = u; return nil }); err != nil {
			t.Fatal(err)
		}
		first.AuthenticationPhone = "+1 4255550199"
		tx, err := st.BeginSync(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.PutUser(ctx, &first); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		for _, ev := range []store.AuditEvent{
			{Time: now.Add(-time.Hour), Type: "register.phone.changed", UserID: first.ID},
			{Time: now.Add(-time.Hour), Type: "unlock.started", UserID: first.ID, Details: map[string]string{"outcome": "ok"}},
			{Time: now.Add(-time.Hour), Type: "unlock.done", UserID: first.ID},
		} {
			if err := st.AppendAudit(ctx, &ev); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.Enqueue(ctx, &store.Message{Channel: "email", To: "x@example.org", Body: []byte("x")}); err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			path, token string
			status      int
			want        []string
		}{
			{"/api/v1/reports/coverage", "reporter", 200, []string{`"registeredFields":["authenticationPhone"]`, `"registeredInWindow":1`}},
			{"/api/v1/reports/coverage?registered=false&since=7d", "reporter", 200, []string{`"neverRegistered":19`, `"registered":false`}},
			{"/api/v1/reports/coverage?registered=maybe", "reporter", 400, nil},
			{"/api/v1/reports/activity?since=2d", "reporter", 200, []string{`"flow":"unlock","outcome":"done","method":"","count":1`,
				`"flow":"register","outcome":"registered","method":"authenticationPhone","count":1`}},
			{"/api/v1/reports/deliveries", "reporter", 200, []string{`"channel":"email","sent":0,"failed":0,"queued":1`}},
			{"/api/v1/reports/deliveries?since=0d", "reporter", 400, nil},
			{"/api/v1/reports/activity?since=367d", "reporter", 400, nil},
			{"/api/v1/reports/coverage", "reader", 403, nil},
			{"/api/v1/reports/activity", "reader", 403, nil},
			{"/api/v1/reports/deliveries", "", 401, nil},
		}
		for _, tc := range tests {
			r := e.do("GET", tc.path, tc.token, nil)
			if r.status != tc.status {
				t.Errorf("%s as %q: %s", tc.path, tc.token, r)
				continue
			}
			for _, w := range tc.want {
				if !strings.Contains(string(r.body), w) {
					t.Errorf("%s: lacks %s:\n%s", tc.path, w, r.body)
				}
			}
			if strings.Contains(string(r.body), "4255550199") {
				t.Errorf("%s shows a registered value: %s", tc.path, r.body)
			}
		}
		// ?registered=false lists only enabled users who never registered: not the first user.
		r := e.do("GET", "/api/v1/reports/coverage?registered=false", "reporter", nil)
		if strings.Contains(string(r.body), `"userPrincipalName":"`+first.UserPrincipalName+`"`) {
			t.Errorf("registered=false lists a registered user: %s", r.body)
		}
	})
}
