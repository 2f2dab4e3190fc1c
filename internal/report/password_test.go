package report

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/sqlite"
)

func TestPasswordStatus(t *testing.T) {
	now := time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	mustChange := time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		expires *time.Time
		want    string
	}{
		{"never or unknown", nil, ""},
		{"in 12 days", at(12*24*time.Hour + time.Hour), "password expires in 12 days"},
		{"in 1 day", at(30 * time.Hour), "password expires in 1 day"},
		{"today", at(time.Hour), "password expires today"},
		{"now", at(0), "password expired"},
		{"yesterday", at(-24 * time.Hour), "password expired"},
		{"must change at next logon", &mustChange, "password expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := PasswordStatus(tt.expires, now); got != tt.want {
				t.Errorf("PasswordStatus = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReadinessPassword(t *testing.T) {
	now := time.Now()
	in := now.Add(10*24*time.Hour + time.Hour)
	a := Assessor{Policy: flow.DefaultPolicy(), Now: now}
	r := a.Assess(store.User{AccountEnabled: true, PasswordExpiresAt: &in})
	if r.PasswordExpiresAt == nil || !r.PasswordExpiresAt.Equal(in) || r.Password != "password expires in 10 days" {
		t.Errorf("row: %v %q", r.PasswordExpiresAt, r.Password)
	}
	if r := a.Assess(store.User{AccountEnabled: true}); r.PasswordExpiresAt != nil || r.Password != "" {
		t.Errorf("never expires: %v %q", r.PasswordExpiresAt, r.Password)
	}
}

func TestExplainPassword(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC)
	expired, soon := now.Add(-time.Hour), now.Add(5*24*time.Hour+time.Minute)
	tx, err := st.BeginSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []store.User{
		{Source: store.SourceCloud, UserPrincipalName: "old@example.com", AccountEnabled: true, PasswordExpiresAt: &expired},
		{Source: store.SourceCloud, UserPrincipalName: "soon@example.com", AccountEnabled: true, PasswordExpiresAt: &soon},
		{Source: store.SourceCloud, UserPrincipalName: "never@example.com", AccountEnabled: true},
	} {
		if err := tx.PutUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	e := Explainer{Store: st, Policy: flow.DefaultPolicy(), Now: func() time.Time { return now }}
	for upn, want := range map[string]string{
		"old@example.com":   "password expired (2026-12-06T06:00:00Z, as of the last sync)",
		"soon@example.com":  "password expires in 5 days (2026-12-11T07:01:00Z, as of the last sync)",
		"never@example.com": "never expires, or the directory does not say",
	} {
		x, err := e.Explain(ctx, upn)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(x.Steps, func(s Step) bool { return s.Title == "Password" })
		if i < 0 || len(x.Steps[i].Lines) != 1 || !strings.HasPrefix(x.Steps[i].Lines[0], want) {
			t.Errorf("%s: steps %+v, want a Password step %q", upn, x.Steps, want)
		}
	}
}
