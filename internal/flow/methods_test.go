package flow

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sspr/sspr/internal/store"
)

func ph(raw, number, typ string) store.Phone { return store.Phone{Raw: raw, Number: number, Type: typ} }

func policy(methods []string, required int) Policy {
	p := DefaultPolicy()
	p.Methods, p.MethodsRequired = methods, required
	return p
}

func optionIDs(d Decision) []string {
	ids := []string{}
	for _, o := range d.Options {
		ids = append(ids, o.ID)
	}
	return ids
}

func TestMethods(t *testing.T) {
	all := []string{MethodEmail, MethodSMS, MethodVoice, MethodQuestions}
	mobileUS := ph("+1 425 555 0100", "+1 4255550100", "fixedLineOrMobile")
	now := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		u         store.User
		p         Policy
		f         Facts
		want      []string
		ready     bool
		noteHas   string
		missingIs string
	}{
		{name: "mobile and email", u: store.User{AccountEnabled: true, MobilePhone: mobileUS, AlternateEmails: []string{"a@example.net"}},
			p: policy(all, 1), want: []string{"email", "sms", "voice"}, ready: true},
		{name: "premium-rate office phone is never called",
			u: store.User{AccountEnabled: true, OfficePhone: ph("+44 9098 790 123", "+44 9098790123", "premiumRate")},
			p: policy(all, 1), want: []string{}, ready: false, noteHas: "officePhone +44 9098790123 is premium-rate: cannot be called"},
		{name: "UK personal number: SMS only",
			u: store.User{AccountEnabled: true, MobilePhone: ph("+44 70 1234 5678", "+44 7012345678", "personalNumber")},
			p: policy(all, 1), want: []string{"sms"}, ready: true, noteHas: "cannot be called"},
		{name: "methodsRequired 2 with one method",
			u: store.User{AccountEnabled: true, MobilePhone: mobileUS},
			p: policy(all, 2), want: []string{"sms", "voice"}, ready: false,
			missingIs: "needs 2 methods, has 1: add an office phone, an alternate email or security questions (registration)"},
		{name: "methodsRequired 2 with phone and email",
			u: store.User{AccountEnabled: true, MobilePhone: mobileUS, AlternateEmails: []string{"a@example.net"}},
			p: policy(all, 2), want: []string{"email", "sms", "voice"}, ready: true},
		{name: "sms disabled",
			u: store.User{AccountEnabled: true, MobilePhone: ph("+44 7400 123456", "+44 7400123456", "mobile")},
			p: policy([]string{MethodEmail, MethodVoice}, 1), want: []string{"voice"}, ready: true},
		{name: "voice disabled, landline mobile field",
			u: store.User{AccountEnabled: true, MobilePhone: ph("+44 20 7946 0000", "+44 2079460000", "fixedLine")},
			p: policy([]string{MethodEmail, MethodSMS}, 1), want: []string{}, ready: false, noteHas: "cannot receive SMS"},
		{name: "email disabled",
			u: store.User{AccountEnabled: true, AlternateEmails: []string{"a@example.net"}},
			p: policy([]string{MethodSMS, MethodVoice}, 1), want: []string{}, ready: false, noteHas: "email is not enabled"},
		{name: "disabled account",
			u: store.User{AccountEnabled: false, MobilePhone: mobileUS},
			p: policy(all, 1), want: []string{}, ready: false, missingIs: "account disabled in the directory"},
		{name: "privileged: two methods, never questions",
			u: store.User{AccountEnabled: true, MobilePhone: mobileUS, SecurityQuestionsCount: 3},
			p: policy(all, 1), f: Facts{Privileged: true, Why: "adminCount=1"}, want: []string{"sms", "voice"}, ready: false,
			noteHas: "never used for privileged users"},
		{name: "questions count as one destination",
			u: store.User{AccountEnabled: true, MobilePhone: mobileUS, SecurityQuestionsCount: 3},
			p: policy(all, 2), want: []string{"sms", "voice", "questions"}, ready: true},
		{name: "too few questions",
			u: store.User{AccountEnabled: true, SecurityQuestionsCount: 2},
			p: policy(all, 1), want: []string{}, ready: false, noteHas: "2 security questions registered, 3 needed"},
		{name: "registered phone and email preferred",
			u: store.User{AccountEnabled: true, MobilePhone: mobileUS, AuthenticationPhone: "+44 7400123456", AuthenticationEmail: "me@example.org",
				AlternateEmails: []string{"a@example.net"}},
			p: policy(all, 1), want: []string{"email", "sms", "voice", "voice-office"}[:3], ready: true},
		{name: "office phone another number",
			u: store.User{AccountEnabled: true, MobilePhone: mobileUS, OfficePhone: ph("+1 425 555 0101", "+1 4255550101", "fixedLineOrMobile")},
			p: policy(all, 2), want: []string{"sms", "voice", "voice-office"}, ready: true},
		{name: "office phone same as mobile counts once",
			u: store.User{AccountEnabled: true, MobilePhone: mobileUS, OfficePhone: mobileUS},
			p: policy(all, 2), want: []string{"sms", "voice"}, ready: false},
		{name: "shared number not offered",
			u: store.User{AccountEnabled: true, MobilePhone: mobileUS, AlternateEmails: []string{"a@example.net"}},
			p: policy(all, 1), f: Facts{Holders: func(string) int { return 12 }}, want: []string{"email"}, ready: true,
			noteHas: "held by 12 users (more than 3)"},
		{name: "shared number allowed by policy",
			u: store.User{AccountEnabled: true, MobilePhone: mobileUS},
			p: func() Policy { p := policy(all, 1); p.SharedNumbers.Allow = true; return p }(),
			f: Facts{Holders: func(string) int { return 12 }}, want: []string{"sms", "voice"}, ready: true},
		{name: "a mobile that just changed in the directory waits",
			u: store.User{AccountEnabled: true, MobilePhone: mobileUS, AlternateEmails: []string{"a@example.net"}},
			p: policy(all, 1), f: Facts{Changed: map[string]time.Time{"mobilePhone": now.Add(-time.Hour)}, Now: now},
			want: []string{"email"}, ready: true, noteHas: "mobilePhone +1 4255550100 is new (changed 2026-12-06 08:00 UTC): usable for reset from 2026-12-07 08:00 UTC"},
		{name: "a new alternate email and a new office phone wait",
			u: store.User{AccountEnabled: true, AlternateEmails: []string{"a@example.net"}, OfficePhone: ph("+1 425 555 0101", "+1 4255550101", "fixedLine")},
			p: policy(all, 1), f: Facts{Changed: map[string]time.Time{"alternateEmails": now.Add(-time.Hour), "officePhone": now.Add(-23 * time.Hour)}, Now: now},
			want: []string{}, ready: false, noteHas: "alternateEmails •••@example.net is new"},
		{name: "after the cooldown the value is trusted",
			u: store.User{AccountEnabled: true, MobilePhone: mobileUS},
			p: policy(all, 1), f: Facts{Changed: map[string]time.Time{"mobilePhone": now.Add(-25 * time.Hour)}, Now: now},
			want: []string{"sms", "voice"}, ready: true},
		{name: "a registered phone is the user's own: no cooldown",
			u: store.User{AccountEnabled: true, MobilePhone: mobileUS, AuthenticationPhone: "+44 7400123456"},
			p: policy(all, 1), f: Facts{Changed: map[string]time.Time{"mobilePhone": now.Add(-time.Hour)}, Now: now},
			want: []string{"sms", "voice"}, ready: true},
		{name: "cooldown off",
			u: store.User{AccountEnabled: true, MobilePhone: mobileUS},
			p: func() Policy { p := policy(all, 1); off := time.Duration(0); p.NewContactCooldown = &off; return p }(),
			f: Facts{Changed: map[string]time.Time{"mobilePhone": now.Add(-time.Hour)}, Now: now}, want: []string{"sms", "voice"}, ready: true},
		{name: "unusable mobile explained",
			u: store.User{AccountEnabled: true, MobilePhone: store.Phone{Raw: "555-0100", Problem: "no country code"}},
			p: policy(all, 1), want: []string{}, ready: false, noteHas: `mobilePhone "555-0100" is not usable: no country code`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.p.WithDefaults()
			d := Methods(tt.u, p, tt.f)
			if got := optionIDs(d); !slices.Equal(got, tt.want) {
				t.Errorf("options = %v, want %v", got, tt.want)
			}
			if d.Ready != tt.ready {
				t.Errorf("ready = %v, want %v (missing %q)", d.Ready, tt.ready, d.Missing)
			}
			if tt.noteHas != "" {
				var texts []string
				for _, n := range d.Notes {
					texts = append(texts, n.Text)
				}
				if !strings.Contains(strings.Join(texts, "\n"), tt.noteHas) {
					t.Errorf("notes %q lack %q", texts, tt.noteHas)
				}
			}
			if tt.missingIs != "" && d.Missing != tt.missingIs {
				t.Errorf("missing = %q, want %q", d.Missing, tt.missingIs)
			}
			if !d.Ready && d.Missing == "" {
				t.Error("a user who is not ready has no Missing sentence")
			}
			for _, o := range d.Options {
				if o.Dest == "" || o.Hint == "" || o.Field == "" {
					t.Errorf("option %+v incomplete", o)
				}
			}
			// The flows' quiet decision offers exactly the same, without the account.
			qf := tt.f
			qf.Quiet = true
			q := Methods(tt.u, p, qf)
			if !slices.Equal(optionIDs(q), optionIDs(d)) || q.Ready != d.Ready || q.Required != d.Required || len(q.Notes) != 0 || q.Missing != "" {
				t.Errorf("quiet decision %+v differs from %+v", q, d)
			}
		})
	}
}
