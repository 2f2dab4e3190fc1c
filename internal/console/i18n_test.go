package console

import (
	"html"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/i18n"
	"github.com/sspr/sspr/internal/i18n/i18ntest"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/sqlite"
)

// sqliteFixture is a console over a fresh SQLite store.
func sqliteFixture(t *testing.T, opts ...func(*Config)) *fixture {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return newFixture(t, st, opts...)
}

// send makes a request with b's cookies.
func (b *browser) send(method, path string, header http.Header) (int, string) {
	b.t.Helper()
	req, _ := http.NewRequest(method, b.f.http.URL+path, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// dataRE is what the console shows as it is: user names and addresses, the company, languages'
// own names, the export formats' names, the actor prefix of the audit filter's help.
var dataRE = regexp.MustCompile(`\S*@\S*|Contoso|English|Deutsch|Français|Español|\bCSV\b|\bJSON\b|console:`)

// untransformed lists the visible texts of page that do not come from the catalog (data and
// the elements marked translate="no" aside).
func untransformed(page string) []string { return i18ntest.Untransformed(page, dataRE) }

// pageCase is a page of the pseudo-locale test: its state's name, its path, its status.
type pageCase struct {
	state, path string
	status      int
}

// Every console page and state rendered in the pseudo-locale shows no text that is not from
// the catalog: nothing is hard-coded in the templates or in Go.
func TestConsolePseudoLocaleEveryPage(t *testing.T) {
	// A zone whose name has no letters ("+03"), so that a time shows no untranslated word.
	texts, err := i18n.New(i18n.Config{PseudoLocale: true, TimeZone: "Etc/GMT-3"})
	if err != nil {
		t.Fatal(err)
	}
	f := sqliteFixture(t, func(c *Config) { c.Texts, c.CompanyName = texts, "Contoso" })
	// Figures for every chart: events of reset flows, a user not ready, sync runs.
	now := f.clock()
	for _, e := range []store.AuditEvent{
		{Type: "reset.started", Time: now.Add(-48 * time.Hour), UserPrincipalName: "ann@contoso.com", Details: map[string]string{"outcome": "ok"}},
		{Type: "reset.code.verified", Time: now.Add(-48 * time.Hour), UserPrincipalName: "ann@contoso.com", Details: map[string]string{"option": "email"}},
		{Type: "reset.done", Time: now.Add(-48 * time.Hour), UserPrincipalName: "ann@contoso.com"},
	} {
		e.Actor = "user"
		if err := f.st.AppendAudit(t.Context(), &e); err != nil {
			t.Fatal(err)
		}
	}
	b := f.browser(t)
	seen := map[string]bool{}
	check := func(state string, want int, status int, page string) {
		t.Helper()
		seen[state] = true
		if status != want {
			t.Errorf("%s: status %d, want %d", state, status, want)
		}
		if !strings.Contains(page, `<html lang="en-XA" dir="ltr">`) {
			t.Errorf("%s: %d, not the pseudo-locale:\n%s", state, status, page)
			return
		}
		if bad := untransformed(page); len(bad) > 0 {
			t.Errorf("%s: texts not from the catalog: %q", state, bad)
		}
	}
	get := func(state, path string, want int) string {
		t.Helper()
		status, page, _ := b.get(path)
		check(state, want, status, page)
		return page
	}
	post := func(state, path string, form url.Values, want int) string {
		t.Helper()
		status, page, _ := b.post(path, form)
		check(state, want, status, page)
		return page
	}
	// follow posts an action and shows the page its 303 leads to (the flash).
	follow := func(state, path string, form url.Values) string {
		t.Helper()
		status, page, loc := b.post(path, form)
		if status != http.StatusSeeOther {
			t.Fatalf("%s: %d, want a redirect\n%s", state, status, page)
		}
		return get(state, loc, http.StatusOK)
	}

	get("signed out", "/admin/signin?lang=en-XA", http.StatusOK)
	post("wrong password", "/admin/signin", url.Values{"username": {"ann@contoso.com"}, "password": {"nope"}}, http.StatusOK)
	post("forged form", "/admin/signin", url.Values{"csrf": {"forged"}, "username": {"ann@contoso.com"}}, http.StatusForbidden)
	get("signed out, not found", "/admin/nope", http.StatusNotFound)
	get("signed out, code step without a sign-in", "/admin/signin", http.StatusOK)
	if status, _, loc := b.post("/admin/signin", url.Values{"username": {"ann@contoso.com"}, "password": {password}}); status != http.StatusSeeOther {
		t.Fatalf("sign-in: %d %s", status, loc)
	}
	get("code step", "/admin/signin/code", http.StatusOK)
	post("wrong code", "/admin/signin/code", url.Values{"code": {"00000000"}}, http.StatusOK)
	if status, _, loc := b.post("/admin/signin/code", url.Values{"code": {codeTo(t, f.out, "ann.private@example.net")}}); status != http.StatusSeeOther {
		t.Fatalf("code: %d %s", status, loc)
	}

	// Two sync runs, the last held by the delete guard.
	follow("sync started", "/admin/sync", nil)
	f.srv.Wait()
	f.sync.guard = true
	follow("sync started, full", "/admin/sync", url.Values{"full": {"1"}})
	f.srv.Wait()
	get("sync, held", "/admin/sync", http.StatusOK)
	follow("sync approved", "/admin/sync/approve", nil)
	f.srv.Wait()
	follow("sync not held", "/admin/sync/approve", nil)

	page := get("dashboard", "/admin/dashboard", http.StatusOK)
	if n := strings.Count(page, "<svg"); n != 6 {
		t.Errorf("dashboard: %d charts", n)
	}
	if !strings.Contains(html.UnescapeString(page), "+03") {
		t.Errorf("the dashboard's time has no zone:\n%s", page)
	}
	carl := "/admin/users/carl@contoso.com"
	follow("fields unchanged", carl+"/fields", url.Values{})
	post("field refused", carl+"/fields", url.Values{"mobilePhone": {"12"}}, http.StatusUnprocessableEntity)
	follow("fields saved", carl+"/fields", url.Values{"mobilePhone": {"+1 425 555 0123"}, "alternateEmails": {"carl@example.net"}})
	follow("unlocked", carl+"/unlock", nil)
	f.dir.mu.Lock()
	f.dir.refuse = true
	f.dir.mu.Unlock()
	follow("unlocked in sspr, not in the directory", carl+"/unlock", nil)
	follow("re-registration required", carl+"/reregister", nil)

	for _, p := range []pageCase{
		{"users", "/admin/users", http.StatusOK},
		{"users, not ready, no contact", "/admin/users?readiness=notReady&reason=noContact&source=cloud", http.StatusOK},
		{"users, registered, locked", "/admin/users?registered=yes&locked=no&q=ann", http.StatusOK},
		{"users, none", "/admin/users?locked=yes", http.StatusOK},
		{"user ready", "/admin/users/ann@contoso.com", http.StatusOK},
		{"user not ready", "/admin/users/carl@contoso.com", http.StatusOK},
		{"user not found", "/admin/users/nobody@contoso.com", http.StatusNotFound},
		{"audit", "/admin/audit", http.StatusOK},
		{"audit, filtered", "/admin/audit?since=7d&type=console.&actor=console:&user=carl@contoso.com", http.StatusOK},
		{"audit, bad filters", "/admin/audit?since=nope&until=never", http.StatusBadRequest},
		{"audit export, bad filters", "/admin/audit.csv?since=nope", http.StatusBadRequest},
		{"audit, nothing", "/admin/audit?type=nothing.", http.StatusOK},
		{"not found", "/admin/nope", http.StatusNotFound},
	} {
		get(p.state, p.path, p.status)
	}
	status, page := b.send(http.MethodPut, "/admin/dashboard", nil)
	check("method not allowed", http.StatusMethodNotAllowed, status, page)
	// A reader is refused the actions.
	ray := f.browser(t)
	ray.get("/admin/signin?lang=en-XA")
	ray.signIn("ray@contoso.com", "+14255550101")
	status, page, _ = ray.post(carl+"/unlock", nil)
	check("forbidden", http.StatusForbidden, status, page)

	// Wrong passwords lock the sign-in until a time, written with its zone.
	ned := f.browser(t)
	ned.get("/admin/signin?lang=en-XA")
	for i := range 5 {
		status, page, _ := ned.post("/admin/signin", url.Values{"username": {"ned@contoso.com"}, "password": {"wrong"}})
		if i < 4 {
			continue
		}
		check("sign-in locked", http.StatusTooManyRequests, status, page)
		if !strings.Contains(html.UnescapeString(page), "+03") {
			t.Errorf("the lock's time has no zone:\n%s", page)
		}
	}

	if len(seen) < 30 {
		t.Errorf("only %d states rendered", len(seen))
	}
	// The checker itself finds a hard-coded text, and passes data marked as such.
	if bad := untransformed(`<p>[Ñéẋţ]</p><button aria-label="Close">x</button><p>Step 2</p><td translate="no">reset.done</td>`); len(bad) != 2 {
		t.Errorf("checker: %q", bad)
	}
}

// Each language renders the dashboard and a user page in itself, with lang and dir; the
// choice is ?lang= (which sets the cookie), then the cookie, then Accept-Language.
func TestConsoleLanguages(t *testing.T) {
	f := sqliteFixture(t)
	b := f.browser(t)
	b.signIn("ann@contoso.com", "ann.private@example.net")
	texts := i18n.Default()
	for _, tc := range []struct{ lang, dir string }{{"en", "ltr"}, {"de", "ltr"}, {"fr", "ltr"}, {"es", "ltr"}, {"ar", "rtl"}} {
		t.Run(tc.lang, func(t *testing.T) {
			tr := texts.For(tc.lang)
			for _, p := range []struct{ path, text string }{
				{"/admin/dashboard?lang=" + tc.lang, tr.T("console.dashboard.title")},
				{"/admin/users/ray@contoso.com?lang=" + tc.lang, tr.T("console.user.registration")},
			} {
				status, page, _ := b.get(p.path)
				if status != http.StatusOK || !strings.Contains(page, `<html lang="`+tc.lang+`" dir="`+tc.dir+`">`) ||
					!strings.Contains(page, html.EscapeString(p.text)) || !strings.Contains(page, `<span aria-current="true" lang="`+tc.lang+`">`) {
					t.Errorf("%s: %d, want %s %s %q:\n%s", p.path, status, tc.lang, tc.dir, p.text, page)
				}
			}
		})
	}
	// The cookie the last ?lang= set (ar) beats Accept-Language; without it, Accept-Language.
	if _, page := b.send(http.MethodGet, "/admin/dashboard", http.Header{"Accept-Language": {"fr"}}); !strings.Contains(page, `<html lang="ar" dir="rtl">`) {
		t.Errorf("the cookie does not decide:\n%s", page)
	}
	// The sign-in code's mail is in the language of the sign-in page.
	de := f.browser(t)
	de.get("/admin/signin?lang=de")
	if status, _, _ := de.post("/admin/signin", url.Values{"username": {"ann@contoso.com"}, "password": {password}}); status != http.StatusSeeOther {
		t.Fatalf("sign-in in German: %d", status)
	}
	if m, _ := f.out.Last("ann.private@example.net"); m.Subject != texts.For("de").T("console.mail.code.subject") || m.Language != "de" ||
		!strings.HasPrefix(m.Body, before(texts.For("de").T("console.mail.code.body", "\x00", "\x00"))) {
		t.Errorf("code mail not in German: %+v", m)
	}
	// A ?lang= on a page that redirects (home, a signed-out page) sticks.
	out := f.browser(t)
	out.get("/admin/dashboard?lang=fr")
	if _, page, _ := out.get("/admin/signin"); !strings.Contains(page, `<html lang="fr" dir="ltr">`) {
		t.Errorf("?lang= lost across the redirect:\n%s", page)
	}
	other := f.browser(t)
	if _, page := other.send(http.MethodGet, "/admin/signin", http.Header{"Accept-Language": {"es-MX,es;q=0.9"}}); !strings.Contains(page, `<html lang="es" dir="ltr">`) ||
		!strings.Contains(page, texts.For("es").T("console.signin.title")) {
		t.Errorf("Accept-Language does not decide:\n%s", page)
	}
}
