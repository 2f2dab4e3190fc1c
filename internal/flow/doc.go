// Package flow is the kernel the self-service flows share: reset and unlock (package reset),
// registration (package register), and the readiness report and `sspr explain` (package
// report). It is a leaf: it imports only the store's types, phone and email helpers, and the
// Prometheus client for its Metrics.
//
//	Policy, Method*        the method vocabulary and the reset policy (configuration key reset)
//	Methods(user, policy)  the only rule for which methods a user has, in the order the flow
//	                       offers them, and whether they satisfy the policy (Decision.Ready):
//	                       methods enabled, methods required (distinct destinations),
//	                       privileged users (two methods, never questions), phone types that
//	                       cannot take SMS or a call at an ordinary cost, numbers shared by many
//	                       users, disabled accounts, registration state. Notes explain each step.
//	Codes                  the one code lifecycle: Issue (an HMAC bound to session, purpose and
//	                       destination) → Check: count the attempt → compare in constant time →
//	                       consume once
//	Sessions               session load and save (a JSON state per flow kind)
//	Enforce, CheckLocks,   throttles in the store, shared by every instance
//	Failure
//	Error, Kind            what the user is told; the web layer switches on Kind, never on keys
//	Metrics                the flows' Prometheus metrics (steps by outcome, codes, throttles,
//	                       lockouts, outcomes, registrations, writeback latency); they move alike
//	                       for a name that matches nobody
//
// Failed proofs. A wrong reset or unlock code, or wrong security answers, is a failed proof:
// it counts against the user (5 in 24 h lock reset and unlock for 24 h) and the client IP. A
// wrong registration sign-in password counts against the same limits under its own keys. A
// wrong code typed at registration (verifying a new authentication phone or email) is NOT a
// failed proof: the user has already proved their directory password, the code's own attempt
// limit (codeMaxAttempts, then a new code is needed) bounds guessing, and counting it would let
// a user who mistypes a code on their own new phone lock themselves out of reset.
package flow
