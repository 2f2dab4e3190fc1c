// Package writeback changes the directory for the reset and registration flows: it writes a
// new password back, unlocks an account, checks (nested) group membership and checks a
// user's password. It implements reset.Directory.
//
//	SetPassword   AD/Samba: Modify replace unicodePwd (UTF-16LE of the quoted password), TLS
//	              only, with the policy hints control (1.2.840.113556.1.4.2239 when the rootDSE
//	              lists it, else the deprecated .2066), critical.
//	              OpenLDAP: Password Modify extended operation (RFC 3062, no old password) with
//	              the ppolicy request control; the response control says which rule failed.
//	ChangePassword  the user's own change, checked by the directory as one (old password,
//	              history, minimum age): AD/Samba a Modify deleting the old unicodePwd value and
//	              adding the new one, bound as the service account (AD grants "Change Password"
//	              to Everyone; the old password proves the user), so it works for users who
//	              cannot bind: must change at next logon (773) and expired password (532).
//	              OpenLDAP: bind as the user (changeAfterReset and grace logins allow it), then
//	              Password Modify with oldPasswd and the ppolicy control.
//	              With Config.MustChangeAfterReset, SetPassword on AD also sets pwdLastSet=0.
//	Unlock        AD/Samba: lockoutTime = 0.  OpenLDAP: delete pwdAccountLockedTime ("no such
//	              attribute" = not locked = success).
//	IsMember      AD/Samba: base search of the user, (memberOf:1.2.840.113556.1.4.1941:=<group>).
//	              OpenLDAP: from the user up, the groups whose member/uniqueMember holds it,
//	              then their groups, each once (cycles end), DNs compared with ParseDN+EqualFold.
//	Authenticate  a simple bind as the user over TLS; AD's "data 52e/775/773/533/532/701/530/531"
//	              and OpenLDAP's ppolicy response control give the reason. An empty password
//	              is refused here (it would be an unauthenticated bind, which succeeds).
//
// Each call opens one connection (ldaps://, or StartTLS on ldap://; plain only with
// AllowInsecure, never for unicodePwd), binds as the service account (Authenticate: as the
// user), runs one operation and closes; the endpoint's CallTimeout bounds the whole call,
// its OperationTimeout each wait for an answer, and cancelling the context closes the socket. Nothing is half-done: a failed operation changed nothing.
//
// Errors are *Error{Op, Kind, Err}: Reason() (Kind) is what the user is told (tooShort,
// complexity, history, tooYoung, locked, notPermitted, unavailable; wrongPassword, mustChange,
// disabled, expired for Authenticate; notFound, failed); Err is the directory's answer for the
// log. Result codes are read with ldap.IsErrorAnyOf, and only then AD's 0000052D detail text.
// No error text holds a password. Network, TLS and timeout errors wrap ErrUnavailable.
//
// What the directories do with this administrator's reset, as tested here (Samba 4.17.12,
// OpenLDAP 2.5.13):
//
// Samba AD: length and complexity apply (constraintViolation 19, 0000052D with the rule in
// words). History and minimum age do NOT: Samba lists neither hints OID in supportedControl,
// accepts both (it accepts even an unknown critical control) and ignores them, so the current
// or an old password can be set again and a password set twice in a minute. Samba cannot be
// made to check history for a reset over LDAP (the history hashes are not readable either).
// The previous password keeps working for simple binds during "old password allowed period"
// (smb.conf, 60 minutes by default). A reset does not unlock: call Unlock as well. Bind
// failures carry AD's data codes (52e, 533, 701, 773, 775 seen).
//
// A user's change on Samba (ChangePassword): a locked-out account is refused first
// (00000775, locked), then the old password is checked (a wrong
// one is 00000056 "The old password specified doesn't match!", whatever else is wrong), then
// minimum age (the domain's default of a day applies: "too young"), length, complexity and
// history ("already used (previous password)" for the current one, "in history" for older
// ones). The previous password still binds for the old password allowed period, as after a
// reset. LDAP refuses to set pwdLastSet to anything but 0 or -1, so the tests age a password
// on the DC's own sam.ldb.
//
// Active Directory (not tested here; documented behaviour): with the hints control on 2012 R2
// and later (.2066 on 2008 R2) history and minimum age apply to the reset; AD's 0000052D text
// does not say which rule failed, which maps to complexity. A DC that supports neither OID
// rejects the critical control (unavailableCriticalExtension): the reset fails, closed.
//
// OpenLDAP with ppolicy: the rootdn bypasses the policy, so the service account must be an
// ordinary entry with write — not manage — on userPassword. With write, the Password Modify
// is checked like the user's own change: pwdMinLength (passwordTooShort), pwdCheckQuality,
// pwdInHistory (passwordInHistory; the current password too), pwdMinAge (passwordTooYoung);
// pwdMustChange does not mark it (no pwdReset), and the change clears a lockout. With manage
// the service account is a password administrator: nothing is checked, and pwdMustChange sets
// pwdReset so the user's next bind says changeAfterReset (mustChange). Without a
// pwdCheckModule, quality means length only (no complexity reason). Unlock needs write on
// pwdAccountLockedTime (user-modifiable in 2.5); removing it clears pwdFailureTime too.
// Suggested ACL (before the others):
//
//	access to attrs=userPassword by dn.exact="cn=sspr,ou=services,dc=example,dc=com" write
//	    by self write by anonymous auth by * none
//	access to attrs=pwdAccountLockedTime by dn.exact="cn=sspr,ou=services,dc=example,dc=com" write
//	    by * read
package writeback
