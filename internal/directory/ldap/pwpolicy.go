package ldap

import (
	"strconv"
	"time"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/sspr/sspr/internal/directory"
)

// OpenLDAP ppolicy attributes: when the password was last changed (operational, set by the
// overlay), the entry's own policy, and a policy's maximum age in seconds (0 or absent: never).
const (
	attrPwdChangedTime    = "pwdChangedTime"
	attrPwdPolicySubentry = "pwdPolicySubentry"
	attrPwdMaxAge         = "pwdMaxAge"
)

// policy is what a read learned of one password policy entry.
type policy struct {
	maxAge time.Duration // 0: never expires
}

// passwordExpiry fills r's password expiry from an OpenLDAP entry: pwdChangedTime plus the
// pwdMaxAge of its pwdPolicySubentry, else of the configured default policy. With no policy
// known, or no pwdChangedTime (set before the overlay, or by slapadd), the expiry is unknown.
func (rd *read) passwordExpiry(e *entry, r *directory.Record) {
	dn := string(e.first(attrPwdPolicySubentry))
	if dn == "" {
		dn = rd.r.cfg.PasswordPolicyDN
	}
	if dn == "" {
		return
	}
	p, ok := rd.policies[normDN(dn)]
	if !ok {
		return
	}
	if p.maxAge <= 0 {
		r.PasswordNeverExpires = true
		return
	}
	if changed, err := parseGeneralizedTime(e.first(attrPwdChangedTime)); err == nil {
		r.PasswordExpiresAt = changed.Add(p.maxAge).UTC()
	}
}

// loadPolicies reads, before the users (a streamed search leaves the connection busy), every
// password policy (objectClass pwdPolicy) in the naming contexts of the base DNs and the
// configured default policy: each policy entry once per read. A policy the bind account
// cannot read is unknown: its users' expiry is unknown, the read goes on.
func (rd *read) loadPolicies() error {
	rd.policies = make(map[string]policy)
	add := func(e *entry) error {
		p := policy{}
		if v := e.first(attrPwdMaxAge); len(v) > 0 {
			n, err := strconv.ParseInt(string(v), 10, 64)
			if err != nil || n < 0 {
				return nil // not a usable policy: its users' expiry stays unknown
			}
			p.maxAge = time.Duration(n) * time.Second
		}
		rd.policies[normDN(string(e.dn))] = p
		return nil
	}
	seen := make(map[string]bool)
	for _, b := range rd.r.bases {
		ncs, err := rd.namingContextsOf(b)
		if err != nil {
			return err
		}
		for _, nc := range ncs {
			if seen[normDN(nc)] {
				continue
			}
			seen[normDN(nc)] = true
			err := rd.c.each(rd.ctx, nc, "(objectClass=pwdPolicy)", []string{attrPwdMaxAge}, add)
			if err != nil && !goldap.IsErrorWithCode(err, goldap.LDAPResultNoSuchObject) {
				return rd.c.wrap(err, "read the password policies under %s", nc)
			}
		}
	}
	if d := rd.r.cfg.PasswordPolicyDN; d != "" {
		if _, ok := rd.policies[normDN(d)]; !ok {
			_, err := rd.c.search(d, goldap.ScopeBaseObject, "(objectClass=*)", []string{attrPwdMaxAge}, add)
			if err != nil && !goldap.IsErrorWithCode(err, goldap.LDAPResultNoSuchObject) {
				return rd.c.wrap(err, "read the password policy %s", d)
			}
		}
	}
	return nil
}
