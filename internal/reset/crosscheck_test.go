package reset

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/password"
	"github.com/sspr/sspr/internal/questions"
	"github.com/sspr/sspr/internal/report"
	"github.com/sspr/sspr/internal/store"
	"github.com/sspr/sspr/internal/store/postgres"
	"github.com/sspr/sspr/internal/store/sqlite"
	"github.com/sspr/sspr/internal/testenv"
)

// crossStore is what the cross-check needs of a store.
type crossStore interface {
	store.Store
	Store
	report.Lister
	SetSecurityAnswers(ctx context.Context, userID string, answers []store.SecurityAnswer, at time.Time) error
}

// phoneTypes are every type the phone package knows, with "" for an unusable value.
var phoneTypes = []string{"mobile", "fixedLine", "fixedLineOrMobile", "tollFree", "premiumRate", "sharedCost", "voip",
	"personalNumber", "pager", "uan", "voicemail", "unknown", ""}

// population generates users covering every phone type in mobilePhone and officePhone, every
// combination of email, authentication phone and email, and questions, disabled and
// privileged users, and five users who share one number. Every other number is unique.
func population() []store.User {
	var users []store.User
	n := 0
	num := func() string { n++; return fmt.Sprintf("+44 7700%06d", n) }
	phoneOf := func(typ string) store.Phone {
		switch typ {
		case "":
			return store.Phone{Raw: "555-0100", Problem: "no country code"}
		case "none":
			return store.Phone{}
		}
		nr := num()
		return store.Phone{Raw: nr, Number: nr, Type: typ}
	}
	i := 0
	for _, mt := range append([]string{"none"}, phoneTypes...) {
		for _, ot := range append([]string{"none"}, phoneTypes...) {
			combo := i % 16
			i++
			u := store.User{UserPrincipalName: fmt.Sprintf("u%03d@contoso.com", i), DN: fmt.Sprintf("uid=u%03d,dc=contoso,dc=com", i),
				AccountEnabled: true, MobilePhone: phoneOf(mt), OfficePhone: phoneOf(ot)}
			if combo&1 != 0 {
				u.AlternateEmails = []string{fmt.Sprintf("u%03d@example.net", i)}
			}
			if combo&2 != 0 {
				u.AuthenticationPhone = num()
			}
			if combo&4 != 0 {
				u.AuthenticationEmail = fmt.Sprintf("u%03d.auth@example.org", i)
			}
			if combo&8 != 0 {
				u.SecurityQuestionsCount = 3 // answers registered by the test
			}
			switch i % 23 {
			case 5:
				u.AccountEnabled = false
			case 7, 11:
				u.Privileged = true
			}
			users = append(users, u)
		}
	}
	// The cases the readiness report once got wrong, by name.
	users = append(users,
		store.User{UserPrincipalName: "premium@contoso.com", DN: "uid=premium", AccountEnabled: true,
			OfficePhone: store.Phone{Raw: "+44 9098 790 123", Number: "+44 9098790123", Type: "premiumRate"}},
		store.User{UserPrincipalName: "personal@contoso.com", DN: "uid=personal", AccountEnabled: true,
			MobilePhone: store.Phone{Raw: "+44 70 1234 5678", Number: "+44 7012345678", Type: "personalNumber"}},
		store.User{UserPrincipalName: "onemethod@contoso.com", DN: "uid=onemethod", AccountEnabled: true,
			MobilePhone: store.Phone{Raw: "+44 7400 123456", Number: "+44 7400123456", Type: "mobile"}},
	)
	for j := range 5 {
		users = append(users, store.User{UserPrincipalName: fmt.Sprintf("desk%d@contoso.com", j), DN: fmt.Sprintf("uid=desk%d,dc=contoso,dc=com", j),
			AccountEnabled: true, MobilePhone: store.Phone{Raw: "+1 425 555 0100", Number: "+1 4255550100", Type: "fixedLineOrMobile"},
			SecurityQuestionsCount: 3 * (j % 2)})
	}
	return users
}

// policyShapes are the policies the cross-check runs under: 1 or 2 methods required, with all
// methods enabled and with each disabled in turn.
func policyShapes() map[string]flow.Policy {
	all := []string{flow.MethodEmail, flow.MethodSMS, flow.MethodVoice, flow.MethodQuestions}
	out := map[string]flow.Policy{}
	for _, req := range []int{1, 2} {
		for _, off := range append([]string{""}, all...) {
			p := flow.DefaultPolicy()
			p.Methods = slices.DeleteFunc(slices.Clone(all), func(m string) bool { return m == off })
			p.MethodsRequired = req
			p.Questions = questions.Policy{Register: 3, AtReset: 3}.WithDefaults()
			// Room for every flow of the test: the cross-check is about the rule, not limits.
			p.Throttle.StartsIP.Max, p.Throttle.Phone.Max, p.Throttle.Email.Max, p.Throttle.Questions.Max = 1<<20, 1<<20, 1<<20, 1<<20
			name := fmt.Sprintf("required=%d", req)
			if off != "" {
				name += ",no-" + off
			}
			out[name] = p
		}
	}
	return out
}

var crossAnswers = map[string]string{"firstPet": "Rex", "birthCity": "Lyon", "firstCar": "Renault 4"}

// TestReadinessMatchesTheFlow: for every user of the population under every policy shape, the
// readiness report says "ready" exactly when the real reset flow can be completed.
func TestReadinessMatchesTheFlow(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "sspr.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		crossCheck(t, st)
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := testenv.PostgresDSN(t)
		st, err := postgres.Open(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		crossCheck(t, st)
	})
}

func crossCheck(t *testing.T, st crossStore) {
	ctx := context.Background()
	users := population()
	hasher := questions.NewHasher(questions.HasherOptions{Params: cheapArgon2})
	if err := st.Update(ctx, func(tx store.UsersTx) error {
		for i := range users {
			users[i].Source = store.SourceCloud
			q := users[i].SecurityQuestionsCount
			users[i].SecurityQuestionsCount = 0
			if err := tx.CreateUser(ctx, &users[i]); err != nil {
				return err
			}
			users[i].SecurityQuestionsCount = q
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for _, u := range users {
		if u.SecurityQuestionsCount == 0 {
			continue
		}
		var list []store.SecurityAnswer
		for _, k := range slices.Sorted(func(yield func(string) bool) {
			for k := range crossAnswers {
				if !yield(k) {
					return
				}
			}
		}) {
			phc, err := hasher.Hash(ctx, crossAnswers[k])
			if err != nil {
				t.Fatal(err)
			}
			list = append(list, store.SecurityAnswer{QuestionKey: k, Hash: phc})
		}
		if err := st.SetSecurityAnswers(ctx, u.ID, list, now); err != nil {
			t.Fatal(err)
		}
	}

	shapes := policyShapes()
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range shapes {
			if !yield(k) {
				return
			}
		}
	})
	checked, ready := 0, 0
	for _, name := range names {
		p := shapes[name]
		t.Run(name, func(t *testing.T) {
			rep := map[string]report.Readiness{}
			if _, err := report.Build(ctx, st, p, store.UserFilter{}, func(r report.Readiness) error {
				rep[r.UserPrincipalName] = r
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			out := &outbox{}
			dir := &fakeDirectory{passwords: map[string]string{}, members: map[string]bool{}}
			holders := flow.NewHolders(p.WithDefaults().SharedNumbers.Max)
			if err := holders.Build(ctx, st, now); err != nil {
				t.Fatal(err)
			}
			now = now.Add(2 * time.Hour)
			svc := New(st, out, dir, Config{Policy: p, Password: password.Default(), CodeKey: bytes.Repeat([]byte("c"), 32),
				DecoyKey: bytes.Repeat([]byte("d"), 32), PublicURL: "https://sspr.contoso.com", Hasher: hasher, Holders: holders.Count,
				Now: func() time.Time { return now }}, slog.New(slog.DiscardHandler))
			// The named rows: what the report must say for them under this policy.
			for upn, want := range namedRows(p) {
				if got := rep[upn]; got.Ready != want.ready || !slices.Equal(got.Methods, want.methods) {
					t.Errorf("%s: report ready=%v methods=%v, want ready=%v methods=%v", upn, got.Ready, got.Methods, want.ready, want.methods)
				}
			}
			for _, u := range users {
				r, ok := rep[u.UserPrincipalName]
				if !ok {
					t.Fatalf("%s missing from the report", u.UserPrincipalName)
				}
				done, how := completeReset(t, svc, out, u)
				checked++
				if r.Ready {
					ready++
				}
				if r.Ready != done {
					t.Errorf("%s (%s): report ready=%v methods=%v missing=%q; flow completed=%v (%s)", u.UserPrincipalName, describe(u),
						r.Ready, r.Methods, r.Missing, done, how)
				}
			}
		})
	}
	t.Logf("%d user × policy pairs checked, %d ready", checked, ready)
	if ready == 0 || ready == checked {
		t.Errorf("the population does not exercise both outcomes: %d of %d ready", ready, checked)
	}
}

// completeReset drives the real flow for u as far as codes and answers allow: it proves the
// options in the order offered, one per destination, and completes. It reports whether the
// password was written back, and how it went.
func completeReset(t *testing.T, svc *Service, out *outbox, u store.User) (bool, string) {
	t.Helper()
	ctx := context.Background()
	c := flow.Client{IP: "192.0.2.1", UserAgent: "crosscheck"}
	tok, v, err := svc.Start(ctx, KindReset, u.UserPrincipalName, c)
	if err != nil {
		t.Fatalf("start %s: %v", u.UserPrincipalName, err)
	}
	var steps []string
	for !v.Ready {
		if len(v.Options) == 0 {
			return false, strings.Join(append(steps, "no option left"), ", ")
		}
		o := v.Options[0]
		before := out.count()
		nv, err := svc.SendCode(ctx, tok, o.ID, c)
		if err != nil {
			return false, strings.Join(append(steps, o.ID+": "+err.Error()), ", ")
		}
		if o.Method == flow.MethodQuestions {
			v, err = svc.VerifyAnswers(ctx, tok, answersFor(nv.Questions, crossAnswers), c)
		} else {
			if out.count() == before {
				return false, strings.Join(append(steps, o.ID+": nothing sent (decoy)"), ", ")
			}
			code := codeRE.FindString(out.lastBody())
			v, err = svc.VerifyCode(ctx, tok, o.ID, code, c)
		}
		if err != nil {
			return false, strings.Join(append(steps, o.ID+": "+err.Error()), ", ")
		}
		steps = append(steps, o.ID)
	}
	if err := svc.Complete(ctx, tok, "Correct-Horse-Battery-9", c); err != nil {
		return false, strings.Join(append(steps, "complete: "+err.Error()), ", ")
	}
	return true, strings.Join(append(steps, "completed"), ", ")
}

func describe(u store.User) string {
	return fmt.Sprintf("enabled=%v privileged=%v mobile=%s office=%s email=%v authPhone=%v authEmail=%v questions=%d",
		u.AccountEnabled, u.Privileged, u.MobilePhone.Type, u.OfficePhone.Type, len(u.AlternateEmails) > 0,
		u.AuthenticationPhone != "", u.AuthenticationEmail != "", u.SecurityQuestionsCount)
}

func (o *outbox) lastBody() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.msgs) == 0 {
		return ""
	}
	return o.msgs[len(o.msgs)-1].Body
}

type namedRow struct {
	ready   bool
	methods []string
}

// namedRows are the cases: a premium-rate office phone is never called; a UK personal
// number takes SMS, not a call; one method is not enough when two are required; a disabled
// method is never offered; a number five users share is not proof of one person.
func namedRows(p flow.Policy) map[string]namedRow {
	sms, voice := p.Enabled(flow.MethodSMS), p.Enabled(flow.MethodVoice)
	rows := map[string]namedRow{
		"premium@contoso.com": {false, []string{}},
		"desk0@contoso.com":   {false, []string{}},
	}
	personal := []string{}
	if sms {
		personal = []string{flow.MethodSMS}
	}
	rows["personal@contoso.com"] = namedRow{sms && p.MethodsRequired == 1, personal}
	one := []string{}
	if sms {
		one = append(one, flow.MethodSMS)
	}
	if voice {
		one = append(one, flow.MethodVoice)
	}
	rows["onemethod@contoso.com"] = namedRow{len(one) > 0 && p.MethodsRequired == 1, one}
	return rows
}
