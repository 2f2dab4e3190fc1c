// Package questions holds the security questions: the catalog (predefined questions in a
// translation catalog, plus an administrator's custom ones), the rules a registration must meet,
// answer normalization, and Argon2id hashing with bounded concurrency.
//
// Registration (package register):
//
//	Catalog.Check(policy, choices)   no question twice, no answer twice, 3–40 characters,
//	                                 no key word of the question in its answer
//	Hasher.Hash(ctx, answer)         Normalize → [HMAC(pepper)] → Argon2id(random salt) → PHC string
//	store.Answers.SetSecurityAnswers the PHC strings only; the answer never leaves this package
//
// Reset (package reset):
//
//	Draw(registered, n)              n questions at random from the registered ones (anew after a failure)
//	Hasher.Verify(ctx, phc, answer)  same pipeline, constant-time comparison
//
// Every Argon2id computation (19 MiB, t=2, p=1: OWASP's parameters) holds one slot of a
// semaphore of MaxConcurrentHashes slots, so that a flood of answers costs at most
// MaxConcurrentHashes × 19 MiB of memory; callers beyond it wait (bounded by their context and
// a maximum wait) and then get ErrBusy.
package questions
