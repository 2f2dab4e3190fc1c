package writeback

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
)

// Reasons: what went wrong, in words a message catalog can key on. The reset flow shows
// tooShort … unavailable to the user; the registration portal's sign-in uses the
// Authenticate ones.
const (
	ReasonTooShort      = "tooShort"      // shorter than the directory's minimum
	ReasonComplexity    = "complexity"    // fails the quality rules (or a policy AD does not name)
	ReasonHistory       = "history"       // one of the recent passwords
	ReasonTooYoung      = "tooYoung"      // changed too recently (minimum age)
	ReasonLocked        = "locked"        // the account is locked out
	ReasonNotPermitted  = "notPermitted"  // the service account may not do this, or not now/here
	ReasonUnavailable   = "unavailable"   // the directory could not be reached (wraps ErrUnavailable)
	ReasonWrongPassword = "wrongPassword" // Authenticate: bad name or password
	ReasonMustChange    = "mustChange"    // Authenticate: the password must be changed first
	ReasonDisabled      = "disabled"      // Authenticate: the account is disabled
	ReasonExpired       = "expired"       // Authenticate: password or account expired
	ReasonNotFound      = "notFound"      // no such entry
	ReasonFailed        = "failed"        // anything else (configuration, protocol): see the log
)

// ErrUnavailable: the directory could not be reached, or did not answer in time (dial, TLS,
// timeout, connection lost, busy). Test with errors.Is.
var ErrUnavailable = errors.New("directory unavailable")

// Error is the error of every Directory method. Its Reason (one of the Reason constants) is
// what the user is told; Err holds the directory's own answer for the log. Neither ever
// contains a password. (The reason is the field Kind, as in upspin's errors: a Go type cannot
// have a field and a method both named Reason.)
type Error struct {
	Op   string // "set password", "unlock", "is member", "authenticate"
	Kind string // one of the Reason constants
	Err  error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return "writeback: " + e.Op + ": " + e.Kind
	}
	return "writeback: " + e.Op + ": " + e.Kind + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Reason returns the reason (the reset flow reads it through `interface{ Reason() string }`).
func (e *Error) Reason() string { return e.Kind }

// ReasonOf returns the Reason of err's *Error, or ReasonFailed (nil: "").
func ReasonOf(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ReasonFailed
}

func newErr(op, reason string, err error) *Error { return &Error{Op: op, Kind: reason, Err: err} }

func unavailable(op string, cause error) *Error {
	return newErr(op, ReasonUnavailable, fmt.Errorf("%w: %w", ErrUnavailable, cause))
}

// isUnavailable: the error is about reaching the server, not the server's answer: a network,
// TLS or timeout error, a closed connection, or result busy/unavailable.
func isUnavailable(err error) bool {
	var le *goldap.Error
	if !errors.As(err, &le) {
		return true // net, tls, x509, io errors: none carries a result code
	}
	switch le.ResultCode {
	case goldap.ErrorNetwork, goldap.LDAPResultBusy, goldap.LDAPResultUnavailable,
		goldap.LDAPResultServerDown, goldap.LDAPResultTimeout, goldap.LDAPResultConnectError:
		return true
	}
	return false
}

// classify turns an LDAP exchange's error into an *Error. mapCode maps the result codes the
// operation knows; it returns "" for the others (then: ReasonFailed).
func classify(ctx context.Context, op, what string, err error, mapCode func(error) string) *Error {
	var we *Error
	if errors.As(err, &we) {
		return we
	}
	if cerr := ctxErr(ctx); cerr != nil {
		return unavailable(op, fmt.Errorf("%s: %w (%w)", what, cerr, err))
	}
	if isUnavailable(err) {
		return unavailable(op, fmt.Errorf("%s: %w", what, err))
	}
	reason := ""
	if mapCode != nil {
		reason = mapCode(err)
	}
	if reason == "" {
		reason = commonReason(err)
	}
	return newErr(op, reason, fmt.Errorf("%s: %w", what, err))
}

// ctxErr is ctx.Err(), or DeadlineExceeded once the deadline has passed: the socket's own
// deadline (the same instant) may end a read before the context says so.
func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	return nil
}

// commonReason maps the result codes every operation can meet.
func commonReason(err error) string {
	switch {
	case goldap.IsErrorAnyOf(err, goldap.LDAPResultInsufficientAccessRights):
		return ReasonNotPermitted
	case goldap.IsErrorAnyOf(err, goldap.LDAPResultNoSuchObject):
		return ReasonNotFound
	}
	return ReasonFailed
}

// diagnostic is the server's diagnostic message of an LDAP result error.
func diagnostic(err error) string {
	var le *goldap.Error
	if errors.As(err, &le) && le.Err != nil {
		return le.Err.Error()
	}
	return ""
}

// adPasswordReason maps AD's and Samba's answers to a password write: constraintViolation (19)
// or unwillingToPerform (53) carrying the 0000052D (ERROR_PASSWORD_RESTRICTION) detail. Samba
// says which rule failed (check_password_restrictions: ...); AD does not, which reads as
// complexity ("does not meet the password policy").
func adPasswordReason(err error) string {
	if !goldap.IsErrorAnyOf(err, goldap.LDAPResultConstraintViolation, goldap.LDAPResultUnwillingToPerform) {
		return ""
	}
	msg := strings.ToLower(diagnostic(err))
	if !strings.Contains(msg, "0000052d") {
		return ""
	}
	switch {
	case strings.Contains(msg, "too short"):
		return ReasonTooShort
	case strings.Contains(msg, "history"), strings.Contains(msg, "already used"): // Samba: "(previous password)" for the current one
		return ReasonHistory
	case strings.Contains(msg, "too young"):
		return ReasonTooYoung
	case strings.Contains(msg, "complexity"):
		return ReasonComplexity
	}
	return ReasonComplexity
}

// adBindData finds the Windows error in AD's bind failure text:
// "80090308: LdapErr: DSID-0C09041C, comment: AcceptSecurityContext error, data 52e, v4563".
var adBindData = regexp.MustCompile(`(?i)\bdata ([0-9a-f]{3,8})\b`)

// adBindReason maps an AD/Samba invalidCredentials (49) to a reason by its data code.
func adBindReason(err error) string {
	if !goldap.IsErrorAnyOf(err, goldap.LDAPResultInvalidCredentials) {
		return ""
	}
	m := adBindData.FindStringSubmatch(diagnostic(err))
	if m == nil {
		return ReasonWrongPassword
	}
	switch strings.ToLower(m[1]) {
	case "775": // ERROR_ACCOUNT_LOCKED_OUT
		return ReasonLocked
	case "773": // ERROR_PASSWORD_MUST_CHANGE
		return ReasonMustChange
	case "533": // ERROR_ACCOUNT_DISABLED
		return ReasonDisabled
	case "532", "701": // ERROR_PASSWORD_EXPIRED, ERROR_ACCOUNT_EXPIRED
		return ReasonExpired
	case "530", "531": // ERROR_INVALID_LOGON_HOURS, ERROR_INVALID_WORKSTATION
		return ReasonNotPermitted
	}
	return ReasonWrongPassword // 52e (bad password), 525 (no such user) and the rest
}

// ppolicy error enum (draft-behera-ldap-password-policy, PasswordPolicyResponseValue.error).
const (
	ppPasswordExpired             = 0
	ppAccountLocked               = 1
	ppChangeAfterReset            = 2
	ppPasswordModNotAllowed       = 3
	ppMustSupplyOldPassword       = 4
	ppInsufficientPasswordQuality = 5
	ppPasswordTooShort            = 6
	ppPasswordTooYoung            = 7
	ppPasswordInHistory           = 8
)

// ppolicyReason maps the ppolicy response control's error to a reason.
func ppolicyReason(code int8) string {
	switch code {
	case ppPasswordExpired:
		return ReasonExpired
	case ppAccountLocked:
		return ReasonLocked
	case ppChangeAfterReset:
		return ReasonMustChange
	case ppPasswordModNotAllowed, ppMustSupplyOldPassword:
		return ReasonNotPermitted
	case ppInsufficientPasswordQuality:
		return ReasonComplexity
	case ppPasswordTooShort:
		return ReasonTooShort
	case ppPasswordTooYoung:
		return ReasonTooYoung
	case ppPasswordInHistory:
		return ReasonHistory
	}
	return ""
}
