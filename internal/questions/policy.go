package questions

import (
	"fmt"
	"sort"
)

// Policy is the security questions' part of the reset policy (config reset.questions). The
// method itself is enabled by listing "questions" in reset.methods.
type Policy struct {
	// Register is how many questions a user registers: 3 to 5.
	Register int `yaml:"register"`
	// AtReset is how many of them a reset asks: 3 to 5, at most Register.
	AtReset int `yaml:"atReset"`
	// Custom questions: id → text (3 to 200 characters). The id is stored with each answer:
	// changing a text keeps the answers registered to it; removing an id drops that question
	// from the users who chose it (they answer the others, or register again).
	Custom map[string]string `yaml:"custom"`
	// Pepper mixes a key derived from the server secret into every answer hash (default true),
	// so a copy of the store alone cannot be attacked offline. Answers registered under another
	// server secret then no longer verify: those users register their questions again.
	Pepper *bool `yaml:"pepper"`
	// MaxConcurrentHashes bounds the Argon2id computations running at once, each holding
	// 19 MiB: 8 (the default) admits 8 at a time, about 152 MiB of hash memory at the peak.
	MaxConcurrentHashes int `yaml:"maxConcurrentHashes"`
}

// Defaults.
const (
	DefaultRegister            = 3
	DefaultAtReset             = 3
	DefaultMaxConcurrentHashes = 8
)

// WithDefaults fills unset fields.
func (p Policy) WithDefaults() Policy {
	if p.Register == 0 {
		p.Register = DefaultRegister
	}
	if p.AtReset == 0 {
		p.AtReset = min(DefaultAtReset, p.Register)
	}
	if p.Pepper == nil {
		on := true
		p.Pepper = &on
	}
	if p.MaxConcurrentHashes == 0 {
		p.MaxConcurrentHashes = DefaultMaxConcurrentHashes
	}
	return p
}

// Peppered reports whether answers are peppered.
func (p Policy) Peppered() bool { return p.Pepper == nil || *p.Pepper }

// Problems lists what is wrong, each as "key: message" relative to the policy.
func (p Policy) Problems() []string {
	var ps []string
	add := func(format string, args ...any) { ps = append(ps, fmt.Sprintf(format, args...)) }
	if p.Register < 3 || p.Register > 5 {
		add("register: %d: use 3 to 5", p.Register)
	}
	if p.AtReset < 3 || p.AtReset > 5 {
		add("atReset: %d: use 3 to 5", p.AtReset)
	} else if p.AtReset > p.Register {
		add("atReset: %d: at most register (%d)", p.AtReset, p.Register)
	}
	if p.MaxConcurrentHashes < 1 || p.MaxConcurrentHashes > 256 {
		add("maxConcurrentHashes: %d: use 1 to 256 (each holds %d MiB)", p.MaxConcurrentHashes, OWASP.Memory/1024)
	}
	ps = append(ps, CustomProblems(p.Custom)...)
	if n := len(Predefined) + len(p.Custom); n < p.Register {
		add("custom: %d questions in all: fewer than register (%d)", n, p.Register)
	}
	sort.Strings(ps)
	return ps
}
