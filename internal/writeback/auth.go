package writeback

import (
	"context"
	"errors"
	"fmt"

	goldap "github.com/go-ldap/ldap/v3"

	"github.com/sspr/sspr/internal/directory"
)

// Authenticate checks userDN's password with a simple bind as the user over TLS (the
// registration portal's sign-in). A failure says why: wrongPassword, locked, mustChange,
// disabled, expired or notPermitted (AD's data code; OpenLDAP's ppolicy response control).
// An empty password (or DN) is wrongPassword without contacting the server: a bind with an
// empty password is an unauthenticated bind, which succeeds.
func (d *Directory) Authenticate(ctx context.Context, userDN, password string) error {
	const op = "authenticate"
	if userDN == "" || password == "" {
		return newErr(op, ReasonWrongPassword, errors.New("empty DN or password: not sent"))
	}
	ctx, cancel := d.bound(ctx)
	defer cancel()
	c, err := d.dial(ctx)
	if err != nil {
		return classify(ctx, op, "connect", err, nil)
	}
	defer c.close()
	req := goldap.NewSimpleBindRequest(userDN, password, nil)
	mapCode := adBindReason
	if d.cfg.Kind == directory.OpenLDAP {
		req.Controls = []goldap.Control{goldap.NewControlBeheraPasswordPolicy()}
		mapCode = func(err error) string {
			if pp := responsePolicy(err); pp != nil && pp.Error >= 0 {
				if r := ppolicyReason(pp.Error); r != "" {
					return r
				}
			}
			if goldap.IsErrorAnyOf(err, goldap.LDAPResultInvalidCredentials) {
				return ReasonWrongPassword
			}
			return ""
		}
	}
	res, err := c.SimpleBind(req)
	if err != nil {
		return classify(ctx, op, fmt.Sprintf("bind as %q", userDN), err, mapCode)
	}
	// OpenLDAP accepts the bind of a password an administrator reset under pwdMustChange, but
	// says changeAfterReset and allows nothing but a password change.
	for _, ctl := range res.Controls {
		if pp, ok := ctl.(*goldap.ControlBeheraPasswordPolicy); ok && pp.Error >= 0 {
			return newErr(op, ppolicyReason(pp.Error), fmt.Errorf("bind as %q: accepted with ppolicy error %q", userDN, pp.ErrorString))
		}
	}
	return nil
}
