// Package storetest is the conformance suite every store backend passes.
//
// A backend's test calls Run with a function that opens a fresh, empty store for one subtest:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return openFresh(t) })
//	}
//
// The suite checks what the rest of sspr relies on: every User field round-trips exactly,
// userPrincipalName is unique and found case-insensitively, a SyncTx is all-or-nothing and
// exclusive (a second BeginSync waits), conflicts leave the transaction usable, listings are in
// userPrincipalName order with filters and keyset pagination, runs are recorded and a run left
// "running" is marked interrupted, and a cancelled context stops every call.
//
// The flow tests (flows.go) check Update (all-or-nothing, version checks, conflicts that leave
// the transaction usable), that deleting a user removes its answers, sessions and codes, the
// audit filters, tokens, sessions, codes (retired by a newer one; CountAttempt and ConsumeCode
// exact under 20 and 10 concurrent callers), throttles (concurrent hits get distinct counts;
// counts exact for any window, around seconds and minutes, before 1970, after DeleteExpired cut a
// second in two), DeleteExpired, the outbox (leases, retries, wiped bodies, concurrent claimers never share a
// message) and security answers (which writers holding an older copy of the user do not undo).
// Their times are passed explicitly (only "a zero time means now" is checked against the clock).
//
// bench.go holds benchmarks a backend's tests call: BenchPutUser (a first sync's inserts),
// BenchFingerprints (a re-sync's first step) and BenchFlowWrites (the small writes of the reset
// flow, by many concurrent callers, with the p50 and p99 time of one flow step).
package storetest
