package register

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/promutil"
)

func withMetrics(f *fixture) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	f.svc.cfg.Metrics = flow.NewMetrics(reg)
	return reg
}

// TestSignInMetricsSameForUnknownName: wrong passwords up to the lockout and beyond, for a
// real user and for a name that matches nobody, move every metric alike.
func TestSignInMetricsSameForUnknownName(t *testing.T) {
	run := func(name string) map[string]float64 {
		f := newFixture(t, nil, policyWith("email", "sms", "questions"))
		reg := withMetrics(f)
		for range 8 {
			f.svc.SignIn(context.Background(), name, "Wrong-Password-1", f.c)
		}
		f.svc.SignIn(context.Background(), name, "", f.c)
		snap, err := promutil.Snapshot(reg)
		if err != nil {
			t.Fatal(err)
		}
		return snap
	}
	k, u := run("alice@contoso.com"), run("nobody@contoso.com")
	if k[`sspr_flow_lockouts_total{flow="register",scope="user"}`] != 1 || k[`sspr_flow_steps_total{flow="register",method="",outcome="throttled",step="signin"}`] == 0 {
		t.Errorf("known name: %v", k)
	}
	for name := range k {
		if k[name] != u[name] {
			t.Errorf("%s: known name %v, unknown name %v", name, k[name], u[name])
		}
	}
	for name := range u {
		if _, ok := k[name]; !ok {
			t.Errorf("%s moved for the unknown name only", name)
		}
	}
}

// TestRegistrationMetricsAndOutcomeLines: each registration (authenticationPhone,
// authenticationEmail, questions, confirmed) is counted and logged on one outcome line that
// names the user and never the value registered.
func TestRegistrationMetricsAndOutcomeLines(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil, policyWith("email", "sms", "questions"))
	reg := withMetrics(f)
	tok, _ := f.signIn(t, "alice@contoso.com", alicePW)
	if _, err := f.svc.SendPhoneCode(ctx, tok, "+1 425 555 0199", f.c); err != nil {
		t.Fatal(err)
	}
	phoneCode := f.out.code(t, "+14255550199")
	if _, err := f.svc.VerifyPhone(ctx, tok, phoneCode, f.c); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.SendEmailCode(ctx, tok, "alice.new@example.net", f.c); err != nil {
		t.Fatal(err)
	}
	emailCode := f.out.code(t, "alice.new@example.net")
	if _, err := f.svc.VerifyEmail(ctx, tok, emailCode, f.c); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.SetQuestions(ctx, tok, validChoices, f.c); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Confirm(ctx, tok, f.c); err != nil {
		t.Fatal(err)
	}
	logs := f.logs.String()
	lines := regexp.MustCompile(`(?m)^.*msg="flow outcome".*$`).FindAllString(logs, -1)
	var outcomes []string
	for _, l := range lines {
		outcomes = append(outcomes, regexp.MustCompile(`outcome=(\S+)`).FindStringSubmatch(l)[1])
		if !strings.Contains(l, "flow=register") || !strings.Contains(l, "user=alice@contoso.com") {
			t.Errorf("outcome line %q", l)
		}
	}
	if strings.Join(outcomes, ",") != "authenticationPhone,authenticationEmail,questions,confirmed" {
		t.Errorf("outcome lines %q", outcomes)
	}
	for _, secret := range []string{"4255550199", "alice.new@example.net", phoneCode, emailCode, alicePW, "Rex", "Lyon", "Renault"} {
		if strings.Contains(logs, secret) {
			t.Errorf("log holds %q", secret)
		}
	}
	snap, _ := promutil.Snapshot(reg)
	for name, want := range map[string]float64{
		`sspr_registrations_total{method="authenticationPhone"}`:                           1,
		`sspr_registrations_total{method="authenticationEmail"}`:                           1,
		`sspr_registrations_total{method="questions"}`:                                     1,
		`sspr_registrations_total{method="confirmed"}`:                                     1,
		`sspr_flow_codes_total{channel="sms",flow="register",result="queued"}`:             1,
		`sspr_flow_codes_total{channel="email",flow="register",result="queued"}`:           1,
		`sspr_flow_steps_total{flow="register",method="phone",outcome="ok",step="verify"}`: 1,
		`sspr_flow_steps_total{flow="register",method="",outcome="ok",step="signin"}`:      1,
	} {
		if snap[name] != want {
			t.Errorf("%s = %v, want %v", name, snap[name], want)
		}
	}
}
