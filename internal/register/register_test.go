package register

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/phone"
	"github.com/sspr/sspr/internal/questions"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/sqlite"
)

// fakeDirectory knows passwords and answers binds (a fake of our own Directory interface).
type fakeDirectory struct {
	mu        sync.Mutex
	passwords map[string]string // dn → password
	reasons   map[string]string // dn → the reason a bind of the right password fails with
	admins    map[string]bool   // dn → member of every admin group
	down      bool              // the directory cannot be reached
}

type reasonErr string

func (r reasonErr) Error() string  { return "directory: " + string(r) }
func (r reasonErr) Reason() string { return string(r) }

func (d *fakeDirectory) Authenticate(_ context.Context, dn, pw string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.down {
		return reasonErr("unavailable")
	}
	if r := d.reasons[dn]; r == "locked" || r == "unavailable" {
		return reasonErr(r) // AD says so whatever the password
	}
	if want, ok := d.passwords[dn]; !ok || pw != want || pw == "" {
		return reasonErr("wrongPassword")
	}
	if r := d.reasons[dn]; r != "" {
		return reasonErr(r)
	}
	return nil
}

func (d *fakeDirectory) IsMember(_ context.Context, dn, _ string) (bool, error) {
	return d.admins[dn], nil
}

type outbox struct {
	mu   sync.Mutex
	msgs []flow.Message
}

func (o *outbox) Send(_ context.Context, m flow.Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, m)
	return nil
}

func (o *outbox) to(addr string) []flow.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []flow.Message
	for _, m := range o.msgs {
		if m.To == addr {
			out = append(out, m)
		}
	}
	return out
}

var codeRE = regexp.MustCompile(`\d{8}`)

func (o *outbox) code(t *testing.T, addr string) string {
	t.Helper()
	ms := o.to(addr)
	if len(ms) == 0 {
		t.Fatalf("nothing sent to %s", addr)
	}
	c := codeRE.FindString(ms[len(ms)-1].Body)
	if c == "" {
		t.Fatalf("no code in %q", ms[len(ms)-1].Body)
	}
	return c
}

var cheapArgon2 = questions.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

type fixture struct {
	svc  *Service
	st   store.Store
	dir  *fakeDirectory
	out  *outbox
	logs *bytes.Buffer
	now  time.Time
	c    flow.Client
}

func (f *fixture) advance(d time.Duration) { f.now = f.now.Add(d) }

const (
	aliceDN = "uid=alice,ou=Staff,dc=contoso,dc=com"
	alicePW = "Alice-Password-1"
)

func testUsers() []store.User {
	return []store.User{
		{UserPrincipalName: "alice@contoso.com", DisplayName: "Alice Anderson", DN: aliceDN, AccountEnabled: true,
			MobilePhone:     store.Phone{Raw: "+1 425 555 0100", Number: "+1 4255550100", Type: "fixedLineOrMobile"},
			AlternateEmails: []string{"alice.private@example.net", "alice.other@example.org"}},
		{UserPrincipalName: "bob@contoso.com", DN: "uid=bob,ou=Staff,dc=contoso,dc=com", AccountEnabled: false},
		{UserPrincipalName: "dave@contoso.com", DN: "uid=dave,ou=Staff,dc=contoso,dc=com", AccountEnabled: true, Privileged: true,
			MobilePhone: store.Phone{Raw: "+44 7400 123456", Number: "+44 7400123456", Type: "mobile"}},
		{UserPrincipalName: "erin@contoso.com", DN: "uid=erin,ou=Staff,dc=contoso,dc=com", AccountEnabled: true},
	}
}

func policyWith(methods ...string) flow.Policy {
	p := flow.DefaultPolicy()
	p.Methods = methods
	p.Questions = questions.Policy{Register: 3, AtReset: 3}.WithDefaults()
	return p
}

func newFixture(t *testing.T, st store.Store, p flow.Policy) *fixture {
	t.Helper()
	ctx := context.Background()
	if st == nil {
		s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "sspr.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		st = s
	}
	users := testUsers()
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
	f := &fixture{st: st, out: &outbox{}, logs: &bytes.Buffer{}, now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC),
		c: flow.Client{IP: "192.0.2.9", UserAgent: "test"},
		dir: &fakeDirectory{passwords: map[string]string{aliceDN: alicePW, "uid=dave,ou=Staff,dc=contoso,dc=com": "Dave-Password-1",
			"uid=erin,ou=Staff,dc=contoso,dc=com": "Erin-Password-1", "uid=bob,ou=Staff,dc=contoso,dc=com": "Bob-Password-1"},
			reasons: map[string]string{}, admins: map[string]bool{}}}
	norm, _ := phone.NewNormalizer("US")
	log := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.svc = New(st, f.out, f.dir, Config{Reset: p, Phones: norm, CodeKey: bytes.Repeat([]byte("c"), 32),
		NameKey: bytes.Repeat([]byte("n"), 32), CompanyName: "Contoso", PublicURL: "https://sspr.contoso.com",
		Hasher: questions.NewHasher(questions.HasherOptions{Params: cheapArgon2, Pepper: bytes.Repeat([]byte("p"), 32)}),
		Now:    func() time.Time { return f.now }}, log)
	return f
}

func errKey(err error) string {
	var ue *flow.Error
	if errors.As(err, &ue) {
		return ue.Key
	}
	if err != nil {
		return "internal: " + err.Error()
	}
	return ""
}

func (f *fixture) signIn(t *testing.T, name, pw string) (string, View) {
	t.Helper()
	tok, v, err := f.svc.SignIn(context.Background(), name, pw, f.c)
	if err != nil {
		t.Fatalf("sign in %s: %v", name, err)
	}
	return tok, v
}

func (f *fixture) user(t *testing.T, upn string) store.User {
	t.Helper()
	u, err := f.st.UserByUPN(context.Background(), upn)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (f *fixture) auditTypes(t *testing.T, upn string) []string {
	t.Helper()
	var types []string
	f.st.ListAudit(context.Background(), store.AuditFilter{UserPrincipalName: upn}, func(e store.AuditEvent) error {
		types = append(types, e.Type)
		return nil
	})
	return types
}

func TestSignIn(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil, policyWith("email", "sms", "voice", "questions"))
	f.dir.reasons["uid=erin,ou=Staff,dc=contoso,dc=com"] = "mustChange"
	for _, tc := range []struct{ name, pw, want string }{
		{"", "x", "signin.required"},
		{"alice@contoso.com", "", "signin.required"},
		{"alice@contoso.com", "wrong", "signin.failed"},
		{"nobody@contoso.com", "whatever", "signin.failed"},    // like a wrong password
		{"bob@contoso.com", "Bob-Password-1", "signin.failed"}, // disabled in the store: like an unknown name
		{"erin@contoso.com", "Erin-Password-1", "signin.mustChange"},
		{"*)(uid=*", "x", "signin.failed"},
	} {
		if _, _, err := f.svc.SignIn(ctx, tc.name, tc.pw, f.c); errKey(err) != tc.want {
			t.Errorf("%q/%q: %v, want %s", tc.name, tc.pw, err, tc.want)
		}
	}
	// Locked (AD 775, whatever the password) and disabled read as a wrong password: shown only
	// to existing names, they would tell them apart.
	for reason, key := range map[string]string{"locked": "signin.failed", "disabled": "signin.failed", "expired": "signin.expired",
		"unavailable": "signin.unavailable", "notPermitted": "signin.notPermitted", "weird": "signin.error"} {
		f.dir.reasons[aliceDN] = reason
		if _, _, err := f.svc.SignIn(ctx, "alice@contoso.com", alicePW, f.c); errKey(err) != key {
			t.Errorf("%s: %v, want %s", reason, err, key)
		}
	}
	delete(f.dir.reasons, aliceDN)
	f.now = f.now.Add(48 * time.Hour) // past the failed sign-ins' lock
	tok, v := f.signIn(t, "ALICE@contoso.com ", alicePW)
	if tok == "" || v.UserPrincipalName != "alice@contoso.com" {
		t.Fatalf("signed in: %q %+v", tok, v)
	}
	types := f.auditTypes(t, "alice@contoso.com")
	if n := strings.Count(strings.Join(types, " "), "register.signin"); n < 8 {
		t.Errorf("%d sign-in events: %v", n, types)
	}
	if strings.Contains(f.logs.String(), alicePW) || strings.Contains(f.logs.String(), "Erin-Password-1") {
		t.Errorf("a password in the log:\n%s", f.logs)
	}
}

func TestSignInThrottle(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"alice@contoso.com", "nobody@contoso.com"} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, nil, policyWith("email", "sms"))
			var keys []string
			for i := range 6 {
				c := flow.Client{IP: "192.0.2." + string(rune('1'+i))}
				_, _, err := f.svc.SignIn(ctx, name, "wrong", c)
				keys = append(keys, errKey(err))
			}
			if want := []string{"signin.failed", "signin.failed", "signin.failed", "signin.failed", "throttle.locked", "throttle.locked"}; !slices.Equal(keys, want) {
				t.Fatalf("6 wrong passwords from 6 addresses: %v", keys)
			}
			if name == "alice@contoso.com" {
				if _, _, err := f.svc.SignIn(ctx, name, alicePW, f.c); errKey(err) != "throttle.locked" {
					t.Errorf("right password while locked: %v", err)
				}
				f.advance(24*time.Hour + time.Minute)
				f.signIn(t, name, alicePW)
			}
		})
	}
	// Per client IP: 50 failures in an hour, whatever the names.
	f := newFixture(t, nil, policyWith("email", "sms"))
	var err error
	for i := range 51 {
		_, _, err = f.svc.SignIn(ctx, "n"+string(rune('a'+i%26))+string(rune('a'+i/26))+"@contoso.com", "x", f.c)
	}
	if errKey(err) != "throttle.locked" {
		t.Errorf("51st failure from one address: %v", err)
	}
	// A success clears the user's counter.
	f = newFixture(t, nil, policyWith("email", "sms"))
	for range 4 {
		f.svc.SignIn(ctx, "alice@contoso.com", "wrong", flow.Client{IP: "192.0.2.50"})
	}
	f.signIn(t, "alice@contoso.com", alicePW)
	for range 4 {
		if _, _, err := f.svc.SignIn(ctx, "alice@contoso.com", "wrong", flow.Client{IP: "192.0.2.51"}); errKey(err) != "signin.failed" {
			t.Fatalf("after a success the count starts again: %v", err)
		}
	}
}

var validChoices = []questions.Choice{{Key: "firstPet", Answer: "Rex"}, {Key: "birthCity", Answer: "Lyon"}, {Key: "firstCar", Answer: "Renault 4"}}

func TestFirstRegistration(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil, policyWith("email", "sms", "voice", "questions"))
	tok, v := f.signIn(t, "alice@contoso.com", alicePW)
	if !v.FirstTime || v.Complete || v.Reconfirm || v.Phone.Prefill != "+1 4255550100" || v.Phone.Value != "" ||
		v.Email.Prefill != "alice.private@example.net" || !v.Questions.Enabled || v.Questions.Register != 3 || v.Required != 1 {
		t.Fatalf("first view %+v", v)
	}
	// A changed phone, written as people do, normalized as the sync does.
	v, err := f.svc.SendPhoneCode(ctx, tok, "(425) 555-0199 x12", f.c)
	if err != nil || v.Phone.Pending != "+1 ••••••0199" || v.Phone.Channel != "sms" || v.Phone.Value != "" {
		t.Fatalf("send phone code: %v %+v", err, v)
	}
	code := f.out.code(t, "+14255550199")
	if _, err := f.svc.VerifyPhone(ctx, tok, "00000000", f.c); errKey(err) != "verify.wrong" {
		t.Errorf("wrong code: %v", err)
	}
	if f.user(t, "alice@contoso.com").AuthenticationPhone != "" {
		t.Fatal("saved before the code was entered")
	}
	v, err = f.svc.VerifyPhone(ctx, tok, code, f.c)
	if err != nil || v.Phone.Value != "+1 4255550199" || v.Phone.Pending != "" || !v.Complete {
		t.Fatalf("verify phone: %v %+v", err, v)
	}
	if _, err := f.svc.VerifyPhone(ctx, tok, code, f.c); errKey(err) != "verify.noCode" {
		t.Errorf("code reused: %v", err)
	}
	if got := f.user(t, "alice@contoso.com"); got.AuthenticationPhone != "+1 4255550199" || got.MobilePhone.Number != "+1 4255550100" {
		t.Errorf("stored %+v", got)
	}
	// The user is told by email; the old phone is never messaged.
	if len(f.out.to("+14255550100")) != 0 {
		t.Error("a message went to the old phone")
	}
	if n := f.out.to("alice.private@example.net"); len(n) != 1 || !strings.Contains(n[0].Body, "+1 ••••••0199") || strings.Contains(n[0].Body, "4255550199") {
		t.Errorf("notification %+v", n)
	}
	// Email: the pre-filled address, verified too.
	if _, err := f.svc.SendEmailCode(ctx, tok, "not an address", f.c); errKey(err) != "register.email.invalid" {
		t.Errorf("bad address: %v", err)
	}
	if _, err := f.svc.SendEmailCode(ctx, tok, " alice.private@example.net ", f.c); err != nil {
		t.Fatal(err)
	}
	if v, err = f.svc.VerifyEmail(ctx, tok, f.out.code(t, "alice.private@example.net"), f.c); err != nil || v.Email.Value != "alice.private@example.net" {
		t.Fatalf("verify email: %v %+v", err, v)
	}
	// Questions: the rules, then a valid set.
	err = f.svc.SetQuestions(ctx, tok, []questions.Choice{{Key: "firstPet", Answer: "my pet Rex"}, {Key: "firstPet", Answer: "Lyon"}, {Key: "firstCar", Answer: "lyon"}}, f.c)
	var pe *ProblemsError
	if !errors.As(err, &pe) || len(pe.Problems) != 3 {
		t.Fatalf("bad questions: %v", err)
	}
	if err := f.svc.SetQuestions(ctx, tok, validChoices, f.c); err != nil {
		t.Fatal(err)
	}
	u := f.user(t, "alice@contoso.com")
	answers, _ := f.st.SecurityAnswers(ctx, u.ID)
	if u.SecurityQuestionsCount != 3 || u.SecurityQuestionsRegisteredAt == nil || len(answers) != 3 || !strings.HasPrefix(answers[0].Hash, "$argon2id$") {
		t.Fatalf("stored %+v %+v", u, answers)
	}
	v, err = f.svc.QuestionsView(ctx, tok)
	if err != nil || !slices.Equal(v.Questions.Keys, []string{"firstPet", "birthCity", "firstCar"}) || v.Registered != 3 {
		t.Errorf("questions view %v %+v", err, v)
	}
	if err := f.svc.Confirm(ctx, tok, f.c); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.View(ctx, tok); !errors.Is(err, ErrNoSession) {
		t.Errorf("session after confirming: %v", err)
	}
	types := f.auditTypes(t, "alice@contoso.com")
	for _, want := range []string{"register.signin", "register.code.sent", "register.code.failed", "register.phone.changed",
		"register.email.changed", "register.questions.registered", "register.confirmed"} {
		if !slices.Contains(types, want) {
			t.Errorf("audit lacks %s: %v", want, types)
		}
	}
	// Nothing secret, no answer and no question chosen, in the audit or the log.
	f.st.ListAudit(ctx, store.AuditFilter{}, func(e store.AuditEvent) error {
		for k, val := range e.Details {
			for _, secret := range []string{"4255550199", "rex", "lyon", "renault", "firstPet", "birthCity", code} {
				if strings.Contains(strings.ToLower(val), strings.ToLower(secret)) {
					t.Errorf("audit %s %s=%q holds %q", e.Type, k, val, secret)
				}
			}
		}
		return nil
	})
	for _, secret := range []string{"4255550199", "Rex", "Lyon", "Renault", code, alicePW} {
		if strings.Contains(f.logs.String(), secret) {
			t.Errorf("log holds %q", secret)
		}
	}
}

func TestEmailChangeTellsTheOldAddress(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil, policyWith("email", "sms"))
	tok, _ := f.signIn(t, "alice@contoso.com", alicePW)
	f.svc.SendEmailCode(ctx, tok, "first@example.com", f.c)
	f.svc.VerifyEmail(ctx, tok, f.out.code(t, "first@example.com"), f.c)
	f.svc.SendEmailCode(ctx, tok, "second@example.com", f.c)
	if _, err := f.svc.VerifyEmail(ctx, tok, f.out.code(t, "second@example.com"), f.c); err != nil {
		t.Fatal(err)
	}
	old := f.out.to("first@example.com")
	last := old[len(old)-1]
	if !strings.Contains(last.Body, "changed from f•••@example.com to s•••@example.com") {
		t.Errorf("the old address was not told: %+v", last)
	}
	if f.user(t, "alice@contoso.com").AuthenticationEmail != "second@example.com" {
		t.Error("not saved")
	}
}

func TestPhoneNumbers(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil, policyWith("email", "sms", "voice"))
	tok, _ := f.signIn(t, "alice@contoso.com", alicePW)
	for _, tc := range []struct{ in, want, channel string }{
		{"+1 425 555 0123", "+1 ••••••0123", "sms"},
		{"tel:+1-425-555-0124;ext=55", "+1 ••••••0124", "sms"},
		{"+44 20 7946 0958", "+44 ••••••0958", "voice"}, // a London landline: called
		{"hello", "register.phone.invalid", ""},
		{"+1 555", "register.phone.invalid", ""},
		{"+999 123456", "register.phone.noCountryCode", ""},
	} {
		v, err := f.svc.SendPhoneCode(ctx, tok, tc.in, f.c)
		got := errKey(err)
		if err == nil {
			got = v.Phone.Pending
		}
		if got != tc.want || err == nil && v.Phone.Channel != tc.channel {
			t.Errorf("%q: %q %s, want %q %s", tc.in, got, v.Phone.Channel, tc.want, tc.channel)
		}
	}
	// Phone codes share the reset flow's budget: 5 per hour.
	for _, n := range []string{"+1 425 555 0125", "+1 425 555 0126"} {
		if _, err := f.svc.SendPhoneCode(ctx, tok, n, f.c); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.SendPhoneCode(ctx, tok, "+1 425 555 0127", f.c); errKey(err) != "throttle.tooMany" {
		t.Errorf("6th phone code in an hour: %v", err)
	}
	// Only email enabled: no phone at all.
	f = newFixture(t, nil, policyWith("email"))
	tok, v := f.signIn(t, "alice@contoso.com", alicePW)
	if v.Phone.Enabled {
		t.Error("phone enabled")
	}
	if _, err := f.svc.SendPhoneCode(ctx, tok, "+1 425 555 0123", f.c); errKey(err) != "register.phone.disabled" {
		t.Errorf("phone while disabled: %v", err)
	}
}

func TestSession(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil, policyWith("email", "sms"))
	// Idle: 5 minutes without a request.
	tok, _ := f.signIn(t, "alice@contoso.com", alicePW)
	f.advance(4 * time.Minute)
	if _, err := f.svc.View(ctx, tok); err != nil {
		t.Fatal(err)
	}
	f.advance(5*time.Minute + time.Second)
	if _, err := f.svc.View(ctx, tok); !errors.Is(err, ErrNoSession) {
		t.Errorf("after 5 idle minutes: %v", err)
	}
	// Lifetime: 15 minutes after sign-in, however active.
	tok, _ = f.signIn(t, "alice@contoso.com", alicePW)
	for range 3 {
		f.advance(4 * time.Minute)
		if _, err := f.svc.View(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	f.advance(3*time.Minute + time.Second)
	if _, err := f.svc.View(ctx, tok); !errors.Is(err, ErrNoSession) {
		t.Errorf("15 minutes after sign-in: %v", err)
	}
	// Sign-out.
	tok, _ = f.signIn(t, "alice@contoso.com", alicePW)
	if err := f.svc.SignOut(ctx, tok, f.c); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.View(ctx, tok); !errors.Is(err, ErrNoSession) {
		t.Errorf("after sign-out: %v", err)
	}
	// Bound to the user: disabled since sign-in, the session ends.
	tok, _ = f.signIn(t, "alice@contoso.com", alicePW)
	f.st.Update(ctx, func(tx store.UsersTx) error {
		u, _ := tx.UserByUPN(ctx, "alice@contoso.com")
		u.AccountEnabled = false
		return tx.UpdateUser(ctx, &u)
	})
	if _, err := f.svc.View(ctx, tok); !errors.Is(err, ErrNoSession) {
		t.Errorf("disabled user: %v", err)
	}
	// A reset session's token is no registration session.
	if _, err := f.svc.View(ctx, "not-a-token"); !errors.Is(err, ErrNoSession) {
		t.Errorf("unknown token: %v", err)
	}
}

func TestReconfirm(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil, policyWith("email", "sms"))
	tok, _ := f.signIn(t, "alice@contoso.com", alicePW)
	if err := f.svc.Confirm(ctx, tok, f.c); errKey(err) != "register.incomplete" {
		t.Errorf("confirm with nothing registered: %v", err)
	}
	f.svc.SendPhoneCode(ctx, tok, "+1 425 555 0199", f.c)
	f.svc.VerifyPhone(ctx, tok, f.out.code(t, "+14255550199"), f.c)
	if err := f.svc.Confirm(ctx, tok, f.c); err != nil {
		t.Fatal(err)
	}
	f.advance(179 * 24 * time.Hour)
	if _, v := f.signIn(t, "alice@contoso.com", alicePW); v.Reconfirm || v.FirstTime {
		t.Errorf("179 days later: %+v", v)
	}
	f.advance(2 * 24 * time.Hour)
	tok, v := f.signIn(t, "alice@contoso.com", alicePW)
	if !v.Reconfirm || !v.Complete {
		t.Errorf("181 days later: %+v", v)
	}
	if err := f.svc.Confirm(ctx, tok, f.c); err != nil {
		t.Fatal(err)
	}
	if _, v := f.signIn(t, "alice@contoso.com", alicePW); v.Reconfirm {
		t.Errorf("just confirmed: %+v", v)
	}
	// 0: never.
	never := 0
	f.svc.cfg.Policy.ReconfirmDays = &never
	f.advance(700 * 24 * time.Hour)
	if _, v := f.signIn(t, "alice@contoso.com", alicePW); v.Reconfirm {
		t.Errorf("reconfirmDays 0: %+v", v)
	}
}

func TestPrivilegedUsers(t *testing.T) {
	ctx := context.Background()
	p := policyWith("email", "sms", "questions")
	p.AdminGroups = []string{"cn=admins,dc=contoso,dc=com"}
	f := newFixture(t, nil, p)
	f.dir.admins[aliceDN] = true
	for _, who := range []struct{ upn, pw string }{{"dave@contoso.com", "Dave-Password-1"}, {"alice@contoso.com", alicePW}} {
		tok, v := f.signIn(t, who.upn, who.pw)
		if v.Questions.Enabled || v.Required != 2 {
			t.Errorf("%s: %+v", who.upn, v)
		}
		if err := f.svc.SetQuestions(ctx, tok, validChoices, f.c); errKey(err) != "register.questions.disabled" {
			t.Errorf("%s registers questions: %v", who.upn, err)
		}
	}
}

func TestPolicy(t *testing.T) {
	p := DefaultPolicy()
	if p.SessionLifetime != 15*time.Minute || p.IdleTimeout != 5*time.Minute || *p.ReconfirmDays != 180 || len(p.Problems()) != 0 {
		t.Errorf("defaults %+v %v", p, p.Problems())
	}
	bad := 731
	p = Policy{SessionLifetime: 2 * time.Hour, IdleTimeout: 3 * time.Hour, ReconfirmDays: &bad}.WithDefaults()
	if got := p.Problems(); len(got) != 3 {
		t.Errorf("problems %q", got)
	}
}

// TestWrongRegistrationCodeIsNotAFailedProof is the flow package's decision: codes mistyped at
// registration exhaust that code (its own attempts) but do not count against the user's failed
// proofs, so they never lock the user out of reset.
func TestWrongRegistrationCodeIsNotAFailedProof(t *testing.T) {
	ctx := context.Background()
	p := policyWith("email", "sms", "voice")
	f := newFixture(t, nil, p)
	tok, _ := f.signIn(t, "alice@contoso.com", alicePW)
	if _, err := f.svc.SendPhoneCode(ctx, tok, "+1 425 555 0199", f.c); err != nil {
		t.Fatal(err)
	}
	for i := range p.CodeMaxAttempts + 2 {
		_, err := f.svc.VerifyPhone(ctx, tok, "00000000", f.c)
		if k := errKey(err); k != "verify.wrong" && k != "verify.exhausted" {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if _, err := f.svc.VerifyPhone(ctx, tok, f.out.code(t, "+14255550199"), f.c); errKey(err) != "verify.exhausted" {
		t.Errorf("the right code after the attempts ran out: %v", err)
	}
	u := f.user(t, "alice@contoso.com")
	n, err := f.st.CountEvents(ctx, "u:"+u.ID+":failed", f.now.Add(-24*time.Hour))
	if err != nil || n != 0 {
		t.Errorf("failed proofs counted for the user: %d %v", n, err)
	}
	if until, err := f.st.LockedUntil(ctx, "u:"+u.ID+":failed", f.now); err != nil || !until.IsZero() {
		t.Errorf("reset locked until %v (%v)", until, err)
	}
	// A new code works.
	if _, err := f.svc.SendPhoneCode(ctx, tok, "+1 425 555 0199", f.c); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.VerifyPhone(ctx, tok, f.out.code(t, "+14255550199"), f.c); err != nil {
		t.Errorf("a new code: %v", err)
	}
}

// TestSignInOutage: while the directory cannot be reached, a known name and an unknown one get
// the same answer (unknown names bind too, as a name that cannot exist).
func TestSignInOutage(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil, policyWith("email", "sms"))
	f.dir.down = true
	for _, name := range []string{"alice@contoso.com", "nobody@contoso.com"} {
		if _, _, err := f.svc.SignIn(ctx, name, "whatever", f.c); errKey(err) != "signin.unavailable" {
			t.Errorf("%s during an outage: %v", name, err)
		}
	}
	f.dir.down = false
	if _, _, err := f.svc.SignIn(ctx, "nobody@contoso.com", "whatever", f.c); errKey(err) != "signin.failed" {
		t.Errorf("unknown name: %v", err)
	}
}
