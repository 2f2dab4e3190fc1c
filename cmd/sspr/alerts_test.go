package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/i18n"
)

// TestServeNotifiesAdministrators: a sync that fails (a wrong bind password) is told to
// notifications.administrators by `sspr serve`, through the outbox (the file channel), once,
// and recorded as an alert.notified audit event.
func TestServeNotifiesAdministrators(t *testing.T) {
	d := newDirectory(t, nil, "")
	text, _, outbox := serveConfig(t, d.dir)
	d.writeConfig(t, mustRead(t, d.cfg)+text+"notifications:\n  administrators: [secops@example.com]\n")
	mustRun(t, d.cfg, "sync")
	pw := filepath.Join(d.dir, "pw")
	good := mustRead(t, pw)
	if err := os.WriteFile(pw, []byte("not-the-password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := run(t, d.cfg, "sync"); r.code == 0 {
		t.Fatalf("sync with a wrong bind password: %v", r)
	}
	if err := os.WriteFile(pw, []byte(good), 0o600); err != nil {
		t.Fatal(err)
	}
	startServe(t, d.cfg)

	var got []string
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); { // however loaded the machine
		got = got[:0]
		if f, err := os.Open(outbox); err == nil {
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				var m struct{ Channel, To, Subject, Body string }
				if json.Unmarshal(sc.Bytes(), &m) == nil && m.To == "secops@example.com" {
					got = append(got, m.Subject+"\n"+m.Body)
				}
			}
			f.Close()
		}
		if len(got) > 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second) // a second message would have come by now
	// In English (the default language): the subject, and the body's count of one run.
	en := i18n.Default().For("en")
	oneRun := strings.Split(en.T("alert.syncFailed.body", "\x00", 1, "\x00", "\x00"), "\x00")[1]
	if len(got) != 1 || !strings.Contains(got[0], "sspr: "+en.T("alert.syncFailed.subject")) || !strings.Contains(got[0], oneRun) {
		t.Fatalf("messages to the administrator: %q", got)
	}
	if r := run(t, d.cfg, "audit", "list", "--type", "alert.notified", "-o", "json"); r.code != 0 || !strings.Contains(r.stdout, `"sync.failed"`) {
		t.Errorf("audit: %v", r)
	}
}
