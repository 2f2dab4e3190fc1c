package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/sspr/sspr/internal/demo"
	"github.com/sspr/sspr/internal/secret"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/testenv"
)

// storeBackends runs fn with a store URL for SQLite (in the directory's folder) and for a fresh
// PostgreSQL database.
func storeBackends(t *testing.T, fn func(t *testing.T, d *testDir)) {
	t.Run("sqlite", func(t *testing.T) {
		fn(t, newDirectory(t, nil, ""))
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := testenv.PostgresDSN(t)
		d := newDirectory(t, nil, "")
		d.writeConfig(t, strings.Replace(mustRead(t, d.cfg), "store: sqlite://"+d.store, fmt.Sprintf("store: %q", dsn), 1))
		fn(t, d)
	})
}

// openAdminStore opens the test's store as the commands do.
func (d *testDir) openAdminStore(t *testing.T) adminStore {
	t.Helper()
	g := &globals{configPath: d.cfg}
	a, err := g.open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	st, ok := a.store.(adminStore)
	if !ok {
		t.Fatal("the store does not implement the administrative interfaces")
	}
	return st
}

func (d *testDir) modify(t *testing.T, uid, attr, value string) {
	t.Helper()
	m := goldap.NewModifyRequest("uid="+uid+",ou=Staff,dc=contoso,dc=com", nil)
	m.Replace(attr, []string{value})
	if err := d.conn(t).Modify(m); err != nil {
		t.Fatal(err)
	}
}

func mustRun(t *testing.T, cfg string, args ...string) result {
	t.Helper()
	r := run(t, cfg, args...)
	if r.code != 0 {
		t.Fatalf("sspr %s:\n%s", strings.Join(args, " "), r)
	}
	return r
}

func TestUserSet(t *testing.T) {
	storeBackends(t, func(t *testing.T, d *testDir) {
		mustRun(t, d.cfg, "sync")

		// The reference document's rule, quoted.
		r := run(t, d.cfg, "user", "set", "alice", "--office-phone", "+1 425 555 0999", "--mobile-phone", "+1 425 555 0188")
		if r.code != 1 || !strings.Contains(r.stderr, "officePhone: cannot be set for alice: the user is synchronized from the directory") ||
			!strings.Contains(r.stderr, `"Office Phone - Can only be set if not synchronizing with an on-premises directory"`) {
			t.Errorf("officePhone of a directory user:\n%s", r)
		}
		// Invalid values are named with the reason; nothing is changed.
		r = run(t, d.cfg, "user", "set", "alice", "--mobile-phone", "+1 425 555", "--add-alternate-email", "not-an-address")
		if r.code != 1 || !strings.Contains(r.stderr, `mobilePhone: "+1 425 555": `) || !strings.Contains(r.stderr, "nothing was changed") {
			t.Errorf("invalid phone:\n%s", r)
		}
		// The demo maps alternateEmails from mail: the directory owns them.
		r = run(t, d.cfg, "user", "set", "alice", "--add-alternate-email", "alice@example.org")
		if r.code != 1 || !strings.Contains(r.stderr, "directory.mapping.alternateEmails") {
			t.Errorf("mapped alternateEmails:\n%s", r)
		}
		r = run(t, d.cfg, "user", "set", "alice")
		if r.code != 2 || !strings.Contains(r.stderr, "nothing to set") {
			t.Errorf("no flag:\n%s", r)
		}
		r = run(t, d.cfg, "user", "set", "nobody", "--mobile-phone", "")
		if r.code != 1 || !strings.Contains(r.stderr, `no user "nobody"`) {
			t.Errorf("unknown user:\n%s", r)
		}

		// mobilePhone of a directory user: an override, kept across syncs until the directory's
		// own mobile value changes.
		r = mustRun(t, d.cfg, "user", "set", "alice", "--mobile-phone", "(425) 555-0188")
		if !strings.Contains(r.stdout, `alice: mobilePhone "+1 4255550100" → "+1 4255550188"`) || !strings.Contains(r.stdout, "until the directory's own mobile value changes") {
			t.Errorf("override:\n%s", r)
		}
		mobile := func() string {
			t.Helper()
			var v map[string]any
			r := mustRun(t, d.cfg, "user", "get", "alice", "--select", "mobilePhone")
			if err := json.Unmarshal([]byte(r.stdout), &v); err != nil || len(v) != 1 {
				t.Fatalf("get --select: %v\n%s", err, r)
			}
			s, _ := v["mobilePhone"].(string)
			return s
		}
		d.modify(t, "alice", "telephoneNumber", "+1 425 555 0111")
		if r := mustRun(t, d.cfg, "sync"); !strings.Contains(r.stdout, "1 updated") {
			t.Errorf("first sync:\n%s", r)
		}
		if m := mobile(); m != "+1 4255550188" {
			t.Errorf("after the directory changed telephoneNumber: mobilePhone %q, want the override", m)
		}
		d.modify(t, "alice", "mobile", "+1 425 555 0177")
		if r := mustRun(t, d.cfg, "sync"); !strings.Contains(r.stdout, "1 updated") {
			t.Errorf("second sync:\n%s", r)
		}
		if m := mobile(); m != "+1 4255550177" {
			t.Errorf("after the directory changed mobile: mobilePhone %q, want the directory's", m)
		}

		// Reading: several fields as a table, filters.
		r = mustRun(t, d.cfg, "user", "get", "carol", "-o", "table", "--select", "MobilePhone,officePhone")
		if !regexp.MustCompile(`mobilePhone\s+\+44 7400123456\n`).MatchString(r.stdout) || strings.Contains(r.stdout, "displayName") {
			t.Errorf("get table:\n%s", r)
		}
		r = mustRun(t, d.cfg, "user", "list", "--select", "userPrincipalName,mobilePhone", "-o", "csv", "--readiness", "not-ready")
		if lines := strings.Split(strings.TrimSpace(r.stdout), "\n"); lines[0] != "userPrincipalName,mobilePhone" || len(lines) != 6 {
			t.Errorf("not-ready list:\n%s", r)
		}
		r = mustRun(t, d.cfg, "user", "list", "-o", "json", "--search", "zo", "--select", "displayName")
		if strings.TrimSpace(r.stdout) != "[\n  {\n    \"displayName\": \"Zoë Ångström\"\n  }\n]" {
			t.Errorf("json select:\n%s", r)
		}
		if r := run(t, d.cfg, "user", "list", "--select", "pager"); r.code != 2 || !strings.Contains(r.stderr, `unknown field "pager"`) {
			t.Errorf("bad --select:\n%s", r)
		}

		// Cloud users: created, every field set, deleted; directory users cannot be deleted.
		r = mustRun(t, d.cfg, "user", "create", "kim@contoso.com", "--display-name", "Kim Lee", "--office-phone", "+1 206 555 0111",
			"--alternate-emails", "kim@example.org, kim2@example.org")
		r = mustRun(t, d.cfg, "user", "set", "kim@contoso.com", "--office-phone", "", "--remove-alternate-email", "KIM2@example.org", "-o", "json")
		var kim map[string]any
		json.Unmarshal([]byte(r.stdout), &kim)
		if kim["officePhone"] != nil || kim["source"] != "cloud" || fmt.Sprint(kim["alternateEmails"]) != "[kim@example.org]" {
			t.Errorf("kim: %v", kim)
		}
		if r := run(t, d.cfg, "user", "delete", "alice"); r.code != 1 || !strings.Contains(r.stderr, "synchronized from the directory") {
			t.Errorf("delete a directory user:\n%s", r)
		}
		mustRun(t, d.cfg, "user", "delete", "kim@contoso.com")

		// Every change is audited with the local user's name and masked values.
		st := d.openAdminStore(t)
		var events []store.AuditEvent
		st.ListAudit(context.Background(), store.AuditFilter{TypePrefix: "admin.user."}, func(e store.AuditEvent) error {
			events = append(events, e)
			return nil
		})
		if len(events) != 5 { // alice mobilePhone; kim created, officePhone, alternateEmails, deleted
			t.Errorf("%d audit events: %+v", len(events), events)
		}
		for _, e := range events {
			if !strings.HasPrefix(e.Actor, "cli:") || strings.Contains(fmt.Sprint(e.Details), "4255550188") || strings.Contains(fmt.Sprint(e.Details), "kim2@") {
				t.Errorf("event %+v", e)
			}
		}
	})
}

func TestUserImportRoundTrip(t *testing.T) {
	storeBackends(t, func(t *testing.T, d *testDir) {
		mustRun(t, d.cfg, "sync")
		mustRun(t, d.cfg, "user", "create", "=cmd|calc", "--display-name", "-2+3", "--alternate-emails", "x@example.org")
		export := filepath.Join(d.dir, "users.csv")
		r := mustRun(t, d.cfg, "user", "list", "-o", "csv")
		if !strings.Contains(r.stdout, "'=cmd|calc,'-2+3") {
			t.Fatalf("export does not protect formulas:\n%s", r.stdout)
		}
		os.WriteFile(export, []byte(r.stdout), 0o600)

		// Export → import: no change.
		for _, args := range [][]string{{"user", "import", export}, {"user", "import", export, "--apply"}} {
			r := mustRun(t, d.cfg, args...)
			if !strings.Contains(r.stdout, "0 created, 0 updated, 22 unchanged, 0 invalid") || strings.Contains(r.stdout, "line ") {
				t.Errorf("round trip %v:\n%s", args, r)
			}
		}
		if again := mustRun(t, d.cfg, "user", "list", "-o", "csv").stdout; again != r.stdout {
			t.Errorf("the store changed:\n%s\n%s", r.stdout, again)
		}

		edit := filepath.Join(d.dir, "edit.csv")
		os.WriteFile(edit, []byte("userPrincipalName,mobilePhone,officePhone\n"+
			"bob,(425) 555-0199,\n"+ // bob's mobile: an override
			"lee@contoso.com,+1 206 555 0142,+1 206 555 0143\n"+ // a new cloud user
			"carol,+44 7400 123456,+44 20 7946 0958\n"), 0o600) // unchanged
		r = mustRun(t, d.cfg, "user", "import", edit)
		for _, want := range []string{"line 2: bob: update", `mobilePhone: "+1 4255550102" → "+1 4255550199"`, "line 3: lee@contoso.com: create",
			"dry run: 1 created, 1 updated, 1 unchanged, 0 invalid; nothing was changed"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("dry run lacks %q:\n%s", want, r)
			}
		}
		bad := filepath.Join(d.dir, "bad.csv")
		os.WriteFile(bad, []byte(mustRead(t, edit)+"alice,,+1 425 555 0000\nivan,12345,\n"), 0o600)
		r = run(t, d.cfg, "user", "import", bad, "--apply")
		if r.code != 1 || !strings.Contains(r.stdout, "line 5: alice: invalid") || !strings.Contains(r.stdout, `line 6: ivan: invalid`) ||
			!strings.Contains(r.stdout, `mobilePhone: "12345": `) || !strings.Contains(r.stdout, "import not applied") {
			t.Errorf("invalid rows:\n%s", r)
		}
		if r := run(t, d.cfg, "user", "get", "lee@contoso.com"); r.code != 1 {
			t.Errorf("an import with invalid rows created a user:\n%s", r)
		}
		r = mustRun(t, d.cfg, "user", "import", edit, "--apply")
		if !strings.Contains(r.stdout, "import applied: 1 created, 1 updated, 1 unchanged") {
			t.Errorf("apply:\n%s", r)
		}
		r = mustRun(t, d.cfg, "user", "get", "lee@contoso.com", "--select", "officePhone,source", "-o", "csv")
		if r.stdout != "officePhone,source\n+1 2065550143,cloud\n" {
			t.Errorf("lee:\n%s", r)
		}
		if r := run(t, d.cfg, "user", "import", filepath.Join(d.dir, "missing.csv")); r.code != 1 {
			t.Errorf("missing file:\n%s", r)
		}
	})
}

// TestTokensAndAPI creates tokens with the CLI and uses them against `sspr serve`.
func TestTokensAndAPI(t *testing.T) {
	storeBackends(t, func(t *testing.T, d *testDir) {
		mustRun(t, d.cfg, "sync")
		r := mustRun(t, d.cfg, "token", "create", "--name", "helpdesk", "--scope", "users:read,users:write")
		tok := strings.TrimSpace(r.stdout)
		if !strings.HasPrefix(tok, "sspr_") || !strings.Contains(r.stderr, "shown only now") {
			t.Fatalf("token create:\n%s", r)
		}
		if r := run(t, d.cfg, "token", "create", "--name", "helpdesk", "--scope", "sync"); r.code != 1 || !strings.Contains(r.stderr, "exists") {
			t.Errorf("duplicate name:\n%s", r)
		}
		if r := run(t, d.cfg, "token", "create", "--name", "x", "--scope", "admin"); r.code != 2 {
			t.Errorf("bad scope:\n%s", r)
		}
		syncTok := strings.TrimSpace(mustRun(t, d.cfg, "token", "create", "--name", "cron", "--scope", "sync").stdout)

		// serve, with the API on the same listener as the pages.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		secretFile := filepath.Join(d.dir, "secret")
		if _, err := secret.Generate(secretFile); err != nil {
			t.Fatal(err)
		}
		d.writeConfig(t, mustRead(t, d.cfg)+demo.Server(addr, secretFile, filepath.Join(d.dir, "outbox.jsonl")))
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cmd := command(ctx, d.cfg, "serve", "--no-sync")
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() {
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
		}()
		base := "http://" + addr
		for i := 0; ; i++ {
			resp, err := http.Get(base + "/healthz")
			if err == nil {
				resp.Body.Close()
				break
			}
			if i > 600 {
				t.Fatalf("serve did not start: %v", err)
			}
			time.Sleep(50 * time.Millisecond)
		}
		call := func(method, path, token, body string, headers ...string) (int, string, http.Header) {
			t.Helper()
			req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			if body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			for i := 0; i+1 < len(headers); i += 2 {
				req.Header.Set(headers[i], headers[i+1])
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b), resp.Header
		}
		if code, _, _ := call("GET", "/api/v1/users", "", ""); code != 401 {
			t.Errorf("no token: %d", code)
		}
		code, body, h := call("GET", "/api/v1/users/carol", tok, "")
		if code != 200 || !strings.Contains(body, `"mobilePhone":"+44 7400123456"`) || h.Get("Content-Security-Policy") == "" {
			t.Errorf("get carol: %d %s %v", code, body, h)
		}
		code, body, _ = call("PATCH", "/api/v1/users/carol", tok, `{"officePhone": "+44 20 7946 0000"}`, "If-Match", h.Get("ETag"))
		if code != 422 || !strings.Contains(body, `"code":"directoryOwned"`) {
			t.Errorf("patch officePhone: %d %s", code, body)
		}
		code, body, _ = call("PATCH", "/api/v1/users/carol", tok, `{"mobilePhone": "+44 7400 999999"}`, "If-Match", h.Get("ETag"))
		if code != 200 || !strings.Contains(body, `"mobilePhone":"+44 7400999999"`) {
			t.Errorf("patch mobilePhone: %d %s", code, body)
		}
		if code, _, _ := call("PATCH", "/api/v1/users/carol", tok, `{"mobilePhone": ""}`, "If-Match", h.Get("ETag")); code != 412 {
			t.Errorf("stale ETag: %d", code)
		}
		if code, _, _ := call("POST", "/api/v1/sync/runs", tok, ""); code != 403 {
			t.Errorf("sync without scope: %d", code)
		}
		code, body, _ = call("POST", "/api/v1/sync/runs", syncTok, "")
		if code != 200 || !strings.Contains(body, `"status":"succeeded"`) {
			t.Errorf("sync: %d %s", code, body)
		}
		code, body, _ = call("GET", "/api/v1/openapi.json", "", "")
		if code != 200 || !strings.Contains(body, `"openapi": "3.0.3"`) {
			t.Errorf("openapi: %d", code)
		}

		// The token's last use shows in the list; revoked, it stops working.
		var toks []map[string]any
		json.Unmarshal([]byte(mustRun(t, d.cfg, "token", "list", "-o", "json").stdout), &toks)
		if len(toks) != 2 || toks[0]["name"] != "helpdesk" || toks[0]["lastUsedAt"] == nil || fmt.Sprint(toks[0]["scopes"]) != "[users:read users:write]" {
			t.Errorf("token list: %v", toks)
		}
		if r := mustRun(t, d.cfg, "token", "list"); !strings.Contains(r.stdout, "helpdesk") || !strings.Contains(r.stdout, "users:read,users:write") {
			t.Errorf("token list table:\n%s", r)
		}
		mustRun(t, d.cfg, "token", "revoke", "helpdesk")
		if code, _, _ := call("GET", "/api/v1/users/carol", tok, ""); code != 401 {
			t.Errorf("revoked token: %d", code)
		}
		if r := run(t, d.cfg, "token", "revoke", "helpdesk"); r.code != 1 || !strings.Contains(r.stderr, `no token named "helpdesk"`) {
			t.Errorf("revoke twice:\n%s", r)
		}

		st := d.openAdminStore(t)
		var actors []string
		st.ListAudit(context.Background(), store.AuditFilter{TypePrefix: "admin."}, func(e store.AuditEvent) error {
			actor := e.Actor
			if strings.HasPrefix(actor, "cli:") {
				actor = "cli:<os user>"
			}
			actors = append(actors, e.Type+" "+actor)
			return nil
		})
		slices.Reverse(actors)
		want := []string{"admin.token.created cli:<os user>", "admin.token.created cli:<os user>", "admin.user.updated admin:helpdesk",
			"admin.sync.requested admin:cron", "admin.token.revoked cli:<os user>"}
		if !slices.Equal(actors, want) {
			t.Errorf("audit:\n%s\nwant\n%s", strings.Join(actors, "\n"), strings.Join(want, "\n"))
		}
	})
}
