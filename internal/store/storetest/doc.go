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
package storetest
