package writeback

import (
	"context"
	"errors"
	"fmt"
	"strings"

	ber "github.com/go-asn1-ber/asn1-ber"
	goldap "github.com/go-ldap/ldap/v3"

	"github.com/sspr/sspr/internal/directory"
)

// ChangePassword changes userDN's password from oldPassword to newPassword as the user's own
// change, not an administrator's reset, so the directory applies its policy for user changes
// (history, minimum age, complexity) and checks the old password itself:
//
//   - AD/Samba: one Modify that deletes the old unicodePwd value and adds the new one (TLS
//     only), on a connection bound as the service account. The change needs the "Change
//     Password" right, which AD grants to Everyone: the old password, not the connection,
//     proves the user. So it works for a user who cannot bind: one who must change the
//     password at next logon (pwdLastSet=0, bind data 773) or whose password has expired
//     (532). A wrong old password is wrongPassword (constraintViolation with 00000056).
//   - OpenLDAP: a bind as the user (with the ppolicy control: a password reset under
//     pwdMustChange binds with changeAfterReset, which allows just this change), then the
//     Password Modify extended operation (RFC 3062) with oldPasswd and the ppolicy control.
//     A bind refused as expired (no grace logins left) is expired.
//
// Errors are *Error with the reasons of Authenticate (wrongPassword, locked, disabled,
// expired, notPermitted) and of SetPassword (tooShort, complexity, history, tooYoung).
func (d *Directory) ChangePassword(ctx context.Context, userDN, oldPassword, newPassword string) error {
	const op = "change password"
	if userDN == "" || oldPassword == "" {
		return newErr(op, ReasonWrongPassword, errors.New("empty DN or old password: not sent"))
	}
	if newPassword == "" {
		return newErr(op, ReasonTooShort, errors.New("empty new password"))
	}
	if d.cfg.Kind == directory.ActiveDirectory && !d.secure() {
		return newErr(op, ReasonFailed, errors.New("unicodePwd can only be written over TLS (ldaps:// or StartTLS)"))
	}
	ctx, cancel := d.bound(ctx)
	defer cancel()
	if d.cfg.Kind == directory.ActiveDirectory {
		c, err := d.connect(ctx, op)
		if err != nil {
			return err
		}
		defer c.close()
		mod := goldap.NewModifyRequest(userDN, nil)
		mod.Delete("unicodePwd", []string{unicodePwd(oldPassword)})
		mod.Add("unicodePwd", []string{unicodePwd(newPassword)})
		if err := c.Modify(mod); err != nil {
			return classify(ctx, op, fmt.Sprintf("change unicodePwd of %q", userDN), err, adChangeReason)
		}
		return nil
	}
	c, err := d.dial(ctx)
	if err != nil {
		return classify(ctx, op, "connect", err, nil)
	}
	defer c.close()
	bind := goldap.NewSimpleBindRequest(userDN, oldPassword, []goldap.Control{goldap.NewControlBeheraPasswordPolicy()})
	if _, err := c.SimpleBind(bind); err != nil {
		return classify(ctx, op, fmt.Sprintf("bind as %q", userDN), err, func(err error) string {
			if r := ppolicyErrReason(err); r != "" && r != ReasonComplexity {
				return r
			}
			if goldap.IsErrorAnyOf(err, goldap.LDAPResultInvalidCredentials) {
				return ReasonWrongPassword
			}
			return ""
		})
	}
	// A bind accepted with changeAfterReset (or a grace login) allows this change: go on.
	val := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "Password Modify Request")
	val.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, userDN, "User Identity"))
	val.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 1, oldPassword, "Old Password"))
	val.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 2, newPassword, "New Password"))
	req := goldap.NewExtendedRequest(oidPasswordModify, val)
	req.Controls = []goldap.Control{goldap.NewControlBeheraPasswordPolicy()}
	if _, err := c.Extended(req); err != nil {
		return classify(ctx, op, fmt.Sprintf("password modify of %q with the old password", userDN), err, func(err error) string {
			if r := ppolicyErrReason(err); r != "" {
				return r
			}
			if goldap.IsErrorAnyOf(err, goldap.LDAPResultInvalidCredentials) {
				return ReasonWrongPassword
			}
			return ""
		})
	}
	return nil
}

// adChangeReason maps AD's and Samba's answers to a delete/add of unicodePwd: a wrong old
// password is constraintViolation with 00000056 (ERROR_INVALID_PASSWORD); no such user is
// wrongPassword too (the caller cannot tell a name that does not exist); the policy refusals
// are as for a reset (0000052D); a locked-out account is 00000775.
func adChangeReason(err error) string {
	msg := strings.ToLower(diagnostic(err))
	switch {
	case goldap.IsErrorAnyOf(err, goldap.LDAPResultNoSuchObject):
		return ReasonWrongPassword
	case !goldap.IsErrorAnyOf(err, goldap.LDAPResultConstraintViolation, goldap.LDAPResultUnwillingToPerform,
		goldap.LDAPResultInvalidCredentials):
		return ""
	case strings.Contains(msg, "00000056"):
		return ReasonWrongPassword
	case strings.Contains(msg, "00000775"):
		return ReasonLocked
	}
	if r := adPasswordReason(err); r != "" {
		return r
	}
	if goldap.IsErrorAnyOf(err, goldap.LDAPResultInvalidCredentials) {
		return adBindReason(err)
	}
	return ""
}
