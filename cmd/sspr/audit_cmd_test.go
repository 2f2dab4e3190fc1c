package main

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/api"
	"github.com/sspr/sspr/internal/demo"
	"github.com/sspr/sspr/internal/secret"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/sqlite"
)

// auditStore is the demo directory synced, three events of the web flow appended (an old one, a
// done reset and a failed one whose user agent tries a terminal escape and a spreadsheet
// formula), then alice's mobile phone set twice from the CLI (audited as cli:<os user>).
func auditStore(t *testing.T) *testDir {
	t.Helper()
	d := newDirectory(t, nil, "")
	if r := run(t, d.cfg, "sync"); r.code != 0 {
		t.Fatal(r)
	}
	st, err := sqlite.Open(context.Background(), d.store)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, e := range []store.AuditEvent{
		{Time: now.Add(-30 * 24 * time.Hour), Type: "reset.started", Actor: "user", UserPrincipalName: "bob@contoso.com", ClientIP: "192.0.2.7"},
		{Time: now.Add(-2 * time.Hour), Type: "reset.done", Actor: "user", UserPrincipalName: "bob@contoso.com", ClientIP: "10.1.2.3",
			Details: map[string]string{"outcome": "done", "method": "sms"}},
		{Time: now.Add(-time.Minute), Type: "reset.failed", Actor: "user", UserPrincipalName: "carol@contoso.com", ClientIP: "10.9.9.9",
			UserAgent: "=HYPERLINK(\"x\")\x1b]0;owned\a", Details: map[string]string{"outcome": "failedProof"}},
	} {
		if err := st.AppendAudit(context.Background(), &e); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	for _, args := range [][]string{
		{"user", "set", "alice", "--mobile-phone", "+1 425 555 0188"},
		{"user", "set", "alice", "--mobile-phone", "+1 425 555 0177"},
	} {
		if r := run(t, d.cfg, args...); r.code != 0 {
			t.Fatalf("%v:\n%s", args, r)
		}
	}
	return d
}

// auditJSON runs `audit list -o json` with args and returns the events' types, newest first.
func auditJSON(t *testing.T, d *testDir, args ...string) ([]string, []map[string]any) {
	t.Helper()
	r := run(t, d.cfg, append([]string{"audit", "list", "-o", "json"}, args...)...)
	if r.code != 0 {
		t.Fatalf("%v:\n%s", args, r)
	}
	var events []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &events); err != nil || events == nil {
		t.Fatalf("%v: not a JSON array (%v):\n%s", args, err, r)
	}
	var types []string
	for _, e := range events {
		types = append(types, e["type"].(string))
	}
	return types, events
}

func TestAuditList(t *testing.T) {
	d := auditStore(t)

	t.Run("filters", func(t *testing.T) {
		cases := []struct {
			args []string
			want []string // types, newest first; nil: check only the first ones below
		}{
			{[]string{"--since", "7d", "--type", "reset."}, []string{"reset.failed", "reset.done"}},
			{[]string{"--since", "90m", "--type", "reset."}, []string{"reset.failed"}},
			{[]string{"--until", "1h", "--type", "reset."}, []string{"reset.done", "reset.started"}},
			{[]string{"--since", time.Now().Add(-24 * time.Hour).UTC().Format(time.RFC3339), "--until", "30m", "--type", "reset."}, []string{"reset.done"}},
			{[]string{"--user", "BOB@contoso.com"}, []string{"reset.done", "reset.started"}},
			{[]string{"--type", "reset.done"}, []string{"reset.done"}},
			{[]string{"--type", "admin.user.", "--user", "ALICE"}, []string{"admin.user.updated", "admin.user.updated"}},
			{[]string{"--actor", "cli:", "--type", "admin."}, []string{"admin.user.updated", "admin.user.updated"}},
			{[]string{"--actor", "user"}, []string{"reset.failed", "reset.done", "reset.started"}},
			{[]string{"--outcome", "done"}, []string{"reset.done"}},
			{[]string{"--client-ip", "10.0.0.0/8"}, []string{"reset.failed", "reset.done"}},
			{[]string{"--client-ip", "192.0.2.7"}, []string{"reset.started"}},
			{[]string{"--limit", "1", "--actor", "user", "--client-ip", "10.1.0.0/16"}, []string{"reset.done"}},
			{[]string{"--limit", "3"}, []string{"admin.user.updated", "admin.user.updated", "reset.failed"}},
			{[]string{"--user", "nobody@contoso.com"}, nil},
		}
		for _, c := range cases {
			got, _ := auditJSON(t, d, c.args...)
			if !slices.Equal(got, c.want) {
				t.Errorf("%v: got %v, want %v", c.args, got, c.want)
			}
		}
	})

	t.Run("json event", func(t *testing.T) {
		_, events := auditJSON(t, d, "--type", "admin.user.updated", "--limit", "1")
		e := events[0]
		if e["userPrincipalName"] != "alice" || !strings.HasPrefix(e["actor"].(string), "cli:") || e["id"] == nil || e["time"] == nil {
			t.Errorf("event %v", e)
		}
		if det, _ := e["details"].(map[string]any); det["field"] == nil {
			t.Errorf("details %v", e["details"])
		}
		all, _ := auditJSON(t, d)
		if len(all) < 5 || all[0] != "admin.user.updated" || all[len(all)-1] != "reset.started" {
			t.Errorf("everything, newest first: %v", all)
		}
	})

	t.Run("csv", func(t *testing.T) {
		r := run(t, d.cfg, "audit", "list", "-o", "csv", "--type", "reset.")
		if r.code != 0 {
			t.Fatal(r)
		}
		rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
		if err != nil || len(rows) != 4 {
			t.Fatalf("%v:\n%s", err, r)
		}
		if !slices.Equal(rows[0], api.AuditCSVHeader) {
			t.Errorf("header %v", rows[0])
		}
		col := func(name string) int { return slices.Index(api.AuditCSVHeader, name) }
		failed, done := rows[1], rows[2]
		if failed[col("type")] != "reset.failed" || failed[col("outcome")] != "failedProof" || failed[col("clientIP")] != "10.9.9.9" {
			t.Errorf("row %v", failed)
		}
		if ua := failed[col("userAgent")]; !strings.HasPrefix(ua, "'=HYPERLINK") {
			t.Errorf("formula not neutralized: %q", ua)
		}
		if done[col("details")] != "method=sms" || done[col("userPrincipalName")] != "bob@contoso.com" {
			t.Errorf("row %v", done)
		}
	})

	t.Run("table", func(t *testing.T) {
		r := run(t, d.cfg, "audit", "list", "--type", "reset.")
		if r.code != 0 {
			t.Fatal(r)
		}
		lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
		if len(lines) != 4 || !strings.HasPrefix(lines[0], "id ") || !strings.Contains(lines[1], "reset.failed") ||
			!strings.Contains(lines[2], "reset.done") || !strings.Contains(lines[3], "reset.started") {
			t.Errorf("table:\n%s", r.stdout)
		}
		if strings.ContainsAny(r.stdout, "\x1b\a") || !strings.Contains(lines[1], `\x1b]0;owned\x07`) {
			t.Errorf("control characters not escaped:\n%q", lines[1])
		}
	})

	t.Run("token scope", func(t *testing.T) {
		r := run(t, d.cfg, "token", "create", "--name", "auditors", "--scope", "audit:read", "-o", "json")
		if r.code != 0 || !strings.Contains(r.stdout, `"audit:read"`) {
			t.Errorf("token create --scope audit:read:\n%s", r)
		}
	})

	t.Run("usage errors", func(t *testing.T) {
		for _, args := range [][]string{
			{"--since", "yesterday"},
			{"--until", "-2d"},
			{"--client-ip", "10.0.0.300"},
			{"--limit", "-1"},
			{"-o", "xml"},
			{"extra"},
		} {
			r := run(t, d.cfg, append([]string{"audit", "list"}, args...)...)
			if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, strings.TrimPrefix(args[0], "-")) {
				t.Errorf("%v:\n%s", args, r)
			}
		}
	})
}

// TestAuditVerify: events the CLI appends are chained with the key of server.secretFile; verify
// passes on them, finds an edited row (exit 1, naming the event) and wants the secret (exit 2).
func TestAuditVerify(t *testing.T) {
	d := newDirectory(t, nil, "")
	plain := mustRead(t, d.cfg)
	if r := run(t, d.cfg, "sync"); r.code != 0 {
		t.Fatal(r)
	}
	if r := run(t, d.cfg, "audit", "verify"); r.code != 2 || !strings.Contains(r.stderr, "server.secretFile") {
		t.Errorf("without a secret: %s", r)
	}
	secretFile := filepath.Join(d.dir, "secret")
	if _, err := secret.Generate(secretFile); err != nil {
		t.Fatal(err)
	}
	d.writeConfig(t, plain+demo.Server("127.0.0.1:8080", secretFile, filepath.Join(d.dir, "outbox.jsonl")))
	for _, p := range []string{"+1 425 555 0188", "+1 425 555 0177", "+1 425 555 0166"} {
		if r := run(t, d.cfg, "user", "set", "alice", "--mobile-phone", p); r.code != 0 {
			t.Fatal(r)
		}
	}
	r := run(t, d.cfg, "audit", "verify")
	if r.code != 0 || !strings.Contains(r.stdout, "ok: 3 events checked") || !strings.Contains(r.stdout, "head:   seq 3 ") {
		t.Fatalf("untouched: %s", r)
	}
	db, err := sql.Open("sqlite", d.store+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var id int64
	if err := db.QueryRow(`SELECT id FROM audit_events WHERE seq = 2`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE audit_events SET actor = 'cli:someone-else' WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	r = run(t, d.cfg, "audit", "verify")
	if r.code != 1 || !strings.Contains(r.stderr, fmt.Sprintf("audit chain broken after 1 good events: event %d (seq 2, ", id)) ||
		!strings.Contains(r.stderr, "does not match its hash") {
		t.Errorf("an edited row: %s", r)
	}
	if _, err := db.Exec(`DELETE FROM audit_events WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	if r := run(t, d.cfg, "audit", "verify"); r.code != 1 || !strings.Contains(r.stderr, "the event with seq 2 is missing (deleted)") {
		t.Errorf("a deleted row: %s", r)
	}
}
