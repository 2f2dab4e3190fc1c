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

func TestReportExpiry(t *testing.T) {
	d := newDirectory(t, nil, "")
	if r := run(t, d.cfg, "sync"); r.code != 0 {
		t.Fatal(r)
	}
	setExpiry(t, d.store, "alice", time.Now().Add(50*time.Hour), nil)
	setExpiry(t, d.store, "carol", time.Now().Add(30*24*time.Hour), nil)

	var got struct {
		Users []struct {
			UserPrincipalName string `json:"userPrincipalName"`
			DaysLeft          int    `json:"daysLeft"`
		} `json:"users"`
	}
	r := run(t, d.cfg, "report", "expiry", "-o", "json")
	if r.code != 0 {
		t.Fatal(r)
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || len(got.Users) != 1 || got.Users[0].UserPrincipalName != "alice" || got.Users[0].DaysLeft != 3 {
		t.Errorf("within 14d: %v %s", err, r.stdout)
	}
	r = run(t, d.cfg, "report", "expiry", "--within", "31d", "-o", "csv")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "userPrincipalName,displayName,accountEnabled,passwordExpiresAt,daysLeft,expired\n") ||
		!strings.Contains(r.stdout, "\nalice,") || !strings.Contains(r.stdout, "\ncarol,") {
		t.Errorf("within 31d:\n%s", r)
	}
	if r := run(t, d.cfg, "report", "expiry", "--within", "0d"); r.code != 2 || !strings.Contains(r.stderr, "--within") {
		t.Errorf("--within 0d: want exit 2\n%s", r)
	}
}

// setExpiry sets the stored user's password expiry, and whatever edit changes, as a sync would,
// and returns the user as stored.
func setExpiry(t *testing.T, path, upn string, exp time.Time, edit func(*store.User)) store.User {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.UserByUPN(ctx, upn)
	if err != nil {
		t.Fatal(err)
	}
	u.PasswordExpiresAt = &exp
	if edit != nil {
		edit(&u)
	}
	tx, err := st.BeginSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := tx.PutUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return u
}
