package alert

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sspr/sspr/internal/email"
)

// Policy is the notifications block of the configuration.
type Policy struct {
	// Administrators are the email addresses that receive the notifications; none: no
	// notification is sent.
	Administrators []string `yaml:"administrators"`
	// DeliveryFailures: more failed delivery attempts than this within an hour is an incident
	// (default 10).
	DeliveryFailures int `yaml:"deliveryFailures"`
	// LockoutsPerHour: more lockouts (failed proofs locking a user or a client IP out) than this
	// within an hour is an incident (default 20).
	LockoutsPerHour int `yaml:"lockoutsPerHour"`
}

// Defaults.
const (
	DefaultDeliveryFailures = 10
	DefaultLockoutsPerHour  = 20
)

// WithDefaults fills what p leaves empty.
func (p Policy) WithDefaults() Policy {
	if p.DeliveryFailures == 0 {
		p.DeliveryFailures = DefaultDeliveryFailures
	}
	if p.LockoutsPerHour == 0 {
		p.LockoutsPerHour = DefaultLockoutsPerHour
	}
	return p
}

// On reports whether notifications are sent: some administrator is configured.
func (p Policy) On() bool { return len(p.Administrators) > 0 }

// Problems lists what is wrong with p (after WithDefaults), each "key: message", sorted.
func (p Policy) Problems() []string {
	var ps []string
	add := func(format string, args ...any) { ps = append(ps, fmt.Sprintf(format, args...)) }
	seen := map[string]bool{}
	for i, a := range p.Administrators {
		switch {
		case email.Validate(a) != nil:
			add("administrators[%d]: %q is not an email address", i, a)
		case seen[strings.ToLower(a)]:
			add("administrators[%d]: %q comes twice", i, a)
		}
		seen[strings.ToLower(a)] = true
	}
	if p.DeliveryFailures < 1 {
		add("deliveryFailures: %d: use 1 or more failed attempts per hour", p.DeliveryFailures)
	}
	if p.LockoutsPerHour < 1 {
		add("lockoutsPerHour: %d: use 1 or more lockouts per hour", p.LockoutsPerHour)
	}
	slices.Sort(ps)
	return ps
}
