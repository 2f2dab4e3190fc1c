package report

import (
	"slices"
	"strings"
	"testing"

	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/store"
)

const (
	SMS   = flow.MethodSMS
	Voice = flow.MethodVoice
	Email = flow.MethodEmail
)

func Assess(u store.User) Readiness { return Assessor{Policy: flow.DefaultPolicy()}.Assess(u) }

func TestAssess(t *testing.T) {
	mobile := store.Phone{Raw: "+44 7700 900123", Number: "+44 7700900123", Type: "mobile"}
	landline := store.Phone{Raw: "+44 20 7946 0000", Number: "+44 2079460000", Type: "fixedLine"}
	broken := store.Phone{Raw: "555-1234", Problem: "not a valid phone number"}
	tests := []struct {
		name     string
		u        store.User
		methods  []string
		problems []string
	}{
		{"everything", store.User{AccountEnabled: true, MobilePhone: mobile, AlternateEmails: []string{"a@example.com"}},
			[]string{Email, SMS, Voice}, nil},
		{"landline in mobile", store.User{AccountEnabled: true, MobilePhone: landline},
			[]string{Voice}, []string{"cannot receive SMS"}},
		{"office only", store.User{AccountEnabled: true, OfficePhone: mobile},
			[]string{Voice}, nil}, // a ready user's empty fields are not problems
		{"broken mobile", store.User{AccountEnabled: true, MobilePhone: broken},
			[]string{}, []string{`mobilePhone "555-1234" is not usable: not a valid phone number`, "no officePhone", "no alternateEmails"}},
		{"disabled", store.User{AccountEnabled: false, MobilePhone: mobile},
			[]string{}, []string{"account disabled"}},
		{"registered", store.User{AccountEnabled: true, AuthenticationPhone: "+1 4255550100", AuthenticationEmail: "x@example.com"},
			[]string{Email, SMS, Voice}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Assess(tt.u)
			if !slices.Equal(r.Methods, tt.methods) {
				t.Errorf("methods = %v, want %v", r.Methods, tt.methods)
			}
			if r.Ready != (len(tt.methods) > 0) {
				t.Errorf("ready = %v", r.Ready)
			}
			all := strings.Join(r.Problems, "\n")
			for _, p := range tt.problems {
				if !strings.Contains(all, p) {
					t.Errorf("problems %q lack %q", all, p)
				}
			}
			if tt.problems == nil && len(r.Problems) > 0 {
				t.Errorf("unexpected problems %q", all)
			}
		})
	}
}

func TestTotals(t *testing.T) {
	var tot Totals
	tot.Add(Readiness{AccountEnabled: true, Ready: true, Methods: []string{SMS, Voice}})
	tot.Add(Readiness{AccountEnabled: true, Ready: false})
	tot.Add(Readiness{AccountEnabled: false})
	tot.Add(Readiness{AccountEnabled: true, Ready: true, Methods: []string{Email}})
	if tot.Users != 4 || tot.Enabled != 3 || tot.Disabled != 1 || tot.Ready != 2 || tot.NotReady != 1 {
		t.Errorf("totals %+v", tot)
	}
	if p := tot.Percent(tot.Ready); p < 66.6 || p > 66.7 {
		t.Errorf("percent ready %v", p)
	}
	if tot.ByMethod[SMS] != 1 || tot.ByMethod[Email] != 1 {
		t.Errorf("by method %v", tot.ByMethod)
	}
}
