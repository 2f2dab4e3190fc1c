package main

import (
	"bufio"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/store"
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
	u := setExpiry(t, d.store, "alice", time.Now().Add(50*time.Hour), func(u *store.User) { u.AuthenticationEmail = "reminded@example.org" })

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
