package syncer

import (
	"context"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/directory"
)

// TestPasswordExpiry: the expiry read is stored (nil when never or unknown), and a new one
// (a password changed in the directory) updates the user.
func TestPasswordExpiry(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2027, 1, 17, 6, 49, 38, 0, time.FixedZone("CET", 3600))
	expiring, never, unknown := rec(1, "alice", ""), rec(2, "bob", ""), rec(3, "carol", "")
	expiring.PasswordExpiresAt = at
	never.PasswordNeverExpires = true
	r := &fakeReader{records: []directory.Record{expiring, never, unknown}}
	e, st := newEngine(t, r, 500)
	if _, err := e.Run(ctx, Options{}); err != nil {
		t.Fatal(err)
	}
	u := users(t, st)
	if p := u["alice"].PasswordExpiresAt; p == nil || !p.Equal(at) || p.Location() != time.UTC {
		t.Errorf("alice expires %v, want %v in UTC", p, at)
	}
	for _, name := range []string{"bob", "carol"} {
		if p := u[name].PasswordExpiresAt; p != nil {
			t.Errorf("%s expires %v, want nil", name, *p)
		}
	}

	r.records[0].PasswordExpiresAt = at.AddDate(0, 0, 42) // a new password
	rep, err := e.Run(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := counts(rep.Run); got != "+0 ~1 -0 =2 !0" {
		t.Errorf("after a password change: %s, want one update", got)
	}
	if p := users(t, st)["alice"].PasswordExpiresAt; p == nil || !p.Equal(at.AddDate(0, 0, 42)) {
		t.Errorf("alice expires %v after the change", p)
	}
}
