package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/sspr/sspr/internal/i18n"
	"github.com/sspr/sspr/internal/testenv"
)

// brandingConfig writes a logo and a favicon into dir and returns a branding block that
// sets every key: the pages under test look like a customer's.
func brandingConfig(t *testing.T, dir string) string {
	t.Helper()
	logo := filepath.Join(dir, "logo.svg")
	// A white word mark for the accent header band.
	svg := `<svg xmlns="http://www.w3.org/2000/svg" width="160" height="32" viewBox="0 0 160 32">` +
		`<rect x="0" y="4" width="24" height="24" rx="4" fill="#ffffff"/><rect x="6" y="10" width="12" height="12" rx="2" fill="#5a2d82"/>` +
		`<text x="32" y="23" font-family="sans-serif" font-size="18" font-weight="bold" fill="#ffffff">Fabrikam</text></svg>`
	if err := os.WriteFile(logo, []byte(svg), 0o644); err != nil {
		t.Fatal(err)
	}
	fav := filepath.Join(dir, "favicon.svg")
	if err := os.WriteFile(fav, []byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#5a2d82"/></svg>`), 0o644); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf(`branding:
  companyName: Fabrikam
  logo: %s
  favicon: %s
  primaryColor: "#5a2d82"
  accentColor: "#2b1a40"
  helpdesk:
    url: https://help.fabrikam.example
    email: helpdesk@fabrikam.example
    phone: +1 425 555 0199
    text: Open 8:00-18:00, Monday to Friday
  footerLinks:
    privacy: https://fabrikam.example/privacy
    terms: https://fabrikam.example/terms
  userNameHint: alice
`, logo, fav)
}

// generousThrottles lets one test run many flows for the same users.
const generousThrottles = `  throttle:
    phone: {max: 50, window: 1h}
    email: {max: 50, window: 10m}
    failedProofs: {max: 50, window: 24h, lock: 24h}
`

// brandedServer starts sspr serve on the sample OpenLDAP directory with every branding key
// set; it returns the base URL and the outbox file.
func brandedServer(t *testing.T, extra string) (base, outbox string) {
	t.Helper()
	d := newDirectory(t, nil, "")
	text, addr, outbox := serveConfig(t, d.dir)
	text = regexp.MustCompile(`(?m)^branding:\n(  .*\n)*`).ReplaceAllString(text, "") // the demo's; ours instead
	d.writeConfig(t, mustRead(t, d.cfg)+text+generousThrottles+extra+brandingConfig(t, d.dir))
	if r := run(t, d.cfg, "sync", "-q"); r.code != 0 {
		t.Fatal(r)
	}
	startServe(t, d.cfg)
	return "http://" + addr, outbox
}

// axe runs axe-core on the page shown and fails listing the WCAG 2.1 AA violations.
func (p *page) axe(what string) {
	p.t.Helper()
	testenv.Axe(p.t, p.ctx, what)
}

// focused is the id of the element that has the focus.
func (p *page) focused() string {
	p.t.Helper()
	id, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.activeElement ? document.activeElement.id : ""`))
	if err != nil {
		p.t.Fatal(err)
	}
	return id
}

// failed checks a page after a failed submit: the error summary says want and has the focus,
// and axe finds nothing.
func (p *page) failed(what, want string) {
	p.t.Helper()
	p.failedOneOf(what, []string{want})
}

// failedOneOf is failed where the error summary may say any of wants.
func (p *page) failedOneOf(what string, wants []string) {
	p.t.Helper()
	msg := p.text("error")
	if !slices.ContainsFunc(wants, func(w string) bool { return strings.Contains(msg, w) }) {
		p.t.Errorf("%s: the error says %q, want %q", what, msg, wants)
	}
	// Autofocus (and the script, for browsers without it) acts once the page has rendered:
	// wait for it as long as the step's bound allows, not for a fixed time.
	step, cancel := context.WithTimeout(p.ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(step, chromedp.Poll[chromedp.Void](`document.activeElement !== null && document.activeElement.id === "error"`,
		chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(0))); err != nil {
		p.t.Errorf("%s: the focus is on %q, not on the error summary (%v)", what, p.focused(), err)
	}
	p.axe(what)
}

// a11yLanguages are the languages TestBrowserAccessibility walks every page in (Arabic right
// to left).
var a11yLanguages = []string{"en", "de", "fr", "es", "ar"}

// a11yAccount is a user of the sample directory and its password.
type a11yAccount struct{ name, password string }

// The change and the registration's sign-in each fail one bind on purpose, and the sample
// directory's policy locks an account at its fifth failure: each language's walk uses its
// own account for them.
var (
	a11yChangers = []a11yAccount{{"bob", "Demo-Passw0rd-02"}, {"erin", "Demo-Passw0rd-05"}, {"frank", "Demo-Passw0rd-06"},
		{"grace", "Demo-Passw0rd-07"}, {"niaj", "Demo-Passw0rd-12"}}
	a11yRegistrants = []a11yAccount{{"carol", "Demo-Passw0rd-03"}, {"peggy", "Demo-Passw0rd-14"}, {"rupert", "Demo-Passw0rd-15"},
		{"victor", "Demo-Passw0rd-18"}, {"zoe", "Demo-Passw0rd-19"}}
)

// a11yPage is a page walked in one language: every page it checks must be in that language
// (lang, dir) before axe runs on it.
type a11yPage struct {
	*page
	tr *i18n.Translator
	i  int // the language's index in a11yLanguages: which accounts to use
}

// run does one step, bounded by a minute (a loaded machine; testenv.Browser bounds the whole
// browser).
func (p *a11yPage) run(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	step, cancel := context.WithTimeout(p.ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(step, actions...); err != nil {
		html, _ := chromedp.Run(p.ctx, chromedp.OuterHTML(chromedp.CSS("html")))
		p.t.Fatalf("%s: %v\npage:\n%s", what, err, html)
	}
}

// loaded waits for the page a step leads to: sel (CSS) visible in a <main> not marked stale,
// then the document complete, then sel again. Chromium re-sends the document at
// DOMContentLoaded (after the deferred sspr.js) and drops the node ids found before it: a node
// touched in between is "Could not find node with given id".
func loaded(sel string) []chromedp.Action[chromedp.Void] {
	sel = "main:not([data-stale]) " + sel
	return []chromedp.Action[chromedp.Void]{chromedp.WaitVisible(chromedp.CSS(sel)),
		chromedp.Poll[chromedp.Void](`document.readyState === "complete"`, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(0)),
		chromedp.WaitVisible(chromedp.CSS(sel))}
}

// open loads path and waits for sel on it; first names the language with ?lang= (a flow's
// first page), later pages are in it by the cookie that set.
func (p *a11yPage) open(what, path, sel string, first bool) {
	p.t.Helper()
	if first {
		path += "?lang=" + p.tr.Lang()
	}
	p.run(what, append([]chromedp.Action[chromedp.Void]{chromedp.Navigate(p.base + path)}, loaded(sel)...)...)
}

// next does before, clicks the button and waits for sel on the page it leads to: the old
// page's <main> is marked stale first, so that a selector both pages have cannot match before
// the new one has loaded.
func (p *a11yPage) next(what, buttonID, sel string, before ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	actions := append(before, chromedp.SetAttributeValue(chromedp.ID("main"), "data-stale", "1"), chromedp.Click(chromedp.ID(buttonID)))
	p.run(what, append(actions, loaded(sel)...)...)
}

// inLanguage fails unless the page shown is in the walk's language: <html lang dir>.
func (p *a11yPage) inLanguage(what string) {
	p.t.Helper()
	attrs, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]string](`[document.documentElement.lang, document.documentElement.dir]`))
	if err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
	if want := []string{p.tr.Lang(), p.tr.Dir()}; !slices.Equal(attrs, want) {
		p.t.Errorf("%s: the page has lang %q dir %q, want %q", what, attrs[0], attrs[1], want)
	}
}

// check: the page is in the language and axe finds nothing on it.
func (p *a11yPage) check(what string) {
	p.t.Helper()
	p.inLanguage(what)
	p.axe(what)
}

// failed: the page is in the language, its error summary says one of wants and has the focus,
// and axe finds nothing.
func (p *a11yPage) failed(what string, wants ...string) {
	p.t.Helper()
	p.inLanguage(what)
	p.failedOneOf(what, wants)
}

// wrongCode are the texts a wrong code may get: "not right", with any count of tries left.
func (p *a11yPage) wrongCode() []string {
	var out []string
	for left := range 60 {
		out = append(out, p.tr.T("verify.wrong", left))
	}
	return out
}

// code waits for the message of channel to `to` after the first `seen` ones, as long as a
// minute (a loaded machine), and returns its code.
func (p *a11yPage) code(channel, to string, seen int) string {
	p.t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(25 * time.Millisecond) {
		if ms := outboxMessages(p.outbox, channel, to); len(ms) > seen {
			return codeRE.FindString(ms[seen].Body)
		}
	}
	p.t.Fatalf("no new %s message to %s in %s", channel, to, p.outbox)
	return ""
}

// TestBrowserAccessibility runs axe-core (WCAG 2.0/2.1 A and AA) on every page and state of
// the reset, unlock, change and registration flows with every branding key set, in each
// offered language (Arabic right to left): each step, each error (where the focus must be on
// the error summary), the show-password toggle, the branded 404 and the expired-session page.
// Every page checked must be in the walk's language. One server for all; each flow of each
// language in its own browser (each has testenv.Browser's time bound, and a browser shared
// across flows proved flaky).
func TestBrowserAccessibility(t *testing.T) {
	base, outbox := brandedServer(t, questionsPolicyOne)
	texts := i18n.Default()
	for i, lang := range a11yLanguages {
		t.Run(lang, func(t *testing.T) {
			walk := func(t *testing.T) *a11yPage {
				return &a11yPage{page: newPage(t, base, outbox), tr: texts.For(lang), i: i}
			}
			t.Run("reset", func(t *testing.T) { a11yReset(walk(t)) })
			t.Run("unlock", func(t *testing.T) { a11yUnlock(walk(t)) })
			t.Run("change", func(t *testing.T) { a11yChange(walk(t)) })
			t.Run("register", func(t *testing.T) { a11yRegister(walk(t)) })
			t.Run("errors", func(t *testing.T) {
				p := walk(t)
				p.open("404", "/nowhere", "h1", true)
				p.check("404")
				p.open("no session", "/reset/verify", "#again", false)
				p.check("reset: no session")
			})
		})
	}
}

// a11yReset: every step and every error of a reset, the show-password toggle.
func a11yReset(p *a11yPage) {
	t, outbox, tr := p.t, p.outbox, p.tr
	p.open("reset start", "/reset", "#username", true)
	p.check("reset: user name")
	p.next("reset: no name", "next", "#error")
	p.failed("reset: no name", tr.T("start.nameRequired"))
	p.next("reset: name", "next", "#send", chromedp.SendKeys(chromedp.ID("username"), "alice"))
	p.check("reset: methods")
	seen := len(outboxMessages(outbox, "sms", "+14255550100")) // earlier languages' codes
	p.next("reset: send", "send", "#code", chromedp.Click(chromedp.ID("option-sms")))
	p.check("reset: code")
	p.next("reset: wrong code", "verify", "#error", chromedp.SendKeys(chromedp.ID("code"), "00000000"))
	p.failed("reset: wrong code", p.wrongCode()...)
	code := p.code("sms", "+14255550100", seen)
	p.next("reset: code", "verify", "#password", chromedp.SendKeys(chromedp.ID("code"), code))
	p.check("reset: new password")
	if v := p.value("account"); v != "alice" {
		t.Errorf("the new-password page names the account %q, want alice (autocomplete=username)", v)
	}
	// The show-password toggle shows and hides the password, and sends it hidden.
	p.run("toggle", chromedp.SendKeys(chromedp.ID("password"), "Secret-Words-Here-1"), chromedp.Click(chromedp.ID("password-toggle")),
		chromedp.Poll[chromedp.Void](`document.getElementById("password").type === "text"`, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(0)))
	if label, want := p.text("password-toggle"), tr.T("app.hidePassword"); label != want {
		t.Errorf("toggle says %q, want %q", label, want)
	}
	p.check("reset: new password shown")
	p.next("reset: mismatch", "submit", "#error", chromedp.SendKeys(chromedp.ID("confirm"), "something else"))
	p.failed("reset: mismatch", tr.T("password.mismatch"))
	p.next("reset: weak", "submit", "#error", chromedp.SendKeys(chromedp.ID("password"), "password1"), chromedp.SendKeys(chromedp.ID("confirm"), "password1"))
	p.failed("reset: weak password", tr.T("password.weak"))
	pw := "Velvet-Harbor-Compass-31-" + tr.Lang() // a new one each language: the directory keeps a history
	p.next("reset: done", "submit", "#done", chromedp.SendKeys(chromedp.ID("password"), pw), chromedp.SendKeys(chromedp.ID("confirm"), pw))
	p.check("reset: done")
}

// a11yUnlock: the unlock flow (alice is not locked: the notice after the proof).
func a11yUnlock(p *a11yPage) {
	p.open("unlock start", "/unlock", "#username", true)
	p.check("unlock: user name")
	p.next("unlock: name", "next", "#send", chromedp.SendKeys(chromedp.ID("username"), "alice"))
	p.check("unlock: methods")
	seen := len(outboxMessages(p.outbox, "email", "alice.anderson@example.net"))
	p.next("unlock: send", "send", "#code", chromedp.Click(chromedp.ID("option-email")))
	p.check("unlock: code")
	p.next("unlock: wrong code", "verify", "#error", chromedp.SendKeys(chromedp.ID("code"), "00000000"))
	p.failed("unlock: wrong code", p.wrongCode()...)
	code := p.code("email", "alice.anderson@example.net", seen)
	p.next("unlock: code", "verify", "#unlock", chromedp.SendKeys(chromedp.ID("code"), code))
	p.check("unlock: confirm")
	p.next("unlock: done", "unlock", "#done")
	p.check("unlock: done (not locked)")
}

// a11yChange: the change form, its errors, its done page.
func a11yChange(p *a11yPage) {
	u := a11yChangers[p.i]
	const pw = "Maple-Signal-Ferry-82"
	form := func(current, confirm string) []chromedp.Action[chromedp.Void] {
		return []chromedp.Action[chromedp.Void]{chromedp.SetValue(chromedp.ID("username"), u.name), chromedp.SetValue(chromedp.ID("current"), current),
			chromedp.SetValue(chromedp.ID("password"), pw), chromedp.SetValue(chromedp.ID("confirm"), confirm)}
	}
	p.open("change", "/change", "#current", true)
	p.check("change: form")
	p.next("change: wrong current", "submit", "#error", form("not-it", pw)...)
	p.failed("change: wrong current password", p.tr.T("change.failed"))
	p.next("change: mismatch", "submit", "#error", form(u.password, pw+"3")...)
	p.failed("change: passwords differ", p.tr.T("password.mismatch"))
	p.next("change: done", "submit", "#done", form(u.password, pw)...)
	p.check("change: done")
}

// a11yRegister: the portal's sign-in, its error, the profile, a code sent, a wrong code, the
// questions and their errors, sign-out.
func a11yRegister(p *a11yPage) {
	u := a11yRegistrants[p.i]
	p.open("register", "/register", "#password", true)
	p.check("register: sign-in")
	p.next("register: wrong password", "signin", "#error", chromedp.SendKeys(chromedp.ID("username"), u.name),
		chromedp.SendKeys(chromedp.ID("password"), "not-the-password"))
	p.failed("register: wrong password", p.tr.T("signin.failed"))
	p.next("register: sign in", "signin", "#phone", chromedp.SendKeys(chromedp.ID("password"), u.password))
	p.check("register: profile")
	p.next("register: phone", "phone-send", "#phone-code")
	p.check("register: phone code sent")
	p.next("register: wrong phone code", "phone-verify", "#error", chromedp.SendKeys(chromedp.ID("phone-code"), "00000000"))
	p.failed("register: wrong phone code", p.wrongCode()...)
	p.open("register: questions", "/register/questions", "#save", false)
	p.check("register: questions")
	p.next("register: questions empty", "save", `[aria-invalid="true"]`)
	p.check("register: questions with errors")
	p.open("register: back", "/register/profile", "#signout", false)
	p.next("register: sign out", "signout", "#signin")
	p.check("register: signed out")
}

// questionsPolicyOne offers security questions among one required method, so that the
// registration pages show them.
const questionsPolicyOne = `  methods: [email, sms, voice, questions]
  questions:
    register: 4
    atReset: 3
`

// TestBrowserKeyboardReset completes a reset with the keyboard only: Tab, Enter and Space
// (and typing), never a click; the show-password toggle is reached with Tab and pressed with
// Space.
func TestBrowserKeyboardReset(t *testing.T) {
	base, outbox := brandedServer(t, "")
	p := newPage(t, base, outbox)
	// keys types into whatever has the focus, then waits for sel on the page it leads to.
	keys := func(what, sel string, ks ...string) {
		t.Helper()
		actions := []chromedp.Action[chromedp.Void]{chromedp.SetAttributeValue(chromedp.ID("main"), "data-stale", "1")}
		for _, k := range ks {
			actions = append(actions, chromedp.KeyEvent(k))
		}
		p.do(what, append(actions, chromedp.WaitVisible(chromedp.CSS("main:not([data-stale]) "+sel)))...)
	}
	type_ := func(what string, ks ...string) {
		t.Helper()
		for _, k := range ks {
			p.do(what, chromedp.KeyEvent(k))
		}
	}
	p.do("start", chromedp.Navigate(base+"/reset"), chromedp.WaitVisible(chromedp.ID("username")))
	if id := p.focused(); id != "username" {
		t.Fatalf("the first page's focus is on %q, want the user name", id)
	}
	keys("name", "#send", "alice", kb.Enter)
	// The first method is chosen: Tab past the links and the options to the button, Space to
	// press it.
	for range 20 {
		if p.focused() == "send" {
			break
		}
		type_("to the button", kb.Tab)
	}
	if id := p.focused(); id != "send" {
		t.Fatalf("Tab never reached the send button (at %q)", id)
	}
	keys("send", "#code", " ")
	if id := p.focused(); id != "code" {
		t.Fatalf("the code page's focus is on %q", id)
	}
	// The first option (checked) is the email address.
	if sent := p.text("sent"); !strings.Contains(sent, "a•••@example.net") {
		t.Fatalf("the code went to %q, want the first option, the email address", sent)
	}
	code := codeFor(t, outbox, "email", "alice.anderson@example.net")
	keys("code", "#password", code, kb.Enter)
	const pw = "Copper-Lantern-Willow-64"
	type_("password", pw, kb.Tab)
	if id := p.focused(); id != "password-toggle" {
		t.Fatalf("Tab after the password reached %q, want the show-password toggle", id)
	}
	type_("show", " ")
	if typ, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.getElementById("password").type`)); typ != "text" {
		t.Errorf("Space on the toggle left the password field %q", typ)
	}
	type_("confirm", kb.Tab)
	if id := p.focused(); id != "confirm" {
		t.Fatalf("Tab after the toggle reached %q", id)
	}
	keys("submit", "#done", pw, kb.Enter)
	if done := p.text("done"); !strings.Contains(done, "new password") {
		t.Fatalf("done page says %q", done)
	}
}
