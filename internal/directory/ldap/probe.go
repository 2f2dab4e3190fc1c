package ldap

import (
	"context"

	goldap "github.com/go-ldap/ldap/v3"
)

// Probe tests the connection the way an administrator's "test connection" button would: it
// connects (TLS or StartTLS), binds as the service account and reads one entry in scope (a
// subtree search of each base DN with the filter, one entry per page, no attributes). It
// returns the first entry's DN, or "" when the scope is empty. The group is not followed. The
// whole call is bounded by the endpoint's CallTimeout; errors are those of Read (ErrTLS,
// ErrBind, ErrUnreachable, ErrNotFound, ErrTimeout).
func (r *Reader) Probe(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, r.t.CallTimeout)
	defer cancel()
	c, err := r.connect(ctx)
	if err != nil {
		return "", err
	}
	defer c.close()
	for _, base := range r.bases {
		var dn string
		_, err := c.search(base, goldap.ScopeWholeSubtree, r.cfg.Filter, []string{"1.1"}, func(e *entry) error {
			if dn == "" {
				dn = string(e.dn)
			}
			return nil
		}, goldap.NewControlPaging(1))
		if goldap.IsErrorWithCode(err, goldap.LDAPResultNoSuchObject) {
			return "", newError(ErrNotFound, err, "base DN %s does not exist", base)
		}
		if err != nil {
			return "", c.wrap(err, "search %s", base)
		}
		if dn != "" {
			return dn, nil
		}
	}
	return "", nil
}
