package flow

import (
	"fmt"
	"slices"
	"time"

	"github.com/sspr/sspr/internal/questions"
)

// Method names, as in configuration, forms, audit events, reports and the CLI: the one
// vocabulary every package uses.
const (
	MethodEmail     = "email"
	MethodSMS       = "sms"
	MethodVoice     = "voice"
	MethodQuestions = "questions"
)

// AllMethods lists the methods in the order the flow offers them and reports list them.
var AllMethods = []string{MethodEmail, MethodSMS, MethodVoice, MethodQuestions}

// Limit is "at most Max events in Window"; exceeding it locks for Lock (0: no lock, just wait).
type Limit struct {
	Max    int           `yaml:"max"`
	Window time.Duration `yaml:"window"`
	Lock   time.Duration `yaml:"lock"`
}

// Throttle holds the limits the flows enforce, per user (or per typed name, for names that
// match nobody, so both behave alike) and per client IP. Defaults are Entra SSPR's.
type Throttle struct {
	FailedProofs   Limit `yaml:"failedProofs"`   // per user: 5 in 24h → locked 24h
	FailedProofsIP Limit `yaml:"failedProofsIP"` // per client IP: 50 in 1h → locked 1h
	Phone          Limit `yaml:"phone"`          // SMS and voice codes per user: 5 per hour
	Email          Limit `yaml:"email"`          // email codes per user: 10 per 10 minutes
	StartsIP       Limit `yaml:"startsIP"`       // flows started per client IP: 100 per 10 minutes
	// Questions: answer attempts per user, counted before the answers are checked: 5 per hour,
	// then locked 24h (each wrong attempt is also a failed proof).
	Questions Limit `yaml:"questions"`
}

// Policy is the reset policy.
type Policy struct {
	// Methods enabled, among email, sms, voice, questions.
	Methods []string `yaml:"methods"`
	// MethodsRequired is how many distinct methods a user proves: 1 or 2. Two methods must
	// reach two different destinations (an SMS and a call to the same phone count once).
	MethodsRequired int `yaml:"methodsRequired"`
	// AdminGroups: members (and AD adminCount=1 accounts) always need 2 methods and never
	// answer questions.
	AdminGroups []string `yaml:"adminGroups"`

	CodeLength      int           `yaml:"codeLength"`      // digits, at least 6
	CodeLifetime    time.Duration `yaml:"codeLifetime"`    // default 10m
	CodeMaxAttempts int           `yaml:"codeMaxAttempts"` // default 5
	SessionLifetime time.Duration `yaml:"sessionLifetime"` // default 15m
	// ResponseFloor pads the first step's response time so that known and unknown names take
	// the same time.
	ResponseFloor time.Duration `yaml:"responseFloor"`

	Throttle Throttle `yaml:"throttle"`

	// Questions: how many security questions users register and answer, custom questions,
	// hashing. The method itself is enabled by listing "questions" in Methods.
	Questions questions.Policy `yaml:"questions"`

	// SharedNumbers: a phone number held by more than Max users (a reception desk, a team
	// mobile, a placeholder) is not proof of one person: it is not offered for reset unless
	// Allow is set. Max 0 means the default (3).
	SharedNumbers SharedNumbers `yaml:"sharedNumbers"`

	// NewContactCooldown: a phone or email read from the directory that changed less than this
	// long ago is not offered for reset (whoever can edit a user's mobile in the directory could
	// otherwise reset that user's password a minute later), unless the user registered it
	// themselves. Default 24h; 0 turns it off.
	NewContactCooldown *time.Duration `yaml:"newContactCooldown"`

	// MustChangeAfterReset: a reset also sets "user must change password at next logon"
	// (AD/Samba pwdLastSet=0), and the done page links to /change. Default off.
	MustChangeAfterReset bool `yaml:"mustChangeAfterReset"`
}

// Cooldown is NewContactCooldown's value (0: off).
func (p Policy) Cooldown() time.Duration {
	if p.NewContactCooldown == nil {
		return DefaultContactCooldown
	}
	return *p.NewContactCooldown
}

// DefaultContactCooldown is NewContactCooldown's default.
const DefaultContactCooldown = 24 * time.Hour

// SharedNumbers is the policy for phone numbers that several users hold.
type SharedNumbers struct {
	Max   int  `yaml:"max"`
	Allow bool `yaml:"allow"`
}

// DefaultPolicy is the product's defaults (PRODUCT.md reference numbers).
func DefaultPolicy() Policy {
	return Policy{
		Methods:         []string{MethodEmail, MethodSMS, MethodVoice},
		MethodsRequired: 1,
		CodeLength:      8,
		CodeLifetime:    10 * time.Minute,
		CodeMaxAttempts: 5,
		SessionLifetime: 15 * time.Minute,
		ResponseFloor:   250 * time.Millisecond,
		Throttle: Throttle{
			FailedProofs:   Limit{Max: 5, Window: 24 * time.Hour, Lock: 24 * time.Hour},
			FailedProofsIP: Limit{Max: 50, Window: time.Hour, Lock: time.Hour},
			Phone:          Limit{Max: 5, Window: time.Hour},
			Email:          Limit{Max: 10, Window: 10 * time.Minute},
			StartsIP:       Limit{Max: 100, Window: 10 * time.Minute},
			Questions:      Limit{Max: 5, Window: time.Hour, Lock: 24 * time.Hour},
		},
		Questions:     questions.Policy{}.WithDefaults(),
		SharedNumbers: SharedNumbers{Max: 3},
	}
}

// WithDefaults fills unset fields from DefaultPolicy.
func (p Policy) WithDefaults() Policy {
	d := DefaultPolicy()
	if p.Methods == nil {
		p.Methods = d.Methods
	}
	if p.MethodsRequired == 0 {
		p.MethodsRequired = d.MethodsRequired
	}
	if p.CodeLength == 0 {
		p.CodeLength = d.CodeLength
	}
	if p.CodeLifetime == 0 {
		p.CodeLifetime = d.CodeLifetime
	}
	if p.CodeMaxAttempts == 0 {
		p.CodeMaxAttempts = d.CodeMaxAttempts
	}
	if p.SessionLifetime == 0 {
		p.SessionLifetime = d.SessionLifetime
	}
	if p.ResponseFloor == 0 {
		p.ResponseFloor = d.ResponseFloor
	}
	lim := func(l *Limit, d Limit) {
		if l.Max == 0 {
			*l = d
		}
	}
	lim(&p.Throttle.FailedProofs, d.Throttle.FailedProofs)
	lim(&p.Throttle.FailedProofsIP, d.Throttle.FailedProofsIP)
	lim(&p.Throttle.Phone, d.Throttle.Phone)
	lim(&p.Throttle.Email, d.Throttle.Email)
	lim(&p.Throttle.StartsIP, d.Throttle.StartsIP)
	lim(&p.Throttle.Questions, d.Throttle.Questions)
	p.Questions = p.Questions.WithDefaults()
	if p.SharedNumbers.Max == 0 {
		p.SharedNumbers.Max = d.SharedNumbers.Max
	}
	return p
}

// Problems lists what is wrong with the policy, each as "key: message" relative to the policy.
func (p Policy) Problems() []string {
	var ps []string
	add := func(format string, args ...any) { ps = append(ps, fmt.Sprintf(format, args...)) }
	if len(p.Methods) == 0 {
		add("methods: enable at least one of email, sms, voice, questions")
	}
	for _, m := range p.Methods {
		if !slices.Contains(AllMethods, m) {
			add("methods: %q is not a method (email, sms, voice, questions)", m)
		}
	}
	if p.MethodsRequired != 1 && p.MethodsRequired != 2 {
		add("methodsRequired: %d: use 1 or 2", p.MethodsRequired)
	}
	if p.CodeLength < 6 || p.CodeLength > 12 {
		add("codeLength: %d: use 6 to 12 digits", p.CodeLength)
	}
	if p.CodeLifetime < time.Minute || p.CodeLifetime > time.Hour {
		add("codeLifetime: %s: use 1m to 1h (5m–10m recommended)", p.CodeLifetime)
	}
	if p.CodeMaxAttempts < 1 || p.CodeMaxAttempts > 10 {
		add("codeMaxAttempts: %d: use 1 to 10", p.CodeMaxAttempts)
	}
	if p.SessionLifetime < 5*time.Minute || p.SessionLifetime > 2*time.Hour {
		add("sessionLifetime: %s: use 5m to 2h", p.SessionLifetime)
	}
	if p.ResponseFloor < 0 || p.ResponseFloor > 5*time.Second {
		add("responseFloor: %s: use 0 to 5s", p.ResponseFloor)
	}
	for name, l := range map[string]Limit{"failedProofs": p.Throttle.FailedProofs, "failedProofsIP": p.Throttle.FailedProofsIP,
		"phone": p.Throttle.Phone, "email": p.Throttle.Email, "startsIP": p.Throttle.StartsIP, "questions": p.Throttle.Questions} {
		if l.Max < 1 || l.Window < time.Second || l.Lock < 0 {
			add("throttle.%s: max ≥ 1 and window ≥ 1s required", name)
		}
	}
	if c := p.Cooldown(); c < 0 || c > 30*24*time.Hour {
		add("newContactCooldown: %s: use 0 (off) to 720h", c)
	}
	if p.SharedNumbers.Max < 0 {
		add("sharedNumbers.max: %d: use 1 or more", p.SharedNumbers.Max)
	}
	for _, q := range p.Questions.Problems() {
		add("questions.%s", q)
	}
	slices.Sort(ps)
	return ps
}

// Enabled reports whether method m is enabled.
func (p Policy) Enabled(m string) bool { return slices.Contains(p.Methods, m) }
