package report

import (
	"context"
	"fmt"
	"time"

	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/store"
)

// Readiness says whether one user can reset a password today, by which methods, and why not:
// flow.Methods under the configured policy, the rule the reset flow itself applies.
type Readiness struct {
	UserPrincipalName string `json:"userPrincipalName"`
	DisplayName       string `json:"displayName"`
	AccountEnabled    bool   `json:"accountEnabled"`
	// Ready: a reset started now can be completed under the current policy.
	Ready bool `json:"ready"`
	// Required is how many distinct methods the policy asks of this user (privileged: 2).
	Required int `json:"required"`
	// Methods are the distinct methods the flow would offer (flow vocabulary: email, sms,
	// voice, questions), in the order it offers them; Offers the options themselves, masked.
	Methods []string `json:"methods"`
	Offers  []Offer  `json:"offers"`
	// Missing says what is missing for a user who is not ready ("needs 2 methods, has 1: add
	// a mobile phone or an alternate email"); Problems are every value that could not be used,
	// one sentence each.
	Missing  string   `json:"missing,omitempty"`
	Problems []string `json:"problems"`
	// Registered: the user registered an authentication phone, email or security questions.
	Registered bool `json:"registered"`
	Privileged bool `json:"privileged"`
	// PasswordExpiresAt is when the password expires, as of the last sync (null: never, or the
	// directory does not say); Password says it for people ("password expires in 12 days",
	// "password expired"; "" when null).
	PasswordExpiresAt *time.Time `json:"passwordExpiresAt"`
	Password          string     `json:"password,omitempty"`

	reason string // Reason*: why an enabled user is not ready; "" when ready or disabled
}

// Reasons an enabled user is not ready, counted in the daily snapshot and the dashboard.
const (
	ReasonNoContact     = "noContact"          // no method at all and no value on file that could be one
	ReasonUnusableValue = "unusableValue"      // a value on file cannot be used (invalid, shared, new, cannot receive)
	ReasonPrivileged    = "privilegedNeedsTwo" // privileged: has one method, needs two
	ReasonTooFewMethods = "tooFewMethods"      // has fewer methods than the policy requires
)

// AllReasons lists the reasons in the order reports show them.
var AllReasons = []string{ReasonNoContact, ReasonUnusableValue, ReasonPrivileged, ReasonTooFewMethods}

// Reason says why an enabled user is not ready (a Reason* constant); "" for a user who is
// ready or disabled.
func (r Readiness) Reason() string { return r.reason }

// reasonOf classifies a decision of an enabled user who is not ready.
func reasonOf(d flow.Decision) string {
	if d.Ready || !d.Enabled {
		return ""
	}
	for _, n := range d.Notes {
		if n.Problem {
			return ReasonUnusableValue
		}
	}
	switch {
	case d.Destinations == 0:
		return ReasonNoContact
	case d.Privileged:
		return ReasonPrivileged
	default:
		return ReasonTooFewMethods
	}
}

// Offer is one option the flow would offer: its method, where the value comes from and the
// masked destination.
type Offer struct {
	Method string `json:"method"`
	Field  string `json:"field"`
	Hint   string `json:"hint"`
}

// Has reports whether method m works for the user.
func (r Readiness) Has(m string) bool {
	for _, x := range r.Methods {
		if x == m {
			return true
		}
	}
	return false
}

// Assessor applies the flow's rule with the configured policy.
type Assessor struct {
	Policy flow.Policy
	// Holders counts the users of each number (nil: no number counts as shared).
	Holders *flow.Holders
	// Changed holds, per user ID, the directory contact fields that changed recently
	// (flow.AllRecentChanges); Now is the report's time.
	Changed map[string]map[string]time.Time
	Now     time.Time
}

// NewAssessor returns an Assessor for policy p with the shared-number index built from st, and
// the recent directory contact changes when st also reads the audit log.
func NewAssessor(ctx context.Context, st Lister, p flow.Policy) (Assessor, error) {
	p = p.WithDefaults()
	now := time.Now()
	h := flow.NewHolders(p.SharedNumbers.Max)
	if err := h.Build(ctx, st, now); err != nil {
		return Assessor{}, fmt.Errorf("readiness: %w", err)
	}
	a := Assessor{Policy: p, Holders: h, Now: now}
	if al, ok := st.(flow.AuditLister); ok && p.Cooldown() > 0 {
		changed, err := flow.AllRecentChanges(ctx, al, now.Add(-p.Cooldown()))
		if err != nil {
			return Assessor{}, fmt.Errorf("readiness: %w", err)
		}
		a.Changed = changed
	}
	return a, nil
}

// Assess computes one user's readiness. Privilege comes from the synced record (AD
// adminCount=1); membership of reset.adminGroups is checked by the flow at reset time and by
// `sspr explain`, which ask the directory.
func (a Assessor) Assess(u store.User) Readiness {
	f := flow.Facts{Privileged: u.Privileged, Why: "adminCount=1 in the directory"}
	if !u.Privileged {
		f.Why = ""
	}
	r := FromDecision(u, flow.Methods(u, a.Policy, a.facts(f, u.ID)))
	now := a.Now
	if now.IsZero() {
		now = time.Now()
	}
	r.Password = PasswordStatus(r.PasswordExpiresAt, now)
	return r
}

func (a Assessor) facts(f flow.Facts, userID string) flow.Facts {
	if a.Holders != nil {
		f.Holders = a.Holders.Count
	}
	f.Changed, f.Now = a.Changed[userID], a.Now
	return f
}

// FromDecision is the report's row for a flow decision.
func FromDecision(u store.User, d flow.Decision) Readiness {
	r := Readiness{UserPrincipalName: u.UserPrincipalName, DisplayName: u.DisplayName, AccountEnabled: u.AccountEnabled,
		Ready: d.Ready && d.Enabled, Required: d.Required, Methods: flow.MethodsOf(d.Options), Offers: []Offer{},
		Missing: d.Missing, Problems: []string{}, Registered: d.Registered, Privileged: d.Privileged, reason: reasonOf(d)}
	if u.PasswordExpiresAt != nil {
		t := u.PasswordExpiresAt.UTC()
		r.PasswordExpiresAt = &t
	}
	if r.Methods == nil {
		r.Methods = []string{}
	}
	for _, o := range d.Options {
		r.Offers = append(r.Offers, Offer{Method: o.Method, Field: o.Field, Hint: o.Hint})
	}
	for _, n := range d.Notes {
		if n.Problem || n.Absent && !r.Ready {
			r.Problems = append(r.Problems, n.Text)
		}
	}
	return r
}

// Totals sums a readiness report.
type Totals struct {
	Users    int
	Enabled  int
	Disabled int
	Ready    int
	NotReady int
	ByMethod map[string]int
	// Registered counts the enabled users who registered; Reasons the enabled users not ready, by Reason.
	Registered int
	Reasons    map[string]int
	// Shared are the numbers held by more users than the policy allows.
	Shared []flow.SharedNumber
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
		t.ByMethod = map[string]int{}
	}
	t.Users++
	if !r.AccountEnabled {
		t.Disabled++
		return
	}
	t.Enabled++
	if r.Registered {
		t.Registered++
	}
	if r.Ready {
		t.Ready++
	} else {
		t.NotReady++
		if r.reason != "" {
			if t.Reasons == nil {
				t.Reasons = map[string]int{}
			}
			t.Reasons[r.reason]++
		}
	}
	for _, m := range r.Methods {
		t.ByMethod[m]++
	}
}

// Lister is what the report reads.
type Lister = flow.UserLister

// Build streams the readiness of every user matching f to fn and returns the totals. It reads
// the users twice: once to count who holds each phone number, once to assess them.
func Build(ctx context.Context, users Lister, p flow.Policy, f store.UserFilter, fn func(Readiness) error) (Totals, error) {
	a, err := NewAssessor(ctx, users, p)
	if err != nil {
		return Totals{}, err
	}
	t := Totals{ByMethod: map[string]int{}, Shared: a.Holders.Shared()}
	err = users.ListUsers(ctx, f, func(u store.User) error {
		r := a.Assess(u)
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
	Users           int                 `json:"users"`
	Enabled         int                 `json:"enabled"`
	Disabled        int                 `json:"disabled"`
	Ready           int                 `json:"ready"`
	NotReady        int                 `json:"notReady"`
	ReadyPercent    float64             `json:"readyPercent"`
	ByMethod        map[string]int      `json:"byMethod"`
	ByMethodPercent map[string]float64  `json:"byMethodPercent"`
	SharedNumbers   []flow.SharedNumber `json:"sharedNumbers"`
}

// JSON returns the totals' JSON form, percentages rounded to one decimal. "ready" counts the
// users who can reset under the current policy.
func (t Totals) JSON() TotalsJSON {
	j := TotalsJSON{Users: t.Users, Enabled: t.Enabled, Disabled: t.Disabled, Ready: t.Ready, NotReady: t.NotReady,
		ReadyPercent: round1(t.Percent(t.Ready)), ByMethod: map[string]int{}, ByMethodPercent: map[string]float64{},
		SharedNumbers: t.Shared}
	if j.SharedNumbers == nil {
		j.SharedNumbers = []flow.SharedNumber{}
	}
	for _, m := range flow.AllMethods {
		j.ByMethod[m] = t.ByMethod[m]
		j.ByMethodPercent[m] = round1(t.Percent(t.ByMethod[m]))
	}
	return j
}

func round1(f float64) float64 { return float64(int(f*10+0.5)) / 10 }
