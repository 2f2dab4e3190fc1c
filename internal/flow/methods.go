package flow

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sspr/sspr/internal/email"
	"github.com/sspr/sspr/internal/phone"
	"github.com/sspr/sspr/internal/store"
)

// Option IDs: one per destination a user can prove.
const (
	OptionEmail       = "email"
	OptionSMS         = "sms"
	OptionVoice       = "voice"
	OptionVoiceOffice = "voice-office"
	OptionQuestions   = "questions"
)

// QuestionsDest stands for the security questions among the destinations proven: one method.
const QuestionsDest = "security questions"

// Option is one way a user can prove who they are.
type Option struct {
	ID     string // OptionEmail, OptionSMS, OptionVoice, OptionVoiceOffice, OptionQuestions
	Method string // MethodEmail, MethodSMS, MethodVoice, MethodQuestions
	// Field is where the destination comes from: authenticationEmail, alternateEmails,
	// authenticationPhone, mobilePhone, officePhone, securityQuestions.
	Field string
	// Dest is the real destination (an address or a canonical number; QuestionsDest). Never
	// shown, never stored in a session.
	Dest string
	// Hint is the masked destination ("+1 ••••••1234", "a•••@contoso.com"); for questions, how
	// many are asked.
	Hint string
}

// Facts are what the rule needs to know beyond the user's record.
type Facts struct {
	// Privileged: the stricter policy applies (two methods, never questions); Why says why
	// ("adminCount=1", "member of CN=...", "group check failed").
	Privileged bool
	Why        string
	// Holders returns how many users hold a canonical phone number (nil: not known, no number
	// is treated as shared).
	Holders func(number string) int
	// Changed says when directory contact fields (mobilePhone, officePhone, alternateEmails)
	// last changed, for those that changed recently; Now is the time of the decision. A value
	// that changed less than the policy's NewContactCooldown before Now is not offered.
	Changed map[string]time.Time
	Now     time.Time
	// Quiet leaves Decision.Notes and Missing empty: the flows need only the options, and
	// formatting the account of every value costs on every step (the report and explain
	// leave it false).
	Quiet bool
}

// Note is one step of the rule's reasoning, in words an administrator understands.
type Note struct {
	Field string // the user field concerned, or "" for the account
	Text  string
	// Problem: the note says why a value could not be used (an administrator can fix it).
	// Absent: the note says a field is empty (a problem only for a user who is not ready).
	Problem bool
	Absent  bool
}

// Decision is what the flow does for a user who starts a reset now.
type Decision struct {
	Enabled    bool     // the account is enabled
	Privileged bool     // the stricter policy applies
	Required   int      // distinct destinations to prove
	Options    []Option // what the flow offers, in the order it offers them
	// Destinations is the number of distinct destinations among Options (an SMS and a call to
	// the same phone count once).
	Destinations int
	// Ready: the flow can be completed: the account is enabled and Destinations ≥ Required.
	Ready bool
	// Notes explain every value read and why it was or was not offered; Missing, for a user
	// who is not ready, says what is missing in one sentence.
	Notes   []Note
	Missing string
	// Registered: the user registered an authentication phone, email or questions.
	Registered bool
}

// Methods is the only rule for which methods a user has under the policy and whether that
// satisfies it. The reset and unlock flows offer exactly Options, the readiness report and
// `explain` print this Decision, and registration uses the same policy: so the report cannot
// say "ready" for a user the flow would turn away.
func Methods(u store.User, p Policy, f Facts) Decision {
	d := Decision{Enabled: u.AccountEnabled, Privileged: f.Privileged, Required: p.MethodsRequired,
		Registered: u.AuthenticationPhone != "" || u.AuthenticationEmail != "" || u.SecurityQuestionsCount > 0}
	note := func(field, format string, args ...any) {
		if !f.Quiet {
			d.Notes = append(d.Notes, Note{Field: field, Text: fmt.Sprintf(format, args...)})
		}
	}
	absent := func(field, format string, args ...any) {
		if !f.Quiet {
			d.Notes = append(d.Notes, Note{Field: field, Text: fmt.Sprintf(format, args...), Absent: true})
		}
	}
	problem := func(field, format string, args ...any) {
		if !f.Quiet {
			d.Notes = append(d.Notes, Note{Field: field, Text: fmt.Sprintf(format, args...), Problem: true})
		}
	}
	if f.Privileged {
		d.Required = 2
		why := f.Why
		if why == "" {
			why = "privileged"
		}
		note("", "privileged (%s): needs 2 methods, never security questions", why)
	}
	if !u.AccountEnabled {
		problem("", "account disabled in the directory")
		if !f.Quiet {
			d.Missing = "account disabled in the directory"
		}
		return d
	}
	add := func(o Option) {
		for _, x := range d.Options {
			if x.ID == o.ID {
				return
			}
		}
		d.Options = append(d.Options, o)
	}
	// fresh: a directory value that just changed is not trusted yet.
	fresh := func(field, value string) bool {
		at, ok := f.Changed[field]
		cool := p.Cooldown()
		if !ok || cool <= 0 || !f.Now.Before(at.Add(cool)) {
			return false
		}
		problem(field, "%s %s is new (changed %s): usable for reset from %s, unless the user registers it",
			field, value, at.UTC().Format("2006-01-02 15:04 MST"), at.Add(cool).UTC().Format("2006-01-02 15:04 MST"))
		return true
	}
	shared := func(field, number string) bool {
		if f.Holders == nil || p.SharedNumbers.Allow {
			return false
		}
		if n := f.Holders(number); n > p.SharedNumbers.Max {
			problem(field, "%s %s is held by %d users (more than %d): not proof of one person, not offered", field, number, n, p.SharedNumbers.Max)
			return true
		}
		return false
	}

	// Email: the registered address, else the first alternate email.
	emailTo, emailField := u.AuthenticationEmail, store.FieldAuthenticationEmail
	if emailTo == "" && len(u.AlternateEmails) > 0 {
		emailTo, emailField = u.AlternateEmails[0], store.FieldAlternateEmails
	}
	switch {
	case emailTo == "":
		absent(store.FieldAlternateEmails, "no alternateEmails and no authenticationEmail")
	case emailField == store.FieldAlternateEmails && fresh(emailField, email.Mask(emailTo)):
	case !p.Enabled(MethodEmail):
		problem(emailField, "%s %s: email is not enabled by the policy", emailField, email.Mask(emailTo))
	default:
		add(Option{ID: OptionEmail, Method: MethodEmail, Field: emailField, Dest: emailTo, Hint: email.Mask(emailTo)})
	}

	// Phone: the registered (verified) number, else the directory's mobile.
	phoneTo, phoneField, typ, verified := u.AuthenticationPhone, store.FieldAuthenticationPhone, phone.Type(0), true
	if phoneTo == "" {
		verified = false
		phoneField = store.FieldMobilePhone
		switch {
		case u.MobilePhone.Usable():
			phoneTo, typ = u.MobilePhone.Number, phone.ParseType(u.MobilePhone.Type)
			note(phoneField, "mobilePhone %q → %s (%s)", u.MobilePhone.Raw, phoneTo, typeWords(typ))
		case u.MobilePhone.Raw != "":
			problem(phoneField, "mobilePhone %q is not usable: %s", u.MobilePhone.Raw, u.MobilePhone.Problem)
		default:
			absent(phoneField, "no mobilePhone")
		}
	} else {
		note(phoneField, "authenticationPhone %s (registered and verified by the user)", phoneTo)
	}
	if phoneTo != "" && !shared(phoneField, phoneTo) && !(!verified && fresh(phoneField, phoneTo)) {
		switch {
		case !p.Enabled(MethodSMS):
		case verified || typ.CanReceiveSMS():
			add(Option{ID: OptionSMS, Method: MethodSMS, Field: phoneField, Dest: phoneTo, Hint: phone.Mask(phoneTo)})
		default:
			problem(phoneField, "%s %s is %s: cannot receive SMS", phoneField, phoneTo, article(typeWords(typ)))
		}
		switch {
		case !p.Enabled(MethodVoice):
		case verified || typ.CanReceiveVoice():
			add(Option{ID: OptionVoice, Method: MethodVoice, Field: phoneField, Dest: phoneTo, Hint: phone.Mask(phoneTo)})
		default:
			problem(phoneField, "%s %s is %s: cannot be called", phoneField, phoneTo, article(typeWords(typ)))
		}
		if !p.Enabled(MethodSMS) && !p.Enabled(MethodVoice) {
			problem(phoneField, "%s %s: neither sms nor voice is enabled by the policy", phoneField, phoneTo)
		}
	}

	// Office phone: a call only, when it is another number.
	switch office := u.OfficePhone; {
	case office.Raw == "":
		absent(store.FieldOfficePhone, "no officePhone")
	case !office.Usable():
		problem(store.FieldOfficePhone, "officePhone %q is not usable: %s", office.Raw, office.Problem)
	case office.Number == phoneTo:
		problem(store.FieldOfficePhone, "officePhone %s is the same number as %s", office.Number, phoneField)
	default:
		t := phone.ParseType(office.Type)
		note(store.FieldOfficePhone, "officePhone %q → %s (%s)", office.Raw, office.Number, typeWords(t))
		switch {
		case shared(store.FieldOfficePhone, office.Number):
		case fresh(store.FieldOfficePhone, office.Number):
		case !t.CanReceiveVoice():
			problem(store.FieldOfficePhone, "officePhone %s is %s: cannot be called", office.Number, article(typeWords(t)))
		case !p.Enabled(MethodVoice):
			problem(store.FieldOfficePhone, "officePhone %s: voice is not enabled by the policy", office.Number)
		default:
			add(Option{ID: OptionVoiceOffice, Method: MethodVoice, Field: store.FieldOfficePhone, Dest: office.Number, Hint: phone.Mask(office.Number)})
		}
	}

	// Security questions: never for privileged users; enough of them registered.
	if p.Enabled(MethodQuestions) {
		switch n := u.SecurityQuestionsCount; {
		case f.Privileged:
			if n > 0 {
				problem("securityQuestions", "security questions are never used for privileged users")
			}
		case n >= p.Questions.AtReset:
			note("securityQuestions", "%d security questions registered (%d asked)", n, p.Questions.AtReset)
			add(Option{ID: OptionQuestions, Method: MethodQuestions, Field: "securityQuestions", Dest: QuestionsDest, Hint: strconv.Itoa(p.Questions.AtReset)})
		case n > 0:
			problem("securityQuestions", "%d security questions registered, %d needed", n, p.Questions.AtReset)
		default:
			absent("securityQuestions", "no security questions registered")
		}
	}

	seen := map[string]bool{}
	for _, o := range d.Options {
		seen[strings.ToLower(o.Dest)] = true
	}
	d.Destinations = len(seen)
	d.Ready = d.Destinations >= d.Required
	if !d.Ready {
		if !f.Quiet {
			d.Missing = missing(d, p, u)
		}
	}
	return d
}

// missing says, for a user who is not ready, what is missing and what would fix it.
func missing(d Decision, p Policy, u store.User) string {
	var fixes []string
	if p.Enabled(MethodSMS) && !hasMethod(d, MethodSMS) {
		fixes = append(fixes, "a mobile phone")
	} else if p.Enabled(MethodVoice) && !hasMethod(d, MethodVoice) {
		fixes = append(fixes, "a phone number")
	}
	if p.Enabled(MethodVoice) && !hasOption(d, OptionVoiceOffice) && (hasMethod(d, MethodSMS) || hasMethod(d, MethodVoice)) {
		fixes = append(fixes, "an office phone")
	}
	if p.Enabled(MethodEmail) && !hasMethod(d, MethodEmail) {
		fixes = append(fixes, "an alternate email")
	}
	if p.Enabled(MethodQuestions) && !d.Privileged && !hasMethod(d, MethodQuestions) {
		fixes = append(fixes, "security questions (registration)")
	}
	methods := "methods"
	if d.Required == 1 {
		methods = "method"
	}
	s := fmt.Sprintf("needs %d %s, has %d", d.Required, methods, d.Destinations)
	if len(fixes) > 0 {
		s += ": add " + orList(fixes)
	}
	return s
}

func hasMethod(d Decision, m string) bool {
	for _, o := range d.Options {
		if o.Method == m {
			return true
		}
	}
	return false
}

func hasOption(d Decision, id string) bool {
	for _, o := range d.Options {
		if o.ID == id {
			return true
		}
	}
	return false
}

func orList(xs []string) string {
	if len(xs) == 1 {
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " or " + xs[len(xs)-1]
}

// MethodsOf lists the distinct methods of options, in order.
func MethodsOf(opts []Option) []string {
	var out []string
	for _, o := range opts {
		found := false
		for _, m := range out {
			found = found || m == o.Method
		}
		if !found {
			out = append(out, o.Method)
		}
	}
	return out
}

// typeWords names a phone type for people: "premium-rate", "personal number", "landline".
func typeWords(t phone.Type) string {
	switch t {
	case phone.Mobile:
		return "mobile"
	case phone.FixedLine:
		return "landline"
	case phone.FixedLineOrMobile:
		return "landline or mobile"
	case phone.TollFree:
		return "toll-free"
	case phone.PremiumRate:
		return "premium-rate"
	case phone.SharedCost:
		return "shared-cost"
	case phone.VoIP:
		return "VoIP"
	case phone.PersonalNumber:
		return "personal number"
	case phone.Pager:
		return "pager"
	case phone.UAN:
		return "company-wide (UAN)"
	case phone.Voicemail:
		return "voicemail"
	}
	return "unknown type"
}

func article(words string) string {
	switch words {
	case "premium-rate", "shared-cost", "toll-free":
		return words
	}
	if strings.ContainsAny(words[:1], "aeiouAEIOU") {
		return "an " + words
	}
	return "a " + words
}
