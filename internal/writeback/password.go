package writeback

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"unicode/utf16"

	ber "github.com/go-asn1-ber/asn1-ber"
	goldap "github.com/go-ldap/ldap/v3"

	"github.com/sspr/sspr/internal/directory"
)

// Policy hints (LDAP_SERVER_POLICY_HINTS_OID): with it, AD applies history, minimum age
// and the other password rules to an administrator's reset as to a user's change. The value
// is SEQUENCE { Flags INTEGER } with Flags = 1.
const (
	OIDPolicyHints           = "1.2.840.113556.1.4.2239"
	OIDPolicyHintsDeprecated = "1.2.840.113556.1.4.2066" // before Windows Server 2012 R2
	oidPasswordModify        = "1.3.6.1.4.1.4203.1.11.1" // RFC 3062
)

// policyHintsValue is the BER of SEQUENCE { INTEGER 1 }.
const policyHintsValue = "\x30\x03\x02\x01\x01"

// SetPassword replaces userDN's password with newPassword as the service account, in one
// operation: AD/Samba a Modify of unicodePwd with the policy hints control (TLS only);
// OpenLDAP the Password Modify extended operation with the ppolicy request control.
func (d *Directory) SetPassword(ctx context.Context, userDN, newPassword string) error {
	const op = "set password"
	if userDN == "" {
		return newErr(op, ReasonFailed, errors.New("no user DN"))
	}
	if newPassword == "" {
		// An empty new password would ask an OpenLDAP server to generate one.
		return newErr(op, ReasonTooShort, errors.New("empty password"))
	}
	if d.cfg.Kind == directory.ActiveDirectory && !d.secure() {
		return newErr(op, ReasonFailed, errors.New("unicodePwd can only be written over TLS (ldaps:// or StartTLS)"))
	}
	ctx, cancel := d.bound(ctx)
	defer cancel()
	c, err := d.connect(ctx, op)
	if err != nil {
		return err
	}
	defer c.close()
	if d.cfg.Kind == directory.ActiveDirectory {
		return d.setUnicodePwd(ctx, c, userDN, newPassword)
	}
	return d.passwordModify(ctx, c, userDN, newPassword)
}

func (d *Directory) setUnicodePwd(ctx context.Context, c *conn, userDN, password string) error {
	const op = "set password"
	oid, err := d.policyHintsOID(ctx, c)
	if err != nil {
		return err
	}
	mod := goldap.NewModifyRequest(userDN, []goldap.Control{goldap.NewControlString(oid, true, policyHintsValue)})
	mod.Replace("unicodePwd", []string{unicodePwd(password)})
	if d.cfg.MustChangeAfterReset {
		mod.Replace("pwdLastSet", []string{"0"})
	}
	if err := c.Modify(mod); err != nil {
		return classify(ctx, op, fmt.Sprintf("modify unicodePwd of %q (policy hints %s)", userDN, oid), err, adPasswordReason)
	}
	// A reset does not clear an AD lockout (verified on Samba 4.17): a locked-out user who just
	// proved who they are must be able to sign in. Best effort: the password is already set, and
	// a service account without rights on lockoutTime only loses this convenience.
	unlock := goldap.NewModifyRequest(userDN, nil)
	unlock.Replace("lockoutTime", []string{"0"})
	_ = c.Modify(unlock)
	return nil
}

// policyHintsOID returns the hints control this DC lists in its rootDSE, .2239 first, and
// the deprecated .2066 when it lists neither (Samba 4.17 lists neither and honours both: see
// doc.go). The answer is remembered.
func (d *Directory) policyHintsOID(ctx context.Context, c *conn) (string, error) {
	d.mu.Lock()
	oid := d.hints
	d.mu.Unlock()
	if oid != "" {
		return oid, nil
	}
	res, err := c.Search(goldap.NewSearchRequest("", goldap.ScopeBaseObject, goldap.NeverDerefAliases, 0, 0, false,
		"(objectClass=*)", []string{"supportedControl"}, nil))
	if err != nil {
		return "", classify(ctx, "set password", "read the rootDSE's supportedControl", err, nil)
	}
	oid = OIDPolicyHintsDeprecated
	if len(res.Entries) == 1 && slices.Contains(res.Entries[0].GetAttributeValues("supportedControl"), OIDPolicyHints) {
		oid = OIDPolicyHints
	}
	d.mu.Lock()
	d.hints = oid
	d.mu.Unlock()
	return oid, nil
}

// unicodePwd encodes a password for AD's unicodePwd: the quoted password in UTF-16LE.
func unicodePwd(password string) string {
	u := utf16.Encode([]rune(`"` + password + `"`))
	b := make([]byte, 2*len(u))
	for i, r := range u {
		binary.LittleEndian.PutUint16(b[2*i:], r)
	}
	return string(b)
}

// passwordModify runs RFC 3062 Password Modify for userDN (no old password: the service
// account resets it) with the ppolicy request control, and decodes the ppolicy response
// control that comes back with an error. (go-ldap's PasswordModify sends no controls: this
// is the same request through Extended.)
func (d *Directory) passwordModify(ctx context.Context, c *conn, userDN, password string) error {
	const op = "set password"
	val := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "Password Modify Request")
	val.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 0, userDN, "User Identity"))
	val.AppendChild(ber.NewString(ber.ClassContext, ber.TypePrimitive, 2, password, "New Password"))
	req := goldap.NewExtendedRequest(oidPasswordModify, val)
	req.Controls = []goldap.Control{goldap.NewControlBeheraPasswordPolicy()}
	if _, err := c.Extended(req); err != nil {
		return classify(ctx, op, fmt.Sprintf("password modify of %q", userDN), err, ppolicyErrReason)
	}
	return nil
}

// ppolicyErrReason maps an OpenLDAP error by the ppolicy response control it carries, else
// by its result code.
func ppolicyErrReason(err error) string {
	if pp := responsePolicy(err); pp != nil && pp.Error >= 0 {
		if r := ppolicyReason(pp.Error); r != "" {
			return r
		}
	}
	if goldap.IsErrorAnyOf(err, goldap.LDAPResultConstraintViolation) {
		return ReasonComplexity // a quality rule without a control (pwdCheckModule, ...)
	}
	return ""
}

// responsePolicy returns the ppolicy response control of an LDAP result error, or nil.
// go-ldap keeps the whole response packet in the error: its third child holds the controls.
func responsePolicy(err error) *goldap.ControlBeheraPasswordPolicy {
	var le *goldap.Error
	if !errors.As(err, &le) || le.Packet == nil || len(le.Packet.Children) < 3 {
		return nil
	}
	for _, child := range le.Packet.Children[2].Children {
		ctl, derr := goldap.DecodeControl(child)
		if derr != nil {
			continue
		}
		if pp, ok := ctl.(*goldap.ControlBeheraPasswordPolicy); ok {
			return pp
		}
	}
	return nil
}

// Unlock clears userDN's lockout: AD/Samba lockoutTime=0; OpenLDAP removes
// pwdAccountLockedTime (an account that is not locked is a success).
// IsLocked reports whether the account is locked out now: AD's computed UF_LOCKOUT
// (msDS-User-Account-Control-Computed, which honours the lockout duration), OpenLDAP's
// pwdAccountLockedTime (its administrative lock, "000001010000Z", is a disabled account, not
// a lockout).
func (d *Directory) IsLocked(ctx context.Context, userDN string) (bool, error) {
	const op = "is locked"
	if userDN == "" {
		return false, newErr(op, ReasonFailed, errors.New("no user DN"))
	}
	ctx, cancel := d.bound(ctx)
	defer cancel()
	c, err := d.connect(ctx, op)
	if err != nil {
		return false, err
	}
	defer c.close()
	attr := "pwdAccountLockedTime"
	if d.cfg.Kind == directory.ActiveDirectory {
		attr = "msDS-User-Account-Control-Computed"
	}
	res, err := c.Search(goldap.NewSearchRequest(userDN, goldap.ScopeBaseObject, goldap.NeverDerefAliases, 1, 0, false,
		"(objectClass=*)", []string{attr}, nil))
	if err != nil {
		return false, classify(ctx, op, fmt.Sprintf("read %s of %q", attr, userDN), err, nil)
	}
	if len(res.Entries) != 1 {
		return false, newErr(op, ReasonNotFound, fmt.Errorf("%q not found", userDN))
	}
	v := res.Entries[0].GetAttributeValue(attr)
	if d.cfg.Kind == directory.ActiveDirectory {
		flags, _ := strconv.ParseInt(v, 10, 64)
		return flags&0x10 != 0, nil // UF_LOCKOUT
	}
	return v != "" && v != "000001010000Z", nil
}

func (d *Directory) Unlock(ctx context.Context, userDN string) error {
	const op = "unlock"
	if userDN == "" {
		return newErr(op, ReasonFailed, errors.New("no user DN"))
	}
	ctx, cancel := d.bound(ctx)
	defer cancel()
	c, err := d.connect(ctx, op)
	if err != nil {
		return err
	}
	defer c.close()
	mod := goldap.NewModifyRequest(userDN, nil)
	attr := "lockoutTime"
	if d.cfg.Kind == directory.ActiveDirectory {
		mod.Replace(attr, []string{"0"})
	} else {
		attr = "pwdAccountLockedTime"
		// "000001010000Z" is ppolicy's administrative lock: the account is disabled, and an
		// unlock flow must not enable it.
		res, err := c.Search(goldap.NewSearchRequest(userDN, goldap.ScopeBaseObject, goldap.NeverDerefAliases, 1, 0, false,
			"(objectClass=*)", []string{attr}, nil))
		if err != nil {
			return classify(ctx, op, fmt.Sprintf("read %s of %q", attr, userDN), err, nil)
		}
		if len(res.Entries) == 1 && res.Entries[0].GetAttributeValue(attr) == "000001010000Z" {
			return newErr(op, ReasonNotPermitted, errors.New("the account is disabled (administrative lock), not locked out"))
		}
		mod.Delete(attr, nil)
	}
	err = c.Modify(mod)
	if d.cfg.Kind == directory.OpenLDAP && goldap.IsErrorAnyOf(err, goldap.LDAPResultNoSuchAttribute) {
		return nil // not locked
	}
	if err != nil {
		return classify(ctx, op, fmt.Sprintf("modify %s of %q", attr, userDN), err, nil)
	}
	return nil
}
