package console

import (
	"fmt"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/sspr/sspr/internal/config/problem"
)

// Policy is the console's configuration (config console).
type Policy struct {
	// Readers are the directory groups (DNs) whose members may sign in to read: the dashboard,
	// users, the audit log. Nested membership counts, as for reset.adminGroups.
	Readers []string `yaml:"readers"`
	// Administrators are the groups whose members may also act: change users' fields, unlock,
	// require re-registration, start a sync, approve a sync the delete guard held.
	Administrators []string `yaml:"administrators"`
	// IdleTimeout ends a session after this long without a request (default 15m; 1m to 1h).
	IdleTimeout time.Duration `yaml:"idleTimeout"`
	// SessionLifetime ends it this long after sign-in, active or not (default 8h; IdleTimeout
	// to 24h).
	SessionLifetime time.Duration `yaml:"sessionLifetime"`
}

// Defaults.
const (
	DefaultIdleTimeout     = 15 * time.Minute
	DefaultSessionLifetime = 8 * time.Hour
)

// On reports whether the console is served: some group may sign in.
func (p Policy) On() bool { return len(p.Readers)+len(p.Administrators) > 0 }

// WithDefaults fills unset fields.
func (p Policy) WithDefaults() Policy {
	if p.IdleTimeout == 0 {
		p.IdleTimeout = DefaultIdleTimeout
	}
	if p.SessionLifetime == 0 {
		p.SessionLifetime = max(DefaultSessionLifetime, p.IdleTimeout)
	}
	return p
}

// Problems lists what is wrong, keys relative to the policy (readers[0], idleTimeout).
func (p Policy) Problems() []problem.Problem {
	var ps []problem.Problem
	add := func(key, format string, args ...any) {
		ps = append(ps, problem.Problem{Key: key, Message: fmt.Sprintf(format, args...)})
	}
	for _, l := range []struct {
		key    string
		groups []string
	}{{"readers", p.Readers}, {"administrators", p.Administrators}} {
		for i, g := range l.groups {
			if _, err := goldap.ParseDN(g); err != nil || g == "" {
				add(fmt.Sprintf("%s[%d]", l.key, i), "%q: a group's distinguished name (CN=Helpdesk,OU=Groups,DC=example,DC=com)", g)
			}
		}
	}
	if p.IdleTimeout < time.Minute || p.IdleTimeout > time.Hour {
		add("idleTimeout", "%s: use 1m to 1h", p.IdleTimeout)
	}
	if p.SessionLifetime < p.IdleTimeout || p.SessionLifetime > 24*time.Hour {
		add("sessionLifetime", "%s: use idleTimeout (%s) to 24h", p.SessionLifetime, p.IdleTimeout)
	}
	return ps
}
