package writeback

import (
	"errors"
	"net"
	"strings"
	"testing"

	goldap "github.com/go-ldap/ldap/v3"
)

func ldapErr(code uint16, msg string) error {
	return &goldap.Error{ResultCode: code, Err: errors.New(msg)}
}

func TestADPasswordReason(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"samba too short", ldapErr(19, "0000052D: Constraint violation - check_password_restrictions: the password is too short. It should be equal or longer than 7 characters!"), ReasonTooShort},
		{"samba complexity", ldapErr(19, "0000052D: Constraint violation - check_password_restrictions: the password does not meet the complexity criteria!"), ReasonComplexity},
		{"samba history", ldapErr(19, "0000052D: Constraint violation - check_password_restrictions: the password was already used (in history)!"), ReasonHistory},
		{"samba too young", ldapErr(19, "0000052D: Constraint violation - check_password_restrictions: the password is too young to change!"), ReasonTooYoung},
		{"AD, no detail", ldapErr(53, "0000052D: SvcErr: DSID-031A1248, problem 5003 (WILL_NOT_PERFORM), data 0"), ReasonComplexity},
		{"AD 19, no detail", ldapErr(19, "0000052D: AtrErr: DSID-03191083, #1:\n\t0: 0000052D: DSID-03191083, problem 1005 (CONSTRAINT_ATT_TYPE), data 0, Att 9005a (unicodePwd)"), ReasonComplexity},
		{"lower-case code", ldapErr(19, "0000052d: too short"), ReasonTooShort},
		{"other constraint", ldapErr(19, "00002082: AtrErr: something else"), ""},
		{"no TLS", ldapErr(53, "0000001F: SvcErr: DSID-031A126C, problem 5003 (WILL_NOT_PERFORM), data 0"), ""},
		{"the words without the code", ldapErr(19, "password is too short"), ""},
		{"another code with the text", ldapErr(50, "0000052D: too short"), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := adPasswordReason(tc.err); got != tc.want {
				t.Fatalf("adPasswordReason = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestADBindReason(t *testing.T) {
	text := func(data string) error {
		return ldapErr(49, "80090308: LdapErr: DSID-0C09041C, comment: AcceptSecurityContext error, data "+data+", v4563")
	}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{text("52e"), ReasonWrongPassword},
		{text("525"), ReasonWrongPassword},
		{text("775"), ReasonLocked},
		{text("773"), ReasonMustChange},
		{text("533"), ReasonDisabled},
		{text("532"), ReasonExpired},
		{text("701"), ReasonExpired},
		{text("530"), ReasonNotPermitted},
		{text("531"), ReasonNotPermitted},
		{text("52E"), ReasonWrongPassword},
		{ldapErr(49, "Invalid credentials"), ReasonWrongPassword}, // no data: still a bad password
		{ldapErr(50, "data 775"), ""},                             // only 49 is read
	} {
		if got := adBindReason(tc.err); got != tc.want {
			t.Errorf("adBindReason(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

func TestPPolicyReason(t *testing.T) {
	want := map[int8]string{
		0: ReasonExpired, 1: ReasonLocked, 2: ReasonMustChange, 3: ReasonNotPermitted, 4: ReasonNotPermitted,
		5: ReasonComplexity, 6: ReasonTooShort, 7: ReasonTooYoung, 8: ReasonHistory, 9: "", -1: "",
	}
	for code, w := range want {
		if got := ppolicyReason(code); got != w {
			t.Errorf("ppolicyReason(%d) = %q, want %q", code, got, w)
		}
	}
}

func TestIsUnavailable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&net.OpError{Op: "dial", Err: errors.New("connection refused")}, true},
		{ldapErr(goldap.ErrorNetwork, "ldap: connection closed"), true},
		{ldapErr(goldap.LDAPResultBusy, "busy"), true},
		{ldapErr(goldap.LDAPResultUnavailable, "unavailable"), true},
		{ldapErr(goldap.LDAPResultConstraintViolation, "x"), false},
		{ldapErr(goldap.LDAPResultInvalidCredentials, "x"), false},
		{ldapErr(goldap.LDAPResultInsufficientAccessRights, "x"), false},
	} {
		if got := isUnavailable(tc.err); got != tc.want {
			t.Errorf("isUnavailable(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

func TestError(t *testing.T) {
	e := unavailable("set password", errors.New("dial 127.0.0.1:636: connection refused"))
	if !errors.Is(e, ErrUnavailable) || e.Reason() != ReasonUnavailable || ReasonOf(e) != ReasonUnavailable {
		t.Fatalf("unavailable: %v (reason %q)", e, e.Reason())
	}
	if s := e.Error(); !strings.HasPrefix(s, "writeback: set password: unavailable: directory unavailable: dial") {
		t.Fatalf("Error() = %q", s)
	}
	if ReasonOf(nil) != "" || ReasonOf(errors.New("x")) != ReasonFailed {
		t.Fatal("ReasonOf of nil or a foreign error")
	}
	var r interface{ Reason() string } = newErr("unlock", ReasonNotPermitted, nil)
	if r.Reason() != ReasonNotPermitted || r.(error).Error() != "writeback: unlock: notPermitted" {
		t.Fatalf("Reason/Error: %q %q", r.Reason(), r.(error).Error())
	}
}

func TestUnicodePwd(t *testing.T) {
	got := unicodePwd("aé€𝄞")
	want := "\"\x00a\x00\xe9\x00\xac\x20\x34\xd8\x1e\xdd\"\x00" // quotes, é, €, and a surrogate pair
	if got != want {
		t.Fatalf("unicodePwd = %q, want %q", got, want)
	}
}
