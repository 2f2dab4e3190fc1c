package console

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/admin"
	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/flow/flowtest"
	"github.com/sspr/sspr/internal/i18n"
	"github.com/sspr/sspr/internal/phone"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/postgres"
	"github.com/sspr/sspr/internal/store/sqlite"
	"github.com/sspr/sspr/internal/syncer"
	"github.com/sspr/sspr/internal/testenv"
)

// fakeDirectory is our own Directory: passwords by DN, groups by DN.
type fakeDirectory struct {
	mu        sync.Mutex
	passwords map[string]string
	members   map[string][]string // group DN → member DNs
	unlocked  []string
	refuse    bool // Unlock fails (the directory is unavailable)
}

type dirErr struct{ reason string }

func (e dirErr) Error() string  { return "directory: " + e.reason }
func (e dirErr) Reason() string { return e.reason }

func (d *fakeDirectory) Authenticate(_ context.Context, dn, pw string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if want, ok := d.passwords[dn]; !ok || want != pw {
		return dirErr{"wrongPassword"}
	}
	return nil
}

func (d *fakeDirectory) IsMember(_ context.Context, userDN, groupDN string) (bool, error) {
	for _, m := range d.members[groupDN] {
		if strings.EqualFold(m, userDN) {
			return true, nil
		}
	}
	return false, nil
}

func (d *fakeDirectory) Unlock(_ context.Context, dn string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.refuse {
		return dirErr{"unavailable"}
	}
	d.unlocked = append(d.unlocked, dn)
	return nil
}

// en is the English catalog, whose texts the pages show by default.
var en = i18n.Default().For("en")

// before is s up to its NUL: the part of a text before an argument that varies.
func before(s string) string { b, _, _ := strings.Cut(s, "\x00"); return b }

// codeTo is the code of the newest message to to.
func codeTo(t testing.TB, o *flowtest.Outbox, to string) string {
	t.Helper()
	m, ok := o.Last(to)
	if !ok {
		t.Fatalf("no message to %s", to)
	}
	return regexp.MustCompile(`\d{6,}`).FindString(m.Body)
}

const (
	adminGroup  = "CN=Console Admins,OU=Groups,DC=contoso,DC=com"
	readerGroup = "CN=Helpdesk,OU=Groups,DC=contoso,DC=com"
	annDN       = "CN=ann,OU=Staff,DC=contoso,DC=com"  // administrator
	rayDN       = "CN=ray,OU=Staff,DC=contoso,DC=com"  // reader
	nedDN       = "CN=ned,OU=Staff,DC=contoso,DC=com"  // in no group
	carlDN      = "CN=carl,OU=Staff,DC=contoso,DC=com" // a user the administrators change
	password    = "Correct-Horse-9"
)

// fakeSyncer is our own Syncer: it records each run in the store, refused by the delete guard
// unless the deletes are allowed while guard is set.
type fakeSyncer struct {
	st    store.Store
	mu    sync.Mutex
	guard bool
	runs  []syncer.Options
}

func (y *fakeSyncer) Run(ctx context.Context, opts syncer.Options) (syncer.Report, error) {
	y.mu.Lock()
	y.runs = append(y.runs, opts)
	refuse := y.guard && !opts.AllowDeletes
	y.mu.Unlock()
	run := store.SyncRun{Mode: "full", Status: store.RunRunning, StartedAt: time.Now()}
	if err := y.st.StartRun(ctx, &run); err != nil {
		return syncer.Report{}, err
	}
	now := time.Now()
	run.FinishedAt, run.Status = &now, store.RunSucceeded
	var err error
	if refuse {
		run.Status, run.Errors = store.RunRefused, []string{"12 deletes, threshold 10"}
		err = &syncer.GuardError{Deletes: 12, Threshold: 10}
	}
	if ferr := y.st.FinishRun(ctx, run); ferr != nil {
		return syncer.Report{}, ferr
	}
	return syncer.Report{Run: run}, err
}

func (y *fakeSyncer) options() []syncer.Options {
	y.mu.Lock()
	defer y.mu.Unlock()
	return append([]syncer.Options(nil), y.runs...)
}

type fixture struct {
	sync *fakeSyncer
	st   store.Store
	dir  *fakeDirectory
	out  *flowtest.Outbox
	srv  *Server
	http *httptest.Server
	mu   sync.Mutex
	now  time.Time
}

func (f *fixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fixture) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
}

// backends runs fn on a fixture over a fresh SQLite store and one over a fresh PostgreSQL
// database.
func backends(t *testing.T, fn func(t *testing.T, f *fixture)) {
	t.Run("sqlite", func(t *testing.T) {
		st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "sspr.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		fn(t, newFixture(t, st))
	})
	t.Run("postgres", func(t *testing.T) {
		st, err := postgres.Open(t.Context(), testenv.PostgresDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		fn(t, newFixture(t, st))
	})
}

// newFixture is a console over st with four cloud users; opts change its configuration.
func newFixture(t testing.TB, st store.Store, opts ...func(*Config)) *fixture {
	t.Helper()
	ctx := t.Context()
	var err error
	users := []store.User{
		{UserPrincipalName: "ann@contoso.com", DN: annDN, AccountEnabled: true, AuthenticationEmail: "ann.private@example.net"},
		{UserPrincipalName: "ray@contoso.com", DN: rayDN, AccountEnabled: true,
			MobilePhone: store.Phone{Raw: "+1 425 555 0101", Number: "+1 4255550101", Type: "mobile"}},
		{UserPrincipalName: "ned@contoso.com", DN: nedDN, AccountEnabled: true, AlternateEmails: []string{"ned@example.net"}},
		{UserPrincipalName: "carl@contoso.com", DN: carlDN, AccountEnabled: true, DisplayName: "Carl Cloud"},
	}
	if err := st.Update(ctx, func(tx store.UsersTx) error {
		for i := range users {
			users[i].Source = store.SourceCloud
			if err := tx.CreateUser(ctx, &users[i]); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: st, sync: &fakeSyncer{st: st}, out: &flowtest.Outbox{}, now: time.Now().UTC(), dir: &fakeDirectory{
		passwords: map[string]string{annDN: password, rayDN: password, nedDN: password, carlDN: password},
		members:   map[string][]string{adminGroup: {annDN}, readerGroup: {rayDN, annDN}}}}
	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	p := Policy{Readers: []string{readerGroup}, Administrators: []string{adminGroup}}
	reset := flow.DefaultPolicy()
	auth := NewAuth(st, f.out, f.dir, p, reset, bytes.Repeat([]byte("c"), 32), bytes.Repeat([]byte("n"), 32), f.clock, log)
	norm, _ := phone.NewNormalizer("US")
	f.http = httptest.NewServer(nil)
	t.Cleanup(f.http.Close)
	cfg := Config{Policy: p, Reset: reset, PublicURL: f.http.URL, CSRFKey: bytes.Repeat([]byte("k"), 32),
		Now: f.clock, ResponseFloor: 30 * time.Millisecond}
	for _, o := range opts {
		o(&cfg)
	}
	f.srv, err = New(cfg, auth, st, admin.New(st, norm, f.clock), f.dir, f.sync, log)
	if err != nil {
		t.Fatal(err)
	}
	f.http.Config.Handler = f.srv
	return f
}

// browser is an HTTP client with cookies that does not follow redirects.
type browser struct {
	t    testing.TB
	f    *fixture
	c    *http.Client
	csrf string
}

func (f *fixture) browser(t testing.TB) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, f: f, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *browser) get(path string) (int, string, http.Header) {
	b.t.Helper()
	resp, err := b.c.Get(b.f.http.URL + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := csrfRE.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return resp.StatusCode, string(body), resp.Header
}

func (b *browser) post(path string, form url.Values) (int, string, string) {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get("csrf") == "" {
		form.Set("csrf", b.csrf)
	}
	resp, err := b.c.PostForm(b.f.http.URL+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := csrfRE.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return resp.StatusCode, string(body), resp.Header.Get("Location")
}

// signIn signs in with the password and the code sent to dest.
func (b *browser) signIn(name, dest string) {
	b.t.Helper()
	b.get("/admin/signin")
	status, body, loc := b.post("/admin/signin", url.Values{"username": {name}, "password": {password}})
	if status != http.StatusSeeOther || loc != "/admin/signin/code" {
		b.t.Fatalf("sign in %s: %d %s\n%s", name, status, loc, body)
	}
	b.get("/admin/signin/code")
	status, body, loc = b.post("/admin/signin/code", url.Values{"code": {codeTo(b.t, b.f.out, dest)}})
	if status != http.StatusSeeOther || loc != "/admin/dashboard" {
		b.t.Fatalf("code %s: %d %s\n%s", name, status, loc, body)
	}
}

func (f *fixture) events(t *testing.T, typ string) []store.AuditEvent {
	t.Helper()
	var out []store.AuditEvent
	if err := f.st.ListAudit(t.Context(), store.AuditFilter{TypePrefix: typ}, func(e store.AuditEvent) error {
		out = append(out, e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSignInRefusalsLookAlike(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		csrfValue := regexp.MustCompile(`value="[A-Za-z0-9_-]{43}"`)
		var pages []string
		for _, tc := range []struct{ name, user, pw string }{
			{"wrong password", "ann@contoso.com", "not-it"},
			{"unknown name", "nobody@contoso.com", password},
			{"not a member", "ned@contoso.com", password},
		} {
			t.Run(tc.name, func(t *testing.T) {
				b := f.browser(t)
				b.get("/admin/signin")
				start := time.Now()
				status, body, _ := b.post("/admin/signin", url.Values{"username": {tc.user}, "password": {tc.pw}})
				if took := time.Since(start); took < f.srv.cfg.ResponseFloor {
					t.Errorf("answered in %s, under the floor", took)
				}
				if status != http.StatusOK || !strings.Contains(body, `id="error"`) {
					t.Fatalf("status %d\n%s", status, body)
				}
				body = strings.ReplaceAll(body, tc.user, "USER") // the name typed is shown again
				pages = append(pages, csrfValue.ReplaceAllString(body, `value="X"`))
			})
		}
		for i := 1; i < len(pages); i++ {
			if pages[i] != pages[0] {
				t.Errorf("page %d differs from page 0:\n%s\n---\n%s", i, pages[i], pages[0])
			}
		}
		if n := len(f.out.Messages()); n != 0 {
			t.Errorf("%d messages sent for refused sign-ins", n)
		}
		// The audit log tells them apart; the pages do not.
		outcomes := map[string]int{}
		for _, e := range f.events(t, EventSignIn) {
			outcomes[e.Details["outcome"]]++
		}
		for _, o := range []string{"wrongPassword", "unknownName", "notMember"} {
			if outcomes[o] == 0 {
				t.Errorf("no %s sign-in audited: %v", o, outcomes)
			}
		}
	})
}

func TestSignInTwoFactorsAndRoles(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		ann := f.browser(t)
		ann.signIn("ann@contoso.com", "ann.private@example.net") // authenticationEmail
		status, body, _ := ann.get("/admin/dashboard")
		if status != http.StatusOK || !strings.Contains(body, en.T("console.layout.whoami", "ann@contoso.com", en.T("console.role.administrator"))) {
			t.Fatalf("dashboard %d\n%s", status, body)
		}
		ray := f.browser(t)
		ray.signIn("ray@contoso.com", "+14255550101") // no registration: the directory's mobilePhone
		if _, body, _ := ray.get("/admin/dashboard"); !strings.Contains(body, en.T("console.layout.whoami", "ray@contoso.com", en.T("console.role.reader"))) {
			t.Fatalf("reader dashboard\n%s", body)
		}
		// A reader sees no action forms and is refused the actions.
		_, body, _ = ray.get("/admin/users/carl@contoso.com")
		if strings.Contains(body, `id="mobilePhone"`) {
			t.Error("a reader sees the fields form")
		}
		status, _, _ = ray.post("/admin/users/carl@contoso.com/fields", url.Values{"mobilePhone": {"+1 425 555 0199"}})
		if status != http.StatusForbidden {
			t.Errorf("reader's change: %d, want 403", status)
		}
		if len(f.events(t, EventForbidden)) != 1 {
			t.Error("the refusal is not audited")
		}
		// The administrator changes carl's mobilePhone with the CLI's rules.
		_, body, _ = ann.get("/admin/users/carl@contoso.com")
		if !strings.Contains(body, `id="mobilePhone"`) {
			t.Fatalf("no fields form for the administrator\n%s", body)
		}
		status, body, _ = ann.post("/admin/users/carl@contoso.com/fields", url.Values{"mobilePhone": {"not a phone"}})
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, `id="mobilePhone-error"`) {
			t.Errorf("invalid phone: %d\n%s", status, body)
		}
		status, body, loc := ann.post("/admin/users/carl@contoso.com/fields", url.Values{"mobilePhone": {"(425) 555-0199"}})
		if status != http.StatusSeeOther || loc != "/admin/users/carl@contoso.com" {
			t.Fatalf("change: %d %s\n%s", status, loc, body)
		}
		if _, body, _ = ann.get(loc); !strings.Contains(body, en.T("console.flash.saved", en.T("console.field.mobilePhone"))) {
			t.Fatalf("no notice after the change\n%s", body)
		}
		u, _ := f.st.UserByUPN(t.Context(), "carl@contoso.com")
		if u.MobilePhone.Number != "+1 4255550199" {
			t.Errorf("mobilePhone %+v", u.MobilePhone)
		}
		ev := f.events(t, admin.EventUserUpdated)
		if len(ev) != 1 || ev[0].Actor != "console:ann@contoso.com" || ev[0].Details["field"] != "mobilePhone" {
			t.Errorf("audit %+v", ev)
		}
		// Without the CSRF token, nothing is done.
		status, _, _ = ann.post("/admin/users/carl@contoso.com/unlock", url.Values{"csrf": {"forged"}})
		if status != http.StatusForbidden || len(f.dir.unlocked) != 0 {
			t.Errorf("forged unlock: %d, %v", status, f.dir.unlocked)
		}
		status, _, _ = ann.post("/admin/users/carl@contoso.com/unlock", nil)
		if status != http.StatusSeeOther || len(f.dir.unlocked) != 1 || len(f.events(t, EventUserUnlocked)) != 1 {
			t.Errorf("unlock: %d, %v", status, f.dir.unlocked)
		}
		// Sign-out ends the session.
		ann.post("/admin/signout", nil)
		if status, _, h := ann.get("/admin/dashboard"); status != http.StatusSeeOther || h.Get("Location") != "/admin/signin" {
			t.Errorf("after sign-out: %d %s", status, h.Get("Location"))
		}
	})
}

func TestSessionIdleTimeout(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		b := f.browser(t)
		b.signIn("ray@contoso.com", "+14255550101")
		for range 3 { // activity keeps it alive past the idle timeout
			f.advance(10 * time.Minute)
			if status, _, _ := b.get("/admin/users"); status != http.StatusOK {
				t.Fatalf("active session refused: %d", status)
			}
		}
		f.advance(DefaultIdleTimeout + time.Second)
		if status, _, h := b.get("/admin/users"); status != http.StatusSeeOther || h.Get("Location") != "/admin/signin" {
			t.Errorf("idle session: %d %s", status, h.Get("Location"))
		}
	})
}

func TestWrongPasswordsLockOut(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		b := f.browser(t)
		for i := range 6 {
			b.get("/admin/signin")
			status, body, _ := b.post("/admin/signin", url.Values{"username": {"ann@contoso.com"}, "password": {"wrong"}})
			want := http.StatusOK
			if i >= 4 {
				want = http.StatusTooManyRequests
			}
			if status != want {
				t.Fatalf("attempt %d: %d, want %d\n%s", i+1, status, want, body)
			}
		}
		// Locked: even the right password is refused now.
		status, _, _ := b.post("/admin/signin", url.Values{"username": {"ann@contoso.com"}, "password": {password}})
		if status != http.StatusTooManyRequests {
			t.Errorf("right password while locked: %d", status)
		}
		if len(f.events(t, EventLockedOut)) == 0 {
			t.Error("lockout not audited")
		}
	})
}

func TestAuditFiltersAndCSV(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		for _, e := range []store.AuditEvent{
			{Type: "reset.done", Actor: "user", UserPrincipalName: "carl@contoso.com", ClientIP: "192.0.2.7"},
			{Type: "reset.code.failed", Actor: "user", UserPrincipalName: "carl@contoso.com", ClientIP: "198.51.100.1"},
			{Type: "reset.started", Actor: "user", UserPrincipalName: "=cmd|' /C calc'!A0", ClientIP: "192.0.2.8", Details: map[string]string{"outcome": "unknownName"}},
		} {
			e.Time = f.clock()
			if err := f.st.AppendAudit(t.Context(), &e); err != nil {
				t.Fatal(err)
			}
		}
		b := f.browser(t)
		b.signIn("ray@contoso.com", "+14255550101")
		status, body, _ := b.get("/admin/audit?type=reset.&clientIP=192.0.2.0/24")
		if status != http.StatusOK || !strings.Contains(body, "reset.done") || strings.Contains(body, "reset.code.failed") {
			t.Fatalf("filtered page %d\n%s", status, body)
		}
		if status, _, _ := b.get("/admin/audit?since=yesterday"); status != http.StatusBadRequest {
			t.Errorf("bad since: %d", status)
		}
		// The page's CSV link carries the filters.
		link := regexp.MustCompile(`id="csv" href="([^"]+)"`).FindStringSubmatch(body)
		if link == nil {
			t.Fatalf("no CSV link\n%s", body)
		}
		status, body, h := b.get(html.UnescapeString(link[1]))
		if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") {
			t.Fatalf("csv %d %v", status, h)
		}
		rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 || strings.Join(rows[0], ",") != strings.Join(auditHeader, ",") {
			t.Fatalf("rows %q", rows)
		}
		for _, r := range rows[1:] {
			if strings.HasPrefix(r[4], "=") {
				t.Errorf("formula not defused: %q", r[4])
			}
		}
		if len(f.events(t, EventAuditExported)) != 1 {
			t.Error("export not audited")
		}
		status, body, _ = b.get("/admin/audit.json?user=carl@contoso.com")
		if status != http.StatusOK || strings.Count(body, `"type":"reset.`) != 2 {
			t.Errorf("json %d %s", status, body)
		}
	})
}

func TestDashboardCounts(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		carl, ned, ray := mustUser(t, f, "carl@contoso.com"), mustUser(t, f, "ned@contoso.com"), mustUser(t, f, "ray@contoso.com")
		now, before := f.clock(), f.clock().AddDate(0, 0, -10)
		ok := map[string]string{"outcome": "ok"}
		for _, e := range []store.AuditEvent{
			{Type: "reset.started", UserID: carl.ID, Time: now, Details: ok}, // done
			{Type: "reset.done", UserID: carl.ID, Time: now},
			{Type: "reset.started", UserID: ned.ID, Time: now, Details: ok}, // a failed proof
			{Type: "reset.code.failed", UserID: ned.ID, Time: now, Details: map[string]string{"option": "sms"}},
			{Type: "reset.started", UserID: ray.ID, Time: now, Details: ok}, // throttled
			{Type: "reset.throttled", UserID: ray.ID, Time: now},
			{Type: "reset.started", UserID: carl.ID, Time: before, Details: ok}, // a failed proof 10 days ago
			{Type: "reset.code.failed", UserID: carl.ID, Time: before, Details: map[string]string{"option": "sms"}},
			{Type: "reset.started", Time: now, Details: map[string]string{"outcome": "unknownName"}}, // not a flow
		} {
			e.Actor = "user"
			if err := f.st.AppendAudit(t.Context(), &e); err != nil {
				t.Fatal(err)
			}
		}
		d, err := f.srv.dashboardFigures(t.Context(), i18n.Default().For("en"))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name      string
			got, want int
		}{
			{"users", d.Tiles.UsersInScope, 4}, {"registered", d.Tiles.Registered, 1},
			{"resets 7d", d.Tiles.Resets7, 1}, {"resets 30d", d.Tiles.Resets30, 1},
			{"done 7d", d.Week.Done, 1}, {"failed 7d", d.Week.FailedProof, 1}, {"failed 30d", d.Month.FailedProof, 2},
			{"throttled 7d", d.Week.Throttled, 1}, {"charts", len(d.Figures), 6},
		} {
			if c.got != c.want {
				t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
			}
		}
		if d.SuccessRate != "25 %" {
			t.Errorf("success rate %q", d.SuccessRate)
		}
		// The page: every chart an accessible SVG with its data table.
		b := f.browser(t)
		b.signIn("ray@contoso.com", "+14255550101")
		_, body, _ := b.get("/admin/dashboard")
		if n := strings.Count(body, `role="img" aria-labelledby=`); n != 6 {
			t.Errorf("%d charts on the page\n%s", n, body)
		}
		if n := strings.Count(body, `<details><summary>`); n != 6 {
			t.Errorf("%d data tables behind a disclosure", n)
		}
	})
}

func TestPolicyProblems(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    Policy
		keys []string
	}{
		{"defaults", Policy{Readers: []string{readerGroup}}, nil},
		{"not a DN", Policy{Administrators: []string{"helpdesk"}}, []string{"administrators[0]"}},
		{"idle too long", Policy{IdleTimeout: 2 * time.Hour}, []string{"idleTimeout"}},
		{"lifetime under idle", Policy{IdleTimeout: 30 * time.Minute, SessionLifetime: 20 * time.Minute}, []string{"sessionLifetime"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var keys []string
			for _, p := range tc.p.WithDefaults().Problems() {
				keys = append(keys, p.Key)
			}
			if strings.Join(keys, ",") != strings.Join(tc.keys, ",") {
				t.Errorf("problems %v, want %v", keys, tc.keys)
			}
		})
	}
	if (Policy{}).On() {
		t.Error("a console without groups is on")
	}
}

func TestWrongCodeIsAFailedProof(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		b := f.browser(t)
		b.get("/admin/signin")
		b.post("/admin/signin", url.Values{"username": {"ann@contoso.com"}, "password": {password}})
		b.get("/admin/signin/code")
		status, body, _ := b.post("/admin/signin/code", url.Values{"code": {"00000000"}})
		if status != http.StatusOK || !strings.Contains(body, en.T("console.error.wrongCode", 4)) {
			t.Fatalf("wrong code: %d\n%s", status, body)
		}
		if n, _ := f.st.CountEvents(t.Context(), "u:"+mustUser(t, f, "ann@contoso.com").ID+":console", f.clock().Add(-time.Hour)); n != 1 {
			t.Errorf("failed proofs counted: %d", n)
		}
		// The pending session is not a signed-in one.
		if status, _, _ := b.get("/admin/dashboard"); status != http.StatusSeeOther {
			t.Errorf("dashboard before the code: %d", status)
		}
		status, _, loc := b.post("/admin/signin/code", url.Values{"code": {codeTo(t, f.out, "ann.private@example.net")}})
		if status != http.StatusSeeOther || loc != "/admin/dashboard" {
			t.Errorf("right code: %d %s", status, loc)
		}
	})
}

func mustUser(t *testing.T, f *fixture, upn string) store.User {
	t.Helper()
	u, err := f.st.UserByUPN(t.Context(), upn)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestUsersFiltersAndReregister(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		carl := mustUser(t, f, "carl@contoso.com")
		if err := f.st.Lock(t.Context(), lockKey(carl.ID), f.clock().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		ann := f.browser(t)
		ann.signIn("ann@contoso.com", "ann.private@example.net")
		listed := func(query string) string {
			t.Helper()
			status, body, _ := ann.get("/admin/users?" + query)
			if status != http.StatusOK {
				t.Fatalf("%s: %d", query, status)
			}
			var names []string
			for _, m := range regexp.MustCompile(`href="/admin/users/([^"]+)"`).FindAllStringSubmatch(body, -1) {
				names = append(names, strings.TrimSuffix(m[1], "@contoso.com"))
			}
			return strings.Join(names, ",")
		}
		for _, tc := range []struct{ query, want string }{
			{"", "ann,carl,ned,ray"},
			{"q=CAR", "carl"},
			{"registered=yes", "ann"},
			{"registered=no", "carl,ned,ray"},
			{"readiness=ready", "ann,ned,ray"},
			{"readiness=notReady", "carl"},
			{"reason=noContact", "carl"},
			{"reason=tooFewMethods", ""},
			{"locked=yes", "carl"},
			{"source=directory", ""},
			{"source=cloud&locked=no&readiness=ready", "ann,ned,ray"},
		} {
			if got := listed(tc.query); got != tc.want {
				t.Errorf("%q lists %q, want %q", tc.query, got, tc.want)
			}
		}
		// Unlock clears sspr's lock; require re-registration removes what ann registered.
		ann.get("/admin/users/carl@contoso.com")
		ann.post("/admin/users/carl@contoso.com/unlock", nil)
		if got := listed("locked=yes"); got != "" {
			t.Errorf("after unlock, locked: %q", got)
		}
		if err := f.st.SetSecurityAnswers(t.Context(), mustUser(t, f, "ray@contoso.com").ID,
			[]store.SecurityAnswer{{QuestionKey: "firstPet", Hash: "$argon2id$x"}}, f.clock()); err != nil {
			t.Fatal(err)
		}
		// The user page says how many questions, never which.
		if _, body, _ := ann.get("/admin/users/ray@contoso.com"); strings.Contains(body, "firstPet") || !strings.Contains(body, html.EscapeString(before(en.T("console.user.questions", 1, "\x00")))) {
			t.Errorf("questions on the user page:\n%s", body)
		}
		status, body, loc := ann.post("/admin/users/ray@contoso.com/reregister", nil)
		if status != http.StatusSeeOther || loc != "/admin/users/ray@contoso.com" {
			t.Fatalf("reregister: %d %s\n%s", status, loc, body)
		}
		if _, body, _ = ann.get(loc); !strings.Contains(body, en.T("console.flash.reregister")) {
			t.Errorf("no notice after reregister\n%s", body)
		}
		ray := mustUser(t, f, "ray@contoso.com")
		if ray.SecurityQuestionsCount != 0 || ray.AuthenticationEmail != "" || ray.AuthenticationPhone != "" {
			t.Errorf("ray still registered: %+v", ray)
		}
		ev := f.events(t, EventReregister)
		if len(ev) != 1 || ev[0].Actor != "console:ann@contoso.com" || ev[0].Details["securityQuestions"] != "1" {
			t.Errorf("audit %+v", ev)
		}
	})
}

func TestAuditPaging(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		for i := range auditPageSize + 10 {
			e := store.AuditEvent{Type: "reset.started", Actor: "user", UserPrincipalName: fmt.Sprintf("u%02d@contoso.com", i),
				Time: f.clock().Add(time.Duration(i) * time.Second)}
			if err := f.st.AppendAudit(t.Context(), &e); err != nil {
				t.Fatal(err)
			}
		}
		b := f.browser(t)
		b.signIn("ray@contoso.com", "+14255550101")
		seen := map[string]bool{}
		page := "/admin/audit?type=reset.started"
		for n := 1; page != ""; n++ {
			status, body, _ := b.get(page)
			if status != http.StatusOK {
				t.Fatalf("page %d: %d", n, status)
			}
			for _, m := range regexp.MustCompile(`u\d\d@contoso.com`).FindAllString(body, -1) {
				if seen[m] {
					t.Errorf("%s on two pages", m)
				}
				seen[m] = true
			}
			page = ""
			if m := regexp.MustCompile(`id="next" href="([^"]+)"`).FindStringSubmatch(body); m != nil {
				page = html.UnescapeString(m[1])
				if !strings.Contains(page, "type=reset.started") {
					t.Errorf("the next page lost the filter: %s", page)
				}
			}
			if n > 3 {
				t.Fatal("too many pages")
			}
		}
		if len(seen) != auditPageSize+10 {
			t.Errorf("%d events seen over the pages, want %d", len(seen), auditPageSize+10)
		}
		if status, _, _ := b.get("/admin/audit?after=bogus"); status != http.StatusBadRequest {
			t.Errorf("a bad cursor: %d", status)
		}
	})
}

func TestSyncAndGuardApproval(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		f.sync.guard = true
		ray, ann := f.browser(t), f.browser(t)
		ray.signIn("ray@contoso.com", "+14255550101")
		ann.signIn("ann@contoso.com", "ann.private@example.net")
		if _, body, _ := ray.get("/admin/sync"); strings.Contains(body, `id="sync-now"`) {
			t.Error("a reader sees the sync buttons")
		}
		if status, _, _ := ray.post("/admin/sync", nil); status != http.StatusForbidden {
			t.Errorf("reader's sync: %d", status)
		}
		// Nothing is held yet: approving is refused.
		ann.get("/admin/sync")
		if status, _, loc := ann.post("/admin/sync/approve", nil); status != http.StatusSeeOther || loc != "/admin/sync" {
			t.Errorf("approve without a held run: %d %s", status, loc)
		}
		if _, body, _ := ann.get("/admin/sync"); !strings.Contains(body, en.T("console.flash.notHeld")) {
			t.Errorf("approve without a held run:\n%s", body)
		}
		status, _, loc := ann.post("/admin/sync", nil)
		if status != http.StatusSeeOther || loc != "/admin/sync" {
			t.Fatalf("sync: %d %s", status, loc)
		}
		f.srv.Wait()
		_, body, _ := ann.get("/admin/sync")
		if !strings.Contains(body, `id="held"`) || !strings.Contains(body, "12 deletes") {
			t.Fatalf("the held run is not shown:\n%s", body)
		}
		ann.post("/admin/sync/approve", nil)
		f.srv.Wait()
		runs := f.sync.options()
		if len(runs) != 2 || runs[0].AllowDeletes || !runs[1].AllowDeletes || !runs[1].Full {
			t.Errorf("runs %+v", runs)
		}
		if _, body, _ := ann.get("/admin/sync"); strings.Contains(body, `id="held"`) {
			t.Error("still held after the approved run")
		}
		for _, typ := range []string{EventSyncRequested, EventSyncApproved} {
			if ev := f.events(t, typ); len(ev) != 1 || ev[0].Actor != "console:ann@contoso.com" {
				t.Errorf("%s: %+v", typ, ev)
			}
		}
	})
}

// Every action answers 303 to a page that shows its status line once (POST-redirect-GET): a
// reload shows the page without the line and does not do the action again; a flash cookie not
// set by the server shows nothing.
func TestActionsRedirectWithFlash(t *testing.T) {
	backends(t, func(t *testing.T, f *fixture) {
		ann := f.browser(t)
		ann.signIn("ann@contoso.com", "ann.private@example.net")
		for _, tc := range []struct {
			name, path string
			form       url.Values
			event      string // the action's audit event, counted: a reload adds none
			loc, line  string
		}{
			{"fields", "/admin/users/carl@contoso.com/fields", url.Values{"mobilePhone": {"(425) 555-0123"}}, admin.EventUserUpdated,
				"/admin/users/carl@contoso.com", en.T("console.flash.saved", en.T("console.field.mobilePhone"))},
			{"fields unchanged", "/admin/users/carl@contoso.com/fields", url.Values{"mobilePhone": {"(425) 555-0123"}}, admin.EventUserUpdated,
				"/admin/users/carl@contoso.com", en.T("console.flash.unchanged")},
			{"unlock", "/admin/users/carl@contoso.com/unlock", nil, EventUserUnlocked, "/admin/users/carl@contoso.com", en.T("console.flash.unlocked")},
			{"reregister", "/admin/users/ann@contoso.com/reregister", nil, EventReregister, "/admin/users/ann@contoso.com", en.T("console.flash.reregister")},
			{"sync", "/admin/sync", nil, EventSyncRequested, "/admin/sync", en.T("console.flash.syncStarted")},
			{"approve without a held run", "/admin/sync/approve", nil, EventSyncApproved, "/admin/sync", en.T("console.flash.notHeld")},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ann.get(tc.loc) // the page the form is on: its CSRF token
				before := len(f.events(t, tc.event))
				status, _, loc := ann.post(tc.path, tc.form)
				f.srv.Wait()
				if status != http.StatusSeeOther || loc != tc.loc {
					t.Fatalf("POST %s: %d %q, want 303 %q", tc.path, status, loc, tc.loc)
				}
				after := len(f.events(t, tc.event))
				if status, body, _ := ann.get(loc); status != http.StatusOK || !strings.Contains(body, html.EscapeString(tc.line)) {
					t.Fatalf("GET %s: %d, no %q\n%s", loc, status, tc.line, body)
				}
				if _, body, _ := ann.get(loc); strings.Contains(body, html.EscapeString(tc.line)) {
					t.Errorf("the reload shows %q again", tc.line)
				}
				if n := len(f.events(t, tc.event)); n != after || (tc.event != EventSyncApproved && tc.name != "fields unchanged" && after != before+1) {
					t.Errorf("%s events: %d before, %d after the action, %d after the reloads", tc.event, before, after, n)
				}
			})
		}
		// A flash the server did not sign is not shown.
		u, _ := url.Parse(f.http.URL + "/admin")
		forged := base64.RawURLEncoding.EncodeToString([]byte(`{"n":"console.flash.unlocked"}`))
		ann.c.Jar.SetCookies(u, []*http.Cookie{{Name: flashCookie, Value: forged + "." + forged, Path: "/admin"}})
		if _, body, _ := ann.get("/admin/dashboard"); strings.Contains(body, en.T("console.flash.unlocked")) {
			t.Error("a forged flash is shown")
		}
	})
}

// listCounter counts the ListUsers calls of the console.
type listCounter struct {
	store.Store
	mu    sync.Mutex
	calls int
}

func (c *listCounter) ListUsers(ctx context.Context, f store.UserFilter, fn func(store.User) error) error {
	c.mu.Lock()
	c.calls++
	c.mu.Unlock()
	return c.Store.ListUsers(ctx, f, fn)
}

func (c *listCounter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// The users list reads every user (the readiness assessor's shared-number counts) at most once
// per assessorTTL, and again after an action; each page itself is one ListUsers.
func TestUsersListReusesTheAssessor(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := &listCounter{Store: st}
	f := newFixture(t, c)
	ann := f.browser(t)
	ann.signIn("ann@contoso.com", "ann.private@example.net")
	for _, step := range []struct {
		name string
		do   func()
		want int // ListUsers calls of the next page
	}{
		{"first page", func() {}, 2},
		{"again", func() {}, 1},
		{"within the TTL", func() { f.advance(assessorTTL - time.Second) }, 1},
		{"after the TTL", func() { f.advance(2 * time.Second) }, 2},
		{"after an action", func() {
			ann.get("/admin/users/carl@contoso.com")
			ann.post("/admin/users/carl@contoso.com/unlock", nil)
		}, 2},
		{"locked=yes, nobody locked", func() {}, 0},
	} {
		step.do()
		before := c.count()
		query := "readiness=ready"
		if step.want == 0 {
			query = "locked=yes"
		}
		if status, _, _ := ann.get("/admin/users?" + query); status != http.StatusOK {
			t.Fatalf("%s: %d", step.name, status)
		}
		if got := c.count() - before; got != step.want {
			t.Errorf("%s: %d ListUsers, want %d", step.name, got, step.want)
		}
	}
}

// The users list reads in chunks: pages with and without a filter decided in Go list every match
// once, in order, across the chunks' seams and the pages'.
func TestUsersListChunks(t *testing.T) {
	defer func(n int) { usersChunk = n }(usersChunk)
	usersChunk = 7
	backends(t, func(t *testing.T, f *fixture) {
		want := map[string][]string{"": {"ann", "carl", "ned", "ray"}, "registered=yes": {"ann"}}
		if err := f.st.Update(t.Context(), func(tx store.UsersTx) error {
			for i := range 130 {
				u := store.User{UserPrincipalName: fmt.Sprintf("p%03d@contoso.com", i), Source: store.SourceCloud, AccountEnabled: true}
				if i%3 == 0 {
					u.AuthenticationEmail = fmt.Sprintf("p%03d@example.net", i)
					want["registered=yes"] = append(want["registered=yes"], u.UserPrincipalName[:4])
				}
				want[""] = append(want[""], u.UserPrincipalName[:4])
				if err := tx.CreateUser(t.Context(), &u); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		slices.Sort(want[""])
		slices.Sort(want["registered=yes"])
		ann := f.browser(t)
		ann.signIn("ann@contoso.com", "ann.private@example.net")
		for query, names := range want {
			var got []string
			page := "/admin/users?" + query
			for n := 0; page != ""; n++ {
				status, body, _ := ann.get(page)
				if status != http.StatusOK || n > 5 {
					t.Fatalf("%s: %d (page %d)", page, status, n)
				}
				for _, m := range regexp.MustCompile(`href="/admin/users/([^"@]+)@contoso.com"`).FindAllStringSubmatch(body, -1) {
					got = append(got, m[1])
				}
				page = ""
				if m := regexp.MustCompile(`id="next" href="([^"]+)"`).FindStringSubmatch(body); m != nil {
					page = html.UnescapeString(m[1])
				}
			}
			if !slices.Equal(got, names) {
				t.Errorf("%q lists %d users %v, want %d %v", query, len(got), got, len(names), names)
			}
		}
	})
}
