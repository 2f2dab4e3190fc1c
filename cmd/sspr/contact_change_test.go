package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestNewContactCooldown: a mobile number changed in the directory is not offered for reset
// for a day (explain and the report say from when), and the user's known addresses are told.
func TestNewContactCooldown(t *testing.T) {
	d := newDirectory(t, nil, "")
	text, _, _ := serveConfig(t, d.dir) // the server secret lets sync queue the notice
	d.writeConfig(t, mustRead(t, d.cfg)+text)
	mustRun(t, d.cfg, "sync")
	if r := mustRun(t, d.cfg, "explain", "carol"); !strings.Contains(r.stdout, "sms to +44") {
		t.Fatalf("before the change:\n%s", r.stdout)
	}
	d.modify(t, "carol", "mobile", "+44 7400 999888")
	mustRun(t, d.cfg, "sync")

	r := mustRun(t, d.cfg, "explain", "carol")
	if !strings.Contains(r.stdout, "mobilePhone +44 7400999888 is new (changed ") || !strings.Contains(r.stdout, "usable for reset from") ||
		strings.Contains(r.stdout, "sms to +44") {
		t.Errorf("explain after the change:\n%s", r.stdout)
	}
	if r := mustRun(t, d.cfg, "report", "readiness", "-o", "csv"); !strings.Contains(r.stdout, "is new (changed") {
		t.Errorf("report after the change:\n%s", r.stdout)
	}
	// The notice to carol's known address waits in the outbox, the new number masked.
	st := d.openAdminStore(t)
	msgs, err := st.ClaimMessages(context.Background(), time.Now().Add(time.Minute), time.Now().Add(time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	var to []string
	for _, m := range msgs {
		to = append(to, m.To)
	}
	if len(msgs) != 1 || !strings.Contains(strings.Join(to, ","), "carol") {
		t.Errorf("notices to %v, want one to carol's address", to)
	}
	// A sync that changes nothing more writes no other notice.
	mustRun(t, d.cfg, "sync")
	if more, _ := st.ClaimMessages(context.Background(), time.Now().Add(time.Minute), time.Now().Add(time.Hour), 10); len(more) != 0 {
		t.Errorf("%d more notices after an unchanged sync", len(more))
	}
}
