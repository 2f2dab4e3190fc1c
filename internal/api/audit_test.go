package api_test

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/api"
	"github.com/sspr/sspr/internal/store"
)

// auditEnv is the API on st with four audit events and tokens "auditor" (audit:read) and
// "reader" (users:read), the clock at now.
func auditEnv(t *testing.T, st testStore, now time.Time) *env {
	t.Helper()
	events := []store.AuditEvent{
		{Time: now.Add(-10 * 24 * time.Hour), Type: "reset.started", Actor: "user", UserPrincipalName: "alice@example.org", ClientIP: "192.0.2.7"},
		{Time: now.Add(-2 * 24 * time.Hour), Type: "reset.done", Actor: "user", UserPrincipalName: "alice@example.org", ClientIP: "10.1.2.3",
			Details: map[string]string{"outcome": "done", "method": "sms"}},
		{Time: now.Add(-time.Hour), Type: "admin.user.updated", Actor: "admin:helpdesk", UserPrincipalName: "bob@example.org", ClientIP: "2001:db8::1",
			Details: map[string]string{"field": "mobilePhone", "new": "+1 ••• 0123"}},
		{Time: now.Add(-30 * time.Minute), Type: "reset.failed", Actor: "user", UserPrincipalName: "bob@example.org", ClientIP: "10.9.9.9",
			UserAgent: "curl/8", Details: map[string]string{"outcome": "failedProof"}},
	}
	for i := range events {
		if err := st.AppendAudit(t.Context(), &events[i]); err != nil {
			t.Fatal(err)
		}
	}
	a := api.New(st, nil, nil, api.Config{Context: t.Context(), Now: func() time.Time { return now }})
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	e := &env{t: t, st: st, api: a, srv: srv, tokens: map[string]string{}}
	e.createTokens(map[string][]string{"auditor": {api.ScopeAuditRead}, "reader": {api.ScopeUsersRead}}, now)
	return e
}

func TestAuditList(t *testing.T) {
	now := time.Date(2026, 5, 20, 12, 0, 0, 0, time.UTC)
	all := []string{"reset.failed", "admin.user.updated", "reset.done", "reset.started"}
	cases := []struct {
		name  string
		query url.Values
		want  []string // types, newest first
	}{
		{"everything", nil, all},
		{"since age in days", url.Values{"since": {"7d"}}, all[:3]},
		{"since age in hours", url.Values{"since": {"24h"}}, all[:2]},
		{"since minutes", url.Values{"since": {"45m"}}, all[:1]},
		{"time range", url.Values{"since": {now.Add(-72 * time.Hour).Format(time.RFC3339)}, "until": {"90m"}}, []string{"reset.done"}},
		{"user, any case", url.Values{"user": {"ALICE@example.org"}}, []string{"reset.done", "reset.started"}},
		{"type prefix", url.Values{"type": {"reset."}}, []string{"reset.failed", "reset.done", "reset.started"}},
		{"exact type", url.Values{"type": {"reset.done"}}, []string{"reset.done"}},
		{"actor", url.Values{"actor": {"USER"}}, []string{"reset.failed", "reset.done", "reset.started"}},
		{"actor prefix", url.Values{"actor": {"admin:"}}, []string{"admin.user.updated"}},
		{"actor not a prefix without colon", url.Values{"actor": {"admin"}}, nil},
		{"outcome", url.Values{"outcome": {"done"}}, []string{"reset.done"}},
		{"client network", url.Values{"clientIP": {"10.0.0.0/8"}}, []string{"reset.failed", "reset.done"}},
		{"client address", url.Values{"clientIP": {"192.0.2.7"}}, []string{"reset.started"}},
		{"client IPv6", url.Values{"clientIP": {"2001:db8::1"}}, []string{"admin.user.updated"}},
		{"limit", url.Values{"limit": {"2"}}, all[:2]},
		{"limit after a filter the store does not apply", url.Values{"limit": {"1"}, "clientIP": {"10.0.0.0/8"}, "outcome": {"done"}}, []string{"reset.done"}},
		{"filters combined", url.Values{"user": {"bob@example.org"}, "type": {"reset."}, "actor": {"user"}}, []string{"reset.failed"}},
	}
	backends(t, func(t *testing.T, st testStore) {
		e := auditEnv(t, st, now)
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				e.t = t
				r := e.do("GET", "/api/v1/audit?"+c.query.Encode(), "auditor", nil)
				if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" {
					t.Fatalf("%s", r)
				}
				var body struct {
					Events []api.AuditEventJSON `json:"events"`
				}
				r.json(t, &body)
				if body.Events == nil {
					t.Fatalf("no events array: %s", r)
				}
				var got []string
				for _, ev := range body.Events {
					got = append(got, ev.Type)
				}
				if !slices.Equal(got, c.want) {
					t.Errorf("got %v, want %v", got, c.want)
				}
			})
		}
		t.Run("event fields", func(t *testing.T) {
			e.t = t
			var body struct {
				Events []map[string]any `json:"events"`
			}
			e.do("GET", "/api/v1/audit?limit=1", "auditor", nil).json(t, &body)
			ev := body.Events[0]
			if ev["type"] != "reset.failed" || ev["actor"] != "user" || ev["userPrincipalName"] != "bob@example.org" || ev["clientIP"] != "10.9.9.9" ||
				ev["userAgent"] != "curl/8" || ev["time"] != now.Add(-30*time.Minute).Format(time.RFC3339) {
				t.Errorf("event %v", ev)
			}
			if d, _ := ev["details"].(map[string]any); d["outcome"] != "failedProof" {
				t.Errorf("details %v", ev["details"])
			}
		})
	})
}

func TestAuditRefusals(t *testing.T) {
	now := time.Date(2026, 5, 20, 12, 0, 0, 0, time.UTC)
	backends(t, func(t *testing.T, st testStore) {
		e := auditEnv(t, st, now)
		if r := e.do("GET", "/api/v1/audit", "", nil); r.status != http.StatusUnauthorized {
			t.Errorf("no token: %s", r)
		}
		r := e.do("GET", "/api/v1/audit", "reader", nil)
		if code, _ := r.errorCode(t); r.status != http.StatusForbidden || code != "forbidden" ||
			!strings.Contains(r.header.Get("WWW-Authenticate"), `scope="audit:read"`) {
			t.Errorf("users:read token: %s %v", r, r.header)
		}
		for _, c := range []struct {
			query string
			bad   []string
		}{
			{"since=yesterday", []string{"since"}},
			{"since=-3d", []string{"since"}},
			{"until=-1h", []string{"until"}},
			{"limit=0", []string{"limit"}},
			{"limit=ten", []string{"limit"}},
			{"clientIP=10.0.0.300", []string{"clientIP"}},
			{"clientIP=10.0.0.0/33&since=2026-13-01T00:00:00Z&limit=1", []string{"since", "clientIP"}},
		} {
			r := e.do("GET", "/api/v1/audit?"+c.query, "auditor", nil)
			code, fields := r.errorCode(t)
			var names []string
			for _, f := range fields {
				names = append(names, f.Field)
			}
			if r.status != http.StatusBadRequest || code != "badRequest" || !slices.Equal(names, c.bad) {
				t.Errorf("%s: %s, fields %v, want %v", c.query, r, names, c.bad)
			}
		}
	})
}

// TestAuditPagesAndCSV: a limit gives a page and a cursor to the next one (JSON: "next"; CSV:
// the Sspr-Next-Cursor header and a Link), following it ends on a page without one; format=csv
// streams the same events as CSV; each event carries its chain seq and hash.
func TestAuditPagesAndCSV(t *testing.T) {
	now := time.Date(2026, 5, 20, 12, 0, 0, 0, time.UTC)
	all := []string{"reset.failed", "admin.user.updated", "reset.done", "reset.started"}
	type page struct {
		Events []api.AuditEventJSON `json:"events"`
		Next   string               `json:"next"`
	}
	backends(t, func(t *testing.T, st testStore) {
		e := auditEnv(t, st, now)
		var got []string
		q := url.Values{"limit": {"3"}}
		for i := 0; ; i++ {
			var p page
			r := e.do("GET", "/api/v1/audit?"+q.Encode(), "auditor", nil)
			r.json(t, &p)
			for _, ev := range p.Events {
				got = append(got, ev.Type)
				if ev.Seq == 0 || len(ev.Hash) != 64 {
					t.Errorf("event without its chain link: %+v", ev)
				}
			}
			if p.Next == "" || i > 3 {
				break
			}
			q.Set("cursor", p.Next)
		}
		if !slices.Equal(got, all) {
			t.Errorf("pages of 3: %v, want %v", got, all)
		}
		var p page
		e.do("GET", "/api/v1/audit?limit=4", "auditor", nil).json(t, &p)
		if len(p.Events) != 4 || p.Next != "" {
			t.Errorf("a page with everything: %d events, next %q", len(p.Events), p.Next)
		}

		r := e.do("GET", "/api/v1/audit?format=csv&type=reset.", "auditor", nil)
		rows, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "text/csv; charset=utf-8" || err != nil || len(rows) != 4 ||
			!slices.Equal(rows[0], api.AuditCSVHeader) {
			t.Fatalf("csv: %s (%v)", r, err)
		}
		col := func(name string) int { return slices.Index(api.AuditCSVHeader, name) }
		if rows[1][col("type")] != "reset.failed" || rows[1][col("outcome")] != "failedProof" || rows[1][col("userAgent")] != "curl/8" ||
			rows[2][col("details")] != "method=sms" || rows[3][col("clientIP")] != "192.0.2.7" || rows[1][col("seq")] != "4" {
			t.Errorf("csv rows %v", rows)
		}
		r = e.do("GET", "/api/v1/audit?format=csv&limit=2", "auditor", nil)
		rows, _ = csv.NewReader(bytes.NewReader(r.body)).ReadAll()
		next := r.header.Get("Sspr-Next-Cursor")
		if len(rows) != 3 || next == "" || !strings.Contains(r.header.Get("Link"), `rel="next"`) {
			t.Fatalf("csv page: %s %v", r, r.header)
		}
		r = e.do("GET", "/api/v1/audit?format=csv&limit=2&cursor="+next, "auditor", nil)
		rows, _ = csv.NewReader(bytes.NewReader(r.body)).ReadAll()
		if len(rows) != 3 || rows[1][col("type")] != "reset.done" || r.header.Get("Sspr-Next-Cursor") != "" {
			t.Errorf("csv page 2: %s", r)
		}

		for _, c := range []struct{ query, bad string }{
			{"cursor=nonsense", "cursor"},
			{"cursor=" + api.EncodeAuditCursor(store.AuditCursor{Time: now}), "cursor"},
			{"limit=10001", "limit"},
			{"format=xml", "format"},
		} {
			r := e.do("GET", "/api/v1/audit?"+c.query, "auditor", nil)
			if _, fields := r.errorCode(t); r.status != http.StatusBadRequest || len(fields) != 1 || fields[0].Field != c.bad {
				t.Errorf("%s: %s", c.query, r)
			}
		}
	})
}
