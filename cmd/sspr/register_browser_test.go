package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	goldap "github.com/go-ldap/ldap/v3"
	"golang.org/x/text/language"

	"github.com/sspr/sspr/internal/questions"
	"github.com/sspr/sspr/internal/testenv"
)

// questionsPolicy is appended to serveConfig's reset block: two methods, questions among them.
const questionsPolicy = `  methods: [email, sms, voice, questions]
  methodsRequired: 2
  questions:
    register: 4
    atReset: 3
`

// myAnswers are what the user registers (4 questions; a reset asks 3 of them).
var myAnswers = map[string]string{"firstPet": "Biscuit", "birthCity": "Saint-Malo", "firstCar": "Citroen 2CV", "childhoodHero": "Tintin"}

// page drives one headless Chromium tab through the pages.
type page struct {
	t      *testing.T
	ctx    context.Context
	base   string
	outbox string
}

func newPage(t *testing.T, base, outbox string) *page {
	return &page{t: t, ctx: testenv.Browser(t), base: base, outbox: outbox}
}

func (p *page) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	step, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(step, actions...); err != nil {
		html, _ := chromedp.Run(p.ctx, chromedp.OuterHTML(chromedp.CSS("html")))
		p.t.Fatalf("%s: %v\npage:\n%s", what, err, html)
	}
}

// submit clicks a button that loads another page and waits for sel (CSS) on the new page: the
// old page's <main> is marked stale first, so that a selector both pages have cannot match
// before the new one has loaded.
func (p *page) submit(what, buttonID, sel string, before ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	actions := append(before, chromedp.SetAttributeValue(chromedp.ID("main"), "data-stale", "1"), chromedp.Click(chromedp.ID(buttonID)),
		chromedp.WaitVisible(chromedp.CSS("main:not([data-stale]) "+sel)),
		// The load event replaces chromedp's node ids (see browser_test.go's loaded): act on
		// the new page only after it.
		chromedp.Poll[chromedp.Void](`document.readyState === "complete"`, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(0)))
	p.do(what, actions...)
}

// text is the visible text of the element with the id. It is read by a script, not through
// chromedp's node ids: those go stale when the document is replaced between the wait for an
// element and the read ("No node with given id found", seen in CI on TestBrowserLanguages).
func (p *page) text(id string) string {
	p.t.Helper()
	return p.read(id, "innerText")
}

// value is the value of the form field with the id, read like text.
func (p *page) value(id string) string {
	p.t.Helper()
	return p.read(id, "value")
}

func (p *page) read(id, prop string) string {
	p.t.Helper()
	s, err := readElement(p.ctx, id, prop)
	if err != nil {
		p.t.Fatal(err)
	}
	return s
}

// readElement polls until the element with the id exists and returns its property prop,
// within ctx's time bound.
func readElement(ctx context.Context, id, prop string) (string, error) {
	q, _ := json.Marshal(id)
	expr := fmt.Sprintf(`(() => { const e = document.getElementById(%s); return e ? [String(e.%s)] : null })()`, q, prop)
	got, err := chromedp.Run(ctx, chromedp.Poll[[]string](expr,
		chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(0)))
	if err != nil || len(got) != 1 {
		return "", fmt.Errorf("%s of #%s: %v (%d values)", prop, id, err, len(got))
	}
	return got[0], nil
}

// asked maps the questions on the page (labels question-0..2) to their catalog keys.
func (p *page) asked() []string {
	p.t.Helper()
	byText := map[string]string{}
	for k, text := range questions.Texts[language.English] {
		byText[text] = k
	}
	var keys []string
	for i := range 3 {
		text := p.text(fmt.Sprintf("question-%d", i))
		k, ok := byText[strings.TrimSpace(text)]
		if !ok {
			p.t.Fatalf("question %q is not in the catalog", text)
		}
		keys = append(keys, k)
	}
	return keys
}

// registerInBrowser signs in to the portal, checks the pre-filled values, registers a changed
// phone (SMS code read from the file channel), confirms the pre-filled email with a code,
// chooses four questions and finishes.
func (p *page) registerInBrowser(user, password, prefilledPhone, prefilledEmail, newPhone, newPhoneE164 string) {
	p.t.Helper()
	p.do("sign-in page", chromedp.Navigate(p.base+"/register"), chromedp.WaitVisible(chromedp.ID("password")))
	p.submit("wrong password", "signin", "#error", chromedp.SendKeys(chromedp.ID("username"), user),
		chromedp.SendKeys(chromedp.ID("password"), "not-the-password"))
	if msg := p.text("error"); !strings.Contains(msg, "not right") {
		p.t.Fatalf("wrong password says %q", msg)
	}
	p.submit("sign in", "signin", "#phone", chromedp.SendKeys(chromedp.ID("password"), password))
	if got := p.value("phone"); got != prefilledPhone {
		p.t.Errorf("pre-filled phone %q, want %q (mobilePhone)", got, prefilledPhone)
	}
	if got := p.value("email"); got != prefilledEmail {
		p.t.Errorf("pre-filled email %q, want %q (the first alternateEmails)", got, prefilledEmail)
	}
	p.submit("change the phone", "phone-send", "#phone-code", chromedp.Clear(chromedp.ID("phone")), chromedp.SendKeys(chromedp.ID("phone"), newPhone))
	if sent := p.text("phone-sent"); !strings.Contains(sent, "••••••"+newPhoneE164[len(newPhoneE164)-4:]) {
		p.t.Errorf("code sent to %q", sent)
	}
	code := codeFor(p.t, p.outbox, "sms", newPhoneE164)
	p.submit("verify the phone", "phone-verify", "#phone-send", chromedp.SendKeys(chromedp.ID("phone-code"), code))
	if v := p.text("phone-value"); !strings.Contains(v, "Registered: +1 "+newPhoneE164[2:]) { // +1 numbers here
		p.t.Errorf("phone after verifying: %q", v)
	}
	p.submit("confirm the email", "email-send", "#email-code")
	code = codeFor(p.t, p.outbox, "email", prefilledEmail)
	p.submit("verify the email", "email-verify", "#email-send", chromedp.SendKeys(chromedp.ID("email-code"), code))
	if v := p.text("email-value"); !strings.Contains(v, prefilledEmail) {
		p.t.Errorf("email after verifying: %q", v)
	}
	p.submit("questions page", "questions-edit", "#q4")
	var actions []chromedp.Action[chromedp.Void]
	for i, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range myAnswers {
			if !yield(k) {
				return
			}
		}
	}) {
		actions = append(actions, chromedp.SetValue(chromedp.ID(fmt.Sprintf("q%d", i+1)), k),
			chromedp.SendKeys(chromedp.ID(fmt.Sprintf("a%d", i+1)), myAnswers[k]))
	}
	p.submit("choose questions", "save", "#confirm", actions...)
	if s := p.text("questions-status"); !strings.Contains(s, "4 questions registered") {
		p.t.Errorf("questions status %q", s)
	}
	p.axe("register: complete, to confirm")
	p.submit("finish", "confirm", "#done")
	p.axe("register: done")
}

// resetWithQuestions resets under the 2-method policy: questions (one wrong answer first, which
// draws the questions anew), then an SMS code, then the new password.
func (p *page) resetWithQuestions(user, smsE164, newPassword string) {
	p.t.Helper()
	p.do("reset page", chromedp.Navigate(p.base+"/reset"), chromedp.WaitVisible(chromedp.ID("username")))
	p.submit("start", "next", "#option-questions", chromedp.SendKeys(chromedp.ID("username"), user))
	hint, err := chromedp.Run(p.ctx, chromedp.Text(chromedp.CSS(`label[for="option-sms"]`)))
	if err != nil || !strings.Contains(hint, "••••••"+smsE164[len(smsE164)-4:]) {
		p.t.Fatalf("SMS option %q: the registered phone is preferred", hint)
	}
	p.submit("questions", "send", "#answer-0", chromedp.Click(chromedp.ID("option-questions")))
	p.axe("reset: security questions")
	first := p.asked()
	for _, k := range first {
		if _, ok := myAnswers[k]; !ok {
			p.t.Fatalf("asked %s, which was not registered", k)
		}
	}
	p.submit("wrong answers", "answers-submit", "#answer-0", chromedp.SendKeys(chromedp.ID("answer-0"), myAnswers[first[0]]),
		chromedp.SendKeys(chromedp.ID("answer-1"), myAnswers[first[1]]), chromedp.SendKeys(chromedp.ID("answer-2"), "certainly not this"))
	if msg := p.text("error"); !strings.Contains(msg, "not right") {
		p.t.Fatalf("wrong answer says %q", msg)
	}
	p.axe("reset: wrong answers")
	second := p.asked()
	p.t.Logf("questions asked: %v, after the wrong answer drawn anew: %v", first, second)
	p.submit("right answers", "answers-submit", "#option-sms", chromedp.SendKeys(chromedp.ID("answer-0"), "  "+strings.ToUpper(myAnswers[second[0]])),
		chromedp.SendKeys(chromedp.ID("answer-1"), myAnswers[second[1]]), chromedp.SendKeys(chromedp.ID("answer-2"), myAnswers[second[2]]))
	p.submit("sms", "send", "#code", chromedp.Click(chromedp.ID("option-sms")))
	code := codeFor(p.t, p.outbox, "sms", smsE164)
	p.submit("verify", "verify", "#password", chromedp.SendKeys(chromedp.ID("code"), code))
	p.submit("password", "submit", "#done", chromedp.SendKeys(chromedp.ID("password"), newPassword), chromedp.SendKeys(chromedp.ID("confirm"), newPassword))
}

// questionsThrottle answers wrong until the user is locked out: 5 failures in 24 hours.
func (p *page) questionsThrottle(user string) {
	p.t.Helper()
	p.do("reset page", chromedp.Navigate(p.base+"/reset"), chromedp.WaitVisible(chromedp.ID("username")))
	p.submit("start", "next", "#option-questions", chromedp.SendKeys(chromedp.ID("username"), user))
	p.submit("questions", "send", "#answer-0", chromedp.Click(chromedp.ID("option-questions")))
	for i := 1; i <= 5; i++ {
		p.submit(fmt.Sprintf("wrong answers %d", i), "answers-submit", "#error", chromedp.SendKeys(chromedp.ID("answer-0"), "wrong"),
			chromedp.SendKeys(chromedp.ID("answer-1"), "wrong too"), chromedp.SendKeys(chromedp.ID("answer-2"), "still wrong"))
		msg := p.text("error")
		if i < 5 && !strings.Contains(msg, "not right") || i == 5 && !strings.Contains(msg, "Too many attempts") {
			p.t.Fatalf("attempt %d says %q", i, msg)
		}
	}
	// Locked: a new flow cannot even ask for a code.
	p.do("reset page", chromedp.Navigate(p.base+"/reset"), chromedp.WaitVisible(chromedp.ID("username")))
	p.submit("start", "next", "#option-sms", chromedp.SendKeys(chromedp.ID("username"), user))
	p.submit("locked", "send", "#error", chromedp.Click(chromedp.ID("option-sms")))
	if msg := p.text("error"); !strings.Contains(msg, "Too many attempts") {
		p.t.Errorf("locked user asking for a code: %q", msg)
	}
	p.axe("reset: locked")
}

// userJSON is `sspr user get UPN -o json`.
func userJSON(t *testing.T, cfg, upn string) map[string]any {
	t.Helper()
	r := run(t, cfg, "user", "get", upn, "-o", "json")
	if r.code != 0 {
		t.Fatal(r)
	}
	var u map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &u); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	return u
}

// leaks lists the answers and chosen questions (keys and texts) found in s.
func leaks(s string) []string {
	var found []string
	low := strings.ToLower(s)
	for k, a := range myAnswers {
		for _, needle := range []string{a, questions.Normalize(a), k, questions.Texts[language.English][k]} {
			if strings.Contains(low, strings.ToLower(needle)) {
				found = append(found, needle)
			}
		}
	}
	return found
}

// checkPrivacy: no file of the installation (store, WAL, outbox, log), no CLI output and no
// response of any administrator route holds an answer or says which questions were chosen.
func checkPrivacy(t *testing.T, dir, cfg, addr, upn string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	hashes := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // a directory
		}
		hashes += strings.Count(string(b), "$argon2id$v=19$")
		for _, a := range myAnswers {
			if strings.Contains(strings.ToLower(string(b)), strings.ToLower(a)) {
				t.Errorf("%s holds the answer %q", filepath.Base(f), a)
			}
		}
	}
	if hashes < len(myAnswers) {
		t.Errorf("%d answer hashes in %v: the scan proves nothing", hashes, files)
	}
	for _, args := range [][]string{{"user", "get", upn, "-o", "json"}, {"user", "get", upn, "-o", "table"}, {"user", "get", upn, "-o", "csv"},
		{"user", "list", "-o", "json"}, {"user", "list", "-o", "csv"}, {"report", "readiness", "-o", "json"}, {"report", "readiness", "-o", "csv"},
		{"sync", "runs", "-o", "json"}} {
		r := run(t, cfg, args...)
		if r.code != 0 {
			t.Fatalf("%v: %v", args, r)
		}
		if l := leaks(r.stdout + r.stderr); len(l) > 0 {
			t.Errorf("sspr %s shows %v", strings.Join(args, " "), l)
		}
	}
	r := run(t, cfg, "token", "create", "--name", "privacy", "--scope", "users:read,users:write,sync,reports,audit:read")
	if r.code != 0 {
		t.Fatal(r)
	}
	token := strings.TrimSpace(r.stdout)
	get := func(path string) (int, string) {
		req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	_, doc := get("/api/v1/openapi.json")
	var spec struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal([]byte(doc), &spec); err != nil || len(spec.Paths) == 0 {
		t.Fatalf("openapi.json: %v\n%s", err, doc)
	}
	called := 0
	for path, ops := range spec.Paths {
		if _, ok := ops["get"]; !ok {
			continue
		}
		p := "/api/v1" + strings.TrimPrefix(strings.ReplaceAll(path, "{upn}", upn), "/api/v1")
		status, body := get(p)
		called++
		if status != 200 {
			t.Errorf("GET %s: %d %s", p, status, body)
		}
		if l := leaks(body); len(l) > 0 {
			t.Errorf("GET %s shows %v", p, l)
		}
	}
	if called < 4 {
		t.Errorf("only %d GET routes in the OpenAPI document", called)
	}
	// What an administrator may know: that questions are registered (with the API's count and
	// date where it shows them), never which.
	if u := userJSON(t, cfg, upn); u["securityQuestionsRegistered"] != true {
		t.Errorf("user get: %v", u)
	}
}

func TestBrowserRegisterOpenLDAP(t *testing.T) {
	d := newDirectory(t, nil, "")
	text, addr, outbox := serveConfig(t, d.dir)
	d.writeConfig(t, mustRead(t, d.cfg)+text+questionsPolicy)
	if r := run(t, d.cfg, "sync", "-q"); r.code != 0 {
		t.Fatal(r)
	}
	startServe(t, d.cfg)
	base := "http://" + addr
	p := newPage(t, base, outbox)
	p.registerInBrowser("alice", "Demo-Passw0rd-01", "+1 4255550100", "alice.anderson@example.net", "+1 (425) 555-0199", "+14255550199")

	u := userJSON(t, d.cfg, "alice")
	if u["authenticationPhone"] != "+1 4255550199" || u["authenticationEmail"] != "alice.anderson@example.net" {
		t.Fatalf("after registration: %v", u)
	}
	// The directory's mobile changes; a sync keeps the registered values.
	m := goldap.NewModifyRequest("uid=alice,ou=Staff,dc=contoso,dc=com", nil)
	m.Replace("mobile", []string{"+1 425 555 0111"})
	if err := d.conn(t).Modify(m); err != nil {
		t.Fatal(err)
	}
	if r := run(t, d.cfg, "sync", "-q", "--full"); r.code != 0 {
		t.Fatal(r)
	}
	u = userJSON(t, d.cfg, "alice")
	if mp, _ := u["mobilePhone"].(string); mp != "+1 4255550111" || u["authenticationPhone"] != "+1 4255550199" {
		t.Fatalf("after a sync: %v", u)
	}
	// The user was told by email; the old phone got nothing but the reset's own messages.
	b := mustRead(t, outbox)
	if !strings.Contains(b, "Your password reset registration changed") || strings.Contains(b, `"to":"+14255550100"`) {
		t.Errorf("notifications:\n%s", b)
	}
	checkPrivacy(t, d.dir, d.cfg, addr, "alice")

	const pw = "Quartz-Meadow-Lantern-73"
	p.resetWithQuestions("alice", "+14255550199", pw)
	if err := bindWith(t, d.srv.LDAPSURL, d.srv.CAFile, "uid=alice,ou=Staff,dc=contoso,dc=com", pw); err != nil {
		t.Fatalf("bind with the new password: %v", err)
	}
	p.questionsThrottle("alice")
}

func TestBrowserRegisterSamba(t *testing.T) {
	s := testenv.SambaDC(t)
	ou := s.NewOU(t)
	sam := "brg" + fmt.Sprint(time.Now().UnixNano()%1_000_000)
	const initial = "Register-Initial-9x!"
	dn := s.AddUser(t, ou, testenv.SambaUser{SAMAccountName: sam, DisplayName: "Browser Register", Mobile: "+1 (425) 555-0143",
		Password: initial, Attrs: map[string][]string{"otherMailbox": {sam + "@example.net"}}})
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	os.WriteFile(pwFile, []byte(s.Password), 0o600)
	text, addr, outbox := serveConfig(t, dir)
	cfg := filepath.Join(dir, "sspr.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`store: sqlite://%s/sspr.db
directory:
  type: activedirectory
  url: %s
  bindDN: %s
  bindPasswordFile: %s
  caFile: %s
  baseDNs: [%q]
  mapping:
    alternateEmails: otherMailbox
phone:
  defaultRegion: US
`, dir, s.URL, s.BindDN, pwFile, s.CAFile, ou)+text+questionsPolicy), 0o600)
	if r := run(t, cfg, "sync", "-q"); r.code != 0 || !strings.Contains(r.stdout, "1 added") {
		t.Fatal(r)
	}
	startServe(t, cfg)
	upn := sam + "@" + s.Realm()
	p := newPage(t, "http://"+addr, outbox)
	p.registerInBrowser(upn, initial, "+1 4255550143", sam+"@example.net", "425.555.0198", "+14255550198")

	// The directory's mobile changes; a sync keeps the registered phone.
	m := goldap.NewModifyRequest(dn, nil)
	m.Replace("mobile", []string{"+1 425 555 0112"})
	if err := s.Dial(t).Modify(m); err != nil {
		t.Fatal(err)
	}
	if r := run(t, cfg, "sync", "-q", "--full"); r.code != 0 {
		t.Fatal(r)
	}
	if u := userJSON(t, cfg, upn); u["mobilePhone"] != "+1 4255550112" || u["authenticationPhone"] != "+1 4255550198" {
		t.Fatalf("after a sync: %v", u)
	}
	checkPrivacy(t, dir, cfg, addr, upn)

	const pw = "Quartz-Meadow-Lantern-73!"
	p.resetWithQuestions(upn, "+14255550198", pw)
	if err := bindWith(t, s.URL, s.CAFile, dn, pw); err != nil {
		t.Fatalf("bind with the new password: %v", err)
	}
	p.questionsThrottle(upn)
}
