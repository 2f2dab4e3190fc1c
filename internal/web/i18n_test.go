package web

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/i18n"
	"github.com/sspr/sspr/internal/i18n/i18ntest"
	"github.com/sspr/sspr/internal/password"
)

// do sends req with b's cookies and reads the answer.
func (b *browser) do(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	resp.Body.Close()
	return resp, buf.String()
}

func cookieValue(resp *http.Response, name string) (string, bool) {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c.Value, true
		}
	}
	return "", false
}

// The language: ?lang= first (and it sets the cookie), then the cookie, then Accept-Language,
// then the default; Arabic pages are right to left; every page has the switcher.
func TestLanguageChoice(t *testing.T) {
	s := newSite(t, time.Millisecond)
	get := func(b *browser, path, accept string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", b.url+path, nil)
		if accept != "" {
			req.Header.Set("Accept-Language", accept)
		}
		return b.do(req)
	}
	b := s.browser(t)
	for _, step := range []struct {
		name, path, accept string
		lang, dir, text    string
		cookie             string // the cookie the response sets ("" none)
	}{
		{"default", "/reset", "", "en", "ltr", "Reset your password", ""},
		{"accept-language", "/reset", "fr-CA,fr;q=0.9", "fr", "ltr", "Réinitialiser votre mot de passe", ""},
		{"unknown language: default", "/reset", "ja", "en", "ltr", "Reset your password", ""},
		{"the switcher's link sets the cookie", "/unlock?lang=de", "fr", "de", "ltr", "Konto entsperren", "de"},
		{"the cookie beats accept-language", "/reset", "fr", "de", "ltr", "Passwort zurücksetzen", ""},
		{"an unknown ?lang= is ignored", "/reset?lang=xx", "fr", "de", "ltr", "Passwort zurücksetzen", ""},
		{"arabic, right to left", "/reset?lang=ar", "", "ar", "rtl", "إعادة تعيين كلمة المرور", "ar"},
		{"a branded 404 in the chosen language", "/nope", "", "ar", "rtl", "الصفحة غير موجودة", ""},
	} {
		t.Run(step.name, func(t *testing.T) {
			resp, page := get(b, step.path, step.accept)
			if !strings.Contains(page, `<html lang="`+step.lang+`" dir="`+step.dir+`">`) || !strings.Contains(page, step.text) {
				t.Errorf("want %s %s %q:\n%s", step.lang, step.dir, step.text, page)
			}
			got, set := cookieValue(resp, i18n.CookieName)
			if got != step.cookie || set != (step.cookie != "") {
				t.Errorf("cookie %q (set %v), want %q", got, set, step.cookie)
			}
			for _, c := range resp.Cookies() {
				if c.Name == i18n.CookieName && (!c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/") {
					t.Errorf("language cookie flags: %+v", c)
				}
			}
			// The switcher: every language in its own name, the current one not a link.
			for _, l := range []string{"en", "de", "fr", "es", "ar"} {
				if l == step.lang {
					if !strings.Contains(page, `<span aria-current="true" lang="`+l+`">`) {
						t.Errorf("switcher does not mark %s", l)
					}
				} else if !strings.Contains(page, `?lang=`+l+`" lang="`+l+`" hreflang="`+l+`"`) {
					t.Errorf("switcher lacks %s", l)
				}
			}
		})
	}
	// A form posted from an Arabic page answers in Arabic, and its flow is Arabic (the
	// message it sends).
	_, page := get(b, "/reset", "")
	resp, _ := b.post("/reset", url.Values{"csrf": {b.csrf(page)}, "username": {"alice@contoso.com"}}, "")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("start: %d", resp.StatusCode)
	}
	b.post("/reset/send", url.Values{"csrf": {b.csrf(page)}, "option": {"email"}}, "")
	s.sent.mu.Lock()
	last := s.sent.msgs[len(s.sent.msgs)-1]
	s.sent.mu.Unlock()
	if last.Subject != "رمز التحقق الخاص بك من مؤسستك" {
		t.Errorf("code mail not in Arabic: %q", last.Subject)
	}
}

// fakeChange is the change flow as the pages see it: it refuses every change.
type fakeChange struct{}

func (fakeChange) Change(context.Context, string, string, string, flow.Client) error {
	return flow.Errorf(flow.KindSignIn, "change.failed")
}
func (fakeChange) PasswordPolicy() password.Policy { return password.Default() }

// pseudoSite is a site with every portal, in the pseudo-locale only.
func pseudoSite(t *testing.T) *site {
	t.Helper()
	// A zone whose name has no letters ("+03"), so that a time shows no untranslated word.
	texts, err := i18n.New(i18n.Config{PseudoLocale: true, TimeZone: "Etc/GMT-3"})
	if err != nil {
		t.Fatal(err)
	}
	return newRegSiteWith(t, 2, texts, func(c *Config) { c.Change, c.MustChangeAfterReset = fakeChange{}, true })
}

// dataRE is what the pages show as it is: addresses, names, the company, languages' own names.
var dataRE = regexp.MustCompile(`\S*@\S*|https?://\S+|Contoso|Alice Anderson|English|Deutsch|Français|Español`)

// untransformed lists the visible texts of page that do not come from the catalog.
func untransformed(page string) []string { return i18ntest.Untransformed(page, dataRE) }

// Every page and state rendered in the pseudo-locale shows no text that is not from the
// catalog: nothing is hard-coded in the templates or in Go.
func TestPseudoLocaleEveryPage(t *testing.T) {
	s := pseudoSite(t)
	b := s.browser(t)
	seen := map[string]bool{}
	check := func(state string, resp *http.Response, page string) {
		t.Helper()
		seen[state] = true
		if !strings.Contains(page, `<html lang="en-XA"`) {
			t.Errorf("%s: %d, not the pseudo-locale:\n%s", state, resp.StatusCode, page)
			return
		}
		if bad := untransformed(page); len(bad) > 0 {
			t.Errorf("%s: texts not from the catalog: %q", state, bad)
		}
	}
	at := func(state string) func(*http.Response, string) {
		return func(resp *http.Response, page string) { t.Helper(); check(state, resp, page) }
	}
	follow := func(resp *http.Response) (*http.Response, string) {
		t.Helper()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("want a redirect, got %d", resp.StatusCode)
		}
		return b.get(resp.Header.Get("Location"))
	}

	resp, page := b.get("/reset?lang=en-XA")
	check("reset start", resp, page)
	tok := b.csrf(page)
	post := func(path string, form url.Values) (*http.Response, string) {
		form.Set("csrf", tok)
		return b.post(path, form, "")
	}
	at("reset start: no name")(post("/reset", url.Values{"username": {""}}))
	resp, page = follow(first(post("/reset", url.Values{"username": {"alice@contoso.com"}})))
	check("reset methods", resp, page)
	resp, page = follow(first(post("/reset/send", url.Values{"option": {"email"}})))
	check("reset code sent", resp, page)
	at("reset wrong code")(post("/reset/code", url.Values{"option": {"email"}, "code": {"00000000"}}))
	at("reset unknown option")(post("/reset/send", url.Values{"option": {"nope"}}))
	resp, page = follow(first(post("/reset/code", url.Values{"option": {"email"}, "code": {s.sent.lastCode(t)}})))
	check("reset methods, step 2", resp, page)
	resp, page = follow(first(post("/reset/send", url.Values{"option": {"sms"}})))
	check("reset sms code sent", resp, page)
	resp, page = follow(first(post("/reset/code", url.Values{"option": {"sms"}, "code": {s.sent.lastCode(t)}})))
	check("reset new password", resp, page)
	at("reset passwords differ")(post("/reset/complete", url.Values{"password": {"correct horse battery staple"}, "confirm": {"x"}}))
	at("reset weak password")(post("/reset/complete", url.Values{"password": {"password1"}, "confirm": {"password1"}}))
	at("reset too short")(post("/reset/complete", url.Values{"password": {"abc"}, "confirm": {"abc"}}))
	resp, page = follow(first(post("/reset/complete", url.Values{"password": {"correct horse battery staple"}, "confirm": {"correct horse battery staple"}})))
	check("reset done, must change", resp, page)
	at("reset verify without a session")(b.get("/reset/verify"))
	at("reset forged form")(b.post("/reset", url.Values{"username": {"alice@contoso.com"}}, ""))
	unreadable, _ := http.NewRequest(http.MethodPost, b.url+"/reset", strings.NewReader("username=%zz"))
	unreadable.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	at("reset unreadable form")(b.do(unreadable))

	at("unlock start")(b.get("/unlock"))
	resp, page = follow(first(post("/unlock", url.Values{"username": {"alice@contoso.com"}})))
	check("unlock methods", resp, page)
	at("unlock done")(b.get("/unlock/done"))
	at("unlock done, not locked")(b.get("/unlock/done?notice=unlock.notLocked"))

	at("register sign-in")(b.get("/register"))
	at("register sign-in failed")(post("/register", url.Values{"username": {"alice@contoso.com"}, "password": {"wrong"}}))
	resp, page = follow(first(post("/register", url.Values{"username": {"alice@contoso.com"}, "password": {"Alice-Password-1"}})))
	check("register profile", resp, page)
	at("register bad phone")(post("/register/phone", url.Values{"phone": {"12"}}))
	resp, page = follow(first(post("/register/phone", url.Values{"phone": {"+1 425 555 0199"}})))
	check("register phone code sent", resp, page)
	at("register bad email")(post("/register/email", url.Values{"email": {"nope"}}))
	at("register questions")(b.get("/register/questions"))
	at("register questions refused")(post("/register/questions", url.Values{"question": {"firstPet", "firstPet", ""}, "answer": {"pet", "", ""}}))
	at("register incomplete confirm")(post("/register/confirm", url.Values{}))
	resp, page = follow(first(post("/register/questions", url.Values{"question": {"firstPet", "birthCity", "firstCar"},
		"answer": {"Rex", "Lyon", "Renault 4"}})))
	check("register profile, questions saved on a date", resp, page)
	if !strings.Contains(page, `id="questions-status"`) {
		t.Errorf("no questions status:\n%s", page)
	}
	at("register done")(b.get("/register/done"))

	at("change")(b.get("/change"))
	at("change refused")(post("/change", url.Values{"username": {"alice@contoso.com"}, "current": {"x"}, "password": {"correct horse battery staple"}, "confirm": {"correct horse battery staple"}}))
	at("change done")(b.get("/change/done"))

	// Five wrong codes lock the reset until a time, written with its zone.
	follow(first(post("/reset", url.Values{"username": {"alice@contoso.com"}})))
	follow(first(post("/reset/send", url.Values{"option": {"email"}})))
	for i := range 5 {
		resp, page = post("/reset/code", url.Values{"option": {"email"}, "code": {"00000000"}})
		check(fmt.Sprintf("reset wrong code %d", i+2), resp, page)
	}
	if !strings.Contains(html.UnescapeString(page), "+03") {
		t.Errorf("the lock's time has no zone:\n%s", page)
	}
	at("not found")(b.get("/nope"))
	req, _ := http.NewRequest(http.MethodPut, b.url+"/reset", nil)
	at("method not allowed")(b.do(req))
	if len(seen) < 30 {
		t.Errorf("only %d states rendered", len(seen))
	}

	// The checker itself finds a hard-coded text.
	if bad := untransformed(`<p>[Ñéẋţ]</p><button aria-label="Close">x</button><p>Step 2</p>`); len(bad) != 2 {
		t.Errorf("checker: %q", bad)
	}
}

func first(resp *http.Response, _ string) *http.Response { return resp }
