package register

import (
	"fmt"
	"slices"
	"time"
)

// Policy is the registration portal's configuration (config registration).
type Policy struct {
	// SessionLifetime ends a registration session this long after sign-in, active or not
	// (default 15m; 5m to 1h).
	SessionLifetime time.Duration `yaml:"sessionLifetime"`
	// IdleTimeout ends it after this long without a request (default 5m; 1m to SessionLifetime).
	IdleTimeout time.Duration `yaml:"idleTimeout"`
	// ReconfirmDays: a user whose registration is older than this many days is asked to confirm
	// it at sign-in (0 to 730; 0 never asks; default 180, as Entra).
	ReconfirmDays *int `yaml:"reconfirmDays"`
}

// Defaults.
const (
	DefaultSessionLifetime = 15 * time.Minute
	DefaultIdleTimeout     = 5 * time.Minute
	DefaultReconfirmDays   = 180
)

// DefaultPolicy is the defaults.
func DefaultPolicy() Policy { return Policy{}.WithDefaults() }

// WithDefaults fills unset fields.
func (p Policy) WithDefaults() Policy {
	if p.SessionLifetime == 0 {
		p.SessionLifetime = DefaultSessionLifetime
	}
	if p.IdleTimeout == 0 {
		p.IdleTimeout = min(DefaultIdleTimeout, p.SessionLifetime)
	}
	if p.ReconfirmDays == nil {
		d := DefaultReconfirmDays
		p.ReconfirmDays = &d
	}
	return p
}

// Reconfirm is the re-confirmation interval; 0: never.
func (p Policy) Reconfirm() time.Duration {
	if p.ReconfirmDays == nil {
		return 0
	}
	return time.Duration(*p.ReconfirmDays) * 24 * time.Hour
}

// Problems lists what is wrong, each as "key: message" relative to the policy.
func (p Policy) Problems() []string {
	var ps []string
	add := func(format string, args ...any) { ps = append(ps, fmt.Sprintf(format, args...)) }
	if p.SessionLifetime < 5*time.Minute || p.SessionLifetime > time.Hour {
		add("sessionLifetime: %s: use 5m to 1h", p.SessionLifetime)
	}
	if p.IdleTimeout < time.Minute || p.IdleTimeout > p.SessionLifetime {
		add("idleTimeout: %s: use 1m to sessionLifetime (%s)", p.IdleTimeout, p.SessionLifetime)
	}
	if p.ReconfirmDays != nil && (*p.ReconfirmDays < 0 || *p.ReconfirmDays > 730) {
		add("reconfirmDays: %d: use 0 (never) to 730", *p.ReconfirmDays)
	}
	slices.Sort(ps)
	return ps
}
