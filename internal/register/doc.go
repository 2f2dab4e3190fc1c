// Package register is the registration portal's flow, as pure logic over the store, the
// directory and the outbox (package web serves its pages).
//
//	SignIn(name, password)    bind as the user over TLS (writeback.Authenticate); AD data codes
//	                          become messages (wrongPassword, locked, mustChange, disabled,
//	                          expired); an unknown name fails like a wrong password; throttled
//	                          per name and per client IP like the reset flow; a short session
//	                          bound to the user: it ends on SignOut, Confirm, after IdleTimeout
//	                          without a request, or SessionLifetime after sign-in
//	View                      authenticationPhone / authenticationEmail, pre-filled from
//	                          mobilePhone / the first alternateEmails at first registration;
//	                          security questions: count and date; re-confirmation due?
//	SendPhoneCode(number)     normalized as the sync does (phone.defaultRegion); a code by SMS
//	VerifyPhone(code)         (or a call, for a landline) → saved as authenticationPhone
//	SendEmailCode(address)    a code by email
//	VerifyEmail(code)         → saved as authenticationEmail; the old address is told
//	SetQuestions(choices)     questions.Catalog.Check → Argon2id hashes → store.Answers
//	Confirm                   the user confirms what is registered (re-confirmation every
//	                          reconfirmDays); ends the session
//
// Every value is saved only after a code sent to it is entered back. Every change is an audit
// event (values masked; for questions, the count alone) and an email to the user's addresses,
// never a message to the old phone. The sync never overwrites authenticationPhone and
// authenticationEmail (syncer keeps them), and the reset flow prefers them.
package register
