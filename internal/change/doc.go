// Package change is the flow that changes a password the user knows (the /change page), as
// pure logic over the store, the directory and the outbox (package web serves the page).
//
//	Change(name, current, new)  one step, no session:
//	  1. throttles: flows started per client IP; the locks of the registration sign-in
//	     (subject+":signin" per name, "signin-failed" per IP): a wrong current password here
//	     and there count against the same limits (5 per name in 24 h, then locked 24 h)
//	  2. sspr's password rules (package password) against the typed name
//	  3. the directory changes it as the user's own change (writeback.ChangePassword): the
//	     directory checks the current password, then its policy for user changes (minimum
//	     age, length, complexity, history). On AD and Samba this works for users who must
//	     change the password at next logon or whose password has expired, who cannot bind.
//	  4. a wrong current password is a failure (flow.Failure); an unknown name does the same
//	     directory work with a DN that cannot exist and fails the same way (no enumeration);
//	     a success clears the name's sign-in failures, mails the user's known addresses (never
//	     the password) and is audited (change.done; change.failed with the reason)
//
// Errors are *flow.Error: KindInput (a field missing), KindSignIn (wrong current password,
// expired), KindPassword (a rule, sspr's or the directory's: the Reason says which),
// KindThrottled, KindDirectory (unreachable, not permitted, failed).
package change
