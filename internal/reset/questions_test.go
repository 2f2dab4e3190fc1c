package reset

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/questions"
	"github.com/sspr/sspr/internal/store"
)

// cheapArgon2 keeps the tests fast; the questions package measures the real parameters.
var cheapArgon2 = questions.Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

// alicesAnswers are the answers registerAnswers stores for a user.
var alicesAnswers = map[string]string{"firstPet": "Rex", "birthCity": "Lyon", "firstCar": "Renault 4", "childhoodHero": "Zorro", "firstJob": "Paperboy"}

func (f *fixture) registerAnswers(t *testing.T, upn string, answers map[string]string) {
	t.Helper()
	ctx := context.Background()
	u, err := f.st.UserByUPN(ctx, upn)
	if err != nil {
		t.Fatal(err)
	}
	var list []store.SecurityAnswer
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range answers {
			if !yield(k) {
				return
			}
		}
	}) {
		phc, err := f.svc.cfg.Hasher.Hash(ctx, answers[k])
		if err != nil {
			t.Fatal(err)
		}
		list = append(list, store.SecurityAnswer{QuestionKey: k, Hash: phc})
	}
	if err := f.st.SetSecurityAnswers(ctx, u.ID, list, f.now); err != nil {
		t.Fatal(err)
	}
}

func questionsPolicy(required int) flow.Policy {
	p := flow.DefaultPolicy()
	p.Methods = []string{MethodEmail, MethodSMS, MethodVoice, MethodQuestions}
	p.MethodsRequired = required
	p.Questions = questions.Policy{Register: 5, AtReset: 3}.WithDefaults()
	return p
}

func answersFor(keys []string, m map[string]string) []string {
	var out []string
	for _, k := range keys {
		out = append(out, m[k])
	}
	return out
}

func TestQuestionsAndSMS(t *testing.T) {
	ctx := context.Background()
	p := questionsPolicy(2)
	p.Throttle.FailedProofs.Max, p.Throttle.Questions.Max = 100, 100 // the redraw alone
	f := newFixture(t, p)
	f.registerAnswers(t, "alice@contoso.com", alicesAnswers)
	tok, v, err := f.svc.Start(ctx, KindReset, "alice@contoso.com", f.c)
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(v.Options, func(o Option) bool { return o.ID == "questions" }); i < 0 || v.Options[i].Hint != "3" || v.Required != 2 {
		t.Fatalf("view %+v", v)
	}
	sent := f.out.count()
	v, err = f.svc.SendCode(ctx, tok, "questions", f.c)
	if err != nil || v.Pending != "questions" || len(v.Questions) != 3 || f.out.count() != sent {
		t.Fatalf("ask: %v %+v (messages %d → %d)", err, v, sent, f.out.count())
	}
	for _, k := range v.Questions {
		if _, ok := alicesAnswers[k]; !ok {
			t.Fatalf("asked %s, not registered", k)
		}
	}
	// Going back and choosing questions again asks the same ones (no free redraw).
	again, _ := f.svc.SendCode(ctx, tok, "questions", f.c)
	if !slices.Equal(again.Questions, v.Questions) {
		t.Errorf("asked %v, then %v without a failure", v.Questions, again.Questions)
	}
	// Empty answers are not an attempt.
	if _, err := f.svc.VerifyAnswers(ctx, tok, []string{"rex", "", "x"}, f.c); userErrKey(err) != "questions.answerAll" {
		t.Errorf("empty answer: %v", err)
	}
	// A wrong answer fails the whole set and draws anew: over a few failures, other sets appear.
	sets := map[string]bool{strings.Join(slices.Sorted(slices.Values(v.Questions)), ","): true}
	for range 12 {
		wrong := answersFor(v.Questions, alicesAnswers)
		wrong[1] = "not it"
		if _, err := f.svc.VerifyAnswers(ctx, tok, wrong, f.c); userErrKey(err) != "questions.wrong" {
			t.Fatalf("wrong answer: %v", err)
		}
		if v, err = f.svc.View(ctx, tok); err != nil || v.Pending != "questions" || len(v.Questions) != 3 {
			t.Fatalf("after a failure: %v %+v", err, v)
		}
		sets[strings.Join(slices.Sorted(slices.Values(v.Questions)), ",")] = true
	}
	if len(sets) < 2 {
		t.Errorf("13 draws of 3 among 5 gave one set: %v", sets)
	}
	// Right answers, typed differently: one method proven.
	right := answersFor(v.Questions, alicesAnswers)
	for i := range right {
		right[i] = "  " + strings.ToUpper(right[i]) + " "
	}
	v, err = f.svc.VerifyAnswers(ctx, tok, right, f.c)
	if err != nil || v.Ready || !slices.Contains(v.Verified, "questions") || v.Pending != "" {
		t.Fatalf("right answers: %v %+v", err, v)
	}
	if slices.ContainsFunc(v.Options, func(o Option) bool { return o.ID == "questions" }) {
		t.Errorf("questions still offered: %+v", v.Options)
	}
	// Answering again does not count twice.
	if _, err := f.svc.VerifyAnswers(ctx, tok, right, f.c); userErrKey(err) != "send.unknownOption" {
		t.Errorf("answers twice: %v", err)
	}
	code := f.sendAndRead(t, tok, "sms")
	if v, err = f.svc.VerifyCode(ctx, tok, "sms", code, f.c); err != nil || !v.Ready {
		t.Fatalf("sms: %v %+v", err, v)
	}
	if err := f.svc.Complete(ctx, tok, "correct horse battery staple", f.c); err != nil {
		t.Fatal(err)
	}
	// Audit and logs hold no answer.
	var types []string
	f.st.ListAudit(ctx, store.AuditFilter{UserPrincipalName: "alice@contoso.com"}, func(e store.AuditEvent) error {
		types = append(types, e.Type)
		for _, v := range e.Details {
			for _, a := range alicesAnswers {
				if strings.Contains(strings.ToLower(v), strings.ToLower(a)) {
					t.Errorf("audit %s holds an answer: %v", e.Type, e.Details)
				}
			}
		}
		return nil
	})
	for _, want := range []string{"reset.questions.failed", "reset.questions.verified", "reset.done"} {
		if !slices.Contains(types, want) {
			t.Errorf("audit lacks %s: %v", want, types)
		}
	}
	for _, a := range alicesAnswers {
		if strings.Contains(strings.ToLower(f.logs.String()), strings.ToLower(a)) {
			t.Errorf("log holds answer %q", a)
		}
	}
}

func TestQuestionsThrottle(t *testing.T) {
	ctx := context.Background()
	p := questionsPolicy(1)
	p.Throttle.FailedProofs.Max = 100 // the questions' own limit alone
	f := newFixture(t, p)
	f.registerAnswers(t, "alice@contoso.com", alicesAnswers)
	tok, _, _ := f.svc.Start(ctx, KindReset, "alice@contoso.com", f.c)
	var err error
	for i := range 5 {
		v, _ := f.svc.SendCode(ctx, tok, "questions", f.c)
		wrong := answersFor(v.Questions, alicesAnswers)
		wrong[0] = "nope"
		if _, err = f.svc.VerifyAnswers(ctx, tok, wrong, f.c); userErrKey(err) != "questions.wrong" {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	v, _ := f.svc.View(ctx, tok)
	if _, err = f.svc.VerifyAnswers(ctx, tok, answersFor(v.Questions, alicesAnswers), f.c); userErrKey(err) != "throttle.locked" {
		t.Fatalf("6th attempt in an hour, right answers: %v", err)
	}
	// Locked for 24 hours, in a new flow too; codes still work.
	f.advance(2 * time.Hour)
	tok, _, _ = f.svc.Start(ctx, KindReset, "alice@contoso.com", f.c)
	v, _ = f.svc.SendCode(ctx, tok, "questions", f.c)
	if _, err = f.svc.VerifyAnswers(ctx, tok, answersFor(v.Questions, alicesAnswers), f.c); userErrKey(err) != "throttle.locked" {
		t.Errorf("2 hours later: %v", err)
	}
	code := f.sendAndRead(t, tok, "email")
	if v, err := f.svc.VerifyCode(ctx, tok, "email", code, f.c); err != nil || !v.Ready {
		t.Errorf("email code while questions are locked: %v %+v", err, v)
	}
	f.advance(23 * time.Hour)
	tok, _, _ = f.svc.Start(ctx, KindReset, "alice@contoso.com", f.c)
	v, _ = f.svc.SendCode(ctx, tok, "questions", f.c)
	if v, err = f.svc.VerifyAnswers(ctx, tok, answersFor(v.Questions, alicesAnswers), f.c); err != nil || !v.Ready {
		t.Errorf("25 hours later: %v %+v", err, v)
	}
}

func TestQuestionsFailedProofsLockOut(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, questionsPolicy(1))
	f.registerAnswers(t, "alice@contoso.com", alicesAnswers)
	tok, _, _ := f.svc.Start(ctx, KindReset, "alice@contoso.com", f.c)
	var err error
	for range 5 {
		f.svc.SendCode(ctx, tok, "questions", f.c)
		_, err = f.svc.VerifyAnswers(ctx, tok, []string{"a1", "a2", "a3"}, f.c)
	}
	if userErrKey(err) != "throttle.locked" {
		t.Fatalf("5th failed proof: %v", err)
	}
	if _, err := f.svc.SendCode(ctx, tok, "email", f.c); userErrKey(err) != "throttle.locked" {
		t.Errorf("locked out of every method: %v", err)
	}
}

func TestQuestionsNotForPrivileged(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, questionsPolicy(1))
	f.registerAnswers(t, "dave@contoso.com", alicesAnswers)
	tok, v, _ := f.svc.Start(ctx, KindReset, "dave@contoso.com", f.c)
	if slices.ContainsFunc(v.Options, func(o Option) bool { return o.Method == "questions" }) {
		t.Errorf("privileged user offered questions: %+v", v.Options)
	}
	if _, err := f.svc.SendCode(ctx, tok, "questions", f.c); userErrKey(err) != "send.unknownOption" {
		t.Errorf("privileged user asked questions: %v", err)
	}
	// Fewer registered than asked: not offered either.
	f.registerAnswers(t, "alice@contoso.com", map[string]string{"firstPet": "Rex", "birthCity": "Lyon"})
	if _, v, _ = f.svc.Start(ctx, KindReset, "alice@contoso.com", f.c); slices.ContainsFunc(v.Options, func(o Option) bool { return o.Method == "questions" }) {
		t.Errorf("2 registered, 3 asked, offered: %+v", v.Options)
	}
	// Not offered when the policy does not enable them.
	f = newFixture(t, flow.DefaultPolicy())
	f.registerAnswers(t, "alice@contoso.com", alicesAnswers)
	if _, v, _ = f.svc.Start(ctx, KindReset, "alice@contoso.com", f.c); slices.ContainsFunc(v.Options, func(o Option) bool { return o.Method == "questions" }) {
		t.Errorf("questions offered while disabled: %+v", v.Options)
	}
}

// A name that matches nobody shows questions like a real user's: drawn from a fixed set per
// name, taken from the catalog, never accepted.
func TestQuestionsDecoy(t *testing.T) {
	ctx := context.Background()
	p := questionsPolicy(1)
	p.Throttle.FailedProofs.Max, p.Throttle.Questions.Max = 100, 100
	f := newFixture(t, p)
	withQuestions := 0
	for i := range 40 {
		name := "nobody" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + "@contoso.com"
		_, v, _ := f.svc.Start(ctx, KindReset, name, f.c)
		if slices.ContainsFunc(v.Options, func(o Option) bool { return o.ID == "questions" && o.Hint == "3" }) {
			withQuestions++
		}
	}
	if withQuestions < 8 || withQuestions > 32 {
		t.Errorf("%d of 40 unknown names show questions; about half should", withQuestions)
	}
	var name string
	for i := range 40 {
		name = "ghost" + string(rune('a'+i)) + "@contoso.com"
		if _, v, _ := f.svc.Start(ctx, KindReset, name, f.c); slices.ContainsFunc(v.Options, func(o Option) bool { return o.ID == "questions" }) {
			break
		}
	}
	pool := map[string]bool{}
	for range 8 {
		tok, _, _ := f.svc.Start(ctx, KindReset, name, f.c)
		v, err := f.svc.SendCode(ctx, tok, "questions", f.c)
		if err != nil || len(v.Questions) != 3 {
			t.Fatalf("decoy ask: %v %+v", err, v)
		}
		for _, k := range v.Questions {
			if !slices.Contains(questions.Predefined, k) {
				t.Fatalf("decoy question %q not in the catalog", k)
			}
			pool[k] = true
		}
		if _, err := f.svc.VerifyAnswers(ctx, tok, []string{"a1", "a2", "a3"}, f.c); userErrKey(err) != "questions.wrong" {
			t.Errorf("decoy answers: %v", err)
		}
	}
	if len(pool) > 5 {
		t.Errorf("a decoy drew from %d questions; the same name must always have the same 5", len(pool))
	}
	if f.out.count() != 0 {
		t.Errorf("%d messages sent for decoys", f.out.count())
	}
}
