package reset

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/promutil"
	"github.com/sspr/sspr/internal/store"
)

// withMetrics gives f's service metrics on a registry of its own.
func withMetrics(f *fixture) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	f.svc.cfg.Metrics = flow.NewMetrics(reg)
	return reg
}

// TestMetricsSameForUnknownName: the same steps for a real user and for a name that matches
// nobody (a decoy flow) move every metric by the same amounts: starts, a code sent (a decoy's
// is "queued" too), wrong codes up to the lockout, the throttled attempts after it, a
// completion without proof. Each flow runs on its own fixture and registry; the deltas are
// compared series by series.
func TestMetricsSameForUnknownName(t *testing.T) {
	ctx := context.Background()
	known := "alice@contoso.com"
	// An unknown name whose decoy page offers an option alice has (so that the same option is
	// asked for): the decoy's options are derived from the name.
	fk := newFixture(t, flow.DefaultPolicy())
	_, kv, _ := fk.svc.Start(ctx, KindReset, known, fk.c)
	var unknown, option string
	for i := 0; unknown == "" && i < 100; i++ {
		name := "nobody" + strings.Repeat("x", i) + "@contoso.com"
		_, v, _ := fk.svc.Start(ctx, KindReset, name, fk.c)
		for _, o := range v.Options {
			if slices.ContainsFunc(kv.Options, func(k Option) bool { return k.ID == o.ID && o.Method != MethodQuestions }) {
				unknown, option = name, o.ID
				break
			}
		}
	}
	if unknown == "" {
		t.Fatal("no unknown name shares an option with alice")
	}
	run := func(name string) map[string]float64 {
		f := newFixture(t, flow.DefaultPolicy())
		reg := withMetrics(f)
		for _, kind := range []string{KindReset, KindUnlock} {
			for i := range 7 { // the 5th wrong code locks; the 6th and 7th are throttled
				tok, _, err := f.svc.Start(ctx, kind, name, f.c)
				if err != nil {
					t.Fatal(err)
				}
				f.svc.SendCode(ctx, tok, option, f.c)
				f.svc.VerifyCode(ctx, tok, option, "00000000", f.c)
				f.svc.Complete(ctx, tok, "correct horse battery staple", f.c)
				f.svc.SendCode(ctx, "no-such-session", option, f.c)
				f.advance(time.Duration(i) * time.Second)
			}
			f.advance(25 * time.Hour)
		}
		snap, err := promutil.Snapshot(reg)
		if err != nil {
			t.Fatal(err)
		}
		return snap
	}
	k, u := run(known), run(unknown)
	t.Logf("%s vs %s, option %s: %v", known, unknown, option, k)
	if len(k) == 0 {
		t.Fatal("no metric moved")
	}
	for _, want := range []string{`sspr_flow_lockouts_total{flow="reset",scope="user"}`, `sspr_flow_throttled_total{flow="reset",step="send"}`,
		`sspr_flow_codes_total{channel="` + strings.TrimSuffix(option, "-office") + `",flow="reset",result="queued"}`} {
		if k[want] == 0 {
			t.Errorf("%s did not move: %v", want, k)
		}
	}
	for name := range merge(k, u) {
		if k[name] != u[name] {
			t.Errorf("%s: known name %v, unknown name %v", name, k[name], u[name])
		}
	}
}

func merge(a, b map[string]float64) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// TestOutcomeLogAndMetrics: a complete reset of a privileged user (two codes) logs exactly one
// outcome line, without a code, the password or a full phone number or email address; the
// outcome, the codes and the writeback are counted; reset.done says privileged=true (package
// alert reads it).
func TestOutcomeLogAndMetrics(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, flow.DefaultPolicy())
	reg := withMetrics(f)
	tok, v, err := f.svc.Start(ctx, KindReset, "dave@contoso.com", f.c)
	if err != nil || v.Required != 2 {
		t.Fatalf("start: %v %+v", err, v)
	}
	var codes []string
	for _, opt := range []string{"email", "sms"} {
		code := f.sendAndRead(t, tok, opt)
		codes = append(codes, code)
		if _, err := f.svc.VerifyCode(ctx, tok, opt, code, f.c); err != nil {
			t.Fatal(err)
		}
	}
	newPW := "correct horse battery staple"
	if err := f.svc.Complete(ctx, tok, newPW, f.c); err != nil {
		t.Fatal(err)
	}
	logs := f.logs.String()
	t.Log(logs)
	secrets := append(codes, newPW, "7400123456", "+44 7400", "dave@example.org")
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("log holds %q", s)
		}
	}
	outcome := regexp.MustCompile(`(?m)^.*msg="flow outcome".*$`).FindAllString(logs, -1)
	if len(outcome) != 1 {
		t.Fatalf("%d outcome lines, want 1", len(outcome))
	}
	for _, want := range []string{"flow=reset", "outcome=done", "user=dave@contoso.com", "methods=email+sms", "privileged=true", "clientIP=192.0.2.7"} {
		if !strings.Contains(outcome[0], want) {
			t.Errorf("outcome line %q lacks %q", outcome[0], want)
		}
	}
	snap, err := promutil.Snapshot(reg)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]float64{
		`sspr_flow_outcomes_total{flow="reset",methods="email+sms",outcome="done"}`:   1,
		`sspr_flow_codes_total{channel="sms",flow="reset",result="queued"}`:           1,
		`sspr_flow_codes_total{channel="email",flow="reset",result="queued"}`:         1,
		`sspr_flow_steps_total{flow="reset",method="",outcome="ok",step="complete"}`:  1,
		`sspr_flow_steps_total{flow="reset",method="sms",outcome="ok",step="verify"}`: 1,
		`sspr_writeback_seconds{op="setPassword",result="ok"}`:                        1,
	} {
		if snap[name] != want {
			t.Errorf("%s = %v, want %v", name, snap[name], want)
		}
	}
	var done []store.AuditEvent
	f.st.ListAudit(ctx, store.AuditFilter{TypePrefix: "reset.done"}, func(e store.AuditEvent) error {
		done = append(done, e)
		return nil
	})
	if len(done) != 1 || done[0].Details["privileged"] != "true" {
		t.Errorf("reset.done events %+v", done)
	}
}

// TestOutcomeOfRefusedWriteback: a refused writeback is one outcome line (warn, with the
// directory's reason) and one refused outcome, its latency observed with the reason.
func TestOutcomeOfRefusedWriteback(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, flow.DefaultPolicy())
	reg := withMetrics(f)
	f.dir.fail = reasonErr("history")
	tok, _, _ := f.svc.Start(ctx, KindReset, "alice@contoso.com", f.c)
	code := f.sendAndRead(t, tok, "email")
	if _, err := f.svc.VerifyCode(ctx, tok, "email", code, f.c); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Complete(ctx, tok, "correct horse battery staple", f.c); err == nil {
		t.Fatal("writeback refused: no error")
	}
	if n := strings.Count(f.logs.String(), `msg="flow outcome"`); n != 1 || !strings.Contains(f.logs.String(), "outcome=refused") {
		t.Errorf("%d outcome lines:\n%s", n, f.logs.String())
	}
	snap, _ := promutil.Snapshot(reg)
	if snap[`sspr_flow_outcomes_total{flow="reset",methods="email",outcome="refused"}`] != 1 || snap[`sspr_writeback_seconds{op="setPassword",result="history"}`] != 1 {
		t.Errorf("metrics %v", snap)
	}
}

// TestOutcomeLogWithQuestions: a complete reset proven by security questions and an SMS code,
// with one wrong answer on the way, logs exactly one outcome line and no answer, code, password,
// phone number or email address.
func TestOutcomeLogWithQuestions(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, questionsPolicy(2))
	withMetrics(f)
	f.registerAnswers(t, "alice@contoso.com", alicesAnswers)
	tok, _, err := f.svc.Start(ctx, KindReset, "alice@contoso.com", f.c)
	if err != nil {
		t.Fatal(err)
	}
	v, err := f.svc.SendCode(ctx, tok, "questions", f.c)
	if err != nil {
		t.Fatal(err)
	}
	wrong := answersFor(v.Questions, alicesAnswers)
	wrong[0] = "Not-The-Answer"
	f.svc.VerifyAnswers(ctx, tok, wrong, f.c)
	v, _ = f.svc.View(ctx, tok)
	if _, err := f.svc.VerifyAnswers(ctx, tok, answersFor(v.Questions, alicesAnswers), f.c); err != nil {
		t.Fatal(err)
	}
	code := f.sendAndRead(t, tok, "sms")
	if _, err := f.svc.VerifyCode(ctx, tok, "sms", code, f.c); err != nil {
		t.Fatal(err)
	}
	newPW := "correct horse battery staple"
	if err := f.svc.Complete(ctx, tok, newPW, f.c); err != nil {
		t.Fatal(err)
	}
	logs := f.logs.String()
	secrets := []string{code, newPW, "Not-The-Answer", "4255550100", "4255550101", "alice.private@example.net"}
	for _, a := range alicesAnswers {
		secrets = append(secrets, a)
	}
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("log holds %q", s)
		}
	}
	if n := strings.Count(logs, `msg="flow outcome"`); n != 1 || !strings.Contains(logs, "methods=questions+sms") {
		t.Errorf("%d outcome lines:\n%s", n, logs)
	}
}
