package report

import (
	"context"
	"fmt"

	"github.com/sspr/sspr/internal/phone"
	"github.com/sspr/sspr/internal/store"
)

// Method is a way to prove identity that needs no registration when the directory provides the
// contact data.
type Method string

const (
	SMS   Method = "sms"
	Voice Method = "voice"
	Email Method = "email"
)

// Methods in report order.
var Methods = []Method{SMS, Voice, Email}

// Readiness says whether one user can reset a password today, by which methods, and why not.
type Readiness struct {
	UserPrincipalName string   `json:"userPrincipalName"`
	DisplayName       string   `json:"displayName"`
	AccountEnabled    bool     `json:"accountEnabled"`
	Ready             bool     `json:"ready"`
	Methods           []Method `json:"methods"`
	// Problems are what an administrator can fix, one sentence each.
	Problems []string `json:"problems"`
	// Registered: the user registered their own authentication phone or email.
	Registered bool `json:"registered"`
}

// Has reports whether m works for the user.
func (r Readiness) Has(m Method) bool {
	for _, x := range r.Methods {
		if x == m {
			return true
		}
	}
	return false
}

// Assess computes one user's readiness.
func Assess(u store.User) Readiness {
	r := Readiness{
		UserPrincipalName: u.UserPrincipalName,
		DisplayName:       u.DisplayName,
		AccountEnabled:    u.AccountEnabled,
		Methods:           []Method{},
		Problems:          []string{},
		Registered:        u.AuthenticationPhone != "" || u.AuthenticationEmail != "",
	}
	if !u.AccountEnabled {
		r.Problems = append(r.Problems, "account disabled in the directory")
		return r
	}
	mobileOK := u.MobilePhone.Usable()
	mobileSMS := mobileOK && phone.ParseType(u.MobilePhone.Type).CanReceiveSMS()
	officeOK := u.OfficePhone.Usable()

	switch {
	case u.AuthenticationPhone != "" || mobileSMS:
		r.Methods = append(r.Methods, SMS)
	case mobileOK:
		r.Problems = append(r.Problems, fmt.Sprintf("sms: mobilePhone %s is a %s number and cannot receive SMS", u.MobilePhone.Number, u.MobilePhone.Type))
	}
	if u.AuthenticationPhone != "" || mobileOK || officeOK {
		r.Methods = append(r.Methods, Voice)
	}
	if !mobileOK && u.AuthenticationPhone == "" {
		r.Problems = append(r.Problems, phoneProblem(store.FieldMobilePhone, u.MobilePhone))
	}
	if !officeOK && u.AuthenticationPhone == "" && !mobileOK {
		r.Problems = append(r.Problems, phoneProblem(store.FieldOfficePhone, u.OfficePhone))
	}
	if u.AuthenticationEmail != "" || len(u.AlternateEmails) > 0 {
		r.Methods = append(r.Methods, Email)
	} else {
		r.Problems = append(r.Problems, "email: no alternateEmails")
	}
	r.Ready = len(r.Methods) > 0
	return r
}

func phoneProblem(field string, p store.Phone) string {
	if p.Raw == "" {
		return "no " + field
	}
	return fmt.Sprintf("%s %q is not usable: %s", field, p.Raw, p.Problem)
}

// Totals sums a readiness report.
type Totals struct {
	Users    int            `json:"users"`
	Enabled  int            `json:"enabled"`
	Disabled int            `json:"disabled"`
	Ready    int            `json:"ready"`
	NotReady int            `json:"notReady"`
	ByMethod map[Method]int `json:"byMethod"`
}

// Percent of enabled users; 0 when there are none.
func (t Totals) Percent(n int) float64 {
	if t.Enabled == 0 {
		return 0
	}
	return float64(n) * 100 / float64(t.Enabled)
}

// Add counts one user.
func (t *Totals) Add(r Readiness) {
	if t.ByMethod == nil {
		t.ByMethod = map[Method]int{}
	}
	t.Users++
	if !r.AccountEnabled {
		t.Disabled++
		return
	}
	t.Enabled++
	if r.Ready {
		t.Ready++
	} else {
		t.NotReady++
	}
	for _, m := range r.Methods {
		t.ByMethod[m]++
	}
}

// Lister is what the report reads.
type Lister interface {
	ListUsers(ctx context.Context, f store.UserFilter, fn func(store.User) error) error
}

// Build streams the readiness of every user matching f to fn and returns the totals.
func Build(ctx context.Context, users Lister, f store.UserFilter, fn func(Readiness) error) (Totals, error) {
	t := Totals{ByMethod: map[Method]int{}}
	err := users.ListUsers(ctx, f, func(u store.User) error {
		r := Assess(u)
		t.Add(r)
		if fn != nil {
			return fn(r)
		}
		return nil
	})
	if err != nil {
		return t, fmt.Errorf("readiness report: %w", err)
	}
	return t, nil
}

// TotalsJSON is the totals as `report readiness -o json` and the API show them.
type TotalsJSON struct {
	Users           int                `json:"users"`
	Enabled         int                `json:"enabled"`
	Disabled        int                `json:"disabled"`
	Ready           int                `json:"ready"`
	NotReady        int                `json:"notReady"`
	ReadyPercent    float64            `json:"readyPercent"`
	ByMethod        map[string]int     `json:"byMethod"`
	ByMethodPercent map[string]float64 `json:"byMethodPercent"`
}

// JSON returns the totals' JSON form, percentages rounded to one decimal.
func (t Totals) JSON() TotalsJSON {
	j := TotalsJSON{Users: t.Users, Enabled: t.Enabled, Disabled: t.Disabled, Ready: t.Ready, NotReady: t.NotReady,
		ReadyPercent: round1(t.Percent(t.Ready)), ByMethod: map[string]int{}, ByMethodPercent: map[string]float64{}}
	for _, m := range Methods {
		j.ByMethod[string(m)] = t.ByMethod[m]
		j.ByMethodPercent[string(m)] = round1(t.Percent(t.ByMethod[m]))
	}
	return j
}

func round1(f float64) float64 { return float64(int(f*10+0.5)) / 10 }
