package report

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/sspr/sspr/internal/flow"
	"github.com/sspr/sspr/internal/store"
)

// ExplainStore is what Explain reads.
type ExplainStore interface {
	flow.UserLister
	flow.AuditLister
	UserByUPN(ctx context.Context, upn string) (store.User, error)
	CountEvents(ctx context.Context, key string, since time.Time) (int, error)
	LockedUntil(ctx context.Context, key string, now time.Time) (time.Time, error)
}

// Explainer tells, step by step, what happens if a user starts a reset now: `sspr explain`
// and GET /api/v1/users/{upn}/explain. It applies flow.Methods, the rule the flow applies.
type Explainer struct {
	Store  ExplainStore
	Policy flow.Policy
	// Dir checks membership of reset.adminGroups (nil: only adminCount=1 makes a user
	// privileged, and the account says the groups were not checked).
	Dir flow.MemberChecker
	// Holders counts who holds each number (nil: built from the store on each call).
	Holders *flow.Holders
	Now     func() time.Time
}

// Step is one step of the account, in the order the flow runs.
type Step struct {
	Title string   `json:"title"`
	Lines []string `json:"lines"`
}

// Explanation is the account of one user's reset.
type Explanation struct {
	UserPrincipalName string   `json:"userPrincipalName"`
	Ready             bool     `json:"ready"`
	Methods           []string `json:"methods"`
	Missing           string   `json:"missing,omitempty"`
	Steps             []Step   `json:"steps"`
}

// ErrNoUser is returned (wrapped) by Explain for a name that matches no user.
var ErrNoUser = errors.New("no user")

// Explain gives the account for upn.
func (e Explainer) Explain(ctx context.Context, upn string) (Explanation, error) {
	now := time.Now()
	if e.Now != nil {
		now = e.Now()
	}
	p := e.Policy.WithDefaults()
	u, err := e.Store.UserByUPN(ctx, upn)
	if errors.Is(err, store.ErrNotFound) {
		return Explanation{}, fmt.Errorf("%w %q: a reset started with this name gets a decoy flow that sends nothing", ErrNoUser, upn)
	}
	if err != nil {
		return Explanation{}, fmt.Errorf("explain: %w", err)
	}
	h := e.Holders
	if h == nil {
		h = flow.NewHolders(p.SharedNumbers.Max)
		if err := h.Build(ctx, e.Store, now); err != nil {
			return Explanation{}, fmt.Errorf("explain: %w", err)
		}
	}
	x := Explanation{UserPrincipalName: u.UserPrincipalName}
	step := func(title string, lines ...string) { x.Steps = append(x.Steps, Step{Title: title, Lines: lines}) }

	step("In scope", fmt.Sprintf("yes: %s user %s (%s)", u.Source, u.UserPrincipalName, orDash(u.DN)))
	if !u.AccountEnabled {
		step("Enabled", "no: the account is disabled in the directory; a reset gets a decoy flow that sends nothing")
		x.Missing = "account disabled in the directory"
		x.Methods = []string{}
		return x, nil
	}
	step("Enabled", "yes")
	step("Password", passwordLine(u.PasswordExpiresAt, now))

	f := flow.Facts{}
	switch {
	case e.Dir != nil:
		log := discardLogger()
		f = flow.Privileged(ctx, e.Dir, p.AdminGroups, u, log)
	case u.Privileged:
		f = flow.Facts{Privileged: true, Why: "adminCount=1 in the directory"}
	}
	privLines := []string{"no: needs " + plural(p.MethodsRequired, "method")}
	if f.Privileged {
		privLines = []string{"yes (" + f.Why + "): needs 2 methods, never security questions"}
	}
	if e.Dir == nil && len(p.AdminGroups) > 0 {
		privLines = append(privLines, "membership of reset.adminGroups was not checked (no directory connection); the flow checks it")
	}
	step("Privileged", privLines...)
	f.Holders, f.Now = h.Count, now
	if p.Cooldown() > 0 {
		if f.Changed, err = flow.RecentChanges(ctx, e.Store, u, now.Add(-p.Cooldown())); err != nil {
			return Explanation{}, fmt.Errorf("explain: %w", err)
		}
	}

	d := flow.Methods(u, p, f)
	var values []string
	for _, n := range d.Notes {
		if n.Field != "" {
			values = append(values, n.Text)
		}
	}
	step("Values read and normalized", values...)

	var offered []string
	for i, o := range d.Options {
		offered = append(offered, fmt.Sprintf("%d. %s to %s (%s)", i+1, o.Method, o.Hint, o.Field))
	}
	if len(offered) == 0 {
		offered = []string{"none"}
	}
	offered = append(offered, fmt.Sprintf("policy: methods %s; %s required; %s offered",
		strings.Join(p.Methods, ", "), plural(d.Required, "method"), plural(d.Destinations, "distinct destination")))
	step("Methods the flow offers", offered...)

	var locks []string
	locked := false
	for _, k := range []struct{ key, what string }{{"u:" + u.ID + ":failed", "failed proofs"}, {"u:" + u.ID + ":signin", "registration sign-ins"}} {
		until, err := e.Store.LockedUntil(ctx, k.key, now)
		if err != nil {
			return Explanation{}, fmt.Errorf("explain: %w", err)
		}
		n, err := e.Store.CountEvents(ctx, k.key, now.Add(-p.Throttle.FailedProofs.Window))
		if err != nil {
			return Explanation{}, fmt.Errorf("explain: %w", err)
		}
		line := fmt.Sprintf("%s: %d of %d in the last %s", k.what, n, p.Throttle.FailedProofs.Max, human(p.Throttle.FailedProofs.Window))
		if !until.IsZero() {
			line += ", LOCKED until " + until.UTC().Format(time.RFC3339)
			if k.what == "failed proofs" { // a registration lock does not stop a reset
				d.Ready, locked = false, true
				x.Missing = "locked out after failed proofs until " + until.UTC().Format(time.RFC3339)
			}
		}
		locks = append(locks, line)
	}
	for _, k := range []struct {
		key, what string
		l         flow.Limit
	}{{"u:" + u.ID + ":phone", "SMS and voice codes", p.Throttle.Phone}, {"u:" + u.ID + ":email", "email codes", p.Throttle.Email}} {
		n, err := e.Store.CountEvents(ctx, k.key, now.Add(-k.l.Window))
		if err != nil {
			return Explanation{}, fmt.Errorf("explain: %w", err)
		}
		locks = append(locks, fmt.Sprintf("%s: %d of %d in the last %s", k.what, n, k.l.Max, human(k.l.Window)))
	}
	step("Throttles", locks...)

	reg := []string{"none"}
	if d.Registered {
		reg = nil
		if u.AuthenticationPhone != "" {
			reg = append(reg, "authenticationPhone registered")
		}
		if u.AuthenticationEmail != "" {
			reg = append(reg, "authenticationEmail registered")
		}
		if u.SecurityQuestionsCount > 0 {
			at := ""
			if u.SecurityQuestionsRegisteredAt != nil {
				at = " on " + u.SecurityQuestionsRegisteredAt.UTC().Format("2006-01-02")
			}
			reg = append(reg, fmt.Sprintf("%d security questions registered%s (never shown)", u.SecurityQuestionsCount, at))
		}
	}
	step("Registration", reg...)

	x.Ready, x.Methods = d.Ready, flow.MethodsOf(d.Options)
	if x.Methods == nil {
		x.Methods = []string{}
	}
	if x.Missing == "" {
		x.Missing = d.Missing
	}
	verdict := "READY: a reset started now can be completed"
	switch {
	case !x.Ready && locked:
		verdict = "NOT READY: " + x.Missing + "; the flow shows when the user can try again"
	case !x.Ready:
		verdict = "NOT READY: " + x.Missing + "; a reset started now gets a decoy flow that sends nothing"
	}
	step("Result", verdict)
	return x, nil
}

// WriteText prints the account as numbered steps.
func (x Explanation) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "What happens if %s starts a password reset now:\n", x.UserPrincipalName)
	for i, s := range x.Steps {
		fmt.Fprintf(&b, "%d. %s\n", i+1, s.Title)
		for _, l := range s.Lines {
			fmt.Fprintf(&b, "   %s\n", l)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// human prints a duration as people write it: 24h, 10m, 1h30m.
func human(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
