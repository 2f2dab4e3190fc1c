package web

import (
	"bytes"
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/language"

	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/i18n"
	"github.com/sspr/sspr/internal/password"
	"github.com/sspr/sspr/internal/phone"
	"github.com/sspr/sspr/internal/questions"
	"github.com/sspr/sspr/internal/register"
	"github.com/sspr/sspr/internal/reset"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/sqlite"
)

// authDirectory adds a password check to memDirectory (a fake of our own interfaces).
type authDirectory struct {
	memDirectory
	pw map[string]string
}

type wrongPassword struct{}

func (wrongPassword) Error() string  { return "invalid credentials" }
func (wrongPassword) Reason() string { return "wrongPassword" }

func (d *authDirectory) Authenticate(_ context.Context, dn, pw string) error {
	if want, ok := d.pw[dn]; !ok || want != pw {
		return wrongPassword{}
	}
	return nil
}

var cheapArgon2 = questions.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

// newRegSite serves reset (email, sms, voice, questions; methodsRequired as given) and the
// registration portal over one store.
func newRegSite(t *testing.T, required int) *site {
	t.Helper()
	return newRegSiteWith(t, required, nil, nil)
}

// newRegSiteWith is newRegSite with a catalog (nil: the built-in one) for the pages and the
// flows' messages, and edit applied to the pages' configuration.
func newRegSiteWith(t *testing.T, required int, texts *i18n.Bundle, edit func(*Config)) *site {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	err = st.Update(ctx, func(tx store.UsersTx) error {
		return tx.CreateUser(ctx, &store.User{Source: store.SourceCloud, UserPrincipalName: "alice@contoso.com", DisplayName: "Alice Anderson",
			DN: "uid=alice,dc=contoso,dc=com", AccountEnabled: true, AlternateEmails: []string{"alice@example.net"},
			MobilePhone: store.Phone{Raw: "+1 425 555 0100", Number: "+1 4255550100", Type: "fixedLineOrMobile"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := &authDirectory{memDirectory: memDirectory{passwords: map[string]string{}}, pw: map[string]string{"uid=alice,dc=contoso,dc=com": "Alice-Password-1"}}
	s := &site{dir: &dir.memDirectory, sent: &memSender{}}
	p := flow.DefaultPolicy()
	p.Methods = []string{"email", "sms", "voice", "questions"}
	p.MethodsRequired = required
	p.ResponseFloor = time.Millisecond
	hasher := questions.NewHasher(questions.HasherOptions{Params: cheapArgon2})
	svc := reset.New(st, s.sent, dir, reset.Config{Policy: p, Password: password.Default(), Hasher: hasher, Texts: texts,
		CodeKey: bytes.Repeat([]byte("c"), 32), DecoyKey: bytes.Repeat([]byte("d"), 32), PublicURL: "https://sspr.contoso.com"}, nil)
	norm, _ := phone.NewNormalizer("US")
	reg := register.New(st, s.sent, dir, register.Config{Reset: p, Hasher: hasher, Questions: svc.Questions(), Phones: norm, Texts: texts,
		CodeKey: bytes.Repeat([]byte("r"), 32), NameKey: bytes.Repeat([]byte("n"), 32), PublicURL: "https://sspr.contoso.com"}, nil)
	cfg := Config{PublicURL: "https://sspr.contoso.com", CompanyName: "Contoso", CSRFKey: bytes.Repeat([]byte("x"), 32),
		ResponseFloor: time.Millisecond, Registration: reg, Texts: texts}
	if edit != nil {
		edit(&cfg)
	}
	srv, err := New(cfg, svc, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.ts = httptest.NewServer(srv.Handler())
	t.Cleanup(s.ts.Close)
	return s
}

func (s *memSender) codeTo(t *testing.T, to string) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.msgs) - 1; i >= 0; i-- {
		if s.msgs[i].To == to {
			return regexp.MustCompile(`\d{8}`).FindString(s.msgs[i].Body)
		}
	}
	t.Fatalf("nothing sent to %s", to)
	return ""
}

var registered = map[string]string{"firstPet": "Rex", "birthCity": "Lyon", "firstCar": "Renault 4"}

// registerThroughPages signs alice in, registers a changed phone and three questions, and
// confirms.
func registerThroughPages(t *testing.T, s *site, b *browser) {
	t.Helper()
	resp, page := b.get("/register")
	if resp.StatusCode != 200 || !strings.Contains(page, `autocomplete="current-password"`) {
		t.Fatalf("sign-in page %d:\n%s", resp.StatusCode, page)
	}
	tok := b.csrf(page)
	// A wrong password and an unknown name look alike.
	_, wrong := b.post("/register", url.Values{"csrf": {tok}, "username": {"alice@contoso.com"}, "password": {"nope"}}, "")
	_, unknown := b.post("/register", url.Values{"csrf": {tok}, "username": {"nobody@contoso.com"}, "password": {"nope"}}, "")
	if !strings.Contains(wrong, "The user name or the password is not right, or the account is locked.") ||
		strings.ReplaceAll(unknown, `value="nobody@contoso.com"`, "NAME") != strings.ReplaceAll(wrong, `value="alice@contoso.com"`, "NAME") {
		t.Fatalf("wrong password:\n%s\nunknown name:\n%s", wrong, unknown)
	}
	resp, _ = b.post("/register", url.Values{"csrf": {tok}, "username": {"alice@contoso.com"}, "password": {"Alice-Password-1"}}, "")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/register/profile" {
		t.Fatalf("sign in: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	found := false
	for _, c := range resp.Cookies() {
		if c.Name == registerCookie {
			found = true
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || !c.Secure || c.Path != "/register" || c.MaxAge != 900 {
				t.Errorf("registration cookie: %+v", c)
			}
		}
	}
	if !found {
		t.Fatal("no registration cookie")
	}
	_, page = b.get("/register/profile")
	if !strings.Contains(page, `id="phone" name="phone" type="tel" autocomplete="tel" maxlength="64" value="&#43;1 4255550100"`) ||
		!strings.Contains(page, `value="alice@example.net"`) || !strings.Contains(page, `id="notice"`) {
		t.Fatalf("profile with pre-filled values:\n%s", page)
	}
	resp, _ = b.post("/register/phone", url.Values{"csrf": {tok}, "phone": {"(425) 555-0199"}}, "")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("send phone code: %d", resp.StatusCode)
	}
	_, page = b.get("/register/profile")
	if !strings.Contains(html.UnescapeString(page), "+1 ••••••0199") || !strings.Contains(page, `id="phone-code"`) {
		t.Fatalf("code form:\n%s", page)
	}
	_, page = b.post("/register/phone/verify", url.Values{"csrf": {tok}, "code": {"00000000"}}, "")
	if !strings.Contains(page, "4 tries left") || !strings.Contains(page, `id="phone-code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" maxlength="20" required aria-invalid="true"`) {
		t.Fatalf("wrong code:\n%s", page)
	}
	resp, _ = b.post("/register/phone/verify", url.Values{"csrf": {tok}, "code": {s.sent.codeTo(t, "+14255550199")}}, "")
	if loc := resp.Header.Get("Location"); loc != "/register/profile?saved=phone#phone" {
		t.Fatalf("verify: %d %s", resp.StatusCode, loc)
	}
	_, page = b.get("/register/profile?saved=phone")
	if !strings.Contains(page, "Registered: &#43;1 4255550199") || !strings.Contains(page, "Your authentication phone is saved.") {
		t.Fatalf("saved phone:\n%s", page)
	}
	_, page = b.get("/register/questions")
	if n := strings.Count(page, "<select"); n != 3 || strings.Count(page, "<option value=") < 3*21 {
		t.Fatalf("%d selects:\n%s", n, page)
	}
	// Problems: shown per question; the chosen questions kept, the answers never echoed.
	_, page = b.post("/register/questions", url.Values{"csrf": {tok}, "question": {"firstPet", "firstPet", "firstCar"},
		"answer": {"Secretanswer1", "Secretanswer1", "my car"}}, "")
	if !strings.Contains(page, "You chose this question twice.") || !strings.Contains(page, "You gave this answer twice") ||
		!strings.Contains(page, "may not repeat words of the question") || strings.Contains(page, "Secretanswer1") ||
		!strings.Contains(page, `<option value="firstCar" selected>`) {
		t.Fatalf("problems:\n%s", page)
	}
	form := url.Values{"csrf": {tok}}
	for _, k := range []string{"firstPet", "birthCity", "firstCar"} {
		form.Add("question", k)
		form.Add("answer", registered[k])
	}
	if resp, _ = b.post("/register/questions", form, ""); resp.Header.Get("Location") != "/register/profile?saved=questions#questions" {
		t.Fatalf("save questions: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, page = b.get("/register/profile")
	if !strings.Contains(page, "3 questions registered on") || !strings.Contains(page, `id="confirm"`) {
		t.Fatalf("profile after questions:\n%s", page)
	}
	if resp, _ = b.post("/register/confirm", url.Values{"csrf": {tok}}, ""); resp.Header.Get("Location") != "/register/done" {
		t.Fatalf("confirm: %d", resp.StatusCode)
	}
	if resp, _ = b.get("/register/profile"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/register" {
		t.Errorf("profile after confirming: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestRegistrationThroughPages(t *testing.T) {
	s := newRegSite(t, 1)
	b := s.browser(t)
	registerThroughPages(t, s, b)
	// Sign out ends the session.
	_, page := b.get("/register")
	tok := b.csrf(page)
	b.post("/register", url.Values{"csrf": {tok}, "username": {"alice@contoso.com"}, "password": {"Alice-Password-1"}}, "")
	if resp, _ := b.get("/register/profile"); resp.StatusCode != 200 {
		t.Fatalf("signed in again: %d", resp.StatusCode)
	}
	if resp, _ := b.post("/register/signout", url.Values{"csrf": {tok}}, ""); resp.Header.Get("Location") != "/register" {
		t.Fatalf("sign out: %d", resp.StatusCode)
	}
	if resp, _ := b.get("/register/profile"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("profile after sign-out: %d", resp.StatusCode)
	}
	// CSRF on the portal's forms too.
	for _, path := range []string{"/register", "/register/phone", "/register/questions", "/register/confirm", "/register/signout"} {
		if resp, _ := b.post(path, url.Values{"username": {"alice@contoso.com"}}, ""); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s without a CSRF token: %d", path, resp.StatusCode)
		}
	}
}

func TestResetWithQuestionsThroughPages(t *testing.T) {
	s := newRegSite(t, 2)
	registerThroughPages(t, s, s.browser(t))
	b := s.browser(t)
	_, page := b.get("/reset")
	tok := b.csrf(page)
	b.post("/reset", url.Values{"csrf": {tok}, "username": {"alice@contoso.com"}}, "")
	_, page = b.get("/reset/verify")
	page = html.UnescapeString(page)
	if !strings.Contains(page, "Answer 3 security questions") || !strings.Contains(page, "+1 ••••••0199") || !strings.Contains(page, ">Continue<") ||
		!strings.Contains(page, "choose how to prove who you are") {
		t.Fatalf("methods:\n%s", page)
	}
	b.post("/reset/send", url.Values{"csrf": {tok}, "option": {"questions"}}, "")
	_, page = b.get("/reset/verify")
	asked := regexp.MustCompile(`<label for="answer-\d" id="question-\d">([^<]+)</label>`).FindAllStringSubmatch(html.UnescapeString(page), -1)
	if len(asked) != 3 {
		t.Fatalf("questions page:\n%s", page)
	}
	answersFor := func(page string) url.Values {
		form := url.Values{"csrf": {tok}}
		for _, m := range regexp.MustCompile(`<label for="answer-\d" id="question-\d">([^<]+)</label>`).FindAllStringSubmatch(html.UnescapeString(page), -1) {
			for k, a := range registered {
				if questions.Texts[language.English][k] == m[1] {
					form.Add("answer", a)
				}
			}
		}
		return form
	}
	wrong := answersFor(page)
	wrong["answer"][2] = "not it"
	resp, page := b.post("/reset/answers", wrong, "")
	if resp.StatusCode != 200 || !strings.Contains(page, "At least one answer is not right") || strings.Count(page, `name="answer"`) != 3 ||
		strings.Contains(page, "not it") {
		t.Fatalf("wrong answers: %d\n%s", resp.StatusCode, page)
	}
	resp, _ = b.post("/reset/answers", answersFor(page), "")
	if resp.Header.Get("Location") != "/reset/verify" {
		t.Fatalf("right answers: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, page = b.get("/reset/verify")
	if strings.Contains(page, "security questions") || !strings.Contains(page, "Step 2 of 2") {
		t.Errorf("second method:\n%s", page)
	}
	b.post("/reset/send", url.Values{"csrf": {tok}, "option": {"sms"}}, "")
	resp, _ = b.post("/reset/code", url.Values{"csrf": {tok}, "option": {"sms"}, "code": {s.sent.codeTo(t, "+14255550199")}}, "")
	if resp.Header.Get("Location") != "/reset/complete" {
		t.Fatalf("sms: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// Every message key a template names is in the English catalog (a missing one would show as
// the key itself).
func TestTemplateKeysInCatalog(t *testing.T) {
	files, err := filepath.Glob("templates/*.html")
	if err != nil || len(files) == 0 {
		t.Fatal(files, err)
	}
	keyRE := regexp.MustCompile(`\.Tr\.T "([^"]+)"`)
	english := i18n.Default().For("en")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keyRE.FindAllStringSubmatch(string(b), -1) {
			if !english.Has(m[1]) {
				t.Errorf("%s: %q is not in the catalog", f, m[1])
			}
		}
	}
	for _, k := range []string{"register.codeSent.sms", "register.codeSent.voice", "register.codeSent.email", "verify.option.questions",
		"signin.failed", "signin.locked", "signin.mustChange", "signin.disabled", "signin.expired", "signin.notPermitted",
		"signin.unavailable", "signin.error", "register.session.expired", "questions.wrong", "questions.busy", "questions.unavailable",
		"questions.answerAll", "answers.containsQuestion", "answers.duplicate", "answers.tooShort", "answers.tooLong", "answers.empty",
		"questions.count", "questions.duplicate", "questions.unknown", "questions.choose", "register.incomplete",
		"register.phone.invalid", "register.phone.noCountryCode", "register.phone.cannotReceive", "register.email.invalid"} {
		if !english.Has(k) {
			t.Errorf("%q is not in the catalog", k)
		}
	}
}

// With questions enabled, a name that matches nobody and shows questions gets the same pages as
// a registered user: the question form, and after wrong answers the same error and a new form.
func TestQuestionsNoEnumeration(t *testing.T) {
	s := newRegSite(t, 1)
	registerThroughPages(t, s, s.browser(t))
	labels := regexp.MustCompile(`(?s)<label for="answer-(\d)" id="question-\d">[^<]+</label>|name="csrf" value="[^"]+"`)
	flow := func(name string) (string, string, bool) {
		b := s.browser(t)
		_, page := b.get("/reset")
		tok := b.csrf(page)
		b.post("/reset", url.Values{"csrf": {tok}, "username": {name}}, "")
		_, page = b.get("/reset/verify")
		if !strings.Contains(page, `id="option-questions"`) {
			return "", "", false
		}
		b.post("/reset/send", url.Values{"csrf": {tok}, "option": {"questions"}}, "")
		_, asked := b.get("/reset/verify")
		_, wrong := b.post("/reset/answers", url.Values{"csrf": {tok}, "answer": {"a1", "a2", "a3"}}, "")
		return labels.ReplaceAllString(asked, "X"), labels.ReplaceAllString(wrong, "X"), true
	}
	askedA, wrongA, ok := flow("alice@contoso.com")
	if !ok {
		t.Fatal("alice is not offered questions")
	}
	for i := range 30 {
		askedB, wrongB, ok := flow("ghost" + string(rune('a'+i)) + "@contoso.com")
		if !ok {
			continue
		}
		if askedA != askedB || wrongA != wrongB {
			t.Fatalf("pages differ:\n%s\n---\n%s\n===\n%s\n---\n%s", askedA, askedB, wrongA, wrongB)
		}
		return
	}
	t.Fatal("no unknown name among 30 showed questions")
}
