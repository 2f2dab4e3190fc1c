package reset

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/password"
	"github.com/sspr/sspr/internal/questions"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/sqlite"
)

// fakeDirectory records writebacks (a fake of our own Directory interface).
type fakeDirectory struct {
	mu        sync.Mutex
	passwords map[string]string
	unlocked  []string
	fail      error
	members   map[string]bool
	// writes counts SetPassword calls; delay makes each take that long (races).
	writes int
	delay  time.Duration
	// lostAnswer: SetPassword writes, then returns fail (an answer lost after the write);
	// bindFail: Authenticate returns it.
	lostAnswer bool
	bindFail   error
	notLocked  map[string]bool // dn → not locked out
}

func (d *fakeDirectory) SetPassword(_ context.Context, dn, pw string) error {
	time.Sleep(d.delay)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.writes++
	if d.lostAnswer {
		d.passwords[dn] = pw
	}
	if d.fail != nil {
		return d.fail
	}
	d.passwords[dn] = pw
	return nil
}

// IsLocked: accounts are locked unless listed in notLocked.
func (d *fakeDirectory) IsLocked(_ context.Context, dn string) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return !d.notLocked[dn], nil
}

func (d *fakeDirectory) Authenticate(_ context.Context, dn, pw string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.bindFail != nil {
		return d.bindFail
	}
	if d.passwords[dn] != pw {
		return reasonErr("wrongPassword")
	}
	return nil
}

func (d *fakeDirectory) Unlock(_ context.Context, dn string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail != nil {
		return d.fail
	}
	d.unlocked = append(d.unlocked, dn)
	return nil
}

func (d *fakeDirectory) IsMember(_ context.Context, userDN, groupDN string) (bool, error) {
	return d.members[userDN+"|"+groupDN], nil
}

type reasonErr string

func (r reasonErr) Error() string  { return "directory said: " + string(r) }
func (r reasonErr) Reason() string { return string(r) }

// outbox captures messages (a fake of our own Sender interface).
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

func (o *outbox) last(t *testing.T) flow.Message {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.msgs) == 0 {
		t.Fatal("no message sent")
	}
	return o.msgs[len(o.msgs)-1]
}

func (o *outbox) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.msgs)
}

var codeRE = regexp.MustCompile(`\d{8}`)

type fixture struct {
	svc  *Service
	st   *sqlite.Store
	dir  *fakeDirectory
	out  *outbox
	logs *bytes.Buffer
	now  time.Time
	c    flow.Client
}

func (f *fixture) advance(d time.Duration) { f.now = f.now.Add(d) }

func newFixture(t *testing.T, policy flow.Policy) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "sspr.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	users := []store.User{
		{UserPrincipalName: "alice@contoso.com", DisplayName: "Alice Anderson", DN: "uid=alice,ou=Staff,dc=contoso,dc=com", AccountEnabled: true,
			MobilePhone:     store.Phone{Raw: "+1 425 555 0100", Number: "+1 4255550100", Type: "fixedLineOrMobile"},
			OfficePhone:     store.Phone{Raw: "+1 425 555 0101", Number: "+1 4255550101", Type: "fixedLineOrMobile"},
			AlternateEmails: []string{"alice.private@example.net"}},
		{UserPrincipalName: "bob@contoso.com", DN: "uid=bob,ou=Staff,dc=contoso,dc=com", AccountEnabled: false,
			MobilePhone: store.Phone{Raw: "+1 425 555 0102", Number: "+1 4255550102", Type: "fixedLineOrMobile"}},
		{UserPrincipalName: "carol@contoso.com", DN: "uid=carol,ou=Staff,dc=contoso,dc=com", AccountEnabled: true},
		{UserPrincipalName: "dave@contoso.com", DN: "uid=dave,ou=Staff,dc=contoso,dc=com", AccountEnabled: true, Privileged: true,
			MobilePhone:     store.Phone{Raw: "+44 7400 123456", Number: "+44 7400123456", Type: "mobile"},
			AlternateEmails: []string{"dave@example.org"}},
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
	f := &fixture{st: st, dir: &fakeDirectory{passwords: map[string]string{}, members: map[string]bool{}}, out: &outbox{},
		logs: &bytes.Buffer{}, now: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC), c: flow.Client{IP: "192.0.2.7", UserAgent: "test"}}
	f.svc = f.service(policy, f.out)
	return f
}

// service is the fixture's service with another sender.
func (f *fixture) service(policy flow.Policy, send flow.Sender) *Service {
	log := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	return New(f.st, send, f.dir, Config{Policy: policy, Password: password.Default(),
		CodeKey: bytes.Repeat([]byte("c"), 32), DecoyKey: bytes.Repeat([]byte("d"), 32), CompanyName: "Contoso",
		PublicURL: "https://sspr.contoso.com", Hasher: questions.NewHasher(questions.HasherOptions{Params: cheapArgon2}),
		Now: func() time.Time { return f.now }}, log)
}

func userErrKey(err error) string {
	var ue *flow.Error
	if errors.As(err, &ue) {
		return ue.Key
	}
	if err != nil {
		return "internal: " + err.Error()
	}
	return ""
}

func (f *fixture) sendAndRead(t *testing.T, token, option string) string {
	t.Helper()
	if _, err := f.svc.SendCode(context.Background(), token, option, f.c); err != nil {
		t.Fatalf("send %s: %v", option, err)
	}
	code := codeRE.FindString(f.out.last(t).Body)
	if code == "" {
		t.Fatalf("no code in %q", f.out.last(t).Body)
	}
	return code
}

func TestResetHappyPath(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, flow.DefaultPolicy())
	token, v, err := f.svc.Start(ctx, KindReset, "  ALICE@contoso.com ", f.c)
	if err != nil {
		t.Fatal(err)
	}
	want := []Option{{ID: "email", Method: "email", Hint: "a•••@example.net"}, {ID: "sms", Method: "sms", Hint: "+1 ••••••0100"},
		{ID: "voice", Method: "voice", Hint: "+1 ••••••0100"}, {ID: "voice-office", Method: "voice", Hint: "+1 ••••••0101"}}
	if !slices.Equal(v.Options, want) || v.Required != 1 || v.Ready {
		t.Fatalf("view = %+v", v)
	}
	code := f.sendAndRead(t, token, "sms")
	if m := f.out.last(t); m.Channel != "sms" || m.To != "+14255550100" {
		t.Errorf("sms to %+v", m)
	}
	if _, err := f.svc.VerifyCode(ctx, token, "sms", "00000000", f.c); userErrKey(err) != "verify.wrong" {
		t.Errorf("wrong code: %v", err)
	}
	v, err = f.svc.VerifyCode(ctx, token, "sms", code[:4]+" "+code[4:], f.c)
	if err != nil || !v.Ready {
		t.Fatalf("verify: %v %+v", err, v)
	}
	// The same code twice: consumed.
	if _, err := f.svc.VerifyCode(ctx, token, "sms", code, f.c); userErrKey(err) != "verify.noCode" {
		t.Errorf("reused code: %v", err)
	}
	if err := f.svc.Complete(ctx, token, "password", f.c); userErrKey(err) != "password.weak" {
		t.Errorf("weak password: %v", err)
	}
	if err := f.svc.Complete(ctx, token, "Anderson-rocks-the-boat-42", f.c); userErrKey(err) != "password.containsName" {
		t.Errorf("name in password: %v", err)
	}
	newPW := "correct horse battery staple"
	if err := f.svc.Complete(ctx, token, newPW, f.c); err != nil {
		t.Fatal(err)
	}
	if got := f.dir.passwords["uid=alice,ou=Staff,dc=contoso,dc=com"]; got != newPW {
		t.Errorf("writeback got %q", got)
	}
	note := f.out.last(t)
	if note.Channel != "email" || note.To != "alice.private@example.net" || strings.Contains(note.Body, newPW) {
		t.Errorf("notification %+v", note)
	}
	if err := f.svc.Complete(ctx, token, newPW, f.c); !errors.Is(err, ErrNoSession) {
		t.Errorf("session reused after completion: %v", err)
	}
	var (
		types   []string
		started []map[string]string
	)
	f.st.ListAudit(ctx, store.AuditFilter{UserPrincipalName: "alice@contoso.com"}, func(e store.AuditEvent) error {
		types = append(types, e.Type)
		if e.Type == "reset.started" {
			started = append(started, e.Details)
		}
		if e.ClientIP != "192.0.2.7" || e.UserAgent != "test" {
			t.Errorf("audit without client: %+v", e)
		}
		return nil
	})
	for _, want := range []string{"reset.started", "reset.code.sent", "reset.code.failed", "reset.code.verified", "reset.done"} {
		if !slices.Contains(types, want) {
			t.Errorf("audit lacks %s: %v", want, types)
		}
	}
	// The start's one event says how it started and what it offered.
	if len(started) != 1 || started[0]["outcome"] != "ok" || started[0]["required"] != "1" || started[0]["decoy"] != "false" ||
		!strings.Contains(started[0]["methods"], "sms +1 ••••••0100") {
		t.Errorf("reset.started details %v", started)
	}
	// Nothing secret in the logs.
	logs := f.logs.String()
	for _, secret := range []string{code, newPW, "4255550100", "+1 425 555 0100"} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains %q:\n%s", secret, logs)
		}
	}
}

func TestCodes(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, flow.DefaultPolicy())
	tokA, _, _ := f.svc.Start(ctx, KindReset, "alice@contoso.com", f.c)
	tokB, _, _ := f.svc.Start(ctx, KindReset, "alice@contoso.com", f.c)
	codeA := f.sendAndRead(t, tokA, "email")
	f.sendAndRead(t, tokB, "email")
	// Bound to its session.
	if _, err := f.svc.VerifyCode(ctx, tokB, "email", codeA, f.c); userErrKey(err) != "verify.wrong" {
		t.Errorf("code of another session: %v", err)
	}
	// Bound to its option.
	if _, err := f.svc.VerifyCode(ctx, tokA, "sms", codeA, f.c); userErrKey(err) != "verify.noCode" {
		t.Errorf("code of another option: %v", err)
	}
	// A new code replaces the old one.
	codeA2 := f.sendAndRead(t, tokA, "email")
	if codeA2 != codeA {
		if _, err := f.svc.VerifyCode(ctx, tokA, "email", codeA, f.c); userErrKey(err) != "verify.wrong" {
			t.Errorf("replaced code: %v", err)
		}
	}
	// Expiry.
	f.advance(11 * time.Minute)
	if _, err := f.svc.VerifyCode(ctx, tokA, "email", codeA2, f.c); userErrKey(err) != "verify.noCode" {
		t.Errorf("expired code: %v", err)
	}
	// Session expiry (15 min).
	f.advance(5 * time.Minute)
	if _, err := f.svc.View(ctx, tokA); !errors.Is(err, ErrNoSession) {
		t.Errorf("expired session: %v", err)
	}
}

func TestMaxTriesPerCode(t *testing.T) {
	ctx := context.Background()
	p := flow.DefaultPolicy()
	p.Throttle.FailedProofs.Max = 100 // test the per-code limit alone
	f := newFixture(t, p)
	tok, _, _ := f.svc.Start(ctx, KindReset, "alice@contoso.com", f.c)
	code := f.sendAndRead(t, tok, "sms")
	var keys []string
	for range 5 {
		_, err := f.svc.VerifyCode(ctx, tok, "sms", "11111111", f.c)
		keys = append(keys, userErrKey(err))
	}
	if keys[3] != "verify.wrong" || keys[4] != "verify.exhausted" {
		t.Errorf("5 wrong tries: %v", keys)
	}
	// Even the right code is refused now: the attempt is counted before the comparison.
	if _, err := f.svc.VerifyCode(ctx, tok, "sms", code, f.c); userErrKey(err) != "verify.exhausted" {
		t.Errorf("right code after 5 tries: %v", err)
	}
}

func TestNoEnumeration(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, flow.DefaultPolicy())
	shape := func(v View) string {
		var ids []string
		for _, o := range v.Options {
			ids = append(ids, o.ID+"="+regexp.MustCompile(`[^•@+ ]`).ReplaceAllString(o.Hint, "x"))
		}
		return strings.Join(ids, ",")
	}
	// "*)(uid=*" would match everyone if it reached an LDAP filter unescaped; names are looked up
	// in the store, exactly, so it finds nobody.
	for _, name := range []string{"nobody@contoso.com", "bob@contoso.com" /* disabled */, "carol@contoso.com" /* no methods */, "*)(uid=*", "*"} {
		tok, v, err := f.svc.Start(ctx, KindReset, name, f.c)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Options) == 0 || v.Required != 1 || v.Ready {
			t.Errorf("%s: view %+v", name, v)
		}
		_, v2, _ := f.svc.Start(ctx, KindReset, name, f.c)
		if !slices.Equal(v.Options, v2.Options) {
			t.Errorf("%s: hints differ between two starts: %v %v", name, v.Options, v2.Options)
		}
		t.Logf("%s: %s", name, shape(v))
		sent := f.out.count()
		if _, err := f.svc.SendCode(ctx, tok, v.Options[0].ID, f.c); err != nil {
			t.Errorf("%s: send: %v", name, err)
		}
		if f.out.count() != sent {
			t.Errorf("%s: a message was sent", name)
		}
		if _, err := f.svc.VerifyCode(ctx, tok, v.Options[0].ID, "12345678", f.c); userErrKey(err) != "verify.wrong" {
			t.Errorf("%s: verify: %v", name, err)
		}
		if err := f.svc.Complete(ctx, tok, "correct horse battery staple", f.c); userErrKey(err) != "complete.notVerified" {
			t.Errorf("%s: complete: %v", name, err)
		}
	}
	if len(f.dir.passwords) != 0 {
		t.Error("a decoy flow wrote a password")
	}
}

func TestLockout(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"alice@contoso.com", "nobody@contoso.com"} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t, flow.DefaultPolicy())
			var last error
			for i := range 6 {
				tok, v, _ := f.svc.Start(ctx, KindReset, name, flow.Client{IP: "192.0.2." + string(rune('1'+i))})
				if _, err := f.svc.SendCode(ctx, tok, v.Options[0].ID, f.c); err != nil {
					last = err
					break
				}
				_, last = f.svc.VerifyCode(ctx, tok, v.Options[0].ID, "99999999", f.c)
			}
			if userErrKey(last) != "throttle.locked" {
				t.Fatalf("after 5 failed proofs: %v", last)
			}
			tok, v, err := f.svc.Start(ctx, KindReset, name, f.c)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.svc.SendCode(ctx, tok, v.Options[0].ID, f.c); userErrKey(err) != "throttle.locked" {
				t.Errorf("locked user could ask for a code: %v", err)
			}
			f.advance(24*time.Hour + time.Minute)
			if _, err := f.svc.SendCode(ctx, tok, v.Options[0].ID, f.c); userErrKey(err) != "session.expired" && err != nil {
				t.Errorf("after 24h: %v", err)
			}
		})
	}
}

func TestSendThrottle(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, flow.DefaultPolicy())
	tok, _, _ := f.svc.Start(ctx, KindReset, "alice@contoso.com", f.c)
	for i := range 5 {
		if _, err := f.svc.SendCode(ctx, tok, "sms", f.c); err != nil {
			t.Fatalf("sms %d: %v", i+1, err)
		}
	}
	if _, err := f.svc.SendCode(ctx, tok, "voice", f.c); userErrKey(err) != "throttle.tooMany" {
		t.Errorf("6th phone code in an hour: %v", err)
	}
	if _, err := f.svc.SendCode(ctx, tok, "email", f.c); err != nil {
		t.Errorf("email has its own limit: %v", err)
	}
	f.advance(61 * time.Minute)
	tok, _, _ = f.svc.Start(ctx, KindReset, "alice@contoso.com", f.c)
	if _, err := f.svc.SendCode(ctx, tok, "sms", f.c); err != nil {
		t.Errorf("after an hour: %v", err)
	}
}

func TestTwoMethods(t *testing.T) {
	ctx := context.Background()
	p := flow.DefaultPolicy()
	p.MethodsRequired = 2
	f := newFixture(t, p)
	tok, v, _ := f.svc.Start(ctx, KindReset, "alice@contoso.com", f.c)
	if v.Required != 2 {
		t.Fatalf("required %d", v.Required)
	}
	code := f.sendAndRead(t, tok, "sms")
	v, err := f.svc.VerifyCode(ctx, tok, "sms", code, f.c)
	if err != nil || v.Ready {
		t.Fatalf("after one method: %v %+v", err, v)
	}
	for _, o := range v.Options {
		if o.ID == "voice" || o.ID == "sms" {
			t.Errorf("the proven phone is still offered: %+v", v.Options)
		}
	}
	code = f.sendAndRead(t, tok, "email")
	if v, err = f.svc.VerifyCode(ctx, tok, "email", code, f.c); err != nil || !v.Ready {
		t.Fatalf("after two methods: %v %+v", err, v)
	}
}

func TestPrivilegedNeedsTwo(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, flow.DefaultPolicy())
	_, v, _ := f.svc.Start(ctx, KindReset, "dave@contoso.com", f.c)
	if v.Required != 2 {
		t.Errorf("adminCount=1 user needs %d methods", v.Required)
	}
	p := flow.DefaultPolicy()
	p.AdminGroups = []string{"cn=admins,dc=contoso,dc=com"}
	f = newFixture(t, p)
	f.dir.members["uid=alice,ou=Staff,dc=contoso,dc=com|cn=admins,dc=contoso,dc=com"] = true
	_, v, _ = f.svc.Start(ctx, KindReset, "alice@contoso.com", f.c)
	if v.Required != 2 {
		t.Errorf("admin group member needs %d methods", v.Required)
	}
}

func TestWritebackErrors(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, flow.DefaultPolicy())
	tok, _, _ := f.svc.Start(ctx, KindReset, "alice@contoso.com", f.c)
	code := f.sendAndRead(t, tok, "email")
	if _, err := f.svc.VerifyCode(ctx, tok, "email", code, f.c); err != nil {
		t.Fatal(err)
	}
	for reason, key := range map[string]string{"history": "writeback.history", "unavailable": "writeback.unavailable", "weird": "writeback.failed"} {
		f.dir.fail = reasonErr(reason)
		if err := f.svc.Complete(ctx, tok, "correct horse battery staple", f.c); userErrKey(err) != key {
			t.Errorf("%s: %v", reason, err)
		}
	}
	f.dir.fail = nil // the user can try again in the same session
	if err := f.svc.Complete(ctx, tok, "correct horse battery staple", f.c); err != nil {
		t.Error(err)
	}
}

func TestUnlock(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, flow.DefaultPolicy())
	tok, _, _ := f.svc.Start(ctx, KindUnlock, "alice@contoso.com", f.c)
	code := f.sendAndRead(t, tok, "voice")
	if m := f.out.last(t); m.Channel != "voice" || m.Body != "Your Contoso verification code is "+code {
		t.Errorf("voice message %+v", m)
	}
	if _, err := f.svc.VerifyCode(ctx, tok, "voice", code, f.c); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Complete(ctx, tok, "", f.c); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.dir.unlocked, []string{"uid=alice,ou=Staff,dc=contoso,dc=com"}) || len(f.dir.passwords) != 0 {
		t.Errorf("unlock: %v %v", f.dir.unlocked, f.dir.passwords)
	}
}

// verified starts a reset for alice and proves her email; it returns the session token.
func (f *fixture) verified(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	tok, _, err := f.svc.Start(ctx, KindReset, "alice@contoso.com", f.c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.VerifyCode(ctx, tok, "email", f.sendAndRead(t, tok, "email"), f.c); err != nil {
		t.Fatal(err)
	}
	return tok
}

func (f *fixture) audits(t *testing.T, typ string) int {
	t.Helper()
	n := 0
	f.st.ListAudit(context.Background(), store.AuditFilter{TypePrefix: typ}, func(e store.AuditEvent) error {
		if e.Type == typ {
			n++
		}
		return nil
	})
	return n
}

// TestCompleteOnceUnderConcurrency: ten parallel completions of one verified session write the
// password once, audit once and mail once; the others are told it is in progress.
func TestCompleteOnceUnderConcurrency(t *testing.T) {
	f := newFixture(t, flow.DefaultPolicy())
	tok := f.verified(t)
	f.dir.delay = 20 * time.Millisecond
	mails := f.out.count()
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f.svc.Complete(context.Background(), tok, "correct horse battery staple", f.c)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch k := userErrKey(err); k {
		case "":
			ok++
		case "complete.inProgress", "session.expired":
		default:
			t.Errorf("a concurrent completion: %v", err)
		}
	}
	if ok != 1 || f.dir.writes != 1 || f.audits(t, "reset.done") != 1 || f.out.count()-mails != 1 {
		t.Errorf("successes %d, writes %d, reset.done events %d, mails %d; want 1 each", ok, f.dir.writes, f.audits(t, "reset.done"), f.out.count()-mails)
	}
}

// TestLostWritebackAnswer: when the directory's answer to the write is lost, the flow checks
// with a bind whether the new password took effect, and says the truth.
func TestLostWritebackAnswer(t *testing.T) {
	const pw = "correct horse battery staple"
	lost := reasonErr("unavailable")
	t.Run("took effect", func(t *testing.T) {
		f := newFixture(t, flow.DefaultPolicy())
		tok := f.verified(t)
		f.dir.fail, f.dir.lostAnswer = lost, true
		mails := f.out.count()
		if err := f.svc.Complete(context.Background(), tok, pw, f.c); err != nil {
			t.Fatalf("the new password works, yet: %v", err)
		}
		if f.audits(t, "reset.done") != 1 || f.audits(t, "reset.writeback.failed") != 0 || f.out.count()-mails != 1 {
			t.Errorf("done %d, failed %d, mails %d", f.audits(t, "reset.done"), f.audits(t, "reset.writeback.failed"), f.out.count()-mails)
		}
	})
	t.Run("nothing changed", func(t *testing.T) {
		f := newFixture(t, flow.DefaultPolicy())
		tok := f.verified(t)
		f.dir.fail = lost
		if err := f.svc.Complete(context.Background(), tok, pw, f.c); userErrKey(err) != "writeback.unavailable" {
			t.Errorf("got %v", err)
		}
		f.dir.fail = nil // the same session can try again
		if err := f.svc.Complete(context.Background(), tok, pw, f.c); err != nil {
			t.Errorf("retry: %v", err)
		}
	})
	t.Run("unknown", func(t *testing.T) {
		f := newFixture(t, flow.DefaultPolicy())
		tok := f.verified(t)
		f.dir.fail, f.dir.lostAnswer, f.dir.bindFail = lost, true, lost
		if err := f.svc.Complete(context.Background(), tok, pw, f.c); userErrKey(err) != "writeback.unknown" {
			t.Errorf("got %v", err)
		}
		if f.audits(t, "reset.writeback.unknown") != 1 || f.audits(t, "reset.done") != 0 {
			t.Error("the audit does not say unknown")
		}
	})
}

// TestIPv6ClientsCountByNetwork: starts from many addresses of one IPv6 /64 count against one
// per-client limit (the web layer sets ThrottleKey to the network), while the audit keeps each
// full address.
func TestIPv6ClientsCountByNetwork(t *testing.T) {
	f := newFixture(t, flow.DefaultPolicy())
	limit := flow.DefaultPolicy().Throttle.StartsIP.Max
	var err error
	for i := range limit + 5 {
		c := flow.Client{IP: fmt.Sprintf("2001:db8:1:2::%x", i+1), ThrottleKey: "2001:db8:1:2::/64"}
		if _, _, err = f.svc.Start(context.Background(), KindReset, "nobody@contoso.com", c); err != nil {
			if i < limit {
				t.Fatalf("start %d: %v", i, err)
			}
			break
		}
	}
	if !flow.IsKind(err, flow.KindThrottled) {
		t.Errorf("%d starts from one /64 were not throttled: %v", limit+5, err)
	}
	var ips []string
	f.st.ListAudit(context.Background(), store.AuditFilter{TypePrefix: "reset.started", Limit: 2}, func(e store.AuditEvent) error {
		ips = append(ips, e.ClientIP)
		return nil
	})
	if len(ips) == 0 || !strings.HasPrefix(ips[0], "2001:db8:1:2::") || strings.Contains(ips[0], "/") {
		t.Errorf("audit client addresses %v, want full addresses", ips)
	}
}

// TestNewContactCooldownAtReset: a mobile number the directory changed an hour ago is not
// offered (the sync's audit event says so); the email still is; after a day the number is.
func TestNewContactCooldownAtReset(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, flow.DefaultPolicy())
	u, _ := f.st.UserByUPN(ctx, "alice@contoso.com")
	if err := f.st.AppendAudit(ctx, &store.AuditEvent{Time: f.now.Add(-time.Hour), Type: flow.ContactChangedEvent, Actor: "sync",
		UserID: u.ID, UserPrincipalName: u.UserPrincipalName, Details: map[string]string{"field": "mobilePhone"}}); err != nil {
		t.Fatal(err)
	}
	ids := func() []string {
		_, v, err := f.svc.Start(ctx, KindReset, "alice@contoso.com", f.c)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, o := range v.Options {
			out = append(out, o.ID)
		}
		return out
	}
	if got := ids(); !slices.Equal(got, []string{"email", "voice-office"}) {
		t.Errorf("an hour after the change: %v", got)
	}
	f.advance(24 * time.Hour)
	if got := ids(); !slices.Equal(got, []string{"email", "sms", "voice", "voice-office"}) {
		t.Errorf("a day later: %v", got)
	}
}

// TestUnlockLostAnswer: an unlock whose answer was lost does not claim "nothing was changed".
func TestUnlockLostAnswer(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, flow.DefaultPolicy())
	tok, _, _ := f.svc.Start(ctx, KindUnlock, "alice@contoso.com", f.c)
	if _, err := f.svc.VerifyCode(ctx, tok, "email", f.sendAndRead(t, tok, "email"), f.c); err != nil {
		t.Fatal(err)
	}
	f.dir.fail = reasonErr("unavailable")
	if err := f.svc.Complete(ctx, tok, "", f.c); userErrKey(err) != "unlock.unknown" {
		t.Errorf("got %v", err)
	}
	f.dir.fail = nil
	if err := f.svc.Complete(ctx, tok, "", f.c); err != nil {
		t.Errorf("retry: %v", err)
	}
}

// TestUnlockNotLocked: unlocking an account that is not locked says so, after the proof, and
// changes nothing.
func TestUnlockNotLocked(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, flow.DefaultPolicy())
	f.dir.notLocked = map[string]bool{"uid=alice,ou=Staff,dc=contoso,dc=com": true}
	tok, _, _ := f.svc.Start(ctx, KindUnlock, "alice@contoso.com", f.c)
	if err := f.svc.Complete(ctx, tok, "", f.c); userErrKey(err) != "complete.notVerified" {
		t.Fatalf("before the proof: %v", err) // nothing is told before the proof
	}
	if _, err := f.svc.VerifyCode(ctx, tok, "email", f.sendAndRead(t, tok, "email"), f.c); err != nil {
		t.Fatal(err)
	}
	err := f.svc.Complete(ctx, tok, "", f.c)
	if !flow.IsKind(err, flow.KindNotice) || userErrKey(err) != "unlock.notLocked" || len(f.dir.unlocked) != 0 {
		t.Errorf("got %v, unlocked %v", err, f.dir.unlocked)
	}
	if f.audits(t, "unlock.notLocked") != 1 {
		t.Error("not audited")
	}
}
