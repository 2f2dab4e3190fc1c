package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/sqlite"
)

// TestServeSendsReminders: `sspr serve` queues a password expiry reminder, with a link to
// /change, to a user whose password expires in two days, once, through the file channel; no
// other user's password expires, so nobody else gets one.
func TestServeSendsReminders(t *testing.T) {
	text, _, outbox := serveConfig(t, t.TempDir())
	d := newDirectory(t, nil, text+"reminders:\n  quietHours: none\n")
	if r := run(t, d.cfg, "sync"); r.code != 0 {
		t.Fatal(r)
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, d.store)
	if err != nil {
		t.Fatal(err)
	}
	var u store.User
	st.ListUsers(ctx, store.UserFilter{}, func(x store.User) error {
		if u.ID == "" && x.AccountEnabled && x.PasswordExpiresAt == nil {
			u = x
		}
		return nil
	})
	if u.ID == "" {
		t.Fatal("no enabled demo user")
	}
	exp := time.Now().Add(50 * time.Hour)
	u.PasswordExpiresAt = &exp
	u.AuthenticationEmail = "reminded@example.org"
	tx, err := st.BeginSync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.PutUser(ctx, &u); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	st.Close()

	startServe(t, d.cfg)
	count := func() (n, other int) {
		f, err := os.Open(outbox)
		if err != nil {
			return 0, 0
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var m struct{ Channel, To, Subject, Body string }
			if json.Unmarshal(sc.Bytes(), &m) != nil {
				continue
			}
			if m.Channel == "email" && m.To == u.AuthenticationEmail && strings.Contains(m.Subject, "expires in 3 days") &&
				strings.Contains(m.Body, "/change") {
				n++
			} else if strings.Contains(m.Subject, "expires") && !slices.Contains(u.AlternateEmails, m.To) {
				other++
			}
		}
		return n, other
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if n, _ := count(); n > 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	if n, other := count(); n != 1 || other != 0 {
		b, _ := os.ReadFile(outbox)
		t.Errorf("%d reminders to %s, %d other expiry messages, want 1 and 0; outbox:\n%s", n, u.AuthenticationEmail, other, b)
	}
}
