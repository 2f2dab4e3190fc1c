package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/sspr/sspr/internal/admin"
	"github.com/sspr/sspr/internal/api"
	"github.com/sspr/sspr/internal/demo"
	"github.com/sspr/sspr/internal/directory"
	"github.com/sspr/sspr/internal/directory/ldap"
	"github.com/sspr/sspr/internal/ldapconn"
	"github.com/sspr/sspr/internal/phone"
	"github.com/sspr/sspr/internal/secret"
	"github.com/sspr/sspr/internal/slapd"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/postgres"
	"github.com/sspr/sspr/internal/store/sqlite"
	"github.com/sspr/sspr/internal/syncer"
	"github.com/sspr/sspr/internal/testenv"
)

// testStore is what these tests need of a backend.
type testStore interface {
	store.Store
	store.Updates
	store.Audit
	store.Tokens
	store.Answers
}

// backends runs fn against a fresh SQLite store and a fresh PostgreSQL database.
func backends(t *testing.T, fn func(t *testing.T, st testStore)) {
	t.Run("sqlite", func(t *testing.T) {
		s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "sspr.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		fn(t, s)
	})
	t.Run("postgres", func(t *testing.T) {
		s, err := postgres.Open(t.Context(), testenv.PostgresDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		ts, ok := any(s).(testStore)
		if !ok {
			t.Fatal("the PostgreSQL store does not implement store.Updates, Audit, Tokens and Answers")
		}
		fn(t, ts)
	})
}

// env is the API on a real store, syncing the demo's sample users from a throwaway slapd
// (alternateEmails not mapped: administrators own them).
type env struct {
	t      *testing.T
	st     testStore
	api    *api.API
	srv    *httptest.Server
	dir    *slapd.Server
	tokens map[string]string // token name → secret
}

// Token names and their scopes.
var tokenScopes = map[string][]string{
	"reader":   {api.ScopeUsersRead},
	"writer":   {api.ScopeUsersRead, api.ScopeUsersWrite},
	"syncer":   {api.ScopeSync},
	"reporter": {api.ScopeReports},
	"all":      api.Scopes,
}

func newEnv(t *testing.T, st testStore) *env {
	t.Helper()
	dir := testenv.Slapd(t, slapd.Options{Suffix: demo.Suffix, LDIF: [][]byte{demo.SampleLDIF}, TLS: true, PPolicy: true})
	r, err := ldap.New(ldap.Config{Kind: directory.OpenLDAP, Endpoint: ldapconn.Endpoint{URL: dir.LDAPSURL, CAFile: dir.CAFile,
		BindDN: dir.AdminDN, BindPassword: secret.Value(dir.AdminPassword)}, BaseDNs: []string{demo.BaseDN}})
	if err != nil {
		t.Fatal(err)
	}
	n, err := phone.NewNormalizer("US")
	if err != nil {
		t.Fatal(err)
	}
	eng := syncer.New(st, r, n, syncer.Config{DeleteThreshold: 500, DefaultRegion: "US"}, nil)
	a := api.New(st, admin.New(st, n, nil), eng, api.Config{Context: t.Context()})
	mux := http.NewServeMux()
	mux.Handle(api.Prefix, a)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() {
		srv.Close()
		a.Wait()
	})
	e := &env{t: t, st: st, api: a, srv: srv, dir: dir, tokens: map[string]string{}}
	e.createTokens(tokenScopes, time.Now())
	return e
}

// createTokens stores a token of each name with its scopes and keeps its secret in e.tokens.
func (e *env) createTokens(scopes map[string][]string, now time.Time) {
	e.t.Helper()
	for name, sc := range scopes {
		secret, tok, err := api.NewToken(name, sc, now)
		if err != nil {
			e.t.Fatal(err)
		}
		if err := e.st.CreateToken(e.t.Context(), &tok); err != nil {
			e.t.Fatal(err)
		}
		e.tokens[name] = secret
	}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) String() string { return fmt.Sprintf("%d %s", r.status, r.body) }

// json decodes the body into v.
func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r, err)
	}
}

// errorCode is the body's error code.
func (r response) errorCode(t *testing.T) (string, []admin.FieldError) {
	t.Helper()
	var b struct {
		Error struct {
			Code    string             `json:"code"`
			Message string             `json:"message"`
			Fields  []admin.FieldError `json:"fields"`
		} `json:"error"`
	}
	r.json(t, &b)
	if b.Error.Code == "" || b.Error.Message == "" {
		t.Fatalf("not an error body: %s", r)
	}
	return b.Error.Code, b.Error.Fields
}

// do sends a request with the named token ("" for none); headers are name, value pairs.
func (e *env) do(method, path, token string, body any, headers ...string) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		secret, ok := e.tokens[token]
		if !ok {
			secret = token
		}
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// sync runs a full sync through the API.
func (e *env) sync() {
	e.t.Helper()
	r := e.do("POST", "/api/v1/sync/runs", "syncer", map[string]bool{"full": true})
	var run struct {
		Status string `json:"status"`
		Errors []string
	}
	r.json(e.t, &run)
	if r.status != http.StatusOK || run.Status != "succeeded" {
		e.t.Fatalf("sync: %s", r)
	}
}

func (e *env) ldapModify(dn string, attr string, values ...string) {
	e.t.Helper()
	c, err := goldap.DialURL(e.dir.URL)
	if err != nil {
		e.t.Fatal(err)
	}
	defer c.Close()
	if err := c.Bind(e.dir.AdminDN, e.dir.AdminPassword); err != nil {
		e.t.Fatal(err)
	}
	m := goldap.NewModifyRequest(dn, nil)
	m.Replace(attr, values)
	if err := c.Modify(m); err != nil {
		e.t.Fatal(err)
	}
}

type user struct {
	UserPrincipalName   string   `json:"userPrincipalName"`
	DisplayName         string   `json:"displayName"`
	MobilePhone         *string  `json:"mobilePhone"`
	OfficePhone         *string  `json:"officePhone"`
	AlternateEmails     []string `json:"alternateEmails"`
	AuthenticationPhone *string  `json:"authenticationPhone"`
	Source              string   `json:"source"`
	AccountEnabled      bool     `json:"accountEnabled"`
}

func str(p *string) string {
	if p == nil {
		return "<null>"
	}
	return *p
}

func TestAuthAndScopes(t *testing.T) {
	backends(t, func(t *testing.T, st testStore) {
		e := newEnv(t, st)
		e.sync()
		tests := []struct {
			method, path, token string
			body                any
			status              int
			code                string
		}{
			{"GET", "/api/v1/users", "", nil, 401, "unauthorized"},
			{"GET", "/api/v1/users", "sspr_not-a-token", nil, 401, "unauthorized"},
			{"GET", "/api/v1/users", "reporter", nil, 403, "forbidden"},
			{"GET", "/api/v1/users", "reader", nil, 200, ""},
			{"GET", "/api/v1/users/alice", "syncer", nil, 403, "forbidden"},
			{"PATCH", "/api/v1/users/alice", "reader", map[string]string{"mobilePhone": "+1 425 555 0123"}, 403, "forbidden"},
			{"POST", "/api/v1/users", "reader", map[string]string{"userPrincipalName": "x"}, 403, "forbidden"},
			{"DELETE", "/api/v1/users/alice", "reader", nil, 403, "forbidden"},
			{"GET", "/api/v1/reports/readiness", "reader", nil, 403, "forbidden"},
			{"GET", "/api/v1/reports/readiness", "reporter", nil, 200, ""},
			{"GET", "/api/v1/sync/runs", "reporter", nil, 403, "forbidden"},
			{"POST", "/api/v1/sync/runs", "writer", nil, 403, "forbidden"},
			{"GET", "/api/v1/sync/runs", "syncer", nil, 200, ""},
			{"GET", "/api/v1/openapi.json", "", nil, 200, ""},
			{"PUT", "/api/v1/users/alice", "all", nil, 405, "methodNotAllowed"},
			{"GET", "/api/v1/groups", "all", nil, 404, "notFound"},
		}
		for _, tc := range tests {
			r := e.do(tc.method, tc.path, tc.token, tc.body)
			if r.status != tc.status {
				t.Errorf("%s %s with %q: %s, want %d", tc.method, tc.path, tc.token, r, tc.status)
				continue
			}
			if tc.code != "" {
				if code, _ := r.errorCode(t); code != tc.code {
					t.Errorf("%s %s with %q: code %s, want %s", tc.method, tc.path, tc.token, code, tc.code)
				}
			}
			if tc.status == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without WWW-Authenticate: %v", r.header)
			}
		}
		if r := e.do("PUT", "/api/v1/users/alice", "all", nil); r.header.Get("Allow") != "GET, PATCH, DELETE" {
			t.Errorf("Allow: %q", r.header.Get("Allow"))
		}

		// Last use is recorded; a revoked token stops working at once.
		toks, err := st.ListTokens(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, tok := range toks {
			if tok.Name == "reader" && tok.LastUsedAt == nil {
				t.Errorf("reader's last use not recorded: %+v", tok)
			}
			if tok.Name == "writer" && tok.LastUsedAt == nil {
				t.Errorf("a token refused for its scope is still used: %+v", tok)
			}
		}
		if err := st.RevokeToken(t.Context(), "reader", time.Now()); err != nil {
			t.Fatal(err)
		}
		if r := e.do("GET", "/api/v1/users", "reader", nil); r.status != 401 {
			t.Errorf("revoked token: %s", r)
		}
	})
}

func TestReadUsers(t *testing.T) {
	backends(t, func(t *testing.T, st testStore) {
		e := newEnv(t, st)
		e.sync()
		var list struct {
			Users []user `json:"users"`
			Next  *string
		}
		r := e.do("GET", "/api/v1/users", "reader", nil)
		r.json(t, &list)
		if len(list.Users) != demo.Users || list.Next != nil {
			t.Fatalf("%d users, next %v", len(list.Users), list.Next)
		}
		if list.Users[0].UserPrincipalName != "alice" || str(list.Users[0].MobilePhone) != "+1 4255550100" || str(list.Users[0].OfficePhone) != "+1 4255550101" {
			t.Errorf("alice %+v", list.Users[0])
		}

		// Filters.
		count := func(query string) int {
			t.Helper()
			var l struct{ Users []map[string]any }
			r := e.do("GET", "/api/v1/users?"+query, "reader", nil)
			if r.status != 200 {
				t.Fatalf("%s: %s", query, r)
			}
			r.json(t, &l)
			return len(l.Users)
		}
		for q, want := range map[string]int{"source=directory": demo.Users, "source=cloud": 0, "readiness=notReady": 7,
			"readiness=ready": 14, "search=CAR": 1, "search=Ångström": 1} {
			if got := count(q); got != want {
				t.Errorf("%s: %d users, want %d", q, got, want)
			}
		}
		if r := e.do("GET", "/api/v1/users?source=ldap&limit=0", "reader", nil); r.status != 400 {
			t.Errorf("bad query: %s", r)
		} else if _, fields := r.errorCode(t); len(fields) != 2 {
			t.Errorf("bad query fields %+v", fields)
		}

		// select keeps the fields asked for, in order.
		r = e.do("GET", "/api/v1/users?search=carol&select=OfficePhone,mobilePhone", "reader", nil)
		if want := `{"users":[{"officePhone":"+44 2079460958","mobilePhone":"+44 7400123456"}],"next":null}`; strings.TrimSpace(string(r.body)) != want {
			t.Errorf("select: %s\nwant %s", r.body, want)
		}
		if r := e.do("GET", "/api/v1/users?select=pager", "reader", nil); r.status != 400 {
			t.Errorf("unknown select: %s", r)
		}

		// Pages.
		var all []string
		after := ""
		for pages := 0; ; pages++ {
			var page struct {
				Users []user
				Next  *string
			}
			e.do("GET", "/api/v1/users?limit=8&after="+after, "reader", nil).json(t, &page)
			for _, u := range page.Users {
				all = append(all, u.UserPrincipalName)
			}
			if page.Next == nil {
				break
			}
			if pages > 5 {
				t.Fatal("pages never end")
			}
			after = *page.Next
		}
		if len(all) != demo.Users || !slices.IsSorted(all) {
			t.Errorf("paged listing: %v", all)
		}
		var ready struct {
			Users []user
			Next  *string
		}
		e.do("GET", "/api/v1/users?readiness=notReady&limit=2", "reader", nil).json(t, &ready)
		if len(ready.Users) != 2 || ready.Next == nil || *ready.Next != ready.Users[1].UserPrincipalName {
			t.Errorf("filtered page: %+v", ready)
		}

		// One user: ETag, 304, 404, select.
		r = e.do("GET", "/api/v1/users/CAROL", "reader", nil)
		var carol user
		r.json(t, &carol)
		if r.status != 200 || carol.UserPrincipalName != "carol" || r.header.Get("ETag") != `"1"` {
			t.Errorf("carol: %s %v", r, r.header)
		}
		if r := e.do("GET", "/api/v1/users/carol", "reader", nil, "If-None-Match", `"1"`); r.status != 304 {
			t.Errorf("If-None-Match: %s", r)
		}
		if r := e.do("GET", "/api/v1/users/carol?select=mobilePhone", "reader", nil); strings.TrimSpace(string(r.body)) != `{"mobilePhone":"+44 7400123456"}` {
			t.Errorf("select one: %s", r)
		}
		r = e.do("GET", "/api/v1/users/nobody", "reader", nil)
		if code, _ := r.errorCode(t); r.status != 404 || code != "notFound" {
			t.Errorf("unknown user: %s", r)
		}
		r = e.do("GET", "/api/v1/users/heidi", "reader", nil)
		if !strings.Contains(string(r.body), `"mobilePhone":null`) {
			t.Errorf("an unusable phone must be null: %s", r)
		}
	})
}

func TestPatch(t *testing.T) {
	backends(t, func(t *testing.T, st testStore) {
		e := newEnv(t, st)
		e.sync()
		fieldErr := func(r response, status int, field, code, text string) {
			t.Helper()
			c, fields := r.errorCode(t)
			if r.status != status || c != "invalid" {
				t.Fatalf("want %d invalid: %s", status, r)
			}
			for _, f := range fields {
				if f.Field == field && f.Code == code && strings.Contains(f.Message, text) {
					return
				}
			}
			t.Errorf("no %s/%s error with %q in %s", field, code, text, r)
		}
		patch := func(upn string, body any, ifMatch string) response {
			t.Helper()
			if ifMatch == "" {
				return e.do("PATCH", "/api/v1/users/"+upn, "writer", body)
			}
			return e.do("PATCH", "/api/v1/users/"+upn, "writer", body, "If-Match", ifMatch)
		}

		r := patch("alice", map[string]string{"mobilePhone": "+1 425 555 0123"}, "")
		if c, _ := r.errorCode(t); r.status != 428 || c != "preconditionRequired" {
			t.Errorf("no If-Match: %s", r)
		}
		if r := patch("alice", map[string]string{"mobilePhone": "+1 425 555 0123"}, `"7"`); r.status != 412 {
			t.Errorf("stale If-Match: %s", r)
		}
		if r := patch("alice", map[string]string{"mobilePhone": "+1 425 555 0123"}, `W/"1"`); r.status != 412 {
			t.Errorf("weak If-Match: %s", r)
		}
		if r := patch("nobody", map[string]string{"mobilePhone": "+1 425 555 0123"}, `*`); r.status != 404 {
			t.Errorf("unknown user: %s", r)
		}

		// The reference document's rule for officePhone, every refused value at once, nothing changed.
		r = patch("alice", map[string]any{"officePhone": "+1 425 555 0999", "mobilePhone": "555", "alternateEmails": []string{"ok@example.org", "bad@"}}, `"1"`)
		fieldErr(r, 422, "officePhone", "directoryOwned", "Can only be set if not synchronizing with an on-premises directory")
		fieldErr(r, 422, "mobilePhone", "invalid", `"555": `)
		fieldErr(r, 422, "alternateEmails", "invalid", `"bad@": invalid email address`)
		r = patch("alice", map[string]any{"mobilePhone": 5, "accountEnabled": "yes", "pager": "1", "authenticationPhone": "+1 425 555 0000"}, `"1"`)
		fieldErr(r, 422, "mobilePhone", "invalid", "must be a string")
		fieldErr(r, 422, "accountEnabled", "invalid", "true or false")
		fieldErr(r, 422, "pager", "unknown", "not a field")
		fieldErr(r, 422, "authenticationPhone", "readOnly", "registration")
		if r := patch("alice", map[string]any{"displayName": "Al"}, `"1"`); r.status != 422 {
			t.Errorf("displayName of a directory user: %s", r)
		}
		if r := e.do("PATCH", "/api/v1/users/alice", "writer", "mobilePhone=1", "If-Match", "*", "Content-Type", "text/plain"); r.status != 415 {
			t.Errorf("text body: %s", r)
		}
		if r := patch("alice", "{not json", `"1"`); r.status != 400 {
			t.Errorf("bad JSON: %s", r)
		}
		if r := patch("alice", strings.Repeat(" ", 2<<20), `"1"`); r.status != 413 {
			t.Errorf("huge body: %s", r)
		}

		// A good change: several fields at once, normalized, new ETag.
		r = patch("alice", map[string]any{"mobilePhone": "(425) 555-0123", "alternateEmails": []string{"alice@example.org"}, "addAlternateEmails": []string{"a2@example.org"}}, `"1"`)
		var alice user
		r.json(t, &alice)
		if r.status != 200 || str(alice.MobilePhone) != "+1 4255550123" || !slices.Equal(alice.AlternateEmails, []string{"alice@example.org", "a2@example.org"}) || r.header.Get("ETag") != `"2"` {
			t.Fatalf("patch: %s %v", r, r.header)
		}
		// A GET document sent back changes nothing, read-only members included.
		r = e.do("GET", "/api/v1/users/alice", "reader", nil)
		r = e.do("PATCH", "/api/v1/users/alice", "writer", string(r.body), "If-Match", r.header.Get("ETag"))
		if r.status != 200 || r.header.Get("ETag") != `"2"` {
			t.Errorf("round trip: %s %v", r, r.header)
		}
		// Cloud users: officePhone may be set, displayName too; null clears.
		if r := e.do("POST", "/api/v1/users", "writer", map[string]any{"userPrincipalName": "kim", "displayName": "Kim", "officePhone": "+1 206 555 0111"}); r.status != 201 {
			t.Fatalf("create: %s", r)
		}
		r = patch("kim", map[string]any{"officePhone": nil, "displayName": "Kim K."}, `"1"`)
		var kim user
		r.json(t, &kim)
		if r.status != 200 || kim.OfficePhone != nil || kim.DisplayName != "Kim K." {
			t.Errorf("kim: %s", r)
		}

		var events []store.AuditEvent
		st.ListAudit(t.Context(), store.AuditFilter{UserPrincipalName: "alice"}, func(ev store.AuditEvent) error {
			events = append(events, ev)
			return nil
		})
		if len(events) != 2 || events[0].Actor != "admin:writer" || events[0].ClientIP != "127.0.0.1" {
			t.Errorf("audit: %+v", events)
		}
		for _, ev := range events {
			if strings.Contains(fmt.Sprint(ev.Details), "4255550123") || strings.Contains(fmt.Sprint(ev.Details), "alice@") {
				t.Errorf("unmasked audit details: %v", ev.Details)
			}
		}
	})
}

func TestConcurrentPatches(t *testing.T) {
	backends(t, func(t *testing.T, st testStore) {
		e := newEnv(t, st)
		e.sync()
		etag := e.do("GET", "/api/v1/users/bob", "reader", nil).header.Get("ETag")
		// Two administrators read bob, then both change him: one wins, the other gets 412.
		var wg sync.WaitGroup
		statuses := make([]int, 4)
		for i := range statuses {
			wg.Go(func() {
				statuses[i] = e.do("PATCH", "/api/v1/users/bob", "writer",
					map[string]string{"mobilePhone": fmt.Sprintf("+1 425 555 01%02d", 50+i)}, "If-Match", etag).status
			})
		}
		wg.Wait()
		slices.Sort(statuses)
		if !slices.Equal(statuses, []int{200, 412, 412, 412}) {
			t.Errorf("statuses %v, want one 200 and three 412", statuses)
		}
		if v := e.do("GET", "/api/v1/users/bob", "reader", nil).header.Get("ETag"); v != `"2"` {
			t.Errorf("ETag after: %s", v)
		}
	})
}

func TestMobileOverrideAcrossSyncs(t *testing.T) {
	backends(t, func(t *testing.T, st testStore) {
		e := newEnv(t, st)
		e.sync()
		mobile := func() string {
			var u user
			e.do("GET", "/api/v1/users/victor", "reader", nil).json(t, &u)
			return str(u.MobilePhone)
		}
		if r := e.do("PATCH", "/api/v1/users/victor", "writer", map[string]string{"mobilePhone": "+1 206 555 0177"}, "If-Match", "*"); r.status != 200 {
			t.Fatal(r)
		}
		// The directory changes something else: the administrator's mobilePhone stays.
		e.ldapModify("uid=victor,ou=Staff,dc=contoso,dc=com", "telephoneNumber", "+1 206 555 0190")
		e.sync()
		var v user
		e.do("GET", "/api/v1/users/victor", "reader", nil).json(t, &v)
		if str(v.MobilePhone) != "+1 2065550177" || str(v.OfficePhone) != "+1 2065550190" {
			t.Errorf("after an unrelated directory change: %+v", v)
		}
		// The directory's own mobile changes: the directory wins.
		e.ldapModify("uid=victor,ou=Staff,dc=contoso,dc=com", "mobile", "+1 206 555 0188")
		e.sync()
		if got := mobile(); got != "+1 2065550188" {
			t.Errorf("after the directory's mobile changed: %s", got)
		}
		u, err := st.UserByUPN(t.Context(), "victor")
		if err != nil || u.MobilePhoneOverridden {
			t.Errorf("override still set: %v %+v", err, u)
		}
	})
}

func TestCreateDelete(t *testing.T) {
	backends(t, func(t *testing.T, st testStore) {
		e := newEnv(t, st)
		e.sync()
		r := e.do("POST", "/api/v1/users", "writer", map[string]any{"userPrincipalName": "lee@contoso.com", "displayName": "Lee",
			"mobilePhone": "+1 425 555 0166", "alternateEmails": []string{"lee@example.org"}, "source": "cloud"})
		var lee user
		r.json(t, &lee)
		if r.status != 201 || r.header.Get("Location") != "/api/v1/users/lee@contoso.com" || lee.Source != "cloud" || !lee.AccountEnabled || str(lee.MobilePhone) != "+1 4255550166" {
			t.Fatalf("create: %s %v", r, r.header)
		}
		if r := e.do("POST", "/api/v1/users", "writer", map[string]any{"userPrincipalName": "LEE@contoso.com"}); r.status != 409 {
			t.Errorf("duplicate: %s", r)
		}
		if r := e.do("POST", "/api/v1/users", "writer", map[string]any{"userPrincipalName": "max", "source": "directory"}); r.status != 422 {
			t.Errorf("a directory user: %s", r)
		}
		if r := e.do("POST", "/api/v1/users", "writer", map[string]any{"displayName": "No Name"}); r.status != 422 {
			t.Errorf("no UPN: %s", r)
		}
		if r := e.do("POST", "/api/v1/users", "writer", map[string]any{"userPrincipalName": "max", "mobilePhone": "+999 1"}); r.status != 422 {
			t.Errorf("bad phone: %s", r)
		}
		r = e.do("DELETE", "/api/v1/users/alice", "writer", nil, "If-Match", "*")
		if c, _ := r.errorCode(t); r.status != 409 || c != "directoryUser" || !strings.Contains(string(r.body), "the sync") {
			t.Errorf("delete a directory user: %s", r)
		}
		if r := e.do("DELETE", "/api/v1/users/lee@contoso.com", "writer", nil); r.status != 428 {
			t.Errorf("delete without If-Match: %s", r)
		}
		if r := e.do("DELETE", "/api/v1/users/lee@contoso.com", "writer", nil, "If-Match", `"1"`); r.status != 204 {
			t.Errorf("delete: %s", r)
		}
		if r := e.do("GET", "/api/v1/users/lee@contoso.com", "reader", nil); r.status != 404 {
			t.Errorf("deleted user: %s", r)
		}
	})
}

func TestReportsAndRuns(t *testing.T) {
	backends(t, func(t *testing.T, st testStore) {
		e := newEnv(t, st)
		e.sync()
		var rep struct {
			Users []struct {
				UserPrincipalName string
				Ready             bool
			}
			Totals struct {
				Users, Enabled, Ready int
				ReadyPercent          float64
			}
		}
		e.do("GET", "/api/v1/reports/readiness?readiness=notReady", "reporter", nil).json(t, &rep)
		if len(rep.Users) != 7 || rep.Totals.Users != demo.Users || rep.Totals.Ready != 14 || rep.Totals.ReadyPercent != 70 {
			t.Errorf("readiness: %+v", rep)
		}
		r := e.do("POST", "/api/v1/sync/runs", "syncer", map[string]bool{"dryRun": true})
		var run struct {
			ID     int64
			Status string
		}
		r.json(t, &run)
		if r.status != 200 || run.Status != "dry-run" {
			t.Errorf("dry run: %s", r)
		}
		if r := e.do("POST", "/api/v1/sync/runs", "syncer", map[string]any{"dryrun": true}); r.status != 400 {
			t.Errorf("bad option: %s", r)
		}
		var runs struct{ Runs []struct{ ID int64 } }
		e.do("GET", "/api/v1/sync/runs?limit=5", "syncer", nil).json(t, &runs)
		if len(runs.Runs) != 2 || runs.Runs[0].ID != run.ID {
			t.Errorf("runs: %+v", runs)
		}
		n := 0
		st.ListAudit(t.Context(), store.AuditFilter{TypePrefix: api.EventSyncRequested}, func(ev store.AuditEvent) error {
			if ev.Actor != "admin:syncer" {
				t.Errorf("event %+v", ev)
			}
			n++
			return nil
		})
		if n != 2 {
			t.Errorf("%d sync audit events, want 2", n)
		}
	})
}

// TestNoRouteReturnsAnswers registers security answers, then calls every route of the API, as
// documented, and looks for them in every response.
func TestNoRouteReturnsAnswers(t *testing.T) {
	backends(t, func(t *testing.T, st testStore) {
		e := newEnv(t, st)
		e.sync()
		ctx := t.Context()
		const hashMark, keyMark = "SECRETANSWERHASH", "custom:SECRETQUESTION"
		for _, upn := range []string{"alice", "carol"} {
			u, err := st.UserByUPN(ctx, upn)
			if err != nil {
				t.Fatal(err)
			}
			answers := []store.SecurityAnswer{
				{QuestionKey: keyMark, Hash: "$argon2id$v=19$m=19456,t=2,p=1$" + hashMark},
				{QuestionKey: "pet", Hash: "$argon2id$v=19$m=19456,t=2,p=1$" + hashMark + "2"},
				{QuestionKey: "city", Hash: "$argon2id$v=19$m=19456,t=2,p=1$" + hashMark + "3"},
			}
			if err := st.SetSecurityAnswers(ctx, u.ID, answers, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		var alice map[string]any
		r := e.do("GET", "/api/v1/users/alice?select=securityQuestionsRegistered,securityQuestionsCount,securityQuestionsRegisteredAt", "reader", nil)
		r.json(t, &alice)
		if alice["securityQuestionsRegistered"] != true || alice["securityQuestionsCount"] != 3.0 || alice["securityQuestionsRegisteredAt"] == nil {
			t.Errorf("alice: %v", alice)
		}
		etag := r.header.Get("ETag")
		var responses []response
		for _, rt := range e.api.Routes() {
			path := strings.ReplaceAll(rt.Pattern, "{upn}", "alice")
			var body any
			switch rt.Method + " " + rt.Pattern {
			case "PATCH /api/v1/users/{upn}":
				body = map[string]any{"mobilePhone": "+1 425 555 0144", "securityQuestionsRegistered": true}
				responses = append(responses, e.do(rt.Method, path, "all", body, "If-Match", etag))
				body = map[string]any{"mobilePhone": "+1 425 555 0144"}
			case "POST /api/v1/users":
				body = map[string]any{"userPrincipalName": "new", "securityQuestionsCount": 3}
				responses = append(responses, e.do(rt.Method, path, "all", body))
				body = map[string]any{"userPrincipalName": "new"}
			case "DELETE /api/v1/users/{upn}":
				path = "/api/v1/users/new"
			case "POST /api/v1/sync/runs":
				body = map[string]bool{"full": true}
			}
			responses = append(responses, e.do(rt.Method, path, "all", body, "If-Match", "*"))
			for _, q := range []string{"?select=securityQuestionsRegistered,securityQuestionsCount", "?readiness=ready"} {
				if rt.Method == "GET" {
					responses = append(responses, e.do(rt.Method, path+q, "all", nil))
				}
			}
		}
		if len(responses) < 12 {
			t.Fatalf("only %d responses", len(responses))
		}
		for _, r := range responses {
			if r.status >= 500 {
				t.Errorf("server error: %s", r)
			}
			for _, mark := range []string{hashMark, "SECRETQUESTION", "argon2", `"pet"`, `"city"`} {
				if bytes.Contains(r.body, []byte(mark)) || strings.Contains(fmt.Sprint(r.header), mark) {
					t.Errorf("a response holds %q: %s", mark, r)
				}
			}
		}
	})
}
