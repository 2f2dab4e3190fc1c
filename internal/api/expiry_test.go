package api_test

import (
	"testing"
	"time"

	"github.com/sspr/sspr/internal/store"
)

func TestExpiryReport(t *testing.T) {
	backends(t, func(t *testing.T, st testStore) {
		e := newEnv(t, st)
		e.sync()
		ctx := t.Context()
		var first store.User
		if err := st.ListUsers(ctx, store.UserFilter{Limit: 1}, func(u store.User) error { first = u; return nil }); err != nil {
			t.Fatal(err)
		}
		exp := time.Now().Add(50 * time.Hour)
		first.PasswordExpiresAt = &exp
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
		var rep struct {
			Users []struct {
				UserPrincipalName string
				DaysLeft          int
				Expired           bool
			}
		}
		tests := []struct {
			query, token string
			status, n    int
		}{
			{"", "reporter", 200, 1},
			{"?within=36h", "reporter", 200, 0},
			{"?within=0d", "reporter", 400, 0},
			{"?within=soon", "reporter", 400, 0},
			{"", "reader", 403, 0},
		}
		for _, tc := range tests {
			r := e.do("GET", "/api/v1/reports/expiry"+tc.query, tc.token, nil)
			if r.status != tc.status {
				t.Errorf("%s as %s: %s", tc.query, tc.token, r)
				continue
			}
			if tc.status != 200 {
				continue
			}
			rep.Users = nil
			r.json(t, &rep)
			if len(rep.Users) != tc.n || tc.n == 1 && (rep.Users[0].UserPrincipalName != first.UserPrincipalName || rep.Users[0].DaysLeft != 3 || rep.Users[0].Expired) {
				t.Errorf("%s: %s", tc.query, r)
			}
		}
	})
}
