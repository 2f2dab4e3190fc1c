package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

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
	if msg := p.text("error"); !strings.Contains(msg, want) {
		p.t.Errorf("%s: the error says %q, want %q", what, msg, want)
	}
	// Autofocus (and the script, for browsers without it) acts once the page has rendered.
	id := p.focused()
	for i := 0; i < 40 && id != "error"; i++ {
		time.Sleep(50 * time.Millisecond)
		id = p.focused()
	}
	if id != "error" {
		p.t.Errorf("%s: the focus is on %q, not on the error summary", what, id)
	}
	p.axe(what)
}

// TestBrowserAccessibility runs axe-core (WCAG 2.0/2.1 A and AA) on every page and state of
// the reset, unlock, change and registration flows with every branding key set: each step,
// each error (where the focus must be on the error summary), the show-password toggle, the
// branded 404 and the expired-session page.
func TestBrowserAccessibility(t *testing.T) {
	base, outbox := brandedServer(t, questionsPolicyOne)
	// Each flow in its own browser: each has testenv.Browser's time bound.
	t.Run("reset", func(t *testing.T) { a11yReset(newPage(t, base, outbox)) })
	t.Run("unlock", func(t *testing.T) { a11yUnlock(newPage(t, base, outbox)) })
	t.Run("change", func(t *testing.T) { a11yChange(newPage(t, base, outbox)) })
	t.Run("register", func(t *testing.T) { a11yRegister(newPage(t, base, outbox)) })
	t.Run("errors", func(t *testing.T) {
		p := newPage(t, base, outbox)
		p.do("404", chromedp.Navigate(base+"/nowhere"), chromedp.WaitVisible(chromedp.CSS("h1")))
		p.axe("404")
		p.do("no session", chromedp.Navigate(base+"/reset/verify"), chromedp.WaitVisible(chromedp.ID("again")))
		p.axe("reset: no session")
	})
}

// a11yReset: every step and every error of a reset, the show-password toggle.
func a11yReset(p *page) {
	t, base, outbox := p.t, p.base, p.outbox
	p.do("reset start", chromedp.Navigate(base+"/reset"), chromedp.WaitVisible(chromedp.ID("username")))
	p.axe("reset: user name")
	p.submit("reset: no name", "next", "#error")
	p.failed("reset: no name", "Enter your user name")
	p.submit("reset: name", "next", "#send", chromedp.SendKeys(chromedp.ID("username"), "alice"))
	p.axe("reset: methods")
	p.submit("reset: send", "send", "#code", chromedp.Click(chromedp.ID("option-sms")))
	p.axe("reset: code")
	p.submit("reset: wrong code", "verify", "#error", chromedp.SendKeys(chromedp.ID("code"), "00000000"))
	p.failed("reset: wrong code", "not right")
	code := codeFor(t, outbox, "sms", "+14255550100")
	p.submit("reset: code", "verify", "#password", chromedp.SendKeys(chromedp.ID("code"), code))
	p.axe("reset: new password")
	if v := p.value("account"); v != "alice" {
		t.Errorf("the new-password page names the account %q, want alice (autocomplete=username)", v)
	}
	// The show-password toggle shows and hides the password, and sends it hidden.
	p.do("toggle", chromedp.SendKeys(chromedp.ID("password"), "Secret-Words-Here-1"), chromedp.Click(chromedp.ID("password-toggle")))
	if typ, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.getElementById("password").type`)); typ != "text" {
		t.Errorf("after the toggle the password field is %q, want text", typ)
	}
	if label := p.text("password-toggle"); label != "Hide password" {
		t.Errorf("toggle says %q", label)
	}
	p.axe("reset: new password shown")
	p.submit("reset: mismatch", "submit", "#error", chromedp.SendKeys(chromedp.ID("confirm"), "something else"))
	p.failed("reset: mismatch", "not the same")
	p.submit("reset: weak", "submit", "#error", chromedp.SendKeys(chromedp.ID("password"), "password1"), chromedp.SendKeys(chromedp.ID("confirm"), "password1"))
	p.failed("reset: weak password", "too easy to guess")
	const pw = "Velvet-Harbor-Compass-31"
	p.submit("reset: done", "submit", "#done", chromedp.SendKeys(chromedp.ID("password"), pw), chromedp.SendKeys(chromedp.ID("confirm"), pw))
	p.axe("reset: done")
}

// a11yUnlock: the unlock flow (alice is not locked: the notice after the proof).
func a11yUnlock(p *page) {
	base, outbox := p.base, p.outbox
	p.do("unlock start", chromedp.Navigate(base+"/unlock"), chromedp.WaitVisible(chromedp.ID("username")))
	p.axe("unlock: user name")
	p.submit("unlock: name", "next", "#send", chromedp.SendKeys(chromedp.ID("username"), "alice"))
	p.axe("unlock: methods")
	p.submit("unlock: send", "send", "#code", chromedp.Click(chromedp.ID("option-email")))
	p.axe("unlock: code")
	p.submit("unlock: wrong code", "verify", "#error", chromedp.SendKeys(chromedp.ID("code"), "00000000"))
	p.failed("unlock: wrong code", "not right")
	code := codeFor(p.t, outbox, "email", "alice.anderson@example.net")
	p.submit("unlock: code", "verify", "#unlock", chromedp.SendKeys(chromedp.ID("code"), code))
	p.axe("unlock: confirm")
	p.submit("unlock: done", "unlock", "#done")
	p.axe("unlock: done (not locked)")
}

// a11yChange: the change form, its error, its done page.
func a11yChange(p *page) {
	base := p.base
	p.do("change", chromedp.Navigate(base+"/change"), chromedp.WaitVisible(chromedp.ID("current")))
	p.axe("change: form")
	p.submit("change: wrong current", "submit", "#error", chromedp.SendKeys(chromedp.ID("username"), "bob"),
		chromedp.SendKeys(chromedp.ID("current"), "not-it"), chromedp.SendKeys(chromedp.ID("password"), "Maple-Signal-Ferry-82"),
		chromedp.SendKeys(chromedp.ID("confirm"), "Maple-Signal-Ferry-82"))
	p.failed("change: wrong current password", "")
	p.submit("change: mismatch", "submit", "#error", chromedp.SetValue(chromedp.ID("username"), "bob"),
		chromedp.SetValue(chromedp.ID("current"), "Demo-Passw0rd-02"), chromedp.SetValue(chromedp.ID("password"), "Maple-Signal-Ferry-82"),
		chromedp.SetValue(chromedp.ID("confirm"), "Maple-Signal-Ferry-83"))
	p.failed("change: passwords differ", "")
	p.submit("change: done", "submit", "#done", chromedp.SetValue(chromedp.ID("username"), "bob"),
		chromedp.SetValue(chromedp.ID("current"), "Demo-Passw0rd-02"), chromedp.SetValue(chromedp.ID("password"), "Maple-Signal-Ferry-82"),
		chromedp.SetValue(chromedp.ID("confirm"), "Maple-Signal-Ferry-82"))
	p.axe("change: done")
}

// a11yRegister: the portal's sign-in, its error, the profile, a code sent, a wrong code, the
// questions and their errors, sign-out.
func a11yRegister(p *page) {
	base := p.base
	p.do("register", chromedp.Navigate(base+"/register"), chromedp.WaitVisible(chromedp.ID("password")))
	p.axe("register: sign-in")
	p.submit("register: wrong password", "signin", "#error", chromedp.SendKeys(chromedp.ID("username"), "carol"),
		chromedp.SendKeys(chromedp.ID("password"), "not-the-password"))
	p.failed("register: wrong password", "not right")
	p.submit("register: sign in", "signin", "#phone", chromedp.SendKeys(chromedp.ID("password"), "Demo-Passw0rd-03"))
	p.axe("register: profile")
	p.submit("register: phone", "phone-send", "#phone-code")
	p.axe("register: phone code sent")
	p.submit("register: wrong phone code", "phone-verify", "#error", chromedp.SendKeys(chromedp.ID("phone-code"), "00000000"))
	p.failed("register: wrong phone code", "")
	p.do("register: questions", chromedp.Navigate(base+"/register/questions"), chromedp.WaitVisible(chromedp.ID("save")))
	p.axe("register: questions")
	p.submit("register: questions empty", "save", `[aria-invalid="true"]`)
	p.axe("register: questions with errors")
	p.do("register: back", chromedp.Navigate(base+"/register/profile"), chromedp.WaitVisible(chromedp.ID("signout")))
	p.submit("register: sign out", "signout", "#signin")
	p.axe("register: signed out")
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
