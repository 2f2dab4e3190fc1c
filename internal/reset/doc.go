// Package reset is the password reset and unlock flows, as pure logic over the store, the
// directory (writeback) and the outbox (package web serves the pages).
//
//	Start(kind, name)           the user's methods, masked (+1 ••••••1234, a•••@contoso.com); a
//	                            name that matches nobody, a disabled account or a user without
//	                            methods gets a decoy flow derived from the name: same view, never
//	                            succeeds, sends nothing
//	SendCode(option)            a code by email, SMS or voice call (HMAC stored, 5 tries,
//	                            10 minutes); for "questions", draws the questions to ask
//	VerifyCode(option, code)    one method proven (a destination proven once, whatever the channel)
//	VerifyAnswers(answers)      security questions: one method; AtReset questions drawn at random
//	                            from the registered ones (store.Answers), anew after a failure;
//	                            5 attempts per hour then locked; checked with Argon2id under the
//	                            questions.Hasher's bound; never for privileged users
//	Complete(password)          enough methods (1 or 2; privileged users 2) → password rules →
//	                            writeback (or unlock) → email notification → counters cleared
//
// Throttles (Enforce) live in the store, so several instances share them: failed proofs per
// user and per client IP lock out; SMS/voice and email codes are rate-limited per user. Every
// step is an audit event; no code, password, answer or full phone number is logged. Every step
// is counted (Config.Metrics, alike for decoys); a proven flow's end is one "flow outcome" log
// line (user, methods, privileged, client IP, outcome) and reset.done / unlock.done carry
// privileged=true for a privileged user (package alert tells the administrators).
package reset
